"""End-to-end: the whole pipeline on small synthetic data with LocalDagRunner."""

import os

import pytest

from pipeline import config as config_lib
from pipeline import recommend
from pipeline.local import runner as local_runner
from pipeline.report import write_report
from components.validation_gate import DataValidationError
from tests.pipeline.small_pipeline import small_config

pytestmark = pytest.mark.slow

ALL_COMPONENTS = {
    "ImportSchemaGen",
    "MovieLensExampleGen",
    "StatisticsGen",
    "ExampleValidator",
    "ValidationGate",
    "Transform",
    "RetrievalTrainer",
    "RetrievalEvaluator",
    "VersionedPusher",
}


def _config(work_dir: str, with_demographics: bool = True) -> config_lib.PipelineConfig:
    return small_config(work_dir, "e2e", with_demographics)


def _run(config, work_dir):
    lines = []
    summary = local_runner.run(
        config,
        os.path.join(work_dir, "metadata.sqlite"),
        os.path.join(work_dir, "run.log"),
        emit=lines.append,
    )
    return summary, lines


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp("e2e"))
    config = _config(work_dir)
    summary, lines = _run(config, work_dir)
    return work_dir, config, summary, lines


def test_every_component_runs_and_progress_is_shown(first_run):
    _, _, summary, lines = first_run
    assert set(summary.seconds) == ALL_COMPONENTS
    assert summary.cached == []
    assert any(line.startswith("[9/9] VersionedPusher done") for line in lines)


def test_evaluation_holds_every_metric_and_the_model_is_blessed_and_pushed(first_run):
    _, _, summary, _ = first_run
    metrics = summary.evaluation["metrics"]
    assert summary.evaluation["protocol"]["query_time"] == "model_default"  # random split
    for protocol in ("filtered", "unfiltered"):
        for ranker in ("model", "popularity", "recent_popularity", "item_knn", "ease"):
            for family in ("top_k_accuracy", "recall_at_k"):
                values = metrics[protocol][ranker]["all"][family]
                assert set(values) == {"1", "5", "10", "50", "100"}
    assert summary.evaluation["counts"]["eval"] == (
        summary.evaluation["counts"]["warm"] + summary.evaluation["counts"]["cold"]
    )
    assert summary.evaluation["blessing"]["blessed"] is True
    assert summary.pushed_model is not None
    assert os.path.exists(os.path.join(summary.pushed_model, "saved_model.pb"))


def test_pushed_model_answers_recommend(first_run):
    _, _, summary, _ = first_run
    results = recommend.recommend(summary.pushed_model, "1", 5).movies
    assert len(results) == 5
    scores = [score for _, _, score in results]
    assert scores == sorted(scores, reverse=True)


def test_rerun_with_unchanged_inputs_executes_nothing(first_run):
    work_dir, config, _, _ = first_run
    summary, _ = _run(config, work_dir)
    assert set(summary.seconds) - set(summary.cached) == set()


def test_schema_anomaly_stops_the_run_before_training(tmp_path):
    work_dir = str(tmp_path)
    config = _config(work_dir, with_demographics=False)
    lines = []
    with pytest.raises(DataValidationError, match="feature 'user_gender'") as error:
        local_runner.run(
            config, os.path.join(work_dir, "metadata.sqlite"), os.path.join(work_dir, "run.log"),
            emit=lines.append,
        )
    assert "train: feature 'user_gender': Column is completely missing" in str(error.value)
    assert not any("RetrievalTrainer" in line for line in lines)


def test_the_run_leaves_a_report_page(first_run):
    work_dir, _, summary, _ = first_run
    path = write_report(work_dir, summary, "run")
    assert path == os.path.join(work_dir, "report.html")
    with open(path, encoding="utf-8") as handle:
        page = handle.read()
    assert "Sample recommendations" in page and "<script" not in page
