"""RetrainGate (first) and RetrainRecord (last): the components of a skip-aware run."""

import dataclasses
import hashlib
import json
from typing import Any, Dict, List, Mapping, Optional

import tensorflow as tf
from tfx import types
from tfx.dsl.component.experimental.annotations import InputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.dsl.components.base import base_component, base_executor, executor_spec
from tfx.dsl.components.base import base_driver as dsl_base_driver
from tfx.orchestration import data_types, data_types_utils, metadata
from tfx.orchestration.portable import base_driver
from tfx.orchestration.portable import data_types as portable_data_types
from tfx.proto.orchestration import driver_output_pb2
from tfx.types import artifact_utils, standard_artifacts
from tfx.types.experimental import simple_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components import code_version, movielens_example_gen
from components.movielens_example_gen import spans
from components.movielens_example_gen.component import RUNTIME_SETTINGS
from components.progress_log import log_progress
from components.retrain_gate import state

DECISION_KEY = "decision"
EXAMPLE_GEN_KEY = "example_gen"
SETTINGS_FINGERPRINT_KEY = "settings_fingerprint"
STATE_URI_KEY = "state_uri"
# Set by the driver: what the decision depends on, so TFX's cache never
# reuses a decision taken on another record or other data.
GATE_INPUTS_KEY = "gate_inputs"

RUN_PROPERTY = "run"
REASON_PROPERTY = "reason"
INPUTS_PROPERTY = "inputs"
# What TFX's Evaluator and Pusher (and ours, which follow them) record.
BLESSED_PROPERTY = "blessed"
PUSHED_PROPERTY = "pushed"
PUSHED_DESTINATION_PROPERTY = "pushed_destination"


# The gate's output: a File artifact (a KFP-native type, so no import path
# has to fit KFP's type-name rule) holding ``decision.json``, with custom
# properties ``run`` (0/1, what the condition reads), ``reason`` and
# ``inputs`` (JSON: what the run is made of).
RetrainDecision = simple_artifacts.File
DECISION_FILE = "decision.json"


def current_inputs(exec_properties: Dict[str, Any]) -> state.RetrainInputs:
    """What a run with these gate properties would be made of.

    Args:
      exec_properties: The gate's execution properties (the ExampleGen's
        settings, and any of them set per run).

    Returns:
      The newest span and its window's fingerprint (as the ExampleGen would
      resolve them), the settings' fingerprint and the installed code's.
    """
    overrides = {
        key: exec_properties[key]
        for key in RUNTIME_SETTINGS
        if exec_properties.get(key) is not None
    }
    settings = movielens_example_gen.Settings.from_exec_properties(
        {**json.loads(exec_properties[EXAMPLE_GEN_KEY]), **overrides}
    )
    window = spans.resolve_window(settings)
    return state.RetrainInputs(
        span=window[-1].span,
        fingerprint=spans.window_fingerprint(settings, window),
        settings=exec_properties[SETTINGS_FINGERPRINT_KEY],
        code=code_version.code_fingerprint(),
    )


class Driver(dsl_base_driver.BaseDriver, base_driver.BaseDriver):
    """Puts the record and the current inputs into the gate's cache key (LocalDagRunner).

    TFX checks a component's driver against its older driver class too, so
    this is both (as TFX's own ExampleGen driver is); only ``run``, the IR
    orchestrators' entry, is used.
    """

    def __init__(self, metadata_handle: metadata.Metadata):
        """Builds the driver.

        Args:
          metadata_handle: The MLMD connection.
        """
        dsl_base_driver.BaseDriver.__init__(self, metadata_handle)
        base_driver.BaseDriver.__init__(self, metadata_handle)

    def run(
        self, execution_info: portable_data_types.ExecutionInfo
    ) -> driver_output_pb2.DriverOutput:
        """Adds ``gate_inputs``, a hash of the record and the current inputs.

        Args:
          execution_info: The execution about to run.

        Returns:
          The added execution property.
        """
        properties = execution_info.exec_properties
        key = json.dumps(
            [
                dataclasses.asdict(current_inputs(properties)),
                state.read_state(properties[STATE_URI_KEY]),
            ],
            sort_keys=True,
        )
        result = driver_output_pb2.DriverOutput()
        data_types_utils.set_metadata_value(
            result.exec_properties[GATE_INPUTS_KEY], hashlib.sha256(key.encode()).hexdigest()
        )
        return result


