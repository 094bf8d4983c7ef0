"""Three days of retraining on drifting synthetic data, and retrain safety."""

import os
import subprocess
import sys

import pytest

from components.versioned_pusher.publish import latest_pushed_model
from pipeline import config as config_lib
from pipeline import retrain
from pipeline.validation_gate import DataValidationError

pytestmark = pytest.mark.slow

RATINGS = 6000


def _config(work_dir: str, day: int, with_demographics: bool = True) -> config_lib.PipelineConfig:
    return config_lib.PipelineConfig(
        pipeline_name="retrain",
        pipeline_root=os.path.join(work_dir, "root"),
        push_destination=os.path.join(work_dir, "serving"),
        example_gen=config_lib.ExampleGenConfig(
            source="synthetic",
            synthetic_config={
                "num_ratings": RATINGS,
                "seed": 11,
                "num_spans": day,
                "with_demographics": with_demographics,
            },
            split_mode="temporal",
        ),
        schema=config_lib.SCHEMA_ML_100K,
        hyperparameters={"epochs": 2, "batch_size": 512},
        evaluator=config_lib.EvaluatorConfig(min_margin_over_baselines=None, baseline_tolerance=0.0),
        warm_start=True,
        window_spans=3,
        analyzer_cache=True,
        beam_pipeline_args=["--direct_running_mode=in_memory", "--direct_num_workers=1"],
    )


@pytest.fixture(scope="module")
def days(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp("retrain"))
    lines = []
    day1 = retrain.retrain(_config(work_dir, 1), work_dir, lines.append)
    version1 = latest_pushed_model(_config(work_dir, 1).push_destination)
    day2 = retrain.retrain(_config(work_dir, 2), work_dir, lines.append)
    with open(os.path.join(work_dir, "last_run.log"), encoding="utf-8") as handle:
        day2_log = handle.read()
    return work_dir, day1, version1, day2, day2_log


def test_day_one_trains_and_pushes_version_one(days):
    _, day1, version1, _, _ = days
    assert day1.evaluation["blessing"]["blessed"] is True
    assert version1 is not None and day1.pushed_model == version1


def test_day_two_pushes_only_if_at_least_as_good_as_the_served_model(days):
    work_dir, _, version1, day2, _ = days
    metrics = day2.evaluation["metrics"]["filtered"]
    model = metrics["model"]["all"]["top_k_accuracy"]["100"]
    served = metrics["baseline_model"]["all"]["top_k_accuracy"]["100"]
    assert day2.evaluation["models"]["baseline_model"] == version1
    # A temporal split: each eval rating is asked at its own time; the
    # window's older spans are training data too.
    assert day2.evaluation["protocol"]["query_time"] == "rating"
    assert len(day2.evaluation["protocol"]["train_examples"]) == 2
    blessed = day2.evaluation["blessing"]["blessed"]
    assert blessed == (model >= served - 1e-9)
    newest = latest_pushed_model(_config(work_dir, 2).push_destination)
    assert (newest != version1) == blessed


def test_day_two_warm_starts_over_a_window_and_reuses_the_analyzer_cache(days):
    _, _, _, day2, log = days
    assert "span_window_resolver" in day2.seconds
    assert "Warm start from" in log
    assert "Training with exact_softmax" in log
    # Day 1's analysis results are read back instead of being recomputed.
    assert "Reading the following analysis cache entry keys" in log


def test_no_new_span_does_nothing(days):
    work_dir = days[0]
    lines = []
    assert retrain.retrain(_config(work_dir, 2), work_dir, lines.append) is None
    assert "No new span" in lines[0]


def test_corrupted_day_three_is_stopped_and_version_two_still_served(days):
    work_dir = days[0]
    served_before = latest_pushed_model(_config(work_dir, 2).push_destination)
    with pytest.raises(DataValidationError, match="feature 'user_gender': Column is completely missing"):
        retrain.retrain(_config(work_dir, 3, with_demographics=False), work_dir, lambda _: None)
    assert latest_pushed_model(_config(work_dir, 3).push_destination) == served_before


def test_a_second_concurrent_retrain_refuses(days):
    work_dir = days[0]
    with retrain.WorkDirLock(work_dir):
        result = subprocess.run(
            [sys.executable, "-m", "pipeline.cli", "retrain", "--source", "synthetic",
             "--synthetic-ratings", str(RATINGS), "--work-dir", work_dir],
            capture_output=True, text=True, timeout=300, check=False,
        )
    assert result.returncode == 3
    assert "another retrain is running" in result.stderr
