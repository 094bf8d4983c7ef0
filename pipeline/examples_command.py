"""The ``examples`` command: only the ExampleGen, into a plain output folder.

Useful to inspect what a source produces without running the pipeline; the
component's own driver and executor run, so the outputs are exactly what the
pipeline's ExampleGen writes.
"""

import os
from typing import List, Tuple

from tfx.dsl.components.base import base_beam_executor
from tfx.types import standard_artifacts

from components.movielens_example_gen import driver, executor, spec
from pipeline import config as config_lib
from pipeline.pipeline import build_example_gen


def generate_examples(
    gen: config_lib.ExampleGenConfig, output_dir: str, beam_pipeline_args: List[str]
) -> Tuple[standard_artifacts.Examples, standard_artifacts.Examples]:
    """Runs MovieLensExampleGen's driver and executor into ``output_dir``.

    Args:
      gen: The ExampleGen settings.
      output_dir: Destination; gets ``examples/`` and ``candidates/``.
      beam_pipeline_args: Beam options.

    Returns:
      The ``examples`` and ``candidates`` artifacts, properties filled in.
    """
    component = build_example_gen(gen)
    properties = driver.Driver(None).resolve_exec_properties(
        dict(component.exec_properties), None, None
    )
    outputs = {}
    for key in (spec.EXAMPLES_KEY, spec.CANDIDATES_KEY):
        artifact = standard_artifacts.Examples()
        artifact.uri = os.path.join(output_dir, key)
        outputs[key] = [artifact]
    context = base_beam_executor.BaseBeamExecutor.Context(beam_pipeline_args=beam_pipeline_args)
    executor.Executor(context).Do({}, outputs, properties)
    return outputs[spec.EXAMPLES_KEY][0], outputs[spec.CANDIDATES_KEY][0]
