"""Compiles ``create_pipeline`` into a Kubeflow Pipelines v2 pipeline spec.

The same pipeline as the local run, compiled by TFX's ``KubeflowV2DagRunner``
into a PipelineJob JSON (or a PipelineSpec YAML for uploading through the KFP
UI). Every task runs this project's container image (``Dockerfile``) with TFX's
v2 executor entry point; user code is referenced by dotted path into the
installed packages, so compiling reads no data and no object storage.

Two targets, ``kubeflow`` (Kubeflow Pipelines, open source, v2 backend) and
``vertex`` (Vertex AI Pipelines), which compile to the same spec: the
pipeline has no resolver node (the open-source backend does not implement
resolver tasks), because the ExampleGen reads the window of spans itself and
the Trainer finds the served model to warm-start from under the push
destination, as the Evaluator does for its comparison.

What differs from a local run is given to ``create_pipeline`` as a
``config.Deployment`` (``deployment``), so the compiled spec is the
compiler's own, never edited afterwards:

* the curated schema is read from the image (``schema_dir``), not from the
  compiling machine's checkout;
* what a recurring run sets as pipeline parameters;
* the Trainer's resource limits as its platform config;
* KFP's cache is off: MovieLensExampleGen must never be served from it (its
  custom driver, which fingerprints the input, runs only under
  LocalDagRunner; TFX's v2 compiler attaches drivers to FileBasedExampleGen
  alone), and everything downstream reads its output;
* ``defaultPipelineRoot`` is filled in (the compiler leaves it empty), so
  the YAML form keeps the pipeline root.
"""

import copy
import dataclasses
import json
import os
from typing import Any, Dict, Optional

import yaml

# TFX, TensorFlow and the components are imported where the pipeline is
# built, so that the command line's parser and `--help` stay quick.

TARGET_KUBEFLOW = "kubeflow"
TARGET_VERTEX = "vertex"
TARGETS = (TARGET_KUBEFLOW, TARGET_VERTEX)

# Where the Dockerfile's `pip install .` puts the curated schemas (python:3.10
# images install into /usr/local); the Dockerfile checks it at build time.
IMAGE_SCHEMA_DIR = "/usr/local/lib/python3.10/site-packages/pipeline/schema"
OBJECT_STORAGE_SCHEMES = ("gs://", "s3://")
# The executor entry point every container task runs (TFX's default command,
# ``kubeflow_v2_dag_runner.KUBEFLOW_TFX_CMD``).
EXECUTOR_ENTRY_POINT = (
    "python",
    "-m",
    "tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor",
)
INPUTS_SPEC_FLAG = "--json_serialized_inputs_spec_args"


@dataclasses.dataclass(frozen=True)
class KubeflowSettings:
    """How the pipeline is deployed, beside ``PipelineConfig``.

    Attributes:
      image: The container image every task runs (built from ``Dockerfile``).
      target: ``kubeflow`` or ``vertex`` (see the module docstring).
      schema_dir: Folder of the curated schemas as the tasks see it: inside
        the image by default, or an object-storage copy.
      trainer_cpu: CPU limit of the Trainer's pod (None: the cluster default).
      trainer_memory_gb: Memory limit of the Trainer's pod in GB.
    """

    image: str
    target: str = TARGET_KUBEFLOW
    schema_dir: str = IMAGE_SCHEMA_DIR
    trainer_cpu: Optional[float] = None
    trainer_memory_gb: Optional[float] = None

    def __post_init__(self):
        if self.target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {self.target!r}")
        if not self.image:
            raise ValueError("image is required: the container image every task runs")


def is_object_storage(uri: str) -> bool:
    """Whether a URI is on object storage that every pod can reach."""
    return uri.startswith(OBJECT_STORAGE_SCHEMES)


def deployment(settings: KubeflowSettings):
    """What ``create_pipeline`` must know about the cluster target.

    Args:
      settings: Image, target and placement.

    Returns:
      The ``config.Deployment``: schemas read where the tasks see them, TFX's
      the Trainer's resource limits, and the pipeline parameters a
      recurring run sets.
    """
    from pipeline import config as config_lib  # pylint: disable=import-outside-toplevel

    return config_lib.Deployment(
        schema_dir=settings.schema_dir,
        trainer_cpu=settings.trainer_cpu,
        trainer_memory_gb=settings.trainer_memory_gb,
        runtime_parameters=True,
    )