class Executor(base_executor.BaseExecutor):
    """Decides whether the run goes on (``state.decide``)."""

    def Do(
        self,
        input_dict: Dict[str, List[types.Artifact]],
        output_dict: Dict[str, List[types.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        """Records the decision on the ``decision`` artifact.

        Args:
          input_dict: Unused (no inputs).
          output_dict: ``decision``.
          exec_properties: See ``RetrainGateSpec``.
        """
        del input_dict
        current = current_inputs(exec_properties)
        decision = state.decide(state.read_state(exec_properties[STATE_URI_KEY]), current)
        artifact = artifact_utils.get_single_instance(output_dict[DECISION_KEY])
        artifact.set_int_custom_property(RUN_PROPERTY, int(decision.run))
        artifact.set_string_custom_property(REASON_PROPERTY, decision.reason)
        artifact.set_string_custom_property(
            INPUTS_PROPERTY, json.dumps(dataclasses.asdict(current), sort_keys=True)
        )
        tf.io.gfile.makedirs(artifact.uri)
        with tf.io.gfile.GFile(f"{artifact.uri}/{DECISION_FILE}", "w") as handle:
            json.dump({**dataclasses.asdict(decision), "inputs": dataclasses.asdict(current)}, handle)
        log_progress(
            "%s span %d: %s", "running on" if decision.run else "skipping", current.span,
            decision.reason,
        )


class RetrainGateSpec(types.ComponentSpec):
    """Parameters and output of RetrainGate."""

    PARAMETERS = {
        EXAMPLE_GEN_KEY: ExecutionParameter(type=str),
        SETTINGS_FINGERPRINT_KEY: ExecutionParameter(type=str),
        STATE_URI_KEY: ExecutionParameter(type=str),
        # The ExampleGen's settings set per run, when they are (see RetrainGate).
        "span": ExecutionParameter(type=int, optional=True),
        "input_path": ExecutionParameter(type=str, optional=True),
    }
    INPUTS = {}
    OUTPUTS = {DECISION_KEY: ChannelParameter(type=RetrainDecision)}


class RetrainGate(base_component.BaseComponent):
    """Decides whether a run goes on: ``decision.custom_property('run') == 1``."""

    SPEC_CLASS = RetrainGateSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(Executor)
    DRIVER_CLASS = Driver

    def __init__(
        self,
        example_gen: movielens_example_gen.Settings,
        settings_fingerprint: str,
        state_uri: str,
        runtime_parameters: Optional[Mapping[str, data_types.RuntimeParameter]] = None,
    ):
        """Builds the gate.

        Args:
          example_gen: The ExampleGen's settings (the gate resolves the same
            window of spans).
          settings_fingerprint: A fingerprint of every setting that changes
            what a run makes.
          state_uri: The record of the last completed run.
          runtime_parameters: The ExampleGen's runtime parameters (the same
            objects), so the gate sees the span and path the run reads.
        """
        super().__init__(
            spec=RetrainGateSpec(
                **(runtime_parameters or {}),
                **{
                    EXAMPLE_GEN_KEY: json.dumps(example_gen.to_exec_properties(), sort_keys=True),
                    SETTINGS_FINGERPRINT_KEY: settings_fingerprint,
                    STATE_URI_KEY: state_uri,
                    DECISION_KEY: types.Channel(type=RetrainDecision),
                }
            )
        )


@component
def RetrainRecord(  # pylint: disable=invalid-name
    decision: InputArtifact[RetrainDecision],
    blessing: InputArtifact[standard_artifacts.ModelBlessing],
    pushed_model: InputArtifact[standard_artifacts.PushedModel],
    state_uri: Parameter[str],
) -> None:
    """Records a completed run, so that the next gate can compare with it.

    Args:
      decision: The gate's decision (its ``inputs``: what the run was made of).
      blessing: The Evaluator's blessing.
      pushed_model: The Pusher's output (``pushed``, ``pushed_destination``).
      state_uri: Where the record goes.
    """
    pushed = pushed_model.get_int_custom_property(PUSHED_PROPERTY) == 1
    written = state.write_state(
        state_uri,
        state.RetrainInputs(**json.loads(decision.get_string_custom_property(INPUTS_PROPERTY))),
        blessed=blessing.get_int_custom_property(BLESSED_PROPERTY) == 1,
        pushed_model=(
            pushed_model.get_string_custom_property(PUSHED_DESTINATION_PROPERTY) if pushed else None
        ),
    )
    log_progress("recorded span %d (blessed: %s) in %s", written["span"], written["blessed"], state_uri)
