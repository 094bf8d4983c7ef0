"""Executes the compiled Kubeflow spec task by task, as a KFP backend would, to a model that answers.

The spec is compiled exactly as for a cluster (``--target kubeflow``) except
for a local pipeline root and the schema folder: each task's container command
then runs here in its own subprocess, from the project installed as the image
installs it and with the image's environment, fed the executor-input JSON a
KFP launcher passes (``kfp_local_launcher``).
"""

import glob
import os

import pytest
import tensorflow as tf

from components.versioned_pusher.publish import latest_pushed_model
from pipeline import recommend
from tests.kubeflow import kfp_local_launcher, kubeflow_fixtures
from tests.kubeflow.test_kubeflow_compile import CONTAINER_TASKS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def executed(tmp_path_factory, installed_site):
    work = tmp_path_factory.mktemp("kfp_run")
    root = str(work / "root")
    job = kubeflow_fixtures.compile_job(
        str(work / "spec.json"), "kubeflow",
        # Blessing on thresholds alone: this checks executability, not quality.
        ["--schema-dir", os.path.join(installed_site, "pipeline", "schema"),
         "--min-margin-over-baselines", "-1"],
        pipeline_root=root,
    )
    logs = work / "logs"
    logs.mkdir()
    runs = kfp_local_launcher.run_pipeline_job(
        job, "run-1", kubeflow_fixtures.image_like_env(installed_site), str(logs)
    )
    for name, run in runs.items():
        print(f"{name}: {run.seconds:.1f}s")
    return job, runs, root


def _uri(artifacts):
    (artifact,) = artifacts
    return artifact["uri"]


def test_every_task_ran_and_artifacts_flowed_as_the_spec_wires_them(executed):
    _, runs, root = executed
    assert set(runs) == CONTAINER_TASKS
    for run in runs.values():
        for artifacts in run.outputs.values():
            assert _uri(artifacts).startswith(os.path.join(root, "movielens-retrieval", "run-1"))
    inputs = {name: run.executor_input["inputs"]["artifacts"] for name, run in runs.items()}
    assert _uri(inputs["RetrievalTrainer"]["examples"]["artifacts"]) == _uri(
        runs["MovieLensExampleGen"].outputs["examples"])
    assert _uri(inputs["RetrievalTrainer"]["transform_graph"]["artifacts"]) == _uri(
        runs["Transform"].outputs["transform_graph"])
    assert _uri(inputs["RetrievalEvaluator"]["model"]["artifacts"]) == _uri(runs["RetrievalTrainer"].outputs["model"])
    assert _uri(inputs["VersionedPusher"]["model_blessing"]["artifacts"]) == _uri(
        runs["RetrievalEvaluator"].outputs["blessing"])
    # Properties the executors record travel to the consumers, as in KFP's metadata.
    examples = inputs["StatisticsGen"]["examples"]["artifacts"][0]
    assert examples["metadata"]["split_names"] == '["train", "eval"]'
    assert examples["metadata"]["span"] == 0
    blessing = runs["RetrievalEvaluator"].outputs["blessing"][0]
    assert blessing["metadata"]["blessed"] == 1
    # What Vertex AI's latest-blessed-model resolver looks up: the model's
    # artifact name in the pipeline's metadata, not TFX's integer id.
    (model,) = runs["RetrievalTrainer"].outputs["model"]
    assert blessing["metadata"]["current_model_id"] == model["name"]


def test_the_pushed_model_answers_a_query(executed):
    _, runs, root = executed
    model_dir = latest_pushed_model(os.path.join(root, "serving_model"))
    assert model_dir is not None
    assert _uri(runs["VersionedPusher"].outputs["pushed_model"])
    train_files = glob.glob(os.path.join(_uri(runs["MovieLensExampleGen"].outputs["examples"]), "Split-train", "*"))
    record = next(iter(tf.data.TFRecordDataset(train_files, compression_type="GZIP")))
    features = tf.train.Example.FromString(record.numpy()).features.feature
    user_id = features["user_id"].bytes_list.value[0].decode()
    timestamp = features["timestamp"].int64_list.value[0]
    results = recommend.recommend(model_dir, user_id, k=5, timestamp=timestamp).movies
    assert len(results) == 5
    assert len({movie_id for movie_id, _, _ in results}) == 5
    scores = [score for _, _, score in results]
    assert scores == sorted(scores, reverse=True)
