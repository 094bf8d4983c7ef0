"""``create_pipeline``: the MovieLens retrieval pipeline, as a pure function.

MovieLensExampleGen -> StatisticsGen -> ImportSchemaGen (curated schema) ->
ExampleValidator -> ValidationGate -> Transform (RetrievalTransform) -> RetrievalTrainer ->
RetrievalEvaluator (over the candidate corpus, vs simple baselines and the
model being served) ->
VersionedPusher. With ``warm_start`` the Trainer starts from the model being
served: the newest complete version under the push destination, which it
finds itself when it runs (as the Evaluator finds its served baseline), so
warm start needs no resolver task and works on every target alike. With
``analyzer_cache`` the Transform reuses the analysis of spans analysed by an
earlier run, found through a pointer file under the pipeline root, again
without a resolver task.
"""

import dataclasses
import os
from typing import Dict, List, Mapping, Optional

import tensorflow_data_validation as tfdv
from ml_metadata.proto import metadata_store_pb2
# TFX modules, not ``tfx.v1``: its extensions import the Vertex AI client,
# which slows every run's start-up and which a local run never uses
# (docs/benchmarks.md).
from tfx.components import ExampleValidator, StatisticsGen
from tfx.components.schema_gen.import_schema_gen.component import ImportSchemaGen
from tfx.dsl.components.base.base_node import BaseNode
from tfx.dsl.experimental.conditionals.conditional import Cond
from tfx.orchestration.data_types import RuntimeParameter
from tfx.orchestration.pipeline import Pipeline

from components import movielens_example_gen, record_batches
from components.movielens_example_gen import MovieLensExampleGen
from components.movielens_example_gen.component import RUNTIME_SETTINGS
from components.retrieval_evaluator import RetrievalEvaluator
from components.retrieval_evaluator import spec as evaluator_spec
from components.retrieval_trainer import RetrievalTrainer
from components.retrieval_transform import RetrievalTransform
from components.retrieval_transform import cache_pointer
from components.versioned_pusher import VersionedPusher
from pipeline import config as config_lib
from components.retrain_gate import RUN_PROPERTY, RetrainGate, RetrainRecord
from components.retrain_gate import component as retrain_gate_component
from components.retrain_gate import state as retrain_state
from components.validation_gate import ValidationGate
from transform_fn import features, preprocessing

# Pipeline parameters of a compiled pipeline (``runtime_parameters``).
SPAN_PARAMETER = "span"
INPUT_PATH_PARAMETER = "input_path"
HYPERPARAMETER_OVERRIDES_PARAMETER = "hyperparameter_overrides"


def query_time_for_split(split_mode: str) -> str:
    """The evaluator's query time for an ExampleGen split mode.

    Under a temporal split the request time is known and lies after all
    training data, so each eval rating is asked at its own time. Under a
    random split the held-out rating's own time would name the user's rating
    session (a leak), so the query carries no time and the model uses its
    default, as a request without one does.

    Args:
      split_mode: ``random`` or ``temporal``.

    Returns:
      ``model_default`` or ``rating``.

    Raises:
      ValueError: On an unknown split mode.
    """
    modes = {
        movielens_example_gen.RANDOM: evaluator_spec.QUERY_TIME_MODEL_DEFAULT,
        movielens_example_gen.TEMPORAL: evaluator_spec.QUERY_TIME_RATING,
    }
    if split_mode not in modes:
        raise ValueError(f"split mode must be one of {sorted(modes)}, got {split_mode!r}")
    return modes[split_mode]


def _trainer_resources(trainer: RetrievalTrainer, deployment: config_lib.Deployment) -> None:
    """Sets the Trainer container's CPU and memory limits, when given."""
    if not (deployment.trainer_cpu or deployment.trainer_memory_gb):
        return
    from kfp.pipeline_spec import pipeline_spec_pb2  # pylint: disable=import-outside-toplevel

    trainer.with_platform_config(
        pipeline_spec_pb2.PipelineDeploymentConfig.PipelineContainerSpec.ResourceSpec(
            cpu_limit=deployment.trainer_cpu or 0.0,
            memory_limit=deployment.trainer_memory_gb or 0.0,
        )
    )


def create_pipeline(
    config: config_lib.PipelineConfig,
    metadata_connection_config: Optional[metadata_store_pb2.ConnectionConfig] = None,
    deployment: config_lib.Deployment = config_lib.Deployment(),
) -> Pipeline:
    """Builds the pipeline; reads no file and starts nothing.

    It has no resolver node, so every target runs it alike: the ExampleGen
    reads the rolling window of spans itself, and the Trainer finds the
    served model to warm-start from under the push destination, which must
    be readable where the Trainer runs.

    With ``skip_unchanged`` a ``RetrainGate`` runs first and every other
    component runs under a ``Cond`` on its decision (a KFP trigger condition
    on a cluster), ending with a ``RetrainRecord`` of the completed run.

    Args:
      config: Every setting.
      metadata_connection_config: MLMD connection (None on Kubeflow, which
        supplies its own).
      deployment: What differs between LocalDagRunner (the default) and a
        cluster.

    Returns:
      The TFX pipeline.
    """
    parameters = runtime_parameters(config) if deployment.runtime_parameters else {}
    if config.skip_unchanged:
        gate = RetrainGate(
            config.example_gen,
            config_lib.settings_fingerprint(config),
            state_uri(config),
            {key: value for key, value in parameters.items() if key in RUNTIME_SETTINGS},
        )
        decision = gate.outputs[retrain_gate_component.DECISION_KEY]
        with Cond(decision.future()[0].custom_property(RUN_PROPERTY) == 1):
            components = _run_components(config, deployment, parameters)
            (evaluator,) = [c for c in components if isinstance(c, RetrievalEvaluator)]
            (pusher,) = [c for c in components if isinstance(c, VersionedPusher)]
            components.append(
                RetrainRecord(
                    decision=decision,
                    blessing=evaluator.outputs["blessing"],
                    pushed_model=pusher.outputs["pushed_model"],
                    state_uri=state_uri(config),
                )
            )
        components.insert(0, gate)
    else:
        components = _run_components(config, deployment, parameters)
    return Pipeline(
        pipeline_name=config.pipeline_name,
        pipeline_root=config.pipeline_root,
        components=components,
        enable_cache=config.enable_cache,
        metadata_connection_config=metadata_connection_config,
        beam_pipeline_args=list(config.beam_pipeline_args),
    )


