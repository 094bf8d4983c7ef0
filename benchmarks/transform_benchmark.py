"""Times the TFX Transform component on synthetic MovieLens ratings.

Writes N synthetic ratings (``movielens_simulator.synthetic``) as
TFRecords, then runs one LocalDagRunner pipeline:

    ImportExampleGen -> StatisticsGen -> SchemaGen -> TransformWarmup
                                                   -> Transform_1
                                                   -> TransformNoStats_1
                                                   -> TransformAnalyzeOnly_1
                                                   -> ... (--repeats)

After an uncounted warm-up Transform, three Transform variants run the same
``preprocessing_fn`` on the same data, ``--repeats`` times each, interleaved
(node ids get a ``_<repeat>`` suffix):

- ``Transform``: TFX's defaults (pre- and post-transform statistics,
  transformed examples materialized);
- ``TransformNoStats``: ``disable_statistics=True``;
- ``TransformAnalyzeOnly``: ``disable_statistics=True, materialize=False``
  (only the analysis pass and the transform graph: what the pipeline runs).

So analysis ~ AnalyzeOnly, transform ~ NoStats - AnalyzeOnly, statistics ~
Transform - NoStats. For every node the JSON has its MLMD execution time
(registered before the executor runs, updated when its outputs are
published) and its executor's wall and CPU seconds (CPU of this process, all
threads, plus finished child processes). CPU time is what the differences are
computed from as well as wall time, because other work on a shared machine
moves wall times by tens of seconds. The JSON goes to ``--output`` (default:
in the work directory).

Usage (from the repository root):

    .venv/bin/python benchmarks/transform_benchmark.py --ratings 100000
    .venv/bin/python benchmarks/transform_benchmark.py --ratings 1000000 \\
        --beam-arg=--direct_running_mode=multi_processing \\
        --beam-arg=--direct_num_workers=2
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# pylint: disable=g-import-not-at-top,wrong-import-position
import argparse
import json
import logging
import platform
import resource
import statistics
import sys
import tempfile
import time
from typing import Any, Dict, List, Sequence

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)
# Beam worker processes (multi-processing mode) import the packages too.
os.environ["PYTHONPATH"] = os.pathsep.join(
    filter(None, [_REPO_ROOT, os.environ.get("PYTHONPATH")])
)

import apache_beam as beam
import tensorflow as tf
import tensorflow_transform as tft
from ml_metadata.metadata_store import metadata_store
from tfx import v1 as tfx
from tfx.orchestration.portable import launcher

from components.movielens_example_gen import records
from movielens_simulator import synthetic
from transform_fn import features
from transform_fn import preprocessing
from transform_fn import sizes

PIPELINE_NAME = "transform_benchmark"
PREPROCESSING_FN = "transform_fn.preprocessing.preprocessing_fn"
TRANSFORM = "Transform"
TRANSFORM_NO_STATS = "TransformNoStats"
TRANSFORM_ANALYZE_ONLY = "TransformAnalyzeOnly"
# Runs first and is not counted: the first Transform in a process also pays
# one-off costs (imports, first traces) that would inflate one variant.
TRANSFORM_WARMUP = "TransformWarmup"
_SHARDS = 4


def write_ratings(num_ratings: int, data_dir: str, seed: int) -> float:
    """Writes synthetic ratings as tf.Example TFRecords; returns the seconds."""
    start = time.perf_counter()
    tf.io.gfile.makedirs(data_dir)
    config = synthetic.SyntheticConfig(num_ratings=num_ratings, seed=seed)
    for shard in range(_SHARDS):
        path = os.path.join(data_dir, f"ratings-{shard:05d}-of-{_SHARDS:05d}.tfrecord")
        with tf.io.TFRecordWriter(path) as writer:
            for record in synthetic.generate_ratings(config, shard, _SHARDS):
                writer.write(records.to_example(record).SerializeToString())
    return time.perf_counter() - start


def create_pipeline(
    data_dir: str,
    pipeline_root: str,
    metadata_path: str,
    beam_args: Sequence[str],
    custom_config: Dict[str, Any],
    repeats: int = 1,
    force_tf_compat_v1: bool = preprocessing.FORCE_TF_COMPAT_V1,
) -> tfx.dsl.Pipeline:
    """ExampleGen -> StatisticsGen -> SchemaGen -> the Transform variants."""
    example_gen = tfx.components.ImportExampleGen(
        input_base=data_dir,
        output_config=tfx.proto.Output(
            split_config=tfx.proto.SplitConfig(
                splits=[
                    tfx.proto.SplitConfig.Split(name="train", hash_buckets=4),
                    tfx.proto.SplitConfig.Split(name="eval", hash_buckets=1),
                ]
            )
        ),
    )
    statistics_gen = tfx.components.StatisticsGen(examples=example_gen.outputs["examples"])
    schema_gen = tfx.components.SchemaGen(
        statistics=statistics_gen.outputs["statistics"], infer_feature_shape=True
    )

    def transform(node_id: str, **kwargs) -> tfx.components.Transform:
        return tfx.components.Transform(
            examples=example_gen.outputs["examples"],
            schema=schema_gen.outputs["schema"],
            preprocessing_fn=PREPROCESSING_FN,
            custom_config=custom_config,
            force_tf_compat_v1=force_tf_compat_v1,
            **kwargs,
        ).with_id(node_id)

    return tfx.dsl.Pipeline(
        pipeline_name=PIPELINE_NAME,
        pipeline_root=pipeline_root,
        components=[
            example_gen,
            statistics_gen,
            schema_gen,
            transform(TRANSFORM_WARMUP, disable_statistics=True, materialize=False),
        ]
        + [
            node
            for repeat in range(1, repeats + 1)
            for node in (
                transform(f"{TRANSFORM}_{repeat}"),
                transform(f"{TRANSFORM_NO_STATS}_{repeat}", disable_statistics=True),
                transform(
                    f"{TRANSFORM_ANALYZE_ONLY}_{repeat}",
                    disable_statistics=True,
                    materialize=False,
                ),
            )
        ],
        metadata_connection_config=(
            tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path)
        ),
        enable_cache=False,
        beam_pipeline_args=list(beam_args),
    )


class ExecutorClock:
    """Measures each executor: wall and CPU seconds, and Beam step times.

    LocalDagRunner runs executors in this process, one after the other. Beam
    pipelines they run are captured so that their per-step execution times
    (``ptransform_execution_time`` metrics) can be summed by phase.
    """

    def __init__(self):
        self.seconds: Dict[str, Dict[str, float]] = {}
        self.step_seconds: Dict[str, Dict[str, float]] = {}
        self._node = None

    def __enter__(self):
        self._run_executor = launcher.Launcher._run_executor  # pylint: disable=protected-access
        self._pipeline_run = beam.Pipeline.run
        clock = self

        def timed(launcher_self, execution_info):
            node_id = launcher_self._pipeline_node.node_info.id  # pylint: disable=protected-access
            clock._node = node_id
            wall, cpu = time.perf_counter(), _cpu_seconds()
            try:
                return clock._run_executor(launcher_self, execution_info)
            finally:
                clock.seconds[node_id] = {
                    "wall": time.perf_counter() - wall,
                    "cpu": _cpu_seconds() - cpu,
                }
                clock._node = None

        def run_and_record(pipeline_self, *args, **kwargs):
            result = clock._pipeline_run(pipeline_self, *args, **kwargs)
            if clock._node is not None:
                result.wait_until_finish()
                steps = clock.step_seconds.setdefault(clock._node, {})
                for phase, seconds in _phase_seconds(result).items():
                    steps[phase] = steps.get(phase, 0.0) + seconds
            return result

        launcher.Launcher._run_executor = timed  # pylint: disable=protected-access
        beam.Pipeline.run = run_and_record
        return self

    def __exit__(self, *exc_info):
        launcher.Launcher._run_executor = self._run_executor  # pylint: disable=protected-access
        beam.Pipeline.run = self._pipeline_run


# Top-level labels of the Transform executor's Beam pipeline
# (tfx/components/transform/executor.py), by phase.
_PHASE_PREFIXES = (
    ("pre-transform statistics", ("FlattenAnalysisDatasets", "GenerateStats[")),
    (
        "post-transform statistics",
        (
            "ExtractRecordBatches[",
            "FlattenTransformedDatasets",
            "WaitForTransformWrite",
            "GenerateAndValidateStats[",
        ),
    ),
    ("transform", ("TFXIOReadAndDecode[TransformIndex", "Transform[")),
    ("materialize", ("EncodeAndWrite[",)),
    (
        "analysis",
        (
            "TFXIOReadAndDecode[AnalysisIndex",
            "Analyze",
            "WriteMetadata",
            "WriteTransformFn",
            "WriteCache",
            "OptimizeRun",
            "DecodeInputCache",
            "InstrumentInputCache",
            "IncrementPipelineMetrics",
        ),
    ),
)


def _phase_seconds(result) -> Dict[str, float]:
    """Sums a Beam result's per-step execution times by executor phase."""
    seconds: Dict[str, float] = {}
    for counter in result.monitoring_metrics().query().get("counters", []):
        if "ptransform_execution_time:total_msecs" not in str(counter.key.metric):
            continue
        step = counter.key.step or ""
        if step.startswith("ref_") or not counter.committed:
            continue  # runner-internal collections, or nothing measured
        phase = next(
            (name for name, prefixes in _PHASE_PREFIXES if step.startswith(prefixes)),
            "other: " + step.split("/", 1)[0],
        )
        seconds[phase] = seconds.get(phase, 0.0) + counter.committed / 1000.0
    return seconds


