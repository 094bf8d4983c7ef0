"""Times reading gzipped TFRecords in Beam: Beam's reader against TensorFlow's.

StatisticsGen and Transform read their examples through tfx_bsl, which
reads with Beam's ``ReadFromTFRecord`` unless ``components.tfrecord_reads``
stands in (it does in this pipeline). This writes ``--records`` small
examples (ml-25m-shaped ratings, ~160 bytes each) into ``--files`` gzipped
files and counts them in a Beam pipeline through each reader, alternating,
``--rounds`` times.

Usage (from the repository root)::

    TF_USE_LEGACY_KERAS=1 .venv/bin/python benchmarks/tfrecord_read_benchmark.py \\
        --records 1000000 --output read.json

Everything after ``--`` is passed to Beam as pipeline options (e.g.
``-- --direct_running_mode=multi_processing --direct_num_workers=2``).
"""

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Callable, Dict, List, Tuple

import apache_beam as beam
import tensorflow as tf
from apache_beam.metrics import Metrics
from apache_beam.metrics.metric import MetricsFilter
from apache_beam.options.pipeline_options import PipelineOptions

from components import tfrecord_reads
from components.movielens_example_gen import records
from movielens_simulator import synthetic

_RATING_FEATURES = ("user_id", "movie_id", "movie_title", "movie_genres", "timestamp", "user_rating")


def write_examples(folder: str, count: int, files: int) -> str:
    """Writes ``count`` synthetic rating examples into ``files`` gzipped files.

    Args:
      folder: Where the files go.
      count: Examples in all.
      files: Files, the examples dealt round-robin in batches.

    Returns:
      The files' glob pattern.
    """
    writers = [
        tf.io.TFRecordWriter(os.path.join(folder, f"part-{index:05d}.gz"), options="GZIP")
        for index in range(files)
    ]
    ratings = synthetic.generate_ratings(synthetic.SyntheticConfig(num_ratings=count), 0, 1)
    batch: List[Dict] = []
    written = 0
    for rating in ratings:
        batch.append({name: rating[name] for name in _RATING_FEATURES})
        if len(batch) == 8192:
            for record in records.to_serialized_examples(batch):
                writers[written % files].write(record)
            written += 1
            batch = []
    for record in records.to_serialized_examples(batch):
        writers[written % files].write(record)
    for writer in writers:
        writer.close()
    return os.path.join(folder, "part-*.gz")


def _count_with(
    read: Callable[[beam.Pipeline], beam.PCollection], options: PipelineOptions
) -> Tuple[float, int]:
    """Seconds for a pipeline that reads with ``read`` and counts the records, and the count."""
    counter = Metrics.counter("tfrecord_read_benchmark", "records")
    started = time.perf_counter()
    pipeline = beam.Pipeline(options=options)
    _ = read(pipeline) | beam.combiners.Count.Globally() | beam.Map(counter.inc)
    result = pipeline.run()
    result.wait_until_finish()
    seconds = time.perf_counter() - started
    (counted,) = result.metrics().query(MetricsFilter().with_name("records"))["counters"]
    return seconds, counted.committed


def main() -> int:
    """Parses the flags, writes the files, times both readers and writes the JSON."""
    argv = sys.argv[1:]
    beam_args = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="examples to write and read")
    parser.add_argument("--files", type=int, default=4, help="gzipped files they are written into")
    parser.add_argument("--rounds", type=int, default=2, help="times each reader is timed")
    parser.add_argument("--output", required=True, help="JSON file to write")
    args = parser.parse_args(argv)
    options = PipelineOptions(beam_args)
    with tempfile.TemporaryDirectory() as folder:
        pattern = write_examples(folder, args.records, args.files)
        readers = {
            "beam_read_from_tfrecord": lambda p: p | beam.io.ReadFromTFRecord(
                pattern, coder=beam.coders.BytesCoder()
            ),
            "tensorflow_reader": lambda p: p | tfrecord_reads.ReadTfRecordFiles([pattern]),
        }
        seconds: Dict[str, List[float]] = {name: [] for name in readers}
        counted: Dict[str, List[int]] = {name: [] for name in readers}
        for _ in range(args.rounds):
            for name, read in readers.items():
                taken, count = _count_with(read, options)
                seconds[name].append(round(taken, 2))
                counted[name].append(count)
    result = {
        "records": args.records,
        "records_counted": counted,
        "files": args.files,
        "beam_args": beam_args,
        "seconds": seconds,
        "seconds_per_million": {
            name: [round(value * 1e6 / args.records, 2) for value in values]
            for name, values in seconds.items()
        },
    }
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(result, out, indent=2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
