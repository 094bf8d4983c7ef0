"""Scheduled retraining: safe to fire from cron, as a Kubeflow recurring run is.

A retrain is a local run of the pipeline built with ``skip_unchanged``: its
first component, ``RetrainGate`` (``components/retrain_gate``), compares the
newest span, its window's data fingerprint, the settings' fingerprint and the
code's with the record of the last completed run under the pipeline root,
and every other component runs only when one of them changed. The last
component, ``RetrainRecord``, writes that record. A scheduled Kubeflow run
compiles the same pipeline (``compile --skip-unchanged``), so both decide
alike, by the same rule (``retrain_gate.state.decide``):

* a run that crashed or failed wrote no record, so the next one runs again
  (locally, TFX's cache resumes it from the components that had finished);
* a completed run whose model was not blessed is not retried on the same
  data, settings and code: it would reproduce the same verdict;
* the code counts (``components.code_version``): TFX's cache does not see
  code, so the run after a change re-executes every component
  (``local_runner`` turns the cache off for it, as for any run).

One writer per work directory: the run holds the work directory's lock
(``work_dir_lock``); a second ``retrain`` or ``run`` refuses at once.
"""

import dataclasses
import os
from typing import Callable, Optional

from pipeline import config as config_lib
from pipeline.local import runner as local_runner


def retrain(
    config: config_lib.PipelineConfig,
    work_dir: str,
    emit: Callable[[str], None] = print,
) -> Optional[local_runner.RunSummary]:
    """Runs the pipeline unless nothing it depends on changed (module docstring).

    Args:
      config: The pipeline settings (warm start, window).
      work_dir: The work directory (metadata, lock and log live there).
      emit: Where progress lines go.

    Returns:
      The run's summary, or None when the gate found nothing new.

    Raises:
      WorkDirBusyError: If another retrain or run holds the work directory.
    """
    summary = local_runner.run(
        dataclasses.replace(config, skip_unchanged=True),
        local_runner.metadata_path(work_dir),
        os.path.join(work_dir, "last_run.log"),
        emit,
    )
    decision = summary.gate_decision
    if not decision.run:
        emit(decision.reason)
        return None
    emit(
        f"Retrained on span {summary.gate_inputs['span']} (window of "
        f"{config.example_gen.window_spans} span(s)): {decision.reason}."
    )
    return summary