def _cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def node_times(metadata_path: str) -> Dict[str, float]:
    """Seconds from registration to publication of each node's execution."""
    config = tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path)
    store = metadata_store.MetadataStore(config)
    times = {}
    for context in store.get_contexts_by_type("node"):
        node_id = context.name.split(".", 1)[1]
        executions = store.get_executions_by_context(context.id)
        if len(executions) != 1:
            raise RuntimeError(f"{node_id}: expected one execution, got {len(executions)}")
        execution = executions[0]
        times[node_id] = (
            execution.last_update_time_since_epoch - execution.create_time_since_epoch
        ) / 1000.0
    return times


def transform_output_dir(pipeline_root: str) -> str:
    """The newest transform_graph artifact of the first full Transform node."""
    base = os.path.join(pipeline_root, f"{TRANSFORM}_1", "transform_graph")
    return os.path.join(base, sorted(os.listdir(base), key=int)[-1])


def _variant_summary(values: Sequence[float]) -> Dict[str, float]:
    return {
        "min": round(min(values), 2),
        "median": round(statistics.median(values), 2),
        "all": [round(v, 2) for v in values],
    }


def breakdown(per_variant: Dict[str, float]) -> Dict[str, float]:
    """Analysis / transform / statistics from the three variants' times."""
    full = per_variant[TRANSFORM]
    no_stats = per_variant[TRANSFORM_NO_STATS]
    analyze = per_variant[TRANSFORM_ANALYZE_ONLY]
    return {
        "analysis (AnalyzeOnly)": round(analyze, 2),
        "transform + materialize (NoStats - AnalyzeOnly)": round(no_stats - analyze, 2),
        "pre/post-transform statistics (Transform - NoStats)": round(full - no_stats, 2),
        "total (Transform)": round(full, 2),
    }


