"""The step budget (``max_steps``): training stops after that many steps, and says so."""

import json
import logging
import os
import types
from typing import Iterator, List

import pytest
from absl import logging as absl_logging
from tfx.components.trainer.fn_args_utils import FnArgs

from components.progress_log import PROGRESS_PREFIX
from components.retrieval_trainer import spec
from trainer import config as config_lib
from trainer import run_fn
from trainer import train as train_lib


class _Progress(logging.Handler):
    """Collects the progress lines logged through absl."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(PROGRESS_PREFIX):
            self.lines.append(message[len(PROGRESS_PREFIX):])


@pytest.fixture
def progress() -> Iterator[_Progress]:
    handler = _Progress()
    logger = logging.getLogger("absl")
    verbosity = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.INFO)
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
    absl_logging.set_verbosity(verbosity)


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _fit(epochs: int, steps_per_epoch: int, max_steps: int, seconds_per_step: float = 1.0):
    """Drives the budget and progress callbacks as Keras's fit loop does; returns them and the steps run."""
    model = types.SimpleNamespace(stop_training=False)
    clock = _Clock()
    budget = train_lib.StepBudget(max_steps)
    budget.set_model(model)
    progress = train_lib.EpochProgress(epochs, clock=clock, budget=budget)
    progress.set_model(model)
    run = 0
    for epoch in range(epochs):
        progress.on_epoch_begin(epoch)
        for step in range(steps_per_epoch):
            clock.now += seconds_per_step
            run += 1
            budget.on_train_batch_end(step)
            if model.stop_training:
                break
        progress.on_epoch_end(epoch, {"loss": 10.0 - epoch})
        if model.stop_training:
            break
    return budget, progress, run


def test_the_budget_stops_mid_epoch_and_the_progress_says_so(progress):
    budget, tracker, run = _fit(epochs=4, steps_per_epoch=10, max_steps=15)
    assert run == 15 and budget.steps == 15 and budget.reached
    assert len(tracker.epoch_seconds) == 2
    assert progress.lines == [
        # 5 steps left = half an epoch of 10 s.
        "epoch 1/2: loss 10 (10.0s; about 5s left)",
        "epoch 2/2: loss 9 (5.0s; step budget of 15 steps reached)",
    ]
    assert train_lib._stop_reason(  # pylint: disable=protected-access
        config_lib.TrainerConfig(epochs=4, max_steps=15), budget, tracker, 2, 15
    ) == train_lib.STOPPED_BY_MAX_STEPS


def test_a_budget_larger_than_the_epochs_changes_nothing(progress):
    budget, tracker, run = _fit(epochs=3, steps_per_epoch=10, max_steps=1000)
    assert run == 30 and not budget.reached
    assert progress.lines == [
        "epoch 1/3: loss 10 (10.0s; about 20s left)",
        "epoch 2/3: loss 9 (10.0s; about 10s left)",
        "epoch 3/3: loss 8 (10.0s)",
    ]
    assert train_lib._stop_reason(  # pylint: disable=protected-access
        config_lib.TrainerConfig(epochs=3, max_steps=1000), budget, tracker, 3, 30
    ) == train_lib.STOPPED_BY_EPOCHS


def test_a_budget_spent_on_the_last_step_of_the_last_epoch_is_the_epochs_end():
    budget, tracker, run = _fit(epochs=2, steps_per_epoch=10, max_steps=20)
    assert run == 20
    assert train_lib._stop_reason(  # pylint: disable=protected-access
        config_lib.TrainerConfig(epochs=2, max_steps=20), budget, tracker, 2, 20
    ) == train_lib.STOPPED_BY_EPOCHS


def test_run_fn_trains_max_steps_and_reports_the_epochs_and_the_reason(
    analysed_data, tmp_path, progress
):
    batch_size, epochs, max_steps = 256, 3, 13
    model_run_dir = str(tmp_path / "model_run")
    run_fn.run_fn(
        FnArgs(
            train_files=[analysed_data.train_files],
            eval_files=[analysed_data.eval_files],
            transform_output=analysed_data.transform_dir,
            serving_model_dir=str(tmp_path / "model"),
            model_run_dir=model_run_dir,
            custom_config={
                spec.HYPERPARAMETERS_CONFIG_KEY: {
                    "epochs": epochs, "batch_size": batch_size, "max_steps": max_steps,
                },
                spec.CANDIDATE_FILES_CONFIG_KEY: analysed_data.candidate_files,
            },
        )
    )
    with open(os.path.join(model_run_dir, run_fn.METRICS_FILE), encoding="utf-8") as handle:
        report = json.load(handle)

    steps_per_epoch = 10  # ~2,400 training ratings of the 3,000, batches of 256
    assert epochs * steps_per_epoch > max_steps > steps_per_epoch  # the budget has work to do
    assert report["steps_trained"] == max_steps
    assert report["epochs_trained"] == 2
    assert report["stop_reason"] == train_lib.STOPPED_BY_MAX_STEPS
    assert report["hyperparameters"]["max_steps"] == max_steps
    assert len(report["epoch_seconds"]) == 2
    epochs_lines = [line for line in progress.lines if line.startswith("epoch ")]
    assert len(epochs_lines) == 2
    assert epochs_lines[0].startswith("epoch 1/2: ")
    assert epochs_lines[1].startswith("epoch 2/2: ")
    assert epochs_lines[1].endswith(f"; step budget of {max_steps} steps reached)")


def _long_epoch(steps: int, budget=None, interval: float = 60.0, known_length: bool = True):
    """Drives StepProgress through one epoch of 1-second steps; returns it."""
    clock = _Clock()
    tracker = train_lib.StepProgress(interval=interval, clock=clock, budget=budget)
    tracker.set_params({"steps": steps if known_length else None})
    tracker.on_epoch_begin(0)
    for step in range(steps):
        clock.now += 1.0
        if budget is not None:
            budget.on_train_batch_end(step)
        tracker.on_train_batch_end(step)
    return tracker


def test_a_long_epoch_logs_its_step_and_time_left_once_a_minute(progress):
    _long_epoch(200)
    assert progress.lines == [
        "epoch 1: step 60/200 (60s in; about 140s left in the epoch)",
        "epoch 1: step 120/200 (120s in; about 80s left in the epoch)",
        "epoch 1: step 180/200 (180s in; about 20s left in the epoch)",
    ]


def test_a_short_epoch_logs_no_step_line(progress):
    _long_epoch(59)
    assert not progress.lines


def test_the_time_left_in_the_epoch_stops_at_the_step_budget(progress):
    budget = train_lib.StepBudget(100)
    budget.set_model(types.SimpleNamespace(stop_training=False))
    _long_epoch(200, budget=budget)
    assert progress.lines[0] == "epoch 1: step 60/200 (60s in; about 40s left in the epoch)"


def test_a_streamed_epoch_of_unknown_length_counts_down_the_step_budget(progress):
    budget = train_lib.StepBudget(150)
    budget.set_model(types.SimpleNamespace(stop_training=False))
    _long_epoch(150, budget=budget, known_length=False)
    assert progress.lines == [
        "epoch 1: step 60 (60s in; about 90s left of the 150-step budget)",
        "epoch 1: step 120 (120s in; about 30s left of the 150-step budget)",
    ]


def test_a_streamed_epoch_without_a_budget_logs_steps_without_a_time_left(progress):
    _long_epoch(130, known_length=False)
    assert progress.lines == ["epoch 1: step 60 (60s in)", "epoch 1: step 120 (120s in)"]
