"""Times the pipeline's Transform with its analyzer cache and without.

Scenario: a retrain over a window of 3 spans, of which spans 0 and 1 were
analysed by the previous run. The script writes ``--ratings-per-span``
synthetic ratings per span (``movielens_simulator.synthetic``; span k from
seed ``--seed + k``, its timestamps in the k-th span period) as gzipped
tf.Example TFRecords laid out as the ExampleGen lays out a window: one
Examples folder whose ``Split-train`` holds each span under its own prefix
(``span-00000k-data_tfrecord-*``), with the ``window`` property naming each
span's files and examples key. A second folder holds spans 0-1 alone (hard
links to the same files), the previous run's window. One LocalDagRunner
pipeline runs the pipeline's own ``RetrievalTransform``, one node after the
other, per repeat:

    TransformWarmup_<r>   spans 0-1, writes an analyzer cache and points
                          its own pointer file at it (not counted)
    TransformCached_<r>   spans 0-2, reads the cache through that pointer
    TransformFull_<r>     spans 0-2, no analyzer cache (what ``run`` does)

The full variant runs first in every other repeat, so a trend in the
machine's load falls on both variants. Every Transform is configured as the
pipeline's (``pipeline/pipeline.py``): ``pipeline.config.PREPROCESSING_FN``,
the bucketing in ``custom_config`` and ``force_tf_compat_v1``; the cached
variant as with ``--analyzer-cache``.

Per Transform node the JSON has its MLMD execution time (registration to
publication), its executor's wall and CPU seconds (this process, all threads,
plus finished child processes: Beam's multi-processing workers), Beam step
seconds by top-level step (execution time summed over Beam's workers, so
comparable to CPU rather than wall seconds), tf.Transform's Beam counters
(``cache_entries_decoded``, ``cache_entries_encoded``, ``analysis_input_bytes``
and ``analysis_input_bytes_from_cache``), the spans it analysed (the
``InstrumentInputBytes[AnalysisIndex<k>]`` steps), the transform graph's
``analyzer_cache`` property and the content of its output cache folder by
span. The verdict compares the variants' component wall and executor CPU
seconds.

Usage (from the repository root):

    TF_USE_LEGACY_KERAS=1 .venv/bin/python benchmarks/analyzer_cache_benchmark.py \\
        --ratings-per-span 1000000 --repeats 2 --output /tmp/analyzer_cache.json

Beam runs as a local pipeline run would for the window's ratings
(``pipeline.preflight.local_beam_args`` in ``auto`` mode) unless ``--beam-arg``
is given.
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# pylint: disable=g-import-not-at-top,wrong-import-position
import argparse
import dataclasses
import hashlib
import json
import logging
import platform
import re
import statistics
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

import apache_beam as beam
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from tfx import v1 as tfx
from ml_metadata.metadata_store import metadata_store
from tfx.orchestration.portable import launcher

from benchmarks import transform_benchmark
from components.movielens_example_gen import outputs, records
from components.movielens_example_gen import spec as example_gen_spec
from components.retrieval_transform import RetrievalTransform, executor as transform_executor
from components.retrieval_transform import cache_pointer
from components.retrieval_transform import spec as transform_spec
from movielens_simulator import synthetic
from pipeline import config as config_lib
from pipeline import preflight
from transform_fn import features
from transform_fn import preprocessing

PIPELINE_NAME = "analyzer_cache_benchmark"
NUM_SPANS = 3
ANALYSED_BEFORE = (0, 1)  # spans the warm-up's cache covers
WINDOW = tuple(range(NUM_SPANS))
WINDOW_EXAMPLES = "window"  # spans 0-2: this run's ExampleGen output
WARMUP_EXAMPLES = "warmup"  # spans 0-1: the previous run's
TRANSFORM_WARMUP = "TransformWarmup"
TRANSFORM_CACHED = "TransformCached"
TRANSFORM_FULL = "TransformFull"
_SHARDS_PER_SPAN = 4
_SPLIT = "train"
_ANALYSIS_INDEX = re.compile(r"InstrumentInputBytes\[AnalysisIndex(\d+)\]")
_COUNTERS = (
    "analyze_paths_count",
    "cache_entries_decoded",
    "cache_entries_encoded",
    "analysis_input_bytes",
    "analysis_input_bytes_from_cache",
)


def examples_dir(data_dir: str, name: str) -> str:
    """The folder of an Examples artifact of the benchmark.

    Args:
      data_dir: The folder of all data.
      name: ``WINDOW_EXAMPLES`` or ``WARMUP_EXAMPLES``.

    Returns:
      ``<data_dir>/<name>``; its examples are under ``Split-train``.
    """
    return os.path.join(data_dir, name)


def examples_key(num_ratings: int, seed: int, span: int) -> str:
    """The stand-in for the ExampleGen's examples key of a synthetic span.

    Args:
      num_ratings: Ratings per span.
      seed: The base seed.
      span: The span index.

    Returns:
      A hex SHA-256 of what the span's examples are made of.
    """
    return hashlib.sha256(f"{num_ratings}:{seed}:{span}".encode()).hexdigest()


def window_property(spans: Sequence[int], num_ratings: int, seed: int) -> str:
    """The Examples' ``window`` property, as the ExampleGen writes it.

    Args:
      spans: The spans, oldest first.
      num_ratings: Ratings per span.
      seed: The base seed.

    Returns:
      Its JSON.
    """
    return json.dumps([
        {
            "span": span,
            "fingerprint": f"synthetic:{num_ratings}:{seed + span}",
            "examples_key": examples_key(num_ratings, seed, span),
            "train_files": outputs.train_files_glob(span),
        }
        for span in spans
    ])


def write_span(data_dir: str, span: int, num_ratings: int, seed: int) -> float:
    """Writes one span's synthetic ratings as gzipped tf.Example TFRecords.

    Into the window's examples, and linked into the warm-up's when the
    span is one of ``ANALYSED_BEFORE``.

    Args:
      data_dir: The folder of all data.
      span: The span index; its data come from seed ``seed + span`` and its
        timestamps lie in the ``span``-th span period.
      num_ratings: Ratings in the span.
      seed: The base seed.

    Returns:
      The seconds it took.
    """
    start = time.perf_counter()
    config = synthetic.SyntheticConfig(num_ratings=num_ratings, seed=seed + span)
    config = dataclasses.replace(
        config, start_timestamp=config.start_timestamp + span * config.span_seconds
    )
    folders = [WINDOW_EXAMPLES] + ([WARMUP_EXAMPLES] if span in ANALYSED_BEFORE else [])
    split_dirs = [os.path.join(examples_dir(data_dir, f), f"Split-{_SPLIT}") for f in folders]
    for split_dir in split_dirs:
        tf.io.gfile.makedirs(split_dir)
    for shard in range(_SHARDS_PER_SPAN):
        name = f"{outputs.span_file_prefix(span)}-{shard:05d}-of-{_SHARDS_PER_SPAN:05d}.gz"
        path = os.path.join(split_dirs[0], name)
        with tf.io.TFRecordWriter(path, options="GZIP") as writer:
            for record in synthetic.generate_ratings(config, shard, _SHARDS_PER_SPAN):
                writer.write(records.to_example(record).SerializeToString())
        for split_dir in split_dirs[1:]:
            os.link(path, os.path.join(split_dir, name))
    return time.perf_counter() - start


def dataset_key(num_ratings: int, seed: int, span: int) -> str:
    """The key (and cache folder name) the pipeline's Transform gives a span.

    Args:
      num_ratings: Ratings per span.
      seed: The base seed.
      span: The span index.

    Returns:
      ``executor.dataset_key`` of the span's examples key.
    """
    return transform_executor.dataset_key(span, examples_key(num_ratings, seed, span))


def pointer_path(pipeline_root: str, repeat: int) -> str:
    """The analyzer-cache pointer of one repeat's warm-up and cached run.

    Args:
      pipeline_root: The pipeline root.
      repeat: The repeat, from 1.

    Returns:
      A pointer file of that repeat's own, so each cached run reads the
      warm-up's cache and not an earlier cached run's.
    """
    return os.path.join(pipeline_root, f"repeat-{repeat}", cache_pointer.POINTER_FILE)


def node_order(repeats: int) -> List[str]:
    """The Transform nodes in run order, the full variant first every other repeat.

    Args:
      repeats: Runs of each variant.

    Returns:
      Node ids ``<variant>_<repeat>``; each cached run right after its warm-up.
    """
    order = []
    for repeat in range(1, repeats + 1):
        cached = [f"{TRANSFORM_WARMUP}_{repeat}", f"{TRANSFORM_CACHED}_{repeat}"]
        full = [f"{TRANSFORM_FULL}_{repeat}"]
        order.extend(cached + full if repeat % 2 else full + cached)
    return order


def create_pipeline(
    data_dir: str,
    pipeline_root: str,
    metadata_path: str,
    beam_args: Sequence[str],
    schema: str,
    bucketing: str,
    repeats: int,
    num_ratings: int,
    seed: int,
) -> tfx.dsl.Pipeline:
    """The importers and the Transforms, in one chain.

    Args:
      data_dir: The folder of all data.
      pipeline_root: Where the artifacts go.
      metadata_path: The MLMD SQLite file.
      beam_args: Beam pipeline arguments.
      schema: A curated schema name (``pipeline.config.SCHEMAS``).
      bucketing: ``custom_config`` bucketing of the ``preprocessing_fn``.
      repeats: Runs of each variant.
      num_ratings: Ratings per span.
      seed: The base seed.

    Returns:
      The TFX pipeline.
    """
    importers = {
        name: tfx.dsl.Importer(
            source_uri=examples_dir(data_dir, name),
            artifact_type=tfx.types.standard_artifacts.Examples,
            properties={"span": spans[-1], "version": 0, "split_names": json.dumps([_SPLIT])},
            custom_properties={
                example_gen_spec.WINDOW_PROPERTY: window_property(spans, num_ratings, seed)
            },
        ).with_id(f"Import{name.capitalize()}")
        for name, spans in ((WARMUP_EXAMPLES, ANALYSED_BEFORE), (WINDOW_EXAMPLES, WINDOW))
    }
    schema_gen = tfx.components.ImportSchemaGen(schema_file=config_lib.schema_path(schema))
    transforms = []
    for node_id in node_order(repeats):
        variant, repeat = node_id.rsplit("_", 1)
        examples = WARMUP_EXAMPLES if variant == TRANSFORM_WARMUP else WINDOW_EXAMPLES
        node = RetrievalTransform(
            examples=importers[examples].outputs["result"],
            schema=schema_gen.outputs["schema"],
            preprocessing_fn=config_lib.PREPROCESSING_FN,
            custom_config={features.BUCKETING_CONFIG_KEY: bucketing},
            force_tf_compat_v1=preprocessing.FORCE_TF_COMPAT_V1,
            analyzer_cache_pointer=(
                None if variant == TRANSFORM_FULL else pointer_path(pipeline_root, int(repeat))
            ),
        ).with_id(node_id)
        if transforms:
            node.add_upstream_node(transforms[-1])  # one at a time, in this order
        transforms.append(node)
    return tfx.dsl.Pipeline(
        pipeline_name=PIPELINE_NAME,
        pipeline_root=pipeline_root,
        components=list(importers.values()) + [schema_gen] + transforms,
        metadata_connection_config=(
            tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path)
        ),
        enable_cache=False,
        beam_pipeline_args=list(beam_args),
    )


class CacheProbe:
    """Records, per executor node, tf.Transform's Beam counters and step times.

    Also the number of Beam steps the node's pipelines executed (leaf
    transforms with an execution time metric): the size of the graph.

    Enter it inside ``transform_benchmark.ExecutorClock`` (it wraps the
    clock's patches, so the clock times the executor alone).
    """

    def __init__(self):
        self.counters: Dict[str, Dict[str, int]] = {}
        self.analysis_indices: Dict[str, List[int]] = {}
        self.step_seconds: Dict[str, Dict[str, float]] = {}
        self.steps: Dict[str, int] = {}
        self._node: Optional[str] = None

    def __enter__(self) -> "CacheProbe":
        self._run_executor = launcher.Launcher._run_executor  # pylint: disable=protected-access
        self._pipeline_run = beam.Pipeline.run
        probe = self

        def run_executor(launcher_self, execution_info):
            node = launcher_self._pipeline_node  # pylint: disable=protected-access
            probe._node = node.node_info.id
            try:
                return probe._run_executor(launcher_self, execution_info)
            finally:
                probe._node = None

        def pipeline_run(pipeline_self, *args, **kwargs):
            result = probe._pipeline_run(pipeline_self, *args, **kwargs)
            if probe._node is not None:
                result.wait_until_finish()
                probe._record(probe._node, result)
            return result

        launcher.Launcher._run_executor = run_executor  # pylint: disable=protected-access
        beam.Pipeline.run = pipeline_run
        return self

    def __exit__(self, *exc_info) -> None:
        launcher.Launcher._run_executor = self._run_executor  # pylint: disable=protected-access
        beam.Pipeline.run = self._pipeline_run

    def _record(self, node: str, result: beam.runners.runner.PipelineResult) -> None:
        counters = self.counters.setdefault(node, dict.fromkeys(_COUNTERS, 0))
        indices = set(self.analysis_indices.get(node, []))
        for counter in result.metrics().query()["counters"]:
            if counter.key.metric.namespace != tft_beam.common.METRICS_NAMESPACE:
                continue
            name = counter.key.metric.name
            if name in counters:
                counters[name] += counter.committed or 0
            match = _ANALYSIS_INDEX.search(counter.key.step or "")
            if name == "analysis_input_bytes" and match:
                indices.add(int(match.group(1)))
        self.analysis_indices[node] = sorted(indices)
        seconds = self.step_seconds.setdefault(node, {})
        steps = set()
        for counter in result.monitoring_metrics().query().get("counters", []):
            if "ptransform_execution_time:total_msecs" not in str(counter.key.metric):
                continue
            step = counter.key.step or ""
            if step.startswith("ref_"):
                continue  # runner-internal collections
            steps.add(step)
            if counter.committed:
                label = step.split("/", 1)[0]
                seconds[label] = seconds.get(label, 0.0) + counter.committed / 1000.0
        self.steps[node] = self.steps.get(node, 0) + len(steps)


def output_dir(pipeline_root: str, node_id: str, output_key: str) -> str:
    """The artifact folder of a node's output (each node runs once).

    Args:
      pipeline_root: The pipeline root.
      node_id: The node.
      output_key: The output.

    Returns:
      ``<pipeline_root>/<node_id>/<output_key>/<execution id>``.
    """
    base = os.path.join(pipeline_root, node_id, output_key)
    return os.path.join(base, sorted(os.listdir(base), key=int)[-1])


def analyzer_cache_properties(metadata_path: str) -> Dict[str, Any]:
    """Each Transform node's ``analyzer_cache`` property of its transform graph.

    Args:
      metadata_path: The MLMD SQLite file.

    Returns:
      Node id to the property's JSON, decoded.
    """
    config = tfx.orchestration.metadata.sqlite_metadata_connection_config(metadata_path)
    store = metadata_store.MetadataStore(config)
    properties = {}
    for context in store.get_contexts_by_type("node"):
        for artifact in store.get_artifacts_by_context(context.id):
            value = artifact.custom_properties.get(transform_spec.ANALYZER_CACHE_PROPERTY)
            if value is not None:
                properties[context.name.split(".", 1)[1]] = json.loads(value.string_value)
    return properties


def cache_contents(cache_dir: str, span_keys: Dict[int, str]) -> Dict[str, Any]:
    """What an analyzer cache folder holds, by span.

    Args:
      cache_dir: A ``TransformCache`` artifact folder.
      span_keys: Span index to its dataset key (the cache's subfolder).

    Returns:
      Per span with a subfolder: its cache entries (``<index>-*`` files) and
      bytes; and subfolders that belong to no span.
    """
    contents: Dict[str, Any] = {}
    for span, key in span_keys.items():
        folder = os.path.join(cache_dir, key)
        if not os.path.isdir(folder):
            continue
        files = os.listdir(folder)
        contents[f"span {span}"] = {
            "entries": len({f.split("-", 1)[0] for f in files if f[0].isdigit()}),
            "bytes": sum(os.path.getsize(os.path.join(folder, f)) for f in files),
        }
    contents["other folders"] = sorted(set(os.listdir(cache_dir)) - set(span_keys.values()))
    return contents


def _summary(values: Sequence[float]) -> Dict[str, Any]:
    return {
        "min": round(min(values), 2),
        "median": round(statistics.median(values), 2),
        "all": [round(v, 2) for v in values],
    }


def compare(cached: Sequence[float], full: Sequence[float]) -> Dict[str, Any]:
    """Compares one measure of the two variants over the repeats.

    Args:
      cached: The cached variant's seconds, one per repeat.
      full: The full re-analysis's seconds, one per repeat.

    Returns:
      The median saving of the cache (seconds and percent of full) and
      whether one variant was cheaper in every repeat.
    """
    saving = statistics.median(full) - statistics.median(cached)
    if max(cached) < min(full):
        outcome = "cached cheaper in every repeat"
    elif max(full) < min(cached):
        outcome = "full cheaper in every repeat"
    else:
        outcome = "ranges overlap"
    return {
        "median_saving_seconds": round(saving, 2),
        "median_saving_percent": round(100.0 * saving / statistics.median(full), 1),
        "outcome": outcome,
    }


def run(
    num_ratings: int,
    work_dir: str,
    beam_args: List[str],
    schema: str,
    bucketing: str,
    seed: int,
    repeats: int,
) -> Dict[str, Any]:
    """Writes the spans, runs the pipeline and returns the measurements.

    Args:
      num_ratings: Ratings per span.
      work_dir: Where data, artifacts and MLMD go (a fresh folder).
      beam_args: Beam pipeline arguments.
      schema: A curated schema name.
      bucketing: ``custom_config`` bucketing of the ``preprocessing_fn``.
      seed: The base seed of the synthetic data.
      repeats: Runs of each variant.

    Returns:
      The JSON-serializable report.
    """
    data_dir = os.path.join(work_dir, "data")
    pipeline_root = os.path.join(work_dir, "pipeline_root")
    metadata_path = os.path.join(work_dir, "metadata.sqlite")
    load_before = os.getloadavg()
    write_seconds = {
        f"span {s}": round(write_span(data_dir, s, num_ratings, seed), 2) for s in WINDOW
    }
    pipeline = create_pipeline(
        data_dir, pipeline_root, metadata_path, beam_args, schema, bucketing, repeats,
        num_ratings, seed,
    )
    start = time.perf_counter()
    with transform_benchmark.ExecutorClock() as clock, CacheProbe() as probe:
        tfx.orchestration.LocalDagRunner().run(pipeline)
    pipeline_seconds = time.perf_counter() - start
    component_wall = transform_benchmark.node_times(metadata_path)

    span_keys = {s: dataset_key(num_ratings, seed, s) for s in WINDOW}
    graph_properties = analyzer_cache_properties(metadata_path)
    nodes = {}
    for node_id in node_order(repeats):
        spans = ANALYSED_BEFORE if node_id.startswith(TRANSFORM_WARMUP) else WINDOW
        sorted_spans = sorted(spans, key=lambda s: span_keys[s])  # AnalysisIndex order
        analysed = [sorted_spans[i] for i in probe.analysis_indices.get(node_id, [])]
        steps = probe.step_seconds.get(node_id, {})
        node = {
            "spans": list(spans),
            "component_wall": round(component_wall[node_id], 2),
            "executor_wall": round(clock.seconds[node_id]["wall"], 2),
            "executor_cpu": round(clock.seconds[node_id]["cpu"], 2),
            "spans_analysed": analysed,
            "spans_from_cache": [s for s in spans if s not in analysed],
            "analyzer_cache_property": graph_properties.get(node_id),
            "counters": probe.counters.get(node_id, {}),
            "beam_steps": probe.steps.get(node_id, 0),
            "beam_step_seconds": {
                **{k: round(v, 2) for k, v in sorted(steps.items(), key=lambda kv: -kv[1])},
                "sum": round(sum(steps.values()), 2),
            },
        }
        if not node_id.startswith(TRANSFORM_FULL):
            node["cache_out"] = cache_contents(
                output_dir(pipeline_root, node_id, "updated_analyzer_cache"), span_keys
            )
        nodes[node_id] = node

    cached_nodes = [n for n in node_order(repeats) if n.startswith(TRANSFORM_CACHED)]
    full_nodes = [n for n in node_order(repeats) if n.startswith(TRANSFORM_FULL)]
    cache_hit = all(
        nodes[n]["spans_analysed"] == [WINDOW[-1]]
        and nodes[n]["counters"]["cache_entries_decoded"] > 0
        for n in cached_nodes
    )
    variants = {}
    comparison = {}
    for measure in ("component_wall", "executor_wall", "executor_cpu"):
        cached = [nodes[n][measure] for n in cached_nodes]
        full = [nodes[n][measure] for n in full_nodes]
        variants[measure] = {TRANSFORM_CACHED: _summary(cached), TRANSFORM_FULL: _summary(full)}
        comparison[measure] = compare(cached, full)
    outcomes = {comparison[m]["outcome"] for m in ("component_wall", "executor_cpu")}
    if outcomes == {"cached cheaper in every repeat"}:
        verdict = "the analyzer cache makes the retrain's Transform cheaper"
    elif outcomes == {"full cheaper in every repeat"}:
        verdict = "the analyzer cache makes the retrain's Transform dearer"
    else:
        verdict = "no consistent difference"
    return {
        "ratings_per_span": num_ratings,
        "window_spans": list(WINDOW),
        "spans_in_input_cache": list(ANALYSED_BEFORE),
        "schema": schema,
        "bucketing": bucketing,
        "seed": seed,
        "beam_pipeline_args": beam_args,
        "repeats": repeats,
        "run_order": node_order(repeats),
        "write_tfrecords_seconds": write_seconds,
        "pipeline_wall_seconds": round(pipeline_seconds, 2),
        "span_dataset_keys": {f"span {s}": k for s, k in span_keys.items()},
        "nodes": nodes,
        "variants_seconds": variants,
        "comparison": comparison,
        "cache_hit": cache_hit,
        "verdict": verdict if cache_hit else "cache not hit: " + verdict,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "tfx": tfx.__version__,
            "tensorflow_transform": tft.__version__,
            "apache_beam": beam.__version__,
            "load_average_1m_before": round(load_before[0], 2),
            "load_average_1m_after": round(os.getloadavg()[0], 2),
        },
    }


def table(report: Dict[str, Any]) -> str:
    """A short text table of a report's Transform nodes and verdict.

    Args:
      report: What ``run`` returned.

    Returns:
      The table.
    """
    rows: List[Tuple[str, ...]] = [
        ("node", "spans read", "from cache", "entries decoded", "Beam steps", "MLMD wall s",
         "exec CPU s")
    ]
    for node_id, node in report["nodes"].items():
        rows.append((
            node_id,
            ",".join(map(str, node["spans_analysed"])),
            ",".join(map(str, node["spans_from_cache"])) or "-",
            str(node["counters"].get("cache_entries_decoded", 0)),
            str(node["beam_steps"]),
            f"{node['component_wall']:.1f}",
            f"{node['executor_cpu']:.1f}",
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    for measure in ("component_wall", "executor_cpu"):
        medians = report["variants_seconds"][measure]
        result = report["comparison"][measure]
        lines.append(
            f"{measure} median: cached {medians[TRANSFORM_CACHED]['median']:.1f} s, "
            f"full {medians[TRANSFORM_FULL]['median']:.1f} s, saving "
            f"{result['median_saving_seconds']:.1f} s ({result['median_saving_percent']}%), "
            f"{result['outcome']}"
        )
    lines.append(f"{report['ratings_per_span']} ratings per span: {report['verdict']}")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Parses the flags, runs the benchmark, writes the JSON and prints a table.

    Args:
      argv: Command-line arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ratings-per-span", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2,
                        help="Runs of each variant (interleaved)")
    parser.add_argument("--work-dir", default=None,
                        help="A fresh folder for data, artifacts and MLMD "
                             "(default: a new temp dir)")
    parser.add_argument("--output", default=None,
                        help="JSON path (default: <work-dir>/analyzer_cache_benchmark.json)")
    parser.add_argument("--beam-arg", action="append", default=[],
                        help="A Beam pipeline argument; repeat for several (default: "
                             "what a local pipeline run picks for the window's ratings)")
    parser.add_argument("--schema", default=config_lib.SCHEMA_ML_100K, choices=config_lib.SCHEMAS)
    parser.add_argument("--bucketing", default=features.BUCKETING_QUANTILE,
                        choices=[features.BUCKETING_QUANTILE, features.BUCKETING_EQUAL_WIDTH])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    work_dir = args.work_dir or tempfile.mkdtemp(prefix="analyzer_cache_benchmark_")
    beam_args = args.beam_arg or preflight.local_beam_args(
        "auto", 0, NUM_SPANS * args.ratings_per_span
    )
    report = run(args.ratings_per_span, work_dir, beam_args, args.schema, args.bucketing,
                 args.seed, args.repeats)
    report["work_dir"] = work_dir
    output = args.output or os.path.join(work_dir, "analyzer_cache_benchmark.json")
    with open(output, "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2)
    print(table(report))
    print(f"Wrote {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
