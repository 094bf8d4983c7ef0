"""Times the whole pipeline, per component, and records its evaluation.

Usage (inside the project environment, e.g. ``.venv/bin/python``):

    python benchmarks/pipeline_benchmark.py --output bench.json -- \\
        --source synthetic --synthetic-ratings 100000
    python benchmarks/pipeline_benchmark.py --output bench.json \\
        --grouplens-archive ml-100k --archive-ratings 100000

Everything after ``--`` is passed to ``movielens-tfx run`` (see docs/pipeline.md);
the run uses a fresh work directory and no cache, so every component executes.
``--grouplens-archive`` first writes synthetic ratings as a GroupLens release
folder and runs on it (``--source grouplens``), the README's main command's
path without the real files (``ml-25m`` writes the ml-25m CSV format at any
size: ``--grouplens-archive ml-25m --archive-ratings 5000000``).
``--written-release`` runs on a release folder written before instead (a
large one takes long to write: ~75 s per million ratings in ml-25m's format
in one process; the benchmarks write with one process per core).

The JSON has the seconds per component and per million ratings read, the
peak resident memory of the whole process tree (Beam's worker processes
included; sampled every half second), overall and while each component ran,
of its largest single process while each component ran, and of the main
process alone, and the Evaluator's metrics (the model against the
baselines).
"""

import argparse
import glob
import json
import os
import platform
import resource
import sys
import tempfile
import time
from typing import Dict

from movielens_simulator import synthetic
from grouplens_archives import RELEASES, write_release
from process_memory import PeakTreeMemory
from pipeline import cli
from pipeline.local import runner as local_runner
from pipeline.cli import run as run_command


def main() -> int:
    """Runs the benchmark and writes its JSON.

    Returns:
      The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", required=True, help="JSON file to write")
    parser.add_argument("--grouplens-archive", choices=RELEASES, default=None,
                        help="run on synthetic ratings written in this GroupLens format")
    parser.add_argument("--archive-ratings", type=int, default=100_000,
                        help="ratings in the --grouplens-archive release")
    parser.add_argument("--written-release", default=None,
                        help="run on this GroupLens release folder, written before, "
                             "instead of writing one")
    parser.add_argument("run_args", nargs=argparse.REMAINDER, help="-- then `run` options")
    args = parser.parse_args()
    run_args = [a for a in args.run_args if a != "--"]
    work_dir = tempfile.mkdtemp(prefix="movielens_bench_")
    write_seconds = None
    release = args.written_release
    if args.grouplens_archive and release is None:
        started = time.perf_counter()
        release = write_release(
            args.grouplens_archive,
            synthetic.SyntheticConfig(num_ratings=args.archive_ratings),
            work_dir,
            processes=os.cpu_count() or 1,
        )
        write_seconds = time.perf_counter() - started
    if release is not None:
        run_args = ["--source", "grouplens", "--input-path", release, *run_args]
    run = cli.parser().parse_args(["run", "--work-dir", work_dir, "--no-cache", *run_args])
    config = run_command.local_pipeline_config(run).config
    started = time.perf_counter()
    with PeakTreeMemory() as memory:
        summary = local_runner.run(
            config,
            os.path.join(work_dir, "metadata.sqlite"),
            os.path.join(work_dir, "run.log"),
        )
    total_seconds = time.perf_counter() - started
    ratings = ratings_read(config.pipeline_root)
    millions = ratings / 1e6
    result = {
        "run_args": run_args,
        "beam_pipeline_args": config.beam_pipeline_args,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "release": release,
        "write_release_seconds": write_seconds,
        "ratings_read": ratings,
        "total_seconds": total_seconds,
        "component_seconds": summary.seconds,
        "seconds_per_million_ratings": {
            "total": total_seconds / millions,
            **{name: seconds / millions for name, seconds in summary.seconds.items()},
        },
        "peak_memory_gib": {
            "process_tree": memory.peak_bytes / 2**30,
            "main_process": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
            "process_tree_by_component": {
                name: memory.peak_between(start, start + summary.seconds[name]) / 2**30
                for name, start in summary.started.items()
                if name in summary.seconds
            },
            "largest_process_by_component": {
                name: memory.largest_process_between(start, start + summary.seconds[name]) / 2**30
                for name, start in summary.started.items()
                if name in summary.seconds
            },
        },
        "slowest_components": sorted(summary.seconds, key=summary.seconds.get, reverse=True)[:3],
        "evaluation": summary.evaluation["metrics"] if summary.evaluation else None,
        "blessed": summary.evaluation["blessing"]["blessed"] if summary.evaluation else None,
        "work_dir": work_dir,
    }
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
    print(json.dumps(
        {k: result[k] for k in ("total_seconds", "seconds_per_million_ratings", "peak_memory_gib")},
        indent=2,
    ))
    return 0


def ratings_read(pipeline_root: str) -> int:
    """The ratings the run's ExampleGen wrote (train and eval).

    Args:
      pipeline_root: The run's pipeline root.

    Returns:
      Their number, from the ExampleGen's summary file.
    """
    (summary_file,) = glob.glob(
        os.path.join(pipeline_root, "MovieLensExampleGen", "examples", "*", "example_gen_summary.json")
    )
    with open(summary_file, encoding="utf-8") as handle:
        counts: Dict[str, int] = json.load(handle)["num_examples"]
    return counts["train"] + counts["eval"]


if __name__ == "__main__":
    sys.exit(main())
