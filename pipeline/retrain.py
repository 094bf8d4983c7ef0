"""Scheduled retraining: safe to fire from cron or a Kubeflow recurring run.

* Only one retrain per work directory runs at a time (an ``flock`` on
  ``retrain.lock``); a second one refuses at once, naming the holder.
* When the newest span and its fingerprint equal those of the last successful
  retrain, nothing runs.
* A retrain killed midway left no success record, so the next one runs again,
  and TFX's cache resumes it from the components that had finished.
"""

import dataclasses
import fcntl
import json
import os
import time
from typing import Callable, Optional

from components.movielens_example_gen import spans
from pipeline import config as config_lib
from pipeline import local_runner
from pipeline.pipeline import example_gen_settings

LOCK_FILE = "retrain.lock"
STATE_FILE = "retrain_state.json"


class RetrainRunningError(RuntimeError):
    """Another retrain holds the work directory's lock."""


@dataclasses.dataclass(frozen=True)
class InputVersion:
    """The data a retrain would read.

    Attributes:
      span: The newest span.
      fingerprint: What that span's data hashes to.
    """

    span: int
    fingerprint: str


def newest_input(gen: config_lib.ExampleGenConfig) -> InputVersion:
    """Resolves the span a run would read and fingerprints it.

    Args:
      gen: The ExampleGen settings.

    Returns:
      The span and its fingerprint (the ExampleGen driver's own logic).
    """
    settings = example_gen_settings(gen)
    resolved = spans.resolve(settings)
    return InputVersion(resolved.span, spans.fingerprint(settings, resolved))


class WorkDirLock:
    """An exclusive, non-blocking lock on a work directory."""

    def __init__(self, work_dir: str):
        self._path = os.path.join(work_dir, LOCK_FILE)
        self._handle = None

    def __enter__(self) -> "WorkDirLock":
        os.makedirs(os.path.dirname(self._path), exist_ok=True)
        handle = open(self._path, "a+", encoding="utf-8")  # pylint: disable=consider-using-with
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            handle.close()
            raise RetrainRunningError(
                f"another retrain is running in {os.path.dirname(self._path)} ({holder}); "
                "not starting a second one"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        handle.flush()
        self._handle = handle
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self._handle, fcntl.LOCK_UN)
        self._handle.close()


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


def retrain(
    config: config_lib.PipelineConfig,
    work_dir: str,
    emit: Callable[[str], None] = print,
) -> Optional[local_runner.RunSummary]:
    """Runs the pipeline if a new span arrived since the last successful run.

    Args:
      config: The pipeline settings (warm start, window, analyzer cache).
      work_dir: The work directory (metadata, lock and state live there).
      emit: Where progress lines go.

    Returns:
      The run's summary, or None when there was no new span.

    Raises:
      RetrainRunningError: If another retrain holds the lock.
    """
    with WorkDirLock(work_dir):
        version = newest_input(config.example_gen)
        state = _read_state(work_dir)
        if state and state["span"] == version.span and state["fingerprint"] == version.fingerprint:
            emit(
                f"No new span since the last successful retrain (span {version.span}, "
                f"finished {state['finished']}); nothing to do."
            )
            return None
        emit(f"Retraining on span {version.span} (window of {config.window_spans} span(s)).")
        summary = local_runner.run(
            config,
            local_runner.metadata_path(work_dir),
            os.path.join(work_dir, "last_run.log"),
            emit,
        )
        _write_state(
            work_dir,
            {
                "span": version.span,
                "fingerprint": version.fingerprint,
                "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
                "pushed_model": summary.pushed_model,
                "blessed": bool(summary.evaluation and summary.evaluation["blessing"]["blessed"]),
            },
        )
        return summary
