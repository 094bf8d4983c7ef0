"""The ``examples`` command: only the ExampleGen, into a plain output folder.

Useful to inspect what a source produces without running the pipeline; the
component's own driver and executor run, so the outputs are exactly what the
pipeline's ExampleGen writes. They are written aside, into a hidden sibling
of the output folder, and moved into it only when the run succeeds: a failed
run (bad rows, an empty split, a crash) leaves no complete-looking output, and
the outputs of an earlier successful run stay as they were.
"""

import os
import shutil
import tempfile
from typing import Any, Dict, List, Tuple

from tfx.dsl.components.base import base_beam_executor
from tfx.types import standard_artifacts

from components.movielens_example_gen import MovieLensExampleGen, Settings, driver, executor, spec

_OUTPUT_KEYS = (spec.EXAMPLES_KEY, spec.CANDIDATES_KEY)


def generate_examples(
    settings: Settings, output_dir: str, beam_pipeline_args: List[str]
) -> Tuple[standard_artifacts.Examples, standard_artifacts.Examples]:
    """Runs MovieLensExampleGen's driver and executor into ``output_dir``.

    Args:
      settings: The ExampleGen settings.
      output_dir: Destination (a local folder); gets ``examples/`` and
        ``candidates/``, replacing those of an earlier run.
      beam_pipeline_args: Beam options.

    Returns:
      The ``examples`` and ``candidates`` artifacts, properties filled in.

    Raises:
      ValueError: If ``output_dir`` is a file.
    """
    output_dir = os.path.abspath(output_dir)
    if os.path.isfile(output_dir):
        raise ValueError(f"output folder {output_dir} is a file")
    component = MovieLensExampleGen(settings)
    properties = driver.Driver(None).resolve_exec_properties(
        dict(component.exec_properties), None, None
    )
    parent, name = os.path.split(output_dir)
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{name}.partial-", dir=parent)
    try:
        outputs = _run_executor(properties, staging, beam_pipeline_args)
        _move_into_place(outputs, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return outputs[spec.EXAMPLES_KEY], outputs[spec.CANDIDATES_KEY]


def _run_executor(
    properties: Dict[str, Any], output_dir: str, beam_pipeline_args: List[str]
) -> Dict[str, standard_artifacts.Examples]:
    """Runs the executor into fresh artifacts under ``output_dir``; returns them by key."""
    outputs = {}
    for key in _OUTPUT_KEYS:
        artifact = standard_artifacts.Examples()
        artifact.uri = os.path.join(output_dir, key)
        outputs[key] = artifact
    context = base_beam_executor.BaseBeamExecutor.Context(beam_pipeline_args=beam_pipeline_args)
    executor.Executor(context).Do({}, {k: [a] for k, a in outputs.items()}, properties)
    return outputs


def _move_into_place(outputs: Dict[str, standard_artifacts.Examples], output_dir: str) -> None:
    """Moves each artifact's folder into ``output_dir``, replacing an earlier one.

    Args:
      outputs: Artifacts by key, written in a sibling folder of ``output_dir``.
      output_dir: The destination.
    """
    os.makedirs(output_dir, exist_ok=True)
    for key, artifact in outputs.items():
        destination = os.path.join(output_dir, key)
        if os.path.isdir(destination):
            shutil.rmtree(destination)
        os.replace(artifact.uri, destination)
        artifact.uri = destination
