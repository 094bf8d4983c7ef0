"""Runs the pipeline with TFX's LocalDagRunner and reports what happened.

A run holds its work directory's lock (``work_dir_lock``) from start to end,
so ``run`` and ``retrain`` never write to one work directory at once, and
before the pipeline starts it removes what a killed run left behind
(``remove_leftovers``).

TFX's cache does not see code, so a run also compares the code's fingerprint
(``code_version``) with the one recorded in the work directory by its last
successful run: when they differ, it runs with the cache off and says so.
With none recorded (a fresh work directory, or one from before the record
existed) the cache is as configured.
"""

import dataclasses
import json
import os
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from tfx.dsl.compiler import compiler_utils
from tfx.dsl.components.base import base_node
from tfx.dsl.compiler import constants as compiler_constants
from tfx.dsl.io import fileio
from tfx.orchestration import metadata
from tfx.orchestration import pipeline as tfx_pipeline
from tfx.orchestration.local.local_dag_runner import LocalDagRunner
from tfx.orchestration.portable.mlmd import execution_lib

from components import code_version
from components.retrieval_evaluator.report import load_metrics
from components.versioned_pusher import latest_pushed_model, remove_staging_folders
from components.retrain_gate import RUN_PROPERTY, RetrainGate
from components.retrain_gate import component as retrain_gate_component
from components.retrain_gate import state as retrain_state
from pipeline import config as config_lib
from pipeline.local import work_dir_lock
from pipeline.pipeline import create_pipeline
from pipeline.local.progress import ComponentProgress

METADATA_FILE = "metadata.sqlite"
# The code fingerprint of the work directory's last successful run.
CODE_FINGERPRINT_FILE = "code_fingerprint"
CODE_CHANGED = (
    "The code changed since the last run in this work dir: every component re-executes "
    "(TFX's cache does not see code)."
)
# TFX's layout of a node's folder (tfx/orchestration/portable/outputs_utils.py):
# <pipeline_root>/<node id>/<output key>/<execution id> holds an output, and
# .system/ the executions' scratch folders, removed when an execution ends.
_SYSTEM = ".system"
_EXECUTOR_EXECUTION = "executor_execution"
_EXECUTION_TEMP = ".temp"
_STATEFUL_WORKING_DIR = "stateful_working_dir"


@dataclasses.dataclass
class RunSummary:
    """What a local run did.

    Attributes:
      seconds: Wall time per component, in run order.
      cached: Components whose cached results were reused.
      total_seconds: Wall time of the whole run.
      evaluation: The evaluator's ``metrics.json`` of this run, if any.
      pushed_model: The newest pushed model directory, if any.
      gate_decision: With ``skip_unchanged``, the ``RetrainGate``'s decision
        (when it said no, nothing after it ran and ``evaluation`` is None).
      gate_inputs: With ``skip_unchanged``, what the gate compared (span,
        fingerprint, settings, code).
      started: ``time.perf_counter()`` at each component's start, in run
        order (with ``seconds``, when each one ran).
    """

    seconds: Dict[str, float]
    cached: List[str]
    total_seconds: float
    evaluation: Optional[Dict[str, Any]]
    pushed_model: Optional[str]
    gate_decision: Optional[retrain_state.Decision] = None
    gate_inputs: Optional[Dict[str, Any]] = None
    started: Dict[str, float] = dataclasses.field(default_factory=dict)


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

    The work directory is the metadata file's folder (as ``run`` and
    ``retrain`` lay it out). Its lock is held for the whole run, the
    leftovers of a killed run are removed first, the cache is off when the
    code changed since the last successful run (module docstring), and a
    successful run records the code's fingerprint.

    Args:
      config: The pipeline settings.
      metadata_file: MLMD SQLite path (the cache and run history).
      log_file: Where TFX's full log goes.
      emit: Where progress lines go.

    Returns:
      The run's summary.

    Raises:
      WorkDirBusyError: If another process runs in the work directory.
    """
    connection = metadata.sqlite_metadata_connection_config(metadata_file)
    work_dir = os.path.dirname(os.path.abspath(metadata_file))
    with work_dir_lock.WorkDirLock(work_dir):
        code = code_version.code_fingerprint()
        config = _cache_for_code(config, _recorded_code_fingerprint(work_dir), code, emit)
        pipeline = create_pipeline(config, connection)
        removed = remove_leftovers(pipeline, connection, config.push_destination)
        if removed:
            emit(f"Removed leftovers of interrupted runs: {', '.join(removed)}")
        started = time.perf_counter()
        with ComponentProgress(len(pipeline.components), log_file, emit) as progress:
            LocalDagRunner().run(pipeline)
        _record_code_fingerprint(work_dir, code)
        decision, inputs = _gate_decision(connection, pipeline.pipeline_info.pipeline_context_name) if config.skip_unchanged else (None, None)
        skipped = decision is not None and not decision.run
        return RunSummary(
            seconds=progress.seconds,
            cached=progress.cached,
            total_seconds=time.perf_counter() - started,
            evaluation=None if skipped else _latest_evaluation(connection),
            pushed_model=latest_pushed_model(config.push_destination),
            gate_decision=decision,
            gate_inputs=inputs,
            started=progress.started,
        )


def _cache_for_code(
    config: config_lib.PipelineConfig,
    recorded: Optional[str],
    code: str,
    emit: Callable[[str], None],
) -> config_lib.PipelineConfig:
    """Turns the cache off when the code changed since the last run.

    Args:
      config: The pipeline settings.
      recorded: The code fingerprint of the work directory's last successful
        run (None: none recorded).
      code: The code fingerprint now.
      emit: Where the line saying the cache is off goes.

    Returns:
      ``config`` with the cache off if it was on and ``recorded`` is neither
      None nor ``code``; else ``config`` itself.
    """
    if not config.enable_cache or recorded in (None, code):
        return config
    emit(CODE_CHANGED)
    return dataclasses.replace(config, enable_cache=False)


def _recorded_code_fingerprint(work_dir: str) -> Optional[str]:
    """The code fingerprint recorded by a work directory's last successful run.

    Args:
      work_dir: The work directory.

    Returns:
      The fingerprint, or None when none was recorded.
    """
    path = os.path.join(work_dir, CODE_FINGERPRINT_FILE)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def _record_code_fingerprint(work_dir: str, code: str) -> None:
    """Records a successful run's code fingerprint (atomically: written, then renamed)."""
    path = os.path.join(work_dir, CODE_FINGERPRINT_FILE)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        handle.write(code + "\n")
    os.replace(path + ".tmp", path)


