"""Tests of RetrievalTransform: span-keyed analysis, its cache pointer, and the executor."""

import json
import os
import shutil

import pytest
import tensorflow as tf
from tfx.types import channel_utils, standard_artifacts, standard_component_specs
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx.proto import example_gen_pb2

from components import record_batches
from components.movielens_example_gen import spec as example_gen_spec
from components.retrieval_transform import RetrievalTransform, cache_pointer, executor, spec
from pipeline import config as config_lib
from tests.components.example_gen_testing import properties, run_executor
from transform_fn import features, preprocessing

SYNTHETIC = {"num_ratings": 3000, "num_spans": 3, "seed": 0}


def _examples_with_files(tmp_path, files, window=None) -> standard_artifacts.Examples:
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "examples")
    examples.split_names = '["train", "eval"]'
    os.makedirs(tmp_path / "examples" / "Split-train")
    for name in files:
        (tmp_path / "examples" / "Split-train" / name).write_bytes(b"")
    if window is not None:
        examples.set_string_custom_property(example_gen_spec.WINDOW_PROPERTY, json.dumps(window))
    return examples


def _entry(span, key, files):
    return {"span": span, "fingerprint": "sha256:x", "examples_key": key, "train_files": files}


def test_each_span_of_the_window_is_a_dataset_keyed_by_its_examples(tmp_path):
    examples = _examples_with_files(
        tmp_path,
        ["span-000001-data_tfrecord-00000-of-00001.gz", "span-000002-data_tfrecord-00000-of-00001.gz"],
        [_entry(1, "a" * 64, "span-000001-data_tfrecord*"), _entry(2, "b" * 64, "span-000002-data_tfrecord*")],
    )
    datasets = executor.analysis_datasets(examples)
    assert [(d.span, d.key) for d in datasets] == [
        (1, "span-000001-" + "a" * 32), (2, "span-000002-" + "b" * 32)
    ]
    assert [tf.io.gfile.glob(d.file_pattern) for d in datasets] == [
        [str(tmp_path / "examples" / "Split-train" / "span-000001-data_tfrecord-00000-of-00001.gz")],
        [str(tmp_path / "examples" / "Split-train" / "span-000002-data_tfrecord-00000-of-00001.gz")],
    ]


def test_examples_without_a_window_are_one_dataset_keyed_by_tfx(tmp_path):
    examples = _examples_with_files(tmp_path, ["data_tfrecord-00000-of-00001.gz"])
    (dataset,) = executor.analysis_datasets(examples)
    assert dataset.key is None and dataset.span is None
    assert dataset.file_pattern == str(tmp_path / "examples" / "Split-train" / "*")


def test_a_train_file_in_no_span_stops_the_run_naming_it(tmp_path):
    examples = _examples_with_files(
        tmp_path,
        ["span-000001-data_tfrecord-0.gz", "stray.gz"],
        [_entry(1, "a" * 64, "span-000001-data_tfrecord*")],
    )
    with pytest.raises(ValueError, match=r"1 file\(s\) of .*Split-train belong to no span .*stray.gz"):
        executor.analysis_datasets(examples)


def test_a_train_file_in_two_spans_stops_the_run_naming_it(tmp_path):
    examples = _examples_with_files(
        tmp_path,
        ["span-000001-data_tfrecord-0.gz"],
        [_entry(1, "a" * 64, "span-*"), _entry(2, "b" * 64, "span-000001-*")],
    )
    with pytest.raises(ValueError, match=r"span-000001-data_tfrecord-0.gz is in the files of spans 1 and 2"):
        executor.analysis_datasets(examples)


def test_the_pointer_names_the_newest_cache_while_it_exists(tmp_path):
    pointer = str(tmp_path / "root" / cache_pointer.POINTER_FILE)
    assert cache_pointer.read(pointer) is None
    for name in ("first", "second"):
        os.makedirs(tmp_path / name)
        cache_pointer.write(pointer, str(tmp_path / name), ["span-1"])
    assert cache_pointer.read(pointer) == str(tmp_path / "second")
    assert os.listdir(tmp_path / "root") == [cache_pointer.POINTER_FILE]
    shutil.rmtree(tmp_path / "second")
    assert cache_pointer.read(pointer) is None


def test_the_component_has_a_cache_output_only_with_a_pointer():
    examples = standard_artifacts.Examples()
    schema = standard_artifacts.Schema()
    inputs = dict(
        examples=channel_utils.as_channel([examples]),
        schema=channel_utils.as_channel([schema]),
        preprocessing_fn=config_lib.PREPROCESSING_FN,
    )
    cached = RetrievalTransform(**inputs, analyzer_cache_pointer="gs://bucket/root/pointer.json")
    plain = RetrievalTransform(**inputs)
    assert standard_component_specs.UPDATED_ANALYZER_CACHE_KEY in cached.outputs
    assert cached.exec_properties[spec.CACHE_POINTER_KEY] == "gs://bucket/root/pointer.json"
    assert standard_component_specs.UPDATED_ANALYZER_CACHE_KEY not in plain.outputs
    assert plain.exec_properties[standard_component_specs.DISABLE_STATISTICS_KEY] == 1


