"""Runs the pipeline with TFX's LocalDagRunner and reports what happened."""

import dataclasses
import os
import time
from typing import Any, Callable, Dict, List, Optional

from tfx.orchestration import metadata
from tfx.orchestration.local.local_dag_runner import LocalDagRunner

from components.retrieval_evaluator.report import load_metrics
from components.versioned_pusher.publish import latest_pushed_model
from pipeline import config as config_lib
from pipeline.pipeline import create_pipeline
from pipeline.progress import ComponentProgress

METADATA_FILE = "metadata.sqlite"


@dataclasses.dataclass
class RunSummary:
    """What a local run did.

    Attributes:
      seconds: Wall time per component, in run order.
      cached: Components whose cached results were reused.
      total_seconds: Wall time of the whole run.
      evaluation: The evaluator's ``metrics.json`` of this run, if any.
      pushed_model: The newest pushed model directory, if any.
    """

    seconds: Dict[str, float]
    cached: List[str]
    total_seconds: float
    evaluation: Optional[Dict[str, Any]]
    pushed_model: Optional[str]


def metadata_path(work_dir: str) -> str:
    """The MLMD SQLite file of a work directory."""
    return os.path.join(work_dir, METADATA_FILE)


def run(
    config: config_lib.PipelineConfig,
    metadata_file: str,
    log_file: str,
    emit: Callable[[str], None] = print,
) -> RunSummary:
    """Runs the pipeline locally, printing progress per component.

    Args:
      config: The pipeline settings.
      metadata_file: MLMD SQLite path (the cache and run history).
      log_file: Where TFX's full log goes.
      emit: Where progress lines go.

    Returns:
      The run's summary.
    """
    connection = metadata.sqlite_metadata_connection_config(metadata_file)
    pipeline = create_pipeline(config, connection)
    started = time.perf_counter()
    with ComponentProgress(len(pipeline.components), log_file, emit) as progress:
        LocalDagRunner().run(pipeline)
    return RunSummary(
        seconds=progress.seconds,
        cached=progress.cached,
        total_seconds=time.perf_counter() - started,
        evaluation=_latest_evaluation(connection),
        pushed_model=latest_pushed_model(config.push_destination),
    )


def _latest_evaluation(connection) -> Optional[Dict[str, Any]]:
    with metadata.Metadata(connection) as store:
        evaluations = store.store.get_artifacts_by_type("ModelEvaluation")
    if not evaluations:
        return None
    newest = max(evaluations, key=lambda artifact: artifact.id)
    return load_metrics(newest.uri)
