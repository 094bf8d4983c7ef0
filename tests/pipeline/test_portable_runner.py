"""ExampleGen, StatisticsGen and Transform on a portable Beam job service equal the DirectRunner's.

The ``portable`` Beam profile sends each Beam component's pipeline through
Beam's PortableRunner to Beam's own Python job server, whose SDK workers come
from an external worker pool in a separate process: the shape of a Flink or
Spark deployment with worker-pool sidecars (``beam_services``). The small
synthetic pipeline runs up to Transform once with the DirectRunner and once
through the job server, and every output must be the same.
"""

import collections
import dataclasses
import glob
import json
import math
import os
from typing import Any, Counter, Dict, List, Sequence

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft
from google.protobuf import json_format
from tensorflow_metadata.proto.v0 import statistics_pb2
from tfx.orchestration import metadata
from tfx.orchestration import pipeline as tfx_pipeline
from tfx.orchestration.local.local_dag_runner import LocalDagRunner

from components.retrieval_transform import RetrievalTransform
from pipeline.kubeflow import beam_profiles
from pipeline.pipeline import create_pipeline
from tests.pipeline import beam_services
from tests.pipeline.small_pipeline import small_config

pytestmark = pytest.mark.slow

EXAMPLE_GEN = "MovieLensExampleGen"
STATISTICS_GEN = "StatisticsGen"
TRANSFORM = "Transform"
# The Beam components, each one Beam job.
BEAM_COMPONENTS = (EXAMPLE_GEN, STATISTICS_GEN, TRANSFORM)
# Sums over differently batched examples agree to about 1e-15.
FLOAT_RELATIVE_TOLERANCE = 1e-9
# The transform graph's float32 outputs (z-scores) of analysed means and variances.
FLOAT32_RELATIVE_TOLERANCE = 1e-6


def _run_to_transform(work_dir: str, beam_pipeline_args: Sequence[str]) -> str:
    """Runs the small pipeline up to Transform; returns its pipeline root."""
    config = dataclasses.replace(
        small_config(work_dir, "portable-parity"), beam_pipeline_args=list(beam_pipeline_args)
    )
    pipeline = create_pipeline(
        config, metadata.sqlite_metadata_connection_config(os.path.join(work_dir, "metadata.sqlite"))
    )
    transform = next(node.id for node in pipeline.components if isinstance(node, RetrievalTransform))
    LocalDagRunner().run(pipeline, run_options=tfx_pipeline.RunOptions(to_nodes=[transform]))
    return config.pipeline_root


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    with beam_services.running(str(tmp_path_factory.mktemp("beam_services"))) as running:
        yield running


@pytest.fixture(scope="module")
def direct_root(tmp_path_factory):
    return _run_to_transform(
        str(tmp_path_factory.mktemp("direct")), beam_profiles.beam_args(beam_profiles.DIRECT)
    )


@pytest.fixture(scope="module")
def portable_root(tmp_path_factory, services):
    args = beam_profiles.beam_args(beam_profiles.PORTABLE, {
        "job_endpoint": services.job_server.address,
        "environment_config": services.worker_pool.address,
    })
    try:
        return _run_to_transform(str(tmp_path_factory.mktemp("portable")), args)
    except Exception as error:
        raise RuntimeError(f"the run with {args} failed\n{services.tails()}") from error


def _output(root: str, component: str, key: str) -> str:
    """The folder of a component's only output artifact under ``key``."""
    folders = glob.glob(os.path.join(root, component, key, "[0-9]*"))
    assert len(folders) == 1, f"{component}.{key}: {folders}"
    return folders[0]


def _splits(artifact: str) -> Dict[str, str]:
    return {
        name[len("Split-"):]: os.path.join(artifact, name)
        for name in os.listdir(artifact) if name.startswith("Split-")
    }


def _records(split_dir: str) -> Counter[bytes]:
    """The split's tf.Examples, serialized deterministically, with their counts."""
    files = glob.glob(os.path.join(split_dir, "*.gz"))
    assert files, split_dir
    return collections.Counter(
        tf.train.Example.FromString(record.numpy()).SerializeToString(deterministic=True)
        for record in tf.data.TFRecordDataset(files, compression_type="GZIP")
    )


def _statistics(split_dir: str) -> statistics_pb2.DatasetFeatureStatisticsList:
    with open(os.path.join(split_dir, "FeatureStats.pb"), "rb") as handle:
        return statistics_pb2.DatasetFeatureStatisticsList.FromString(handle.read())