def build_pipeline(config, settings: KubeflowSettings):
    """``create_pipeline`` for the cluster.

    KFP's cache is off for the whole pipeline: the ExampleGen must never be
    served from it (its cache key cannot see the data; see the module
    docstring), and every other task but the schema import reads the
    ExampleGen's fresh output, so none of them could be served from it either.

    Args:
      config: The ``PipelineConfig`` (no metadata connection: Kubeflow has
        its own).
      settings: Image, target and placement.

    Returns:
      The ``tfx.dsl.Pipeline``, ready for ``KubeflowV2DagRunner``.
    """
    from pipeline.pipeline import create_pipeline  # pylint: disable=import-outside-toplevel

    return create_pipeline(
        dataclasses.replace(config, enable_cache=False),
        metadata_connection_config=None,
        deployment=deployment(settings),
    )


def compile_pipeline(config, settings: KubeflowSettings) -> Dict[str, Any]:
    """Compiles the pipeline into a PipelineJob (as a JSON-ready dict).

    Args:
      config: The ``PipelineConfig``.
      settings: Image, target and placement.

    Returns:
      The PipelineJob: ``pipelineSpec``, ``runtimeConfig`` (pipeline root),
      ``displayName`` and ``labels``.
    """
    from tfx import v1 as tfx  # pylint: disable=import-outside-toplevel

    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
            default_image=settings.image,
            default_commands=list(EXECUTOR_ENTRY_POINT),
            # Pipeline spec 2.1: tasks read parameters from `parameterValues`
            # (all that KFP 2 backends send) typed by their inputs spec.
            use_pipeline_spec_2_1=True,
        )
    )
    from pipeline.pipeline import runtime_parameters  # pylint: disable=import-outside-toplevel

    defaults = {name: parameter.default for name, parameter in runtime_parameters(config).items()}
    job = runner.run(build_pipeline(config, settings), parameter_values=defaults, write_out=False)
    # The compiler leaves the spec's own root and the parameters' defaults
    # empty (the job's runtimeConfig has them); the YAML form, uploaded
    # without a job, needs them in the spec.
    job["pipelineSpec"]["defaultPipelineRoot"] = config.pipeline_root
    declared = job["pipelineSpec"]["root"].get("inputDefinitions", {}).get("parameters", {})
    for name, definition in declared.items():
        definition["defaultValue"] = defaults[name]
        definition["isOptional"] = True
    return job


def write_spec(job: Dict[str, Any], output: str) -> None:
    """Writes a compiled pipeline: JSON PipelineJob, or YAML PipelineSpec.

    Args:
      job: From ``compile_pipeline``.
      output: ``*.json`` for the PipelineJob (Vertex AI, ``schedule``), or
        ``*.yaml``/``*.yml`` for the bare PipelineSpec (KFP UI upload,
        ``kfp`` CLI).
    """
    folder = os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    with open(output, "w", encoding="utf-8") as handle:
        if output.endswith((".yaml", ".yml")):
            yaml.safe_dump(job["pipelineSpec"], handle, sort_keys=True)
        else:
            json.dump(job, handle, indent=2, sort_keys=True)


def container_tasks(spec: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The container executors of a PipelineSpec by task name.

    Args:
      spec: A PipelineSpec dict.

    Returns:
      Task name to its ``container`` (image, command, args).
    """
    result = {}
    for name, task in spec["root"]["dag"]["tasks"].items():
        label = spec["components"][task["componentRef"]["name"]]["executorLabel"]
        executor = spec["deploymentSpec"]["executors"][label]
        if "container" in executor:
            result[name] = copy.deepcopy(executor["container"])
    return result


def executor_class_paths(spec: Dict[str, Any]) -> Dict[str, str]:
    """The executor class each container task runs, by task name."""
    result = {}
    for name, container in container_tasks(spec).items():
        args = container.get("args", [])
        result[name] = args[args.index("--executor_class_path") + 1]
    return result
