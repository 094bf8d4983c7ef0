"""Driver of MovieLensExampleGen: pins the span and fingerprints the input.

It runs before TFX's cache check, so the resolved span and the fingerprint of
the data become part of the cache key: a new span or changed files make a new
execution, unchanged data reuses the cached one.
"""

import copy
from typing import Any, Dict

from tfx.components.example_gen import driver as example_gen_driver
from tfx.orchestration import data_types, data_types_utils
from tfx.orchestration.portable import data_types as portable_data_types
from tfx.proto.orchestration import driver_output_pb2

from components.movielens_example_gen import spans, spec
from components.movielens_example_gen.settings import Settings


class Driver(example_gen_driver.Driver):
    """Resolves ``span`` and adds ``input_fingerprint`` to the exec properties."""

    def resolve_exec_properties(
        self,
        exec_properties: Dict[str, Any],
        pipeline_info: data_types.PipelineInfo,
        component_info: data_types.ComponentInfo,
    ) -> Dict[str, Any]:
        """Pins the span and fingerprints what the run will read.

        Args:
          exec_properties: The component's execution properties.
          pipeline_info: Unused.
          component_info: Unused.

        Returns:
          The properties with ``span`` resolved (the window's newest) and
          ``input_fingerprint`` set (of the whole window).
        """
        del pipeline_info, component_info
        settings = Settings.from_exec_properties(exec_properties)
        window = spans.resolve_window(settings)
        resolved_properties = dict(exec_properties)
        resolved_properties[spec.SPAN_KEY] = window[-1].span
        resolved_properties[spec.FINGERPRINT_KEY] = spans.window_fingerprint(settings, window)
        return resolved_properties

    def run(
        self, execution_info: portable_data_types.ExecutionInfo
    ) -> driver_output_pb2.DriverOutput:
        """Runs the driver for TFX's IR-based orchestrators (LocalDagRunner).

        Args:
          execution_info: The execution about to run.

        Returns:
          The resolved execution properties and the span-stamped outputs.
        """
        result = driver_output_pb2.DriverOutput()
        properties = self.resolve_exec_properties(
            execution_info.exec_properties, None, None
        )
        for key, value in properties.items():
            if value is not None:
                data_types_utils.set_metadata_value(result.exec_properties[key], value)
        for key in (spec.EXAMPLES_KEY, spec.CANDIDATES_KEY):
            artifact = copy.deepcopy(execution_info.output_dict[key][0].mlmd_artifact)
            artifact.properties[spec.SPAN_KEY].int_value = properties[spec.SPAN_KEY]
            artifact.custom_properties[spec.SPAN_KEY].int_value = properties[spec.SPAN_KEY]
            artifact.custom_properties[spec.FINGERPRINT_KEY].string_value = properties[
                spec.FINGERPRINT_KEY
            ]
            result.output_artifacts[key].artifacts.append(artifact)
        return result
