"""The artifacts of a work directory's latest pipeline run, found in ML Metadata.

LocalDagRunner records each run as a ``pipeline_run`` context holding every
execution of that run, a cached one too (it points at the artifacts it
reused). So the newest such context names exactly what this run used and
made, whichever run first wrote it.
"""

import dataclasses
from typing import Any, Dict, List, Optional

from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata

# MLMD's names (tfx.dsl.compiler.constants, tfx.types.standard_artifacts):
# written out, as importing them loads every TFX component.
_PIPELINE_RUN_CONTEXT = "pipeline_run"
_INPUT_EVENTS = (metadata_store_pb2.Event.INPUT, metadata_store_pb2.Event.DECLARED_INPUT)
_OUTPUT_EVENTS = (metadata_store_pb2.Event.OUTPUT, metadata_store_pb2.Event.DECLARED_OUTPUT)
STATISTICS = "ExampleStatistics"
ANOMALIES = "ExampleAnomalies"
EVALUATION = "ModelEvaluation"
MODEL = "Model"
MODEL_RUN = "ModelRun"
PUSHED_MODEL = "PushedModel"
EXAMPLES = "Examples"
# Output channel keys (standard_component_specs) of each type the report reads.
_KEYS = {
    STATISTICS: "statistics",
    ANOMALIES: "anomalies",
    EVALUATION: "evaluation",
    MODEL: "model",
    MODEL_RUN: "model_run",
    PUSHED_MODEL: "pushed_model",
    EXAMPLES: "examples",
}


@dataclasses.dataclass(frozen=True)
class Found:
    """One artifact.

    Attributes:
      type_name: Its MLMD type (``Examples``, ``Model``, ...).
      uri: Where it is.
      properties: Its properties and custom properties, as Python values.
    """

    type_name: str
    uri: str
    properties: Dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Execution:
    """One component execution of the run.

    Attributes:
      cached: Whether it reused a former execution's outputs.
      inputs: Channel key -> the artifacts it read.
      outputs: Channel key -> the artifacts it wrote (or reused).
    """

    cached: bool
    inputs: Dict[str, List[Found]]
    outputs: Dict[str, List[Found]]


@dataclasses.dataclass(frozen=True)
class RunArtifacts:
    """What the report reads of one pipeline run (None: not in that run).

    Attributes:
      statistics: StatisticsGen's statistics.
      anomalies: ExampleValidator's anomalies.
      evaluation: RetrievalEvaluator's evaluation (``metrics.json``).
      model: The Trainer's model.
      model_run: The Trainer's run folder (TensorBoard logs, its report).
      pushed_model: The pusher's output (``pushed`` 1: the model was pushed,
        to ``pushed_destination``).
      pushed_now: Whether this run pushed a model (a cached pusher did not).
      examples: The ExampleGen's rating examples.
      train_examples: The Examples whose train splits the Trainer read.
      eval_examples: The Examples whose eval splits the Evaluator read.
    """

    statistics: Optional[Found]
    anomalies: Optional[Found]
    evaluation: Optional[Found]
    model: Optional[Found]
    model_run: Optional[Found]
    pushed_model: Optional[Found]
    pushed_now: bool
    examples: Optional[Found]
    train_examples: List[Found]
    eval_examples: List[Found]


def _value(value: metadata_store_pb2.Value) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind in ("int_value", "double_value", "string_value") else None


def _found(artifact: metadata_store_pb2.Artifact, type_name: str) -> Found:
    properties = {name: _value(value) for name, value in artifact.properties.items()}
    properties.update({name: _value(value) for name, value in artifact.custom_properties.items()})
    return Found(type_name=type_name, uri=artifact.uri, properties=properties)


def _key(event: metadata_store_pb2.Event) -> str:
    return next(step.key for step in event.path.steps if step.HasField("key"))


def run_executions(metadata_file: str) -> List[Execution]:
    """The executions of the newest pipeline run in an MLMD store.

    Args:
      metadata_file: The MLMD SQLite file.

    Returns:
      Its executions with their inputs and outputs (empty: no run recorded).
    """
    connection = metadata.sqlite_metadata_connection_config(metadata_file)
    with metadata.Metadata(connection) as store:
        runs = store.store.get_contexts_by_type(_PIPELINE_RUN_CONTEXT)
        if not runs:
            return []
        newest = max(runs, key=lambda context: context.id)
        executions = store.store.get_executions_by_context(newest.id)
        events = store.store.get_events_by_execution_ids([execution.id for execution in executions])
        artifacts = store.store.get_artifacts_by_id(list({event.artifact_id for event in events}))
        types = {kind.id: kind.name for kind in store.store.get_artifact_types()}
    by_id = {artifact.id: artifact for artifact in artifacts}
    found = []
    for execution in executions:
        inputs: Dict[str, List[Found]] = {}
        outputs: Dict[str, List[Found]] = {}
        for event in events:
            if event.execution_id != execution.id:
                continue
            artifact = by_id[event.artifact_id]
            side = inputs if event.type in _INPUT_EVENTS else outputs if event.type in _OUTPUT_EVENTS else None
            if side is not None:
                side.setdefault(_key(event), []).append(_found(artifact, types[artifact.type_id]))
        cached = execution.last_known_state == metadata_store_pb2.Execution.CACHED
        found.append(Execution(cached=cached, inputs=inputs, outputs=outputs))
    return found


def _making(executions: List[Execution], type_name: str) -> Optional[Execution]:
    """The execution that wrote the run's artifact of a type (under its usual key)."""
    key = _KEYS[type_name]
    return next(
        (
            execution
            for execution in executions
            if any(found.type_name == type_name for found in execution.outputs.get(key, []))
        ),
        None,
    )


def _output(executions: List[Execution], type_name: str) -> Optional[Found]:
    execution = _making(executions, type_name)
    return execution.outputs[_KEYS[type_name]][0] if execution else None


def _input_examples(executions: List[Execution], output_type: str) -> List[Found]:
    execution = _making(executions, output_type)
    return execution.inputs.get(_KEYS[EXAMPLES], []) if execution else []


def latest_run(metadata_file: str) -> RunArtifacts:
    """What the report reads of the newest pipeline run in a work directory.

    Args:
      metadata_file: The work directory's MLMD SQLite file.

    Returns:
      The run's artifacts.
    """
    executions = run_executions(metadata_file)
    pusher = _making(executions, PUSHED_MODEL)
    pushed_model = _output(executions, PUSHED_MODEL)
    return RunArtifacts(
        statistics=_output(executions, STATISTICS),
        anomalies=_output(executions, ANOMALIES),
        evaluation=_output(executions, EVALUATION),
        model=_output(executions, MODEL),
        model_run=_output(executions, MODEL_RUN),
        pushed_model=pushed_model,
        pushed_now=bool(pusher and not pusher.cached and pushed_model.properties.get("pushed")),
        examples=_output(executions, EXAMPLES),
        train_examples=_input_examples(executions, MODEL),
        eval_examples=_input_examples(executions, EVALUATION),
    )
