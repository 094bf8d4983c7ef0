"""Compiles ``create_pipeline`` into a Kubeflow Pipelines v2 pipeline spec.

The same pipeline as the local run, compiled by TFX's ``KubeflowV2DagRunner``
into a PipelineJob JSON (or a PipelineSpec YAML for uploading through the KFP
UI). Every task runs this project's container image (``Dockerfile``) with TFX's
v2 executor entry point; user code is referenced by dotted path into the
installed packages, so compiling reads no data and no object storage.

Two targets:

* ``kubeflow``: Kubeflow Pipelines (open source, v2 backend). Its backend
  does not implement resolver tasks ("resolver executors not implemented"), so
  TFX's latest-blessed-model resolver tasks are left out; the evaluator
  compares the new model with the model being served (the newest pushed
  version under the push destination). Also runs on Vertex AI Pipelines.
* ``vertex``: Vertex AI Pipelines, with the resolver tasks as TFX compiles
  them (needed for ``--warm-start``).

Adjustments made for a cluster, all visible in the compiled spec:

* the curated schema is read from the image (``schema_dir``), not from the
  compiling machine's checkout;
* MovieLensExampleGen is never served from KFP's cache: its custom driver (span
  resolution and input fingerprint) runs only under LocalDagRunner, because
  TFX's v2 compiler attaches drivers to FileBasedExampleGen alone. Our executor
  resolves the span itself, but KFP's cache key cannot see the data, so a
  cached ExampleGen would hide new data from a scheduled retrain;
* ``defaultPipelineRoot`` is set, so the YAML form keeps the pipeline root.
"""

import copy
import dataclasses
import json
import os
from typing import Any, Dict, List, Optional

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

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
SCHEMA_FILE_KEY = "schema_file"


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
        for name in ("trainer_cpu", "trainer_memory_gb"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")


def is_object_storage(uri: str) -> bool:
    """Whether a URI is on object storage that every pod can reach."""
    return uri.startswith(OBJECT_STORAGE_SCHEMES)


def build_pipeline(config, settings: KubeflowSettings):
    """``create_pipeline`` with the cluster adjustments applied to its nodes.

    Args:
      config: The ``PipelineConfig`` (no metadata connection: Kubeflow has
        its own).
      settings: Image, target and placement.

    Returns:
      The ``tfx.dsl.Pipeline``, ready for ``KubeflowV2DagRunner``.

    Raises:
      ValueError: If warm start is asked for on the ``kubeflow`` target, or a
        rolling span window anywhere.
    """
    # pylint: disable=import-outside-toplevel
    from tfx.components.schema_gen.import_schema_gen import component as import_schema_gen

    from components.retrieval_evaluator import spec as evaluator_spec
    from components.retrieval_evaluator.component import RetrievalEvaluator
    from components.retrieval_trainer.component import RetrievalTrainer
    from pipeline.pipeline import create_pipeline

    if config.warm_start and settings.target == TARGET_KUBEFLOW:
        raise ValueError(
            "--warm-start needs TFX's latest-blessed-model resolver, which the Kubeflow "
            "Pipelines backend does not implement; compile with --target vertex"
        )
    if config.window_spans > 1:
        raise ValueError(
            "--window-spans > 1 resolves spans with a custom resolver strategy, which TFX's "
            "Kubeflow compiler cannot compile (it knows only the latest-artifact and "
            "latest-blessed-model resolvers); on Kubeflow each run trains on the span it reads"
        )
    pipeline = create_pipeline(config, metadata_connection_config=None)
    for node in pipeline.components:
        if isinstance(node, import_schema_gen.ImportSchemaGen):
            schema_file = os.path.basename(node.exec_properties[SCHEMA_FILE_KEY])
            node.exec_properties[SCHEMA_FILE_KEY] = _join(settings.schema_dir, schema_file)
        elif isinstance(node, RetrievalEvaluator):
            # The baseline is the served model (the resolver is not there on
            # the kubeflow target); create_pipeline may already say so.
            key = evaluator_spec.BASELINE_PUSH_DESTINATION_KEY
            if node.exec_properties.get(key) is None:
                node.exec_properties[key] = config.push_destination
        elif isinstance(node, RetrievalTrainer) and (
            settings.trainer_cpu or settings.trainer_memory_gb
        ):
            node.with_platform_config(
                pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec(
                    cpu_limit=settings.trainer_cpu or 0.0,
                    memory_limit=settings.trainer_memory_gb or 0.0,
                )
            )
    return pipeline


def compile_pipeline(config, settings: KubeflowSettings) -> Dict[str, Any]:
    """Compiles the pipeline into a PipelineJob (as a JSON-ready dict).

    Args:
      config: The ``PipelineConfig``.
      settings: Image, target and placement.

    Returns:
      The PipelineJob: ``pipelineSpec``, ``runtimeConfig`` (pipeline root),
      ``displayName`` and ``labels``.
    """
    # pylint: disable=import-outside-toplevel
    from tfx import v1 as tfx

    from components.movielens_example_gen.component import MovieLensExampleGen

    pipeline = build_pipeline(config, settings)
    runner = tfx.orchestration.experimental.KubeflowV2DagRunner(
        config=tfx.orchestration.experimental.KubeflowV2DagRunnerConfig(
            default_image=settings.image,
            default_commands=list(EXECUTOR_ENTRY_POINT),
            # Pipeline spec 2.1: tasks read parameters from `parameterValues`
            # (all that KFP 2 backends send) typed by their inputs spec.
            use_pipeline_spec_2_1=True,
        )
    )
    job = runner.run(pipeline, write_out=False)
    spec = job["pipelineSpec"]
    spec["defaultPipelineRoot"] = config.pipeline_root
    _never_cache(spec, _task_name(pipeline, MovieLensExampleGen))
    if settings.target == TARGET_KUBEFLOW:
        drop_resolver_tasks(spec)
    # Through the proto and back: checks the edits, and gives the form the kfp
    # client sends (default values such as enableCache=false left out).
    job["pipelineSpec"] = json_format.MessageToDict(
        json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec())
    )
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


