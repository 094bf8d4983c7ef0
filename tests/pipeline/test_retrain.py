"""Retraining: when it runs and what it records (fast), and three days on drifting data (slow)."""

import dataclasses
import json
import os

import pytest

from components import movielens_example_gen
from components.validation_gate import DataValidationError
from components.versioned_pusher.publish import latest_pushed_model
from pipeline.kubeflow import beam_profiles
from pipeline.local import code_version
from pipeline import config as config_lib
from pipeline.local import retrain, runner as local_runner
from trainer import config as trainer_config

RATINGS = 6000
FINISHED = "2026-01-01 03:10:00"


def _config(work_dir: str, day: int, with_demographics: bool = True) -> config_lib.PipelineConfig:
    return config_lib.PipelineConfig(
        pipeline_name="retrain",
        pipeline_root=os.path.join(work_dir, "root"),
        push_destination=os.path.join(work_dir, "serving"),
        example_gen=movielens_example_gen.Settings(
            source="synthetic",
            synthetic_config={
                "num_ratings": RATINGS,
                "seed": 11,
                "num_spans": day,
                "with_demographics": with_demographics,
            },
            split_mode="temporal",
            window_spans=3,
        ),
        schema=config_lib.SCHEMA_ML_100K,
        hyperparameters={"epochs": 2, "batch_size": 512},
        evaluator=dataclasses.replace(config_lib.PIPELINE_EVALUATOR_SETTINGS, min_margin_over_baselines=None, baseline_tolerance=0.0),
        warm_start=True,
        analyzer_cache=True,
        beam_pipeline_args=beam_profiles.direct_runner_args(multi_processing=False),
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


@pytest.mark.slow
def test_day_one_trains_and_pushes_version_one(days):
    _, day1, version1, _, _ = days
    assert day1.evaluation["blessing"]["blessed"] is True
    assert version1 is not None and day1.pushed_model == version1


@pytest.mark.slow
def test_day_two_pushes_only_if_at_least_as_good_as_the_served_model(days):
    work_dir, _, version1, day2, _ = days
    metrics = day2.evaluation["metrics"]["filtered"]
    model = metrics["model"]["all"]["top_k_accuracy"]["100"]
    served = metrics["baseline_model"]["all"]["top_k_accuracy"]["100"]
    assert day2.evaluation["models"]["baseline_model"] == version1
    # A temporal split: each eval rating is asked at its own time; the
    # window's older spans are training data too.
    assert day2.evaluation["protocol"]["query_time"] == "rating"
    (train_examples,) = day2.evaluation["protocol"]["train_examples"]
    # The ExampleGen read the window: each span's train files under its prefix.
    train_files = os.listdir(os.path.join(train_examples, "Split-train"))
    assert {name.split("-data_tfrecord")[0] for name in train_files} == {"span-000000", "span-000001"}
    blessed = day2.evaluation["blessing"]["blessed"]
    assert blessed == (model >= served - 1e-9)
    newest = latest_pushed_model(_config(work_dir, 2).push_destination)
    assert (newest != version1) == blessed


@pytest.mark.slow
def test_day_two_warm_starts_over_a_window_and_reuses_the_analyzer_cache(days):
    _, _, _, day2, log = days
    assert "Warm start from" in log
    assert "Training with exact_softmax" in log
    # Day 1's analysis results are read back instead of being recomputed.
    assert "Reading the following analysis cache entry keys" in log


@pytest.mark.slow
def test_no_new_span_does_nothing(days):
    work_dir = days[0]
    lines = []
    assert retrain.retrain(_config(work_dir, 2), work_dir, lines.append) is None
    assert "No new span" in lines[0]


@pytest.mark.slow
def test_corrupted_day_three_is_stopped_and_version_two_still_served(days):
    work_dir = days[0]
    served_before = latest_pushed_model(_config(work_dir, 2).push_destination)
    with pytest.raises(DataValidationError, match="feature 'user_gender': Column is completely missing"):
        retrain.retrain(_config(work_dir, 3, with_demographics=False), work_dir, lambda _: None)
    assert latest_pushed_model(_config(work_dir, 3).push_destination) == served_before


# When a retrain runs: the rule (fast).

def _inputs(**changes) -> retrain.RetrainInputs:
    return dataclasses.replace(retrain.RetrainInputs(3, "data", "settings", "code"), **changes)


def _state(finished=FINISHED, blessed=True, **changes) -> dict:
    return {
        **dataclasses.asdict(_inputs(**changes)),
        "started": "2026-01-01 03:00:00",
        "finished": finished,
        "blessed": blessed,
        "pushed_model": "/serving/1",
    }


@pytest.mark.parametrize(
    "previous, reason",
    [
        (None, "first retrain in this work dir"),
        (
            _state(finished=None),
            "the last retrain (span 3, started 2026-01-01 03:00:00) did not finish",
        ),
        (_state(span=2), "a new span (last retrain: span 2)"),
        (_state(fingerprint="old"), "span 3's data changed"),
        (_state(settings="old"), "the settings changed"),
        (_state(code="old"), "the code changed"),
        (_state(blessed=False, settings="old"), "the settings changed"),
        (
            # A state written before the settings and the code counted.
            {"span": 3, "fingerprint": "data", "finished": FINISHED, "blessed": True},
            "the settings changed; the code changed",
        ),
    ],
)
def test_a_retrain_runs_when_anything_it_depends_on_changed_or_the_last_did_not_finish(
    previous, reason
):
    assert retrain.decide(previous, _inputs()) == retrain.Decision(True, reason)


def test_a_retrain_on_the_same_inputs_after_a_completed_one_is_skipped_and_says_why():
    same = (
        "No new span, settings or code since the last retrain (span 3, finished "
        "2026-01-01 03:10:00)"
    )
    assert retrain.decide(_state(), _inputs()) == retrain.Decision(False, f"{same}; nothing to do.")
    not_blessed = retrain.decide(_state(blessed=False), _inputs())
    assert not not_blessed.run
    assert not_blessed.reason == (
        f"{same}, whose model was not blessed: the same data, settings and code give the same "
        "verdict; nothing to do."
    )


def _fast_config(**changes) -> config_lib.PipelineConfig:
    config = config_lib.PipelineConfig(
        pipeline_name="retrain", pipeline_root="/work/root", push_destination="/work/serving"
    )
    return dataclasses.replace(config, **changes)


def test_the_settings_fingerprint_counts_what_a_run_makes_not_how_it_runs():
    base = retrain.settings_fingerprint(_fast_config())
    defaults = dataclasses.asdict(trainer_config.TrainerConfig())
    assert retrain.settings_fingerprint(_fast_config(hyperparameters=defaults)) == base
    assert retrain.settings_fingerprint(
        _fast_config(beam_pipeline_args=["--direct_num_workers=2"], enable_cache=False)
    ) == base
    evaluator = _fast_config().evaluator
    changed = [
        _fast_config(hyperparameters={"epochs": defaults["epochs"] + 1}),
        _fast_config(example_gen=dataclasses.replace(_fast_config().example_gen, window_spans=2)),
        _fast_config(warm_start=True),
        _fast_config(evaluator=dataclasses.replace(
            evaluator, min_top_k_accuracy=evaluator.min_top_k_accuracy + 0.01)),
    ]
    assert len({base} | {retrain.settings_fingerprint(config) for config in changed}) == 5


# retrain(): what it records around a run, with the run faked (fast).

@pytest.fixture
def fake_runs(tmp_path, monkeypatch):
    """Fakes the run; returns its calls (config, state during the run) and its outcome."""
    calls = []
    outcome = {"blessed": True, "crash": False}

    def run(config, metadata_file, log_file, emit):
        del log_file, emit
        assert os.path.dirname(metadata_file) == str(tmp_path)
        with open(tmp_path / retrain.STATE_FILE, encoding="utf-8") as handle:
            calls.append((config, json.load(handle)))
        if outcome["crash"]:
            raise RuntimeError("killed in the Trainer")
        return local_runner.RunSummary(
            {}, [], 1.0, {"blessing": {"blessed": outcome["blessed"]}}, "/serving/1"
        )

    monkeypatch.setattr(local_runner, "run", run)
    monkeypatch.setattr(retrain, "newest_input", lambda gen: retrain.InputVersion(3, "data"))
    return calls, outcome


def _retrain(work_dir, **changes):
    lines = []
    return retrain.retrain(_fast_config(**changes), str(work_dir), lines.append), lines


def test_a_retrain_records_its_inputs_before_the_run_and_its_outcome_after(tmp_path, fake_runs):
    calls, _ = fake_runs
    summary, lines = _retrain(tmp_path)
    assert lines == ["Retraining on span 3 (window of 1 span(s)): first retrain in this work dir."]
    assert summary.pushed_model == "/serving/1"
    config, during = calls[0]
    assert config.enable_cache and during["finished"] is None and during["span"] == 3
    with open(tmp_path / retrain.STATE_FILE, encoding="utf-8") as handle:
        after = json.load(handle)
    assert after["finished"] and after["blessed"] is True and after["pushed_model"] == "/serving/1"
    assert after["settings"] == retrain.settings_fingerprint(_fast_config())
    assert after["code"] == code_version.code_fingerprint()

    summary, lines = _retrain(tmp_path)
    assert summary is None and len(calls) == 1
    assert lines[0].startswith("No new span, settings or code since the last retrain (span 3")


def test_a_crashed_retrain_runs_again_with_the_cache(tmp_path, fake_runs):
    calls, outcome = fake_runs
    outcome["crash"] = True
    with pytest.raises(RuntimeError, match="killed"):
        _retrain(tmp_path)
    outcome["crash"] = False
    _, lines = _retrain(tmp_path)
    assert len(calls) == 2 and calls[1][0].enable_cache
    assert "did not finish" in lines[0]


def test_new_hyperparameters_or_code_rerun_the_same_span(tmp_path, fake_runs, monkeypatch):
    calls, _ = fake_runs
    _retrain(tmp_path)
    _, lines = _retrain(tmp_path, hyperparameters={"epochs": 1})
    assert len(calls) == 2 and lines[0].endswith(": the settings changed.")
    monkeypatch.setattr(code_version, "code_fingerprint", lambda: "edited")
    _, lines = _retrain(tmp_path, hyperparameters={"epochs": 1})
    assert len(calls) == 3 and lines[0].endswith(": the code changed.")
    assert calls[2][0].enable_cache  # local_runner turns it off (test_code_version.py).
    assert calls[2][1]["code"] == "edited"
    assert _retrain(tmp_path, hyperparameters={"epochs": 1})[0] is None


def test_an_unblessed_model_is_not_retrained_on_the_same_inputs(tmp_path, fake_runs):
    calls, outcome = fake_runs
    outcome["blessed"] = False
    _retrain(tmp_path)
    summary, lines = _retrain(tmp_path)
    assert summary is None and len(calls) == 1
    assert "whose model was not blessed" in lines[0]
