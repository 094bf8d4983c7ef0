"""RetrievalTrainer: TFX's Trainer with the candidate corpus as an input."""

import json
from typing import Any, Mapping, Optional, Union

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.orchestration import data_types
from tfx.proto import trainer_pb2
from tfx.types import standard_artifacts, standard_component_specs

from components.retrieval_trainer import executor, spec


class RetrievalTrainer(base_component.BaseComponent):
    """Trains a retrieval model with ``run_fn`` on transformed examples.

    Like TFX's ``Trainer`` (same outputs: ``model`` and ``model_run``), with a
    ``candidates`` input: the raw movie corpus, whose file pattern ``run_fn``
    finds in ``fn_args.custom_config["candidate_files"]``. With
    ``warm_start_push_destination`` the model being served there is the warm
    start, found when the Trainer runs (no resolver task).
    """

    SPEC_CLASS = spec.RetrievalTrainerSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        examples: types.BaseChannel,
        transform_graph: types.BaseChannel,
        candidates: types.BaseChannel,
        run_fn: str,
        base_model: Optional[types.BaseChannel] = None,
        hyperparameters: Optional[Mapping[str, Any]] = None,
        warm_start_push_destination: Optional[str] = None,
        hyperparameter_overrides: Optional[Union[str, data_types.RuntimeParameter]] = None,
        train_args: Optional[trainer_pb2.TrainArgs] = None,
        eval_args: Optional[trainer_pb2.EvalArgs] = None,
    ):
        """Builds the component.

        Args:
          examples: Transformed examples with ``train`` and ``eval`` splits.
          transform_graph: The Transform graph.
          candidates: The raw candidate corpus (split ``corpus``).
          run_fn: Dotted path of the training function, e.g.
            ``trainer.run_fn.run_fn``.
          base_model: A model to warm-start from; it takes precedence over
            ``warm_start_push_destination``.
          hyperparameters: ``trainer.config.TrainerConfig`` fields.
          warm_start_push_destination: A VersionedPusher destination: without
            ``base_model``, ``run_fn`` warm-starts from its newest complete
            version (the model being served), or trains from scratch when
            there is none. It must be readable where the Trainer runs.
          hyperparameter_overrides: JSON object of hyperparameters a run sets
            over ``hyperparameters`` (usually a ``RuntimeParameter``);
            checked when the Trainer runs.
          train_args: TFX train args (default: the ``train`` split).
          eval_args: TFX eval args (default: the ``eval`` split).
        """
        custom_config = {spec.HYPERPARAMETERS_CONFIG_KEY: dict(hyperparameters or {})}
        if warm_start_push_destination:
            custom_config[spec.WARM_START_PUSH_DESTINATION_CONFIG_KEY] = warm_start_push_destination
        super().__init__(
            spec=spec.RetrievalTrainerSpec(
                **{
                    standard_component_specs.EXAMPLES_KEY: examples,
                    standard_component_specs.TRANSFORM_GRAPH_KEY: transform_graph,
                    spec.CANDIDATES_KEY: candidates,
                    standard_component_specs.BASE_MODEL_KEY: base_model,
                    standard_component_specs.RUN_FN_KEY: run_fn,
                    spec.HYPERPARAMETER_OVERRIDES_KEY: hyperparameter_overrides,
                    standard_component_specs.CUSTOM_CONFIG_KEY: json.dumps(custom_config, sort_keys=True),
                    standard_component_specs.TRAIN_ARGS_KEY: train_args
                    or trainer_pb2.TrainArgs(splits=["train"]),
                    standard_component_specs.EVAL_ARGS_KEY: eval_args
                    or trainer_pb2.EvalArgs(splits=["eval"]),
                    standard_component_specs.MODEL_KEY: types.Channel(type=standard_artifacts.Model),
                    standard_component_specs.MODEL_RUN_KEY: types.Channel(
                        type=standard_artifacts.ModelRun
                    ),
                }
            )
        )
