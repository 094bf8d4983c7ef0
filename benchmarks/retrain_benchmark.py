"""Retrain with one new span: analyzer cache against a full re-analysis.

In two work directories, runs days 1..N-1 of synthetic data with ``retrain``
(window of N spans, analyzer cache on), then times day N: in one with the
analyzer cache (only the new span is analysed), in the other without (every
span in the window is analysed again). Writes JSON with the per-component
times of both.

    python benchmarks/retrain_benchmark.py --ratings 60000 --days 3 --output retrain.json
"""

import argparse
import json
import os
import sys
import tempfile
import time

from components import movielens_example_gen
from pipeline.kubeflow import beam_profiles
from pipeline import config as config_lib
from pipeline.local import retrain


def _config(work_dir: str, ratings: int, day: int, days: int, cache: bool) -> config_lib.PipelineConfig:
    return config_lib.PipelineConfig(
        pipeline_name="retrain_benchmark",
        pipeline_root=os.path.join(work_dir, "root"),
        push_destination=os.path.join(work_dir, "serving"),
        example_gen=movielens_example_gen.Settings(
            source="synthetic",
            synthetic_config={"num_ratings": ratings, "seed": 0, "num_spans": day},
            split_mode="temporal",
            window_spans=days,
        ),
        warm_start=True,
        analyzer_cache=cache,
        beam_pipeline_args=beam_profiles.direct_runner_args(multi_processing=False),
    )


def main() -> int:
    """Runs the benchmark and writes its JSON.

    Returns:
      The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ratings", type=int, default=60_000, help="synthetic ratings in all")
    parser.add_argument("--days", type=int, default=3, help="spans; the last one is timed")
    parser.add_argument("--output", required=True)
    args = parser.parse_args()
    base = tempfile.mkdtemp(prefix="retrain_bench_")
    results = {}
    for name, cache in (("with_analyzer_cache", True), ("full_reanalysis", False)):
        work_dir = os.path.join(base, name)
        for day in range(1, args.days):
            retrain.retrain(_config(work_dir, args.ratings, day, args.days, True), work_dir)
        started = time.perf_counter()
        summary = retrain.retrain(_config(work_dir, args.ratings, args.days, args.days, cache), work_dir)
        results[name] = {
            "total_seconds": time.perf_counter() - started,
            "component_seconds": summary.seconds,
        }
    report = {"ratings": args.ratings, "days": args.days, "window_spans": args.days, **results}
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, sort_keys=True)
    print(json.dumps({k: {"total": v["total_seconds"], "Transform": v["component_seconds"].get("Transform")}
                      for k, v in results.items()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