def drop_resolver_tasks(spec: Dict[str, Any]) -> List[str]:
    """Removes resolver tasks and every reference to their outputs, in place.

    Consumers lose the input (RetrievalEvaluator's ``baseline_model`` is
    optional) and the dependency; their container's inputs-spec argument is
    rebuilt from the trimmed component definition, as TFX builds it.

    Args:
      spec: A PipelineSpec dict.

    Returns:
      The removed task names.
    """
    tasks = spec["root"]["dag"]["tasks"]
    executors = spec["deploymentSpec"]["executors"]
    components = spec["components"]
    dropped = sorted(
        name
        for name, task in tasks.items()
        if "resolver" in executors[components[task["componentRef"]["name"]]["executorLabel"]]
    )
    for name in dropped:
        component = components.pop(tasks.pop(name)["componentRef"]["name"])
        executors.pop(component["executorLabel"])
    for task in tasks.values():
        if "dependentTasks" in task:
            task["dependentTasks"] = [d for d in task["dependentTasks"] if d not in dropped]
            if not task["dependentTasks"]:
                del task["dependentTasks"]
        inputs = task.get("inputs", {}).get("artifacts", {})
        lost = [
            key
            for key, source in inputs.items()
            if source.get("taskOutputArtifact", {}).get("producerTask") in dropped
        ]
        if not lost:
            continue
        component = components[task["componentRef"]["name"]]
        for key in lost:
            del inputs[key]
            del component["inputDefinitions"]["artifacts"][key]
        _rebuild_inputs_spec_arg(executors[component["executorLabel"]], component)
    return dropped


def _rebuild_inputs_spec_arg(executor: Dict[str, Any], component: Dict[str, Any]) -> None:
    args = executor.get("container", {}).get("args", [])
    if INPUTS_SPEC_FLAG in args:
        definitions = json_format.ParseDict(
            component["inputDefinitions"], pipeline_spec_pb2.ComponentInputsSpec()
        )
        args[args.index(INPUTS_SPEC_FLAG) + 1] = json_format.MessageToJson(
            definitions, sort_keys=True
        )


def _never_cache(spec: Dict[str, Any], task_name: str) -> None:
    spec["root"]["dag"]["tasks"][task_name]["cachingOptions"] = {"enableCache": False}


def _task_name(pipeline, node_type: type) -> str:
    return next(node.id for node in pipeline.components if isinstance(node, node_type))


def _join(folder: str, name: str) -> str:
    return folder.rstrip("/") + "/" + name if "://" in folder else os.path.join(folder, name)


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
