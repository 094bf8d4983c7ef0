"""Scheduled retraining: safe to fire from cron or a Kubeflow recurring run.

* One writer per work directory: a retrain holds the work directory's lock
  (``work_dir_lock``, which ``run`` takes too) from its check to the end of
  its run; a second ``retrain`` or ``run`` refuses at once, naming the holder.
* Each retrain records what it ran on in ``retrain_state.json``: the newest
  span and its data fingerprint, a fingerprint of the settings and one of the
  code, when it started and, once it completed, its outcome. The next
  retrain skips only when all of these hold (``decide``):

  - the last retrain completed (one that crashed or failed is run again,
    TFX's cache resuming it from the components that had finished);
  - the newest span and its data fingerprint are unchanged;
  - the settings are unchanged: every ``PipelineConfig`` field except how the
    pipeline runs (Beam options, the cache switch), with the hyperparameters
    completed by their defaults;
  - the code is unchanged: ``code_version.code_fingerprint``, the ``.py``
    and ``.pbtxt`` files of the project's packages. TFX's cache does not see
    code, so the run after a code change re-executes every component
    (``local_runner`` turns the cache off for it, as for any run).

  A completed retrain whose model was not blessed is not retried on the same
  data, settings and code: the run would reproduce the same model and the
  same verdict. The skip message says so.
"""

import dataclasses
import hashlib
import json
import os
import time
from typing import Callable, Optional

from components import movielens_example_gen
from components.movielens_example_gen import spans
from pipeline.local import code_version
from pipeline import config as config_lib
from pipeline.local import runner as local_runner
from pipeline.local.work_dir_lock import WorkDirLock
from trainer import config as trainer_config

STATE_FILE = "retrain_state.json"
# PipelineConfig fields that change how the pipeline runs, not what it makes.
_RUNTIME_FIELDS = ("beam_pipeline_args", "enable_cache")


@dataclasses.dataclass(frozen=True)
class InputVersion:
    """The data a retrain would read.

    Attributes:
      span: The newest span.
      fingerprint: What that span's data hashes to.
    """

    span: int
    fingerprint: str


@dataclasses.dataclass(frozen=True)
class RetrainInputs:
    """Everything a retrain's outcome depends on.

    Attributes:
      span: The newest span.
      fingerprint: What that span's data hashes to.
      settings: ``settings_fingerprint`` of the pipeline settings.
      code: ``code_version.code_fingerprint`` of the project's code.
    """

    span: int
    fingerprint: str
    settings: str
    code: str


@dataclasses.dataclass(frozen=True)
class Decision:
    """Whether a retrain runs, and why.

    Attributes:
      run: Whether to run the pipeline.
      reason: One line saying why (or why not).
    """

    run: bool
    reason: str


def newest_input(settings: movielens_example_gen.Settings) -> InputVersion:
    """Resolves the span a run would read and fingerprints it.

    Args:
      settings: The ExampleGen settings.

    Returns:
      The span and its fingerprint (the ExampleGen driver's own logic).
    """
    resolved = spans.resolve(settings)
    return InputVersion(resolved.span, spans.fingerprint(settings, resolved))


def settings_fingerprint(config: config_lib.PipelineConfig) -> str:
    """Hashes the settings that decide what a run produces.

    Args:
      config: The pipeline settings.

    Returns:
      A hex SHA-256 of every field but ``_RUNTIME_FIELDS``, the
      hyperparameters completed by their defaults (so ``{}`` and the defaults
      spelled out hash the same).
    """
    settings = dataclasses.asdict(config)
    for name in _RUNTIME_FIELDS:
        settings.pop(name)
    settings["hyperparameters"] = dataclasses.asdict(
        trainer_config.TrainerConfig.from_dict(config.hyperparameters)
    )
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decide(previous: Optional[dict], current: RetrainInputs) -> Decision:
    """Whether a retrain runs, by the rule in the module docstring.

    Args:
      previous: The state the last retrain recorded (None: no retrain yet).
      current: What this retrain would run on.

    Returns:
      The decision with its reason.
    """
    if previous is None:
        return Decision(True, "first retrain in this work dir")
    changes = []
    if not previous.get("finished"):
        changes.append(
            f"the last retrain (span {previous.get('span')}, started {previous.get('started')}) "
            "did not finish"
        )
    if previous.get("span") != current.span:
        changes.append(f"a new span (last retrain: span {previous.get('span')})")
    elif previous.get("fingerprint") != current.fingerprint:
        changes.append(f"span {current.span}'s data changed")
    if previous.get("settings") != current.settings:
        changes.append("the settings changed")
    if previous.get("code") != current.code:
        changes.append("the code changed")
    if changes:
        return Decision(True, "; ".join(changes))
    summary = (
        f"No new span, settings or code since the last retrain (span {current.span}, "
        f"finished {previous['finished']})"
    )
    if previous.get("blessed"):
        return Decision(False, f"{summary}; nothing to do.")
    return Decision(
        False,
        f"{summary}, whose model was not blessed: the same data, settings and code "
        "give the same verdict; nothing to do.",
    )


def _read_state(work_dir: str) -> Optional[dict]:
    path = os.path.join(work_dir, STATE_FILE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _write_state(work_dir: str, state: dict) -> None:
    path = os.path.join(work_dir, STATE_FILE)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S")


def retrain(
    config: config_lib.PipelineConfig,
    work_dir: str,
    emit: Callable[[str], None] = print,
) -> Optional[local_runner.RunSummary]:
    """Runs the pipeline unless nothing it depends on changed (module docstring).

    Args:
      config: The pipeline settings (warm start, window, analyzer cache).
      work_dir: The work directory (local: metadata, lock and state live there).
      emit: Where progress lines go.

    Returns:
      The run's summary, or None when the retrain was skipped.

    Raises:
      WorkDirBusyError: If another retrain or run holds the work directory.
    """
    with WorkDirLock(work_dir):
        version = newest_input(config.example_gen)
        current = RetrainInputs(
            version.span,
            version.fingerprint,
            settings_fingerprint(config),
            code_version.code_fingerprint(),
        )
        decision = decide(_read_state(work_dir), current)
        if not decision.run:
            emit(decision.reason)
            return None
        emit(
            f"Retraining on span {current.span} (window of {config.example_gen.window_spans} span(s)): "
            f"{decision.reason}."
        )
        state = {**dataclasses.asdict(current), "started": _now(), "finished": None}
        _write_state(work_dir, state)
        summary = local_runner.run(
            config,
            local_runner.metadata_path(work_dir),
            os.path.join(work_dir, "last_run.log"),
            emit,
        )
        _write_state(
            work_dir,
            {
                **state,
                "finished": _now(),
                "pushed_model": summary.pushed_model,
                "blessed": bool(summary.evaluation and summary.evaluation["blessing"]["blessed"]),
            },
        )
        return summary
