"""Three scheduled runs of one compiled Kubeflow spec over a drop folder that gains a span.

The spec is compiled once, as for a recurring run (``--skip-unchanged
--warm-start --window-spans 2 --analyzer-cache``), over ``drops/span-{SPAN}``; each run
executes its tasks as a KFP backend would (``kfp_local_launcher``, trigger
conditions included):

1. span 1 is there: everything runs and the model is pushed;
2. span 2 arrived: the ExampleGen reads the window of spans 1 and 2, the
   Transform analyses span 2 and reads span 1's analysis from run 1's
   analyzer cache, and the Trainer starts from run 1's pushed model (checked
   on the embeddings: training barely moves them, so each id's row must
   still be run 1's);
3. nothing new: the RetrainGate says so, every other task is skipped, and
   nothing is pushed.
"""

import io
import json
import os

import numpy as np
import pytest
import tensorflow as tf
from tfx.utils import path_utils

from benchmarks.grouplens_archives import write_release
from components.versioned_pusher.publish import latest_pushed_model
from movielens_simulator import synthetic
from pipeline import cli
from tests.kubeflow import kfp_local_launcher, kubeflow_fixtures
from tests.kubeflow.test_kubeflow_compile import CONTAINER_TASKS
from trainer import run_fn, warm_start

pytestmark = pytest.mark.slow

GATED_TASKS = CONTAINER_TASKS | {"RetrainGate", "RetrainRecord"}


def _drop(drops: str, span: int) -> None:
    write_release(
        "ml-100k", synthetic.SyntheticConfig(num_ratings=2000, seed=span), os.path.join(drops, f"span-{span}")
    )


def _compile(work: str, installed_site: str) -> dict:
    output = os.path.join(work, "spec.json")
    status = cli.main([
        "compile", "--target", "kubeflow", "--pipeline-root", os.path.join(work, "root"),
        "--image", kubeflow_fixtures.IMAGE, "--output", output,
        "--source", "grouplens", "--input-path", os.path.join(work, "drops", "span-{SPAN}", "ml-100k"),
        "--schema", "ml-100k", "--schema-dir", os.path.join(installed_site, "pipeline", "schema"),
        "--skip-unchanged", "--warm-start", "--window-spans", "2", "--analyzer-cache",
        # Training that barely moves the weights, so what it started from shows;
        # blessing on thresholds alone (this checks the schedule, not quality).
        "--hyperparameters", json.dumps(
            {"epochs": 1, "batch_size": 256, "optimizer": "sgd", "learning_rate": 1e-9}),
        "--min-margin-over-baselines", "-1", "--min-top-k-accuracy", "0",
    ])
    assert status == 0
    with open(output, encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def scheduled(tmp_path_factory, installed_site):
    work = str(tmp_path_factory.mktemp("scheduled"))
    drops = os.path.join(work, "drops")
    _drop(drops, 1)
    job = _compile(work, installed_site)
    env = kubeflow_fixtures.image_like_env(installed_site)
    root = os.path.join(work, "root")
    runs, pushed, records = [], [], []
    for number in (1, 2, 3):
        if number == 2:
            _drop(drops, 2)
        logs = os.path.join(work, f"logs-{number}")
        os.makedirs(logs)
        runs.append(kfp_local_launcher.run_pipeline_job(job, f"run-{number}", env, logs))
        pushed.append(latest_pushed_model(os.path.join(root, "serving_model")))
        with open(os.path.join(root, "retrain_state.json"), encoding="utf-8") as handle:
            records.append(json.load(handle))
    return job, runs, pushed, records


def _decision(run) -> dict:
    (artifact,) = run["RetrainGate"].outputs["decision"]
    return artifact["metadata"]


def _uri(artifacts) -> str:
    (artifact,) = artifacts
    return artifact["uri"]


def _warm_start_arrays(model_dir: str) -> dict:
    with tf.io.gfile.GFile(os.path.join(model_dir, warm_start.WARM_START_FILE), "rb") as handle:
        return dict(np.load(io.BytesIO(handle.read())))


def test_the_spec_is_gated_on_the_decision(scheduled):
    job, _, _, _ = scheduled
    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]
    assert set(tasks) == GATED_TASKS
    assert "triggerPolicy" not in tasks["RetrainGate"]
    for name in GATED_TASKS - {"RetrainGate"}:
        assert "metadata['run'] == 1" in tasks[name]["triggerPolicy"]["condition"], name