def remove_leftovers(
    pipeline: tfx_pipeline.Pipeline,
    connection: metadata.ConnectionConfigType,
    push_destination: str,
) -> List[str]:
    """Removes what runs killed midway left in the pipeline root and push destination.

    A component execution that fails removes its own partial outputs, but one
    whose process is killed leaves them, stays RUNNING in MLMD and is never
    resumed (the next run registers a new execution). Removed:

    * ``<pipeline_root>/<node>/<output>/<execution id>`` of an execution of
      that node that MLMD does not record as successful (COMPLETE or
      CACHED), unless an artifact in MLMD has that URI or one inside it;
    * the ``.temp`` scratch folder of such an execution, and every
      ``stateful_working_dir`` entry (TFX removes them when an execution
      ends; LocalDagRunner never reuses one);
    * the push destination's staging folders (``remove_staging_folders``).

    The output of a successful execution, and any folder MLMD does not name,
    is never touched. Call this only while holding the work directory's lock,
    with the pipeline root and push destination used by that work directory
    alone: a running execution's folders look the same as a killed one's.

    Args:
      pipeline: The pipeline about to run.
      connection: Its MLMD connection.
      push_destination: Its pusher's base directory.

    Returns:
      The paths removed.
    """
    with metadata.Metadata(connection) as store:
        partial = _not_recorded(store, [
            folder
            for node in pipeline.components
            for folder in _unfinished_execution_folders(store, pipeline, node)
        ])
    scratch = [
        folder for node in pipeline.components for folder in _stateful_working_dirs(pipeline, node)
    ]
    for folder in partial + scratch:
        fileio.rmtree(folder)
    return partial + scratch + remove_staging_folders(push_destination)


def _node_dir(pipeline: tfx_pipeline.Pipeline, node: base_node.BaseNode) -> str:
    return os.path.join(pipeline.pipeline_info.pipeline_root, node.id)


def _unfinished_execution_folders(
    store: metadata.Metadata, pipeline: tfx_pipeline.Pipeline, node: base_node.BaseNode
) -> List[str]:
    """Existing output and scratch folders of a node's unsuccessful executions."""
    context = store.store.get_context_by_type_and_name(
        compiler_constants.NODE_CONTEXT_TYPE_NAME,
        compiler_utils.node_context_name(pipeline.pipeline_info.pipeline_context_name, node.id),
    )
    if context is None:
        return []
    node_dir = _node_dir(pipeline, node)
    folders = []
    for execution in store.store.get_executions_by_context(context.id):
        if execution_lib.is_execution_successful(execution):
            continue
        folders += [os.path.join(node_dir, key, str(execution.id)) for key in node.outputs]
        folders.append(
            os.path.join(node_dir, _SYSTEM, _EXECUTOR_EXECUTION, str(execution.id), _EXECUTION_TEMP)
        )
    return [folder for folder in folders if fileio.exists(folder)]


def _not_recorded(store: metadata.Metadata, folders: List[str]) -> List[str]:
    """The folders that hold no artifact MLMD knows of."""
    if not folders:
        return []
    uris = [artifact.uri for artifact in store.store.get_artifacts()]
    return [
        folder
        for folder in folders
        if not any(uri == folder or uri.startswith(folder + "/") for uri in uris)
    ]


def _stateful_working_dirs(pipeline: tfx_pipeline.Pipeline, node: base_node.BaseNode) -> List[str]:
    """A node's stateful working folders (all are leftovers between runs)."""
    parent = os.path.join(_node_dir(pipeline, node), _SYSTEM, _STATEFUL_WORKING_DIR)
    if not fileio.isdir(parent):
        return []
    return [os.path.join(parent, name.rstrip("/")) for name in fileio.listdir(parent)]


def _gate_decision(connection, pipeline_name: str) -> Tuple[retrain_state.Decision, Dict[str, Any]]:
    """The newest RetrainGate decision in the store, and the inputs it compared."""
    with metadata.Metadata(connection) as store:
        context = store.store.get_context_by_type_and_name(
            compiler_constants.NODE_CONTEXT_TYPE_NAME,
            compiler_utils.node_context_name(pipeline_name, RetrainGate.__name__),
        )
        decisions = store.store.get_artifacts_by_context(context.id)
    newest = max(decisions, key=lambda artifact: artifact.id).custom_properties
    decision = retrain_state.Decision(
        run=newest[RUN_PROPERTY].int_value == 1,
        reason=newest[retrain_gate_component.REASON_PROPERTY].string_value,
    )
    return decision, json.loads(newest[retrain_gate_component.INPUTS_PROPERTY].string_value)


def _latest_evaluation(connection) -> Optional[Dict[str, Any]]:
    with metadata.Metadata(connection) as store:
        evaluations = store.store.get_artifacts_by_type("ModelEvaluation")
    if not evaluations:
        return None
    newest = max(evaluations, key=lambda artifact: artifact.id)
    return load_metrics(newest.uri)
