"""``run_fn``'s warm start: the served model, found under the push destination when the Trainer runs."""

import io
import json
import os
import shutil

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2
from tfx.components.trainer.fn_args_utils import FnArgs

from components.retrieval_trainer import spec
from components.versioned_pusher import publish
from trainer import run_fn, warm_start


def _fake_version(push_destination: str, version: int, complete: bool) -> str:
    """A version folder that ``latest_pushed_model`` sees as complete, or a half-copied one."""
    folder = os.path.join(push_destination, str(version))
    os.makedirs(os.path.join(folder, "variables"))
    with open(os.path.join(folder, "variables", "variables.index"), "wb"):
        pass
    if complete:
        proto = saved_model_pb2.SavedModel(meta_graphs=[meta_graph_pb2.MetaGraphDef()])
        with open(os.path.join(folder, "saved_model.pb"), "wb") as handle:
            handle.write(proto.SerializeToString())
    return folder


def test_the_base_model_input_wins_over_the_served_model(tmp_path):
    _fake_version(str(tmp_path), 1, complete=True)
    base = run_fn.resolve_base_model("/models/given", str(tmp_path))
    assert (base.path, base.source) == ("/models/given", run_fn.SOURCE_INPUT)


def test_without_a_push_destination_there_is_no_warm_start():
    base = run_fn.resolve_base_model(None, None)
    assert (base.path, base.source) == (None, run_fn.SOURCE_OFF)


def test_nothing_served_yet_trains_from_scratch_and_says_so(tmp_path):
    for destination in (str(tmp_path / "never-pushed"), str(tmp_path)):
        base = run_fn.resolve_base_model(None, destination)
        assert (base.path, base.source) == (None, run_fn.SOURCE_NOTHING_SERVED)
        assert "training from scratch" in base.message and destination in base.message


def test_the_newest_complete_version_is_served_not_a_half_pushed_newer_one(tmp_path):
    _fake_version(str(tmp_path), 100, complete=True)
    served = _fake_version(str(tmp_path), 200, complete=True)
    _fake_version(str(tmp_path), 300, complete=False)
    os.makedirs(tmp_path / ".tmp-400-abcd1234")
    base = run_fn.resolve_base_model(None, str(tmp_path))
    assert (base.path, base.source) == (served, run_fn.SOURCE_SERVED)


# run_fn end to end on a small analysed dataset, with a real pushed model.

def _run(data, work_dir: str, push_destination: str, **hyperparameters) -> dict:
    """Runs ``run_fn`` as RetrievalTrainer's executor calls it; returns its report."""
    model_run_dir = os.path.join(work_dir, "model_run")
    run_fn.run_fn(
        FnArgs(
            train_files=[data.train_files],
            eval_files=[data.eval_files],
            transform_output=data.transform_dir,
            serving_model_dir=os.path.join(work_dir, "model"),
            model_run_dir=model_run_dir,
            custom_config={
                spec.HYPERPARAMETERS_CONFIG_KEY: {"epochs": 1, "batch_size": 256, **hyperparameters},
                spec.CANDIDATE_FILES_CONFIG_KEY: data.candidate_files,
                spec.WARM_START_PUSH_DESTINATION_CONFIG_KEY: push_destination,
            },
        )
    )
    with open(os.path.join(model_run_dir, run_fn.METRICS_FILE), encoding="utf-8") as handle:
        return json.load(handle)


def _weights(model_dir: str) -> dict:
    """The towers' weights an exported model's warm-start file holds."""
    with tf.io.gfile.GFile(os.path.join(model_dir, warm_start.WARM_START_FILE), "rb") as handle:
        arrays = dict(np.load(io.BytesIO(handle.read())))
    return {name: array for name, array in arrays.items() if "/" in name}


@pytest.fixture(scope="module")
def first_run(analysed_data, tmp_path_factory):
    """A first run (nothing served yet), then its model pushed: the served version."""
    work_dir = str(tmp_path_factory.mktemp("run_fn"))
    push_destination = os.path.join(work_dir, "serving")
    report = _run(analysed_data, os.path.join(work_dir, "first"), push_destination)
    publish.push(os.path.join(work_dir, "first", "model"), push_destination)
    return report, push_destination


def test_a_first_run_records_that_it_trained_from_scratch(first_run):
    report, _ = first_run
    assert report["warm_start"] == {"source": run_fn.SOURCE_NOTHING_SERVED, "base_model": None}
    assert report["warm_started_rows"] == {}


def test_the_next_run_starts_from_the_served_models_embeddings(first_run, analysed_data, tmp_path):
    _, pushed_to = first_run
    push_destination = str(tmp_path / "serving")
    shutil.copytree(pushed_to, push_destination)
    (served,) = [os.path.join(push_destination, name) for name in os.listdir(push_destination)]
    # A newer push still being copied (no saved_model.pb yet) is not served.
    half_pushed = os.path.join(push_destination, str(int(os.path.basename(served)) + 1))
    shutil.copytree(os.path.join(served, "variables"), os.path.join(half_pushed, "variables"))
    # Training that barely moves the weights: what it starts from shows.
    report = _run(analysed_data, str(tmp_path / "second"), push_destination,
                  optimizer="sgd", learning_rate=1e-9)
    assert report["warm_start"] == {"source": run_fn.SOURCE_SERVED, "base_model": served}
    assert sum(report["warm_started_rows"].values()) > 0
    before, after = _weights(served), _weights(str(tmp_path / "second" / "model"))
    assert set(after) == set(before)
    for name, weights in after.items():
        np.testing.assert_allclose(weights, before[name], atol=1e-5, err_msg=name)