def _window_examples(root: str, span: int) -> standard_artifacts.Examples:
    examples, _ = run_executor(
        root,
        properties(
            source=example_gen_spec.SOURCE_SYNTHETIC, synthetic_config=json.dumps(SYNTHETIC),
            window_spans=2, span=span,
        ),
    )
    return examples


def _transform(root: str, examples, pointer):
    schema = standard_artifacts.Schema()
    schema.uri = os.path.join(root, "schema")
    os.makedirs(schema.uri, exist_ok=True)
    shutil.copy(config_lib.schema_path("ml-100k"), os.path.join(schema.uri, "schema.pbtxt"))
    graph = standard_artifacts.TransformGraph()
    graph.uri = os.path.join(root, "transform_graph")
    outputs = {standard_component_specs.TRANSFORM_GRAPH_KEY: [graph]}
    if pointer:
        cache = standard_artifacts.TransformCache()
        cache.uri = os.path.join(root, "updated_analyzer_cache")
        outputs[standard_component_specs.UPDATED_ANALYZER_CACHE_KEY] = [cache]
    executor.Executor().Do(
        {standard_component_specs.EXAMPLES_KEY: [examples], standard_component_specs.SCHEMA_KEY: [schema]},
        outputs,
        {
            standard_component_specs.PREPROCESSING_FN_KEY: config_lib.PREPROCESSING_FN,
            standard_component_specs.CUSTOM_CONFIG_KEY: json.dumps(
                {features.BUCKETING_CONFIG_KEY: "quantile"}
            ),
            standard_component_specs.FORCE_TF_COMPAT_V1_KEY: int(preprocessing.FORCE_TF_COMPAT_V1),
            spec.CACHE_POINTER_KEY: pointer,
        },
    )
    return graph, json.loads(graph.get_string_custom_property(spec.ANALYZER_CACHE_PROPERTY))


def _assets(graph) -> dict:
    folder = os.path.join(graph.uri, "transform_fn", "assets")
    return {name: open(os.path.join(folder, name), "rb").read() for name in sorted(os.listdir(folder))}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    work = str(tmp_path_factory.mktemp("transform"))
    pointer = os.path.join(work, "root", cache_pointer.POINTER_FILE)
    first = _transform(os.path.join(work, "t1"), _window_examples(os.path.join(work, "e1"), 1), pointer)
    first_cache = cache_pointer.read(pointer)
    newer = _window_examples(os.path.join(work, "e2"), 2)
    second = _transform(os.path.join(work, "t2"), newer, pointer)
    uncached = _transform(os.path.join(work, "t3"), newer, None)
    return pointer, first, first_cache, second, uncached


@pytest.mark.slow
def test_a_first_run_analyses_its_window_and_points_at_its_cache(runs):
    _, (graph, report), first_cache, _, _ = runs
    assert report == {"enabled": True, "read_from": None, "from_cache": [], "analysed": [0, 1]}
    assert first_cache == os.path.join(os.path.dirname(graph.uri), "updated_analyzer_cache")
    assert sorted(name.split("-")[1] for name in os.listdir(first_cache)) == ["000000", "000001"]


@pytest.mark.slow
def test_the_next_run_reads_the_span_analysed_before_and_analyses_the_new_one(runs):
    pointer, _, first_cache, (graph, report), _ = runs
    assert report == {"enabled": True, "read_from": first_cache, "from_cache": [1], "analysed": [2]}
    # Its own cache holds the window's spans, span 1 carried over; the pointer moved to it.
    own_cache = cache_pointer.read(pointer)
    assert own_cache == os.path.join(os.path.dirname(graph.uri), "updated_analyzer_cache")
    assert sorted(name.split("-")[1] for name in os.listdir(own_cache)) == ["000001", "000002"]


@pytest.mark.slow
def test_analysis_from_the_cache_gives_the_vocabularies_of_a_full_analysis(runs):
    _, _, _, (cached_graph, _), (full_graph, full_report) = runs
    assert full_report == {"enabled": False, "read_from": None, "from_cache": [], "analysed": [1, 2]}
    cached, full = _assets(cached_graph), _assets(full_graph)
    assert cached and cached == full


def test_examples_are_analysed_in_record_batches_of_the_set_size_unless_tfx_needs_its_own():
    processor = executor._SpanKeyedProcessor({})  # pylint: disable=protected-access
    schema = schema_pb2.Schema()
    examples = example_gen_pb2.PayloadFormat.FORMAT_TF_EXAMPLE
    raw_sequences = example_gen_pb2.PayloadFormat.FORMAT_TF_SEQUENCE_EXAMPLE
    assert processor._GetDesiredBatchSize(examples, schema) == (  # pylint: disable=protected-access
        record_batches.EXAMPLES_PER_RECORD_BATCH
    )
    # SequenceExamples without tensor representations are read one raw record at a time.
    assert processor._GetDesiredBatchSize(raw_sequences, schema) == 1  # pylint: disable=protected-access