def test_run_one_trains_pushes_and_records_span_one(scheduled):
    _, (run1, _, _), (pushed1, _, _), (record1, _, _) = scheduled
    assert _decision(run1)["run"] == 1
    assert {name for name, run in run1.items() if run.kind == "container"} == GATED_TASKS
    assert pushed1 is not None
    assert record1["span"] == 1 and record1["pushed_model"] == pushed1


def test_run_two_reads_the_window_and_warm_starts_from_run_ones_model(scheduled):
    _, (_, run2, _), (pushed1, _, _), _ = scheduled
    decision = _decision(run2)
    assert decision["run"] == 1 and decision["reason"] == "a new span (last run: span 1)"
    examples = run2["MovieLensExampleGen"].outputs["examples"][0]
    assert [entry["span"] for entry in json.loads(examples["metadata"]["window"])] == [1, 2]
    prefixes = {name.split("-data_tfrecord")[0] for name in os.listdir(os.path.join(examples["uri"], "Split-train"))}
    assert prefixes == {"span-000001", "span-000002"}

    with open(os.path.join(_uri(run2["RetrievalTrainer"].outputs["model_run"]), run_fn.METRICS_FILE),
              encoding="utf-8") as handle:
        report = json.load(handle)
    assert report["warm_start"] == {"source": run_fn.SOURCE_SERVED, "base_model": pushed1}
    before = _warm_start_arrays(pushed1)
    after = _warm_start_arrays(path_utils.serving_model_path(_uri(run2["RetrievalTrainer"].outputs["model"])))
    compared = 0
    for key in (name for name in after if name.startswith("vocabulary:") and name in before):
        feature = key[len("vocabulary:"):-len("_vocab")]
        old_ids, new_ids = list(before[key]), list(after[key])
        shared = sorted(set(old_ids) & set(new_ids))
        assert shared, key
        # A table of this vocabulary: one row per id, then its OOV rows.
        tables = [
            name for name in after
            if f"/{feature}_" in name and name in before
            and 0 <= after[name].shape[0] - len(new_ids) == before[name].shape[0] - len(old_ids)
        ]
        for table in tables:
            old_rows = before[table][[old_ids.index(item) for item in shared]]
            new_rows = after[table][[new_ids.index(item) for item in shared]]
            np.testing.assert_allclose(new_rows, old_rows, atol=1e-5, err_msg=table)
            compared += 1
    # At least the user id, movie id and movie history tables.
    assert compared >= 3


def _analyzer_cache(run) -> dict:
    (graph,) = run["Transform"].outputs["transform_graph"]
    return json.loads(graph["metadata"]["analyzer_cache"])


def test_run_two_analyses_only_the_new_span_reading_the_other_from_run_ones_cache(scheduled):
    job, (run1, run2, _), _, _ = scheduled
    root = job["runtimeConfig"]["gcsOutputDirectory"]
    assert _analyzer_cache(run1) == {"enabled": True, "read_from": None, "from_cache": [], "analysed": [1]}
    run1_cache = _uri(run1["Transform"].outputs["updated_analyzer_cache"])
    assert _analyzer_cache(run2) == {
        "enabled": True, "read_from": run1_cache, "from_cache": [1], "analysed": [2]
    }
    with open(os.path.join(root, "transform_analyzer_cache.json"), encoding="utf-8") as handle:
        pointer = json.load(handle)
    assert pointer["cache"] == _uri(run2["Transform"].outputs["updated_analyzer_cache"])
    assert [key.split("-")[1] for key in pointer["datasets"]] == ["000001", "000002"]


def test_run_three_with_no_new_span_trains_nothing_and_pushes_nothing(scheduled):
    _, (_, _, run3), (_, pushed2, pushed3), (_, record2, record3) = scheduled
    decision = _decision(run3)
    assert decision["run"] == 0
    assert decision["reason"].startswith("No new span, settings or code since the last run (span 2")
    ran = {name for name, run in run3.items() if run.kind == "container"}
    assert ran == {"RetrainGate"}
    assert {name for name, run in run3.items() if run.kind == kfp_local_launcher.SKIPPED} == (
        GATED_TASKS - {"RetrainGate"}
    )
    assert pushed3 == pushed2
    assert record3 == record2 and record2["span"] == 2
