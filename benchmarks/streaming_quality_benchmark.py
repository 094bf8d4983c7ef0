"""The Trainer's quality with its training split in memory against streamed.

Above ``cache_max_examples`` the Trainer streams its training split from
the files, taking a record from each file in turn (``data.streamed_batches``)
instead of permuting the whole split in memory. This benchmark trains
``trainer.train.train`` on an earlier pipeline run's ExampleGen and
Transform outputs three ways, for each step budget asked, and records the
Trainer's own report (its seeded eval sample, filtered, at the model's
default time):

* ``in_memory``: the default below the limit (``cache_examples``);
* ``streamed_recut``: streamed from the run's training records re-cut, in
  order, into files of ``--records-per-file`` (the layout of a bigger run
  scaled down: ml-25m's 20M training ratings make ~200 files of 100,000;
  at 1M, files of 4,000 do the same);
* ``streamed_as_written``: streamed from the run's own files.

Usage (from the repository root)::

    TF_USE_LEGACY_KERAS=1 .venv/bin/python benchmarks/streaming_quality_benchmark.py \\
        --pipeline-root WORK_DIR/pipeline_root --steps 80,200 --output streaming.json
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# pylint: disable=g-import-not-at-top,wrong-import-position
import argparse
import json
import sys
import tempfile
import time
from typing import Any, Dict, List

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

import apache_beam as beam
import tensorflow as tf

from benchmarks.trainer_quality_curve import newest_artifact
from components.movielens_example_gen import shard_files
from trainer import config as config_lib
from trainer import train

# Records per batch handed to the writer (a file closes between batches).
_RECUT_BATCH = 1000
# One in-memory worker: the batches reach the writer in the order given.
_IN_ORDER = ["--runner=DirectRunner", "--direct_running_mode=in_memory", "--direct_num_workers=1"]


def recut(files: List[str], folder: str, records_per_file: int) -> int:
    """Copies the records of ``files`` into files of a fixed size, each a stretch in order.

    The ExampleGen's own writer does the cutting (``shard_files.WriteShards``
    in one in-memory worker, which keeps the order within each file; the
    files' names do not follow it), so the files have the layout the
    ExampleGen gives a bigger split.

    Args:
      files: Gzipped TFRecord files, read one after another.
      folder: Where the new files go (``part-NNNNN-of-NNNNN.gz``).
      records_per_file: Records per new file (the last holds the rest).

    Returns:
      The number of files written.
    """
    batches = [
        batch.numpy().tolist()
        for batch in tf.data.TFRecordDataset(files, compression_type="GZIP").batch(_RECUT_BATCH)
    ]
    with beam.Pipeline(argv=_IN_ORDER) as pipeline:
        _ = (
            pipeline
            | beam.Create(batches, reshuffle=False)
            | shard_files.WriteShards(folder, "part", records_per_file)
        )
    return len(tf.io.gfile.glob(os.path.join(folder, "part-*")))


def main() -> None:
    """Parses the flags, trains every way and step budget, writes the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pipeline-root", required=True, help="an earlier run's pipeline root")
    parser.add_argument("--steps", default="80,200", help="comma-separated step budgets")
    parser.add_argument("--records-per-file", type=int, default=4000, help="re-cut file size")
    parser.add_argument("--output", required=True, help="JSON file to write")
    args = parser.parse_args()
    examples = newest_artifact(args.pipeline_root, "MovieLensExampleGen", "examples")
    candidates = newest_artifact(args.pipeline_root, "MovieLensExampleGen", "candidates")
    transform_dir = newest_artifact(args.pipeline_root, "Transform", "transform_graph")
    written = sorted(tf.io.gfile.glob(os.path.join(examples, "Split-train", "*")))
    with tempfile.TemporaryDirectory() as recut_dir:
        recut_files = recut(written, recut_dir, args.records_per_file)
        ways = [
            ("in_memory", written, {}),
            ("streamed_recut", [os.path.join(recut_dir, "*")], {"cache_examples": False}),
            ("streamed_as_written", written, {"cache_examples": False}),
        ]
        runs: List[Dict[str, Any]] = []
        for name, train_files, settings in ways:
            for steps in (int(value) for value in args.steps.split(",")):
                config = config_lib.TrainerConfig.from_dict({"max_steps": steps, **settings})
                started = time.perf_counter()
                trained = train.train(
                    train_files=train_files,
                    eval_files=[os.path.join(examples, "Split-eval", "*")],
                    candidate_files=[os.path.join(candidates, "Split-corpus", "*")],
                    transform_output_dir=transform_dir,
                    config=config,
                )
                runs.append({
                    "way": name,
                    "max_steps": steps,
                    "seconds": round(time.perf_counter() - started, 1),
                    "eval_top_k_accuracy": trained.eval_metrics,
                    "eval_examples": trained.eval_examples,
                })
                print(json.dumps(runs[-1]), flush=True)
    result = {
        "pipeline_root": args.pipeline_root,
        "files_as_written": len(written),
        "recut_files": recut_files,
        "records_per_file": args.records_per_file,
        "runs": runs,
    }
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(result, out, indent=2)


if __name__ == "__main__":
    main()