def run(num_ratings: int, work_dir: str, beam_args: List[str], bucketing: str,
        seed: int, repeats: int, force_tf_compat_v1: bool) -> Dict[str, Any]:
    """Generates the data, runs the pipeline and returns the measurements."""
    data_dir = os.path.join(work_dir, "data")
    pipeline_root = os.path.join(work_dir, "pipeline_root")
    metadata_path = os.path.join(work_dir, "metadata.sqlite")
    load_before = os.getloadavg()
    write_seconds = write_ratings(num_ratings, data_dir, seed)
    pipeline = create_pipeline(
        data_dir, pipeline_root, metadata_path, beam_args,
        {features.BUCKETING_CONFIG_KEY: bucketing}, repeats, force_tf_compat_v1,
    )
    start = time.perf_counter()
    with ExecutorClock() as clock:
        tfx.orchestration.LocalDagRunner().run(pipeline)
    pipeline_seconds = time.perf_counter() - start
    times = node_times(metadata_path)
    variants = (TRANSFORM, TRANSFORM_NO_STATS, TRANSFORM_ANALYZE_ONLY)
    summary = {
        measure: {
            v: _variant_summary(
                [
                    source(f"{v}_{r}")
                    for r in range(1, repeats + 1)
                ]
            )
            for v in variants
        }
        for measure, source in (
            ("component_wall", lambda node: times[node]),
            ("executor_cpu", lambda node: clock.seconds[node]["cpu"]),
        )
    }
    output = tft.TFTransformOutput(transform_output_dir(pipeline_root))
    return {
        "num_ratings": num_ratings,
        "split": "train:eval 4:1 (hash); analysis over train, transform over both",
        "bucketing": bucketing,
        "beam_pipeline_args": beam_args,
        "repeats": repeats,
        "write_tfrecords_seconds": round(write_seconds, 2),
        "pipeline_wall_seconds": round(pipeline_seconds, 2),
        "component_wall_seconds": {k: round(v, 2) for k, v in times.items()},
        "executor_seconds": {
            node: {k: round(v, 2) for k, v in measured.items()}
            for node, measured in clock.seconds.items()
        },
        # Time attributed to Beam steps, summed by executor phase; the rest
        # of an executor's wall time ("outside Beam steps") is tracing the
        # preprocessing_fn, building and starting the Beam pipeline, writing
        # the SavedModel and the runner's own work.
        "beam_step_seconds_by_phase": {
            node: {
                **{k: round(v, 2) for k, v in sorted(phases.items())},
                "outside Beam steps": round(
                    clock.seconds[node]["wall"] - sum(phases.values()), 2
                ),
            }
            for node, phases in clock.step_seconds.items()
        },
        "transform_variants_seconds": summary,
        "transform_breakdown_seconds": {
            "from median component wall": breakdown(
                {v: summary["component_wall"][v]["median"] for v in variants}
            ),
            "from median executor cpu": breakdown(
                {v: summary["executor_cpu"][v]["median"] for v in variants}
            ),
        },
        "categorical_sizes": sizes.categorical_sizes(output),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "tfx": tfx.__version__,
            "tensorflow_transform": tft.__version__,
            "load_average_1m_before": round(load_before[0], 2),
            "load_average_1m_after": round(os.getloadavg()[0], 2),
        },
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratings", type=int, default=100_000)
    parser.add_argument("--work-dir", default=None,
                        help="Where data, artifacts and MLMD go (default: a new temp dir)")
    parser.add_argument("--output", default=None,
                        help="JSON path (default: <work-dir>/transform_benchmark.json)")
    parser.add_argument("--beam-arg", action="append", default=[],
                        help="A Beam pipeline argument; repeat for several")
    parser.add_argument("--bucketing", default=features.BUCKETING_QUANTILE,
                        choices=[features.BUCKETING_QUANTILE, features.BUCKETING_EQUAL_WIDTH])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=1,
                        help="Runs of each Transform variant (interleaved)")
    parser.add_argument("--tf2", action="store_true",
                        help="Run tf.Transform in TF2 mode (the pipeline uses "
                             "force_tf_compat_v1, see transform_fn.preprocessing)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="transform_benchmark_")
    result = run(args.ratings, work_dir, args.beam_arg, args.bucketing, args.seed,
                 args.repeats, not args.tf2)
    result["work_dir"] = work_dir
    result["force_tf_compat_v1"] = not args.tf2
    output = args.output or os.path.join(work_dir, "transform_benchmark.json")
    with open(output, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result, indent=2))
    print(f"Wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
