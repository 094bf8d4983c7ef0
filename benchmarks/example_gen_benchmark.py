"""Times MovieLensExampleGen: generating synthetic ratings, and reading an archive.

1. ``synthetic``: the ExampleGen generates N synthetic ratings.
2. ``grouplens``: the same synthetic data written as a GroupLens ml-1m
   folder (``ratings.dat``, ``movies.dat``, ``users.dat``; never the real
   files), then read by the ExampleGen.

    python benchmarks/example_gen_benchmark.py --ratings 1000000 --output eg.json
"""

import argparse
import json
import os
import sys
import tempfile
import time

from grouplens_archives import write_release
from components import movielens_example_gen
from movielens_simulator import synthetic
from pipeline.examples_command import generate_examples
from pipeline.preflight import local_beam_args


def _timed(gen: movielens_example_gen.Settings, output_dir: str, beam_args) -> dict:
    started = time.perf_counter()
    examples, candidates = generate_examples(gen, output_dir, beam_args)
    return {
        "seconds": time.perf_counter() - started,
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
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    beam_args = local_beam_args(args.beam_mode, 0, args.ratings)
    base = tempfile.mkdtemp(prefix="example_gen_bench_")
    settings = {"num_ratings": args.ratings, "seed": 0}
    result = {"ratings": args.ratings, "beam_pipeline_args": beam_args}
    result["synthetic"] = _timed(
        movielens_example_gen.Settings(source="synthetic", synthetic_config=settings),
        os.path.join(base, "synthetic"),
        beam_args,
    )
    started = time.perf_counter()
    folder = write_release("ml-1m", synthetic.SyntheticConfig(**settings), base)
    result["write_ml1m_folder_seconds"] = time.perf_counter() - started
    result["grouplens_ml1m"] = _timed(
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