def analyzer_cache_pointer(config: config_lib.PipelineConfig) -> str:
    """Where the Transform records its newest analyzer cache (under the pipeline root).

    Args:
      config: The pipeline settings.

    Returns:
      ``<pipeline_root>/transform_analyzer_cache.json``.
    """
    return os.path.join(config.pipeline_root, cache_pointer.POINTER_FILE)


def state_uri(config: config_lib.PipelineConfig) -> str:
    """Where the record of the last completed run lives (under the pipeline root).

    Args:
      config: The pipeline settings.

    Returns:
      ``<pipeline_root>/retrain_state.json``.
    """
    return os.path.join(config.pipeline_root, retrain_state.STATE_FILE)


def runtime_parameters(config: config_lib.PipelineConfig) -> Dict[str, RuntimeParameter]:
    """The pipeline parameters a recurring run may set, defaulting to the settings.

    ``span`` (-1: the newest), ``input_path`` (GroupLens only; a new drop
    folder or archive) and ``hyperparameter_overrides`` (a JSON object over
    the hyperparameters, e.g. ``{"epochs": 3}``). Each is checked when its
    component runs, as the settings are when built.

    Args:
      config: The pipeline settings.

    Returns:
      Parameter name to parameter.
    """
    parameters = {
        SPAN_PARAMETER: RuntimeParameter(
            name=SPAN_PARAMETER, ptype=int, default=config.example_gen.span
        ),
        HYPERPARAMETER_OVERRIDES_PARAMETER: RuntimeParameter(
            name=HYPERPARAMETER_OVERRIDES_PARAMETER, ptype=str, default="{}"
        ),
    }
    if config.example_gen.input_path:
        parameters[INPUT_PATH_PARAMETER] = RuntimeParameter(
            name=INPUT_PATH_PARAMETER, ptype=str, default=config.example_gen.input_path
        )
    return parameters


def _run_components(
    config: config_lib.PipelineConfig,
    deployment: config_lib.Deployment,
    parameters: Mapping[str, RuntimeParameter],
) -> List[BaseNode]:
    """The components of a run, in order."""
    example_gen = MovieLensExampleGen(
        config.example_gen,
        {key: value for key, value in parameters.items() if key in RUNTIME_SETTINGS},
    )
    statistics_gen = StatisticsGen(
        examples=example_gen.outputs["examples"],
        stats_options=tfdv.StatsOptions(
            desired_batch_size=record_batches.EXAMPLES_PER_RECORD_BATCH
        ),
    )
    schema_gen = ImportSchemaGen(
        schema_file=config_lib.schema_path(config.schema, deployment.schema_dir)
    )
    example_validator = ExampleValidator(
        statistics=statistics_gen.outputs["statistics"], schema=schema_gen.outputs["schema"]
    )
    validation_gate = ValidationGate(anomalies=example_validator.outputs["anomalies"])
    transform = RetrievalTransform(
        examples=example_gen.outputs["examples"],
        schema=schema_gen.outputs["schema"],
        preprocessing_fn=config_lib.PREPROCESSING_FN,
        custom_config={features.BUCKETING_CONFIG_KEY: config.bucketing},
        force_tf_compat_v1=preprocessing.FORCE_TF_COMPAT_V1,
        analyzer_cache_pointer=analyzer_cache_pointer(config) if config.analyzer_cache else None,
    ).with_id("Transform")  # TFX's name for the step, kept in metadata and specs.
    transform.add_upstream_node(validation_gate)
    trainer = RetrievalTrainer(
        examples=example_gen.outputs["examples"],
        transform_graph=transform.outputs["transform_graph"],
        candidates=example_gen.outputs["candidates"],
        run_fn=config_lib.RUN_FN,
        hyperparameters=config.hyperparameters,
        warm_start_push_destination=config.push_destination if config.warm_start else None,
        hyperparameter_overrides=parameters.get(HYPERPARAMETER_OVERRIDES_PARAMETER),
    )
    _trainer_resources(trainer, deployment)
    evaluator = RetrievalEvaluator(
        model=trainer.outputs["model"],
        examples=example_gen.outputs["examples"],
        candidates=example_gen.outputs["candidates"],
        settings=dataclasses.replace(
            config.evaluator,
            query_time=query_time_for_split(config.example_gen.split_mode),
            baseline_push_destination=config.push_destination,
        ),
    )
    pusher = VersionedPusher(
        model=trainer.outputs["model"],
        model_blessing=evaluator.outputs["blessing"],
        push_destination=config.push_destination,
    )
    return [
        component
        for component in (
            example_gen,
            statistics_gen,
            schema_gen,
            example_validator,
            validation_gate,
            transform,
            trainer,
            evaluator,
            pusher,
        )
        if component is not None
    ]
