"""Times MovieLensExampleGen: generating synthetic ratings, and reading an archive.

1. ``synthetic``: the ExampleGen generates N synthetic ratings.
2. ``grouplens``: the same synthetic data written as a GroupLens release
   folder (ml-1m's ``ratings.dat``, ``movies.dat``, ``users.dat`` by
   default, or ml-25m's CSV files; never the real files), then read by the
   ExampleGen.

Each part records its seconds and the peak resident memory of the whole
process tree (Beam's workers included) and of its largest single process.

    python benchmarks/example_gen_benchmark.py --ratings 1000000 --output eg.json
    python benchmarks/example_gen_benchmark.py --ratings 5000000 --release ml-25m \\
        --archive-only --beam-mode multi_processing --output eg.json
"""

import argparse
import json
import os
import sys
import tempfile
import time

from grouplens_archives import RELEASES, write_release
from process_memory import PeakTreeMemory
from components import movielens_example_gen
from movielens_simulator import synthetic
from pipeline.examples_command import generate_examples
from pipeline.preflight import local_beam_args


def _timed(gen: movielens_example_gen.Settings, output_dir: str, beam_args) -> dict:
    with PeakTreeMemory() as memory:
        started = time.perf_counter()
        examples, candidates = generate_examples(gen, output_dir, beam_args)
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_memory_gib_process_tree": memory.peak_bytes / 2**30,
        "peak_memory_gib_largest_process": memory.largest_process_bytes / 2**30,
        "train": examples.get_int_custom_property("num_examples_train"),
        "eval": examples.get_int_custom_property("num_examples_eval"),
        "corpus": candidates.get_int_custom_property("num_examples_corpus"),
        "bad_rows": examples.get_int_custom_property("bad_rows_count"),
    }


def main() -> int:
    """Runs the benchmark and writes its JSON.

    Returns:
      The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ratings", type=int, default=1_000_000)
    parser.add_argument("--beam-mode", default="in_memory", choices=["in_memory", "multi_processing"])
    parser.add_argument("--release", default="ml-1m", choices=RELEASES,
                        help="the GroupLens format the archive part writes and reads")
    parser.add_argument("--archive-only", action="store_true",
                        help="skip the synthetic part")
    parser.add_argument("--written-release", default=None,
                        help="read this release folder, written before by grouplens_archives "
                             "with the same --ratings and --release, instead of writing one")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    beam_args = local_beam_args(args.beam_mode, 0, args.ratings)
    base = tempfile.mkdtemp(prefix="example_gen_bench_")
    settings = {"num_ratings": args.ratings, "seed": 0}
    result = {"ratings": args.ratings, "beam_pipeline_args": beam_args}
    if not args.archive_only:
        result["synthetic"] = _timed(
            movielens_example_gen.Settings(source="synthetic", synthetic_config=settings),
            os.path.join(base, "synthetic"),
            beam_args,
        )
    folder = args.written_release
    if folder is None:
        started = time.perf_counter()
        folder = write_release(
            args.release, synthetic.SyntheticConfig(**settings), base, processes=os.cpu_count() or 1
        )
        result["write_release_seconds"] = time.perf_counter() - started
    result["release"] = args.release
    result["grouplens"] = _timed(
        movielens_example_gen.Settings(source="grouplens", input_path=folder),
        os.path.join(base, "grouplens"),
        beam_args,
    )
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