def _differences(found: Any, expected: Any, path: str = "") -> List[str]:
    """Where two parsed protos differ; floats may differ by summation order.

    Beam batches the examples by timing, so sums (a feature's mean and
    standard deviation) add up in another order from run to run.
    """
    if isinstance(expected, dict) and isinstance(found, dict):
        return [
            difference
            for key in sorted(set(expected) | set(found))
            for difference in _differences(found.get(key), expected.get(key), f"{path}.{key}")
        ]
    if isinstance(expected, list) and isinstance(found, list) and len(found) == len(expected):
        return [
            difference
            for index, (found_item, expected_item) in enumerate(zip(found, expected))
            for difference in _differences(found_item, expected_item, f"{path}[{index}]")
        ]
    if isinstance(expected, float) and isinstance(found, float):
        if math.isclose(found, expected, rel_tol=FLOAT_RELATIVE_TOLERANCE):
            return []
    return [] if found == expected else [f"{path}: {found!r}, DirectRunner {expected!r}"]


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _transformed(transform_graph: str, serialized: tf.Tensor) -> Dict[str, np.ndarray]:
    """Raw examples through a transform graph, as the Trainer and the served model do."""
    output = tft.TFTransformOutput(transform_graph)
    parsed = tf.io.parse_example(serialized, output.raw_feature_spec())
    values = {}
    for name, value in output.transform_features_layer()(parsed).items():
        if isinstance(value, tf.SparseTensor):
            value = tf.sparse.to_dense(value)
        elif isinstance(value, tf.RaggedTensor):
            value = value.to_tensor()
        values[name] = value.numpy()
    return values


def test_the_beam_work_ran_in_the_external_worker_pool(portable_root, services):
    del portable_root
    jobs = services.job_server.log().count(beam_services.JOB_DONE)
    workers = services.worker_pool.log().count(beam_services.WORKER_STARTED)
    assert jobs == len(BEAM_COMPONENTS), (
        f"the job server completed {jobs} jobs, expected one per Beam component "
        f"{BEAM_COMPONENTS}\n{services.tails()}"
    )
    assert workers >= jobs, (
        f"the worker pool started {workers} SDK workers for {jobs} jobs\n{services.tails()}"
    )


@pytest.mark.parametrize("key", ["examples", "candidates"])
def test_example_gen_writes_the_same_records(direct_root, portable_root, key):
    direct = _splits(_output(direct_root, EXAMPLE_GEN, key))
    portable = _splits(_output(portable_root, EXAMPLE_GEN, key))
    assert sorted(portable) == sorted(direct)
    for split, folder in direct.items():
        expected, found = _records(folder), _records(portable[split])
        assert sum(expected.values()) > 0, split
        assert found == expected, (
            f"{key} split {split}: {sum((expected - found).values())} records only in the "
            f"DirectRunner's output, {sum((found - expected).values())} only in the portable run's"
        )


def test_example_gen_summaries_are_the_same(direct_root, portable_root):
    summaries = [
        json.loads(_read(os.path.join(_output(root, EXAMPLE_GEN, "examples"), "example_gen_summary.json")))
        for root in (direct_root, portable_root)
    ]
    assert summaries[1] == summaries[0]


def test_statistics_are_the_same(direct_root, portable_root):
    direct = _splits(_output(direct_root, STATISTICS_GEN, "statistics"))
    portable = _splits(_output(portable_root, STATISTICS_GEN, "statistics"))
    assert sorted(portable) == sorted(direct)
    for split, folder in direct.items():
        expected = _statistics(folder).datasets[0]
        found = _statistics(portable[split]).datasets[0]
        assert expected.num_examples > 0, split
        assert found.num_examples == expected.num_examples, split
        expected_features = {feature.path.step[0]: feature for feature in expected.features}
        found_features = {feature.path.step[0]: feature for feature in found.features}
        assert sorted(found_features) == sorted(expected_features), split
        differences = [
            f"{split}: {name}{difference}"
            for name, feature in sorted(expected_features.items())
            for difference in _differences(
                json_format.MessageToDict(found_features[name]), json_format.MessageToDict(feature)
            )
        ]
        assert not differences, "\n".join(differences)


def test_transform_writes_the_same_vocabularies_and_schema(direct_root, portable_root):
    direct = _output(direct_root, TRANSFORM, "transform_graph")
    portable = _output(portable_root, TRANSFORM, "transform_graph")
    assets = os.path.join(tft.TFTransformOutput.TRANSFORM_FN_DIR, "assets")
    vocabularies = sorted(os.listdir(os.path.join(direct, assets)))
    assert vocabularies
    assert sorted(os.listdir(os.path.join(portable, assets))) == vocabularies
    for name in vocabularies:
        assert _read(os.path.join(portable, assets, name)) == _read(os.path.join(direct, assets, name)), name
    schema = os.path.join(tft.TFTransformOutput.TRANSFORMED_METADATA_DIR, "schema.pbtxt")
    assert _read(os.path.join(portable, schema)) == _read(os.path.join(direct, schema))


def test_transform_graphs_transform_examples_alike(direct_root, portable_root):
    eval_split = _splits(_output(direct_root, EXAMPLE_GEN, "examples"))["eval"]
    serialized = tf.constant(list(_records(eval_split)))
    expected = _transformed(_output(direct_root, TRANSFORM, "transform_graph"), serialized)
    found = _transformed(_output(portable_root, TRANSFORM, "transform_graph"), serialized)
    assert sorted(found) == sorted(expected)
    for name, value in expected.items():
        if np.issubdtype(value.dtype, np.floating):
            np.testing.assert_allclose(found[name], value, rtol=FLOAT32_RELATIVE_TOLERANCE, err_msg=name)
        else:
            np.testing.assert_array_equal(found[name], value, err_msg=name)
