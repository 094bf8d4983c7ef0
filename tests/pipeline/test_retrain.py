"""Retraining: what ``retrain`` sets and says (fast), and three days on drifting data (slow)."""

import dataclasses
import os

import pytest

from components import movielens_example_gen
from components.validation_gate import DataValidationError
from components.versioned_pusher.publish import latest_pushed_model
from pipeline.kubeflow import beam_profiles
from components.retrain_gate import state as retrain_state
from pipeline import config as config_lib
from pipeline.local import retrain, runner as local_runner
from trainer import config as trainer_config

RATINGS = 6000


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
def test_day_two_warm_starts_over_a_window(days):
    _, _, _, day2, log = days
    assert "Warm start from" in log
    assert "Training with exact_softmax" in log


@pytest.mark.slow
def test_no_new_span_does_nothing(days):
    work_dir = days[0]
    lines = []
    assert retrain.retrain(_config(work_dir, 2), work_dir, lines.append) is None
    assert lines[-1].startswith("No new span, settings or code since the last run (span 1")
    # The gate said no: every component after it was skipped, none ran.
    assert [line for line in lines if "RetrainGate done in" in line]
    assert [line for line in lines if "RetrievalTrainer skipped in" in line]
    assert [line for line in lines if "VersionedPusher skipped in" in line]


@pytest.mark.slow
def test_corrupted_day_three_is_stopped_and_version_two_still_served(days):
    work_dir = days[0]
    served_before = latest_pushed_model(_config(work_dir, 2).push_destination)
    with pytest.raises(DataValidationError, match="feature 'user_gender': Column is completely missing"):
        retrain.retrain(_config(work_dir, 3, with_demographics=False), work_dir, lambda _: None)
    assert latest_pushed_model(_config(work_dir, 3).push_destination) == served_before


# What a retrain sets and says (fast, the run faked).

def _fast_config(**changes) -> config_lib.PipelineConfig:
    config = config_lib.PipelineConfig(
        pipeline_name="retrain", pipeline_root="/work/root", push_destination="/work/serving"
    )
    return dataclasses.replace(config, **changes)


def test_the_settings_fingerprint_counts_what_a_run_makes_not_how_it_runs():
    base = config_lib.settings_fingerprint(_fast_config())
    defaults = dataclasses.asdict(trainer_config.TrainerConfig())
    assert config_lib.settings_fingerprint(_fast_config(hyperparameters=defaults)) == base
    assert config_lib.settings_fingerprint(
        _fast_config(beam_pipeline_args=["--direct_num_workers=2"], enable_cache=False,
                     skip_unchanged=True)
    ) == base
    evaluator = _fast_config().evaluator
    changed = [
        _fast_config(hyperparameters={"epochs": defaults["epochs"] + 1}),
        _fast_config(example_gen=dataclasses.replace(_fast_config().example_gen, window_spans=2)),
        _fast_config(warm_start=True),
        _fast_config(evaluator=dataclasses.replace(
            evaluator, min_top_k_accuracy=evaluator.min_top_k_accuracy + 0.01)),
    ]
    assert len({base} | {config_lib.settings_fingerprint(config) for config in changed}) == 5


@pytest.mark.parametrize("run", [True, False])
def test_a_retrain_runs_the_gated_pipeline_and_says_what_the_gate_decided(tmp_path, monkeypatch, run):
    calls = []

    def fake_run(config, metadata_file, log_file, emit):
        del log_file, emit
        calls.append((config, metadata_file))
        return local_runner.RunSummary(
            {}, [], 1.0, None, None,
            gate_decision=retrain_state.Decision(run, "a new span (last run: span 2)"),
            gate_inputs={"span": 3},
        )

    monkeypatch.setattr(local_runner, "run", fake_run)
    lines = []
    summary = retrain.retrain(_fast_config(), str(tmp_path), lines.append)
    (config, metadata_file), = calls
    assert config.skip_unchanged and os.path.dirname(metadata_file) == str(tmp_path)
    if run:
        assert summary is not None
        assert lines == ["Retrained on span 3 (window of 1 span(s)): a new span (last run: span 2)."]
    else:
        assert summary is None and lines == ["a new span (last run: span 2)"]
