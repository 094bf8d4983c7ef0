"""RetrievalEvaluator: top-k retrieval metrics against baselines, and blessing."""

from typing import Optional

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter

from components import settings_codec
from components.retrieval_evaluator import executor, spec
from components.retrieval_evaluator.settings import Settings


class RetrievalEvaluatorSpec(types.ComponentSpec):
    """Parameters (the fields of ``Settings``), inputs and outputs of RetrievalEvaluator."""

    PARAMETERS = settings_codec.execution_parameters(Settings)
    INPUTS = {
        spec.MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        spec.EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        spec.CANDIDATES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        spec.TRAIN_EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples, optional=True),
        spec.BASELINE_MODEL_KEY: ChannelParameter(type=standard_artifacts.Model, optional=True),
    }
    OUTPUTS = {
        spec.EVALUATION_KEY: ChannelParameter(type=standard_artifacts.ModelEvaluation),
        spec.BLESSING_KEY: ChannelParameter(type=standard_artifacts.ModelBlessing),
    }


class RetrievalEvaluator(base_component.BaseComponent):
    """Evaluates a retrieval model over the whole corpus and blesses it or not.

    TFMA's Evaluator needs a label key, which a retrieval model has none of
    (TFRS#657); this component scores the candidate corpus with the model's
    ``query_embedding`` and ``candidate_embedding`` signatures instead, next
    to simple baselines (popularity, recent popularity, item-kNN, EASE) and
    the served model, all ranked by the same code (``retrieval_metrics``).

    Outputs:
      evaluation: ModelEvaluation holding ``metrics.json``: top-k accuracy and
        recall@k of every ranker, filtered (primary) and unfiltered, on all,
        warm and cold eval ratings; counts; skipped baselines; the blessing
        decision with reasons.
      blessing: ModelBlessing written as TFX's Evaluator writes it (BLESSED /
        NOT_BLESSED file, ``blessed``, ``current_model_id``, ...), so TFX's
        Pusher and ``LatestBlessedModelStrategy`` use it directly.
    """

    SPEC_CLASS = RetrievalEvaluatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        model: types.BaseChannel,
        examples: types.BaseChannel,
        candidates: types.BaseChannel,
        baseline_model: Optional[types.BaseChannel] = None,
        train_examples: Optional[types.BaseChannel] = None,
        settings: Settings = Settings(),
    ):
        """Builds the component.

        Args:
          model: Channel of the Model to evaluate (a SavedModel at
            ``Format-Serving`` with ``serving_default``, ``query_embedding``
            and ``candidate_embedding``).
          examples: Channel of Examples with the eval split (metrics) and the
            train split (baselines, filtered protocol's exclusions, warm
            users).
          candidates: Channel of the ExampleGen's ``candidates`` Examples (split
            ``corpus``): the movies every ranker ranks.
          baseline_model: Optional channel of the last blessed Model (a
            Resolver with ``LatestBlessedModelStrategy``); it may resolve to
            nothing on the first run. Without it, ``settings``'
            ``baseline_push_destination`` names where the served model is.
          train_examples: Optional channel of Examples whose train splits,
            all of them, are the training data (the Trainer's rolling window
            of spans, the newest included); replaces the train split of
            ``examples``. The baselines fit on it, the filtered protocol
            removes its movies, and its users are the warm ones.
          settings: What to measure and when to bless (``Settings``; checked
            when it is built).
        """
        super().__init__(
            spec=RetrievalEvaluatorSpec(
                **settings.to_exec_properties(),
                **{
                    spec.MODEL_KEY: model,
                    spec.EXAMPLES_KEY: examples,
                    spec.CANDIDATES_KEY: candidates,
                    spec.BASELINE_MODEL_KEY: baseline_model,
                    spec.TRAIN_EXAMPLES_KEY: train_examples,
                    spec.EVALUATION_KEY: types.Channel(type=standard_artifacts.ModelEvaluation),
                    spec.BLESSING_KEY: types.Channel(type=standard_artifacts.ModelBlessing),
                },
            )
        )
