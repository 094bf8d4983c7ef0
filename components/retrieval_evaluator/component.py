"""RetrievalEvaluator: top-k retrieval metrics, popularity baseline and blessing."""

from typing import Optional, Sequence

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts

from components.retrieval_evaluator import executor, spec
from components.retrieval_evaluator.settings import Settings


class RetrievalEvaluator(base_component.BaseComponent):
    """Evaluates a retrieval model over the whole corpus and blesses it or not.

    TFMA's Evaluator needs a label key, which a retrieval model has none of
    (TFRS#657); this component ranks with the model's ``serving_default``
    signature instead (serialized rating examples -> ``movie_ids`` top-K).

    Outputs:
      evaluation: ModelEvaluation holding ``metrics.json``: top-k accuracy and
        recall@k of the model, the popularity baseline and (when given) the
        baseline model, example counts and the blessing decision with reasons.
      blessing: ModelBlessing written as TFX's Evaluator writes it (BLESSED /
        NOT_BLESSED file, ``blessed``, ``current_model_id``, ...), so TFX's
        Pusher and ``LatestBlessedModelStrategy`` use it directly.
    """

    SPEC_CLASS = spec.RetrievalEvaluatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        model: types.BaseChannel,
        examples: types.BaseChannel,
        baseline_model: Optional[types.BaseChannel] = None,
        top_ks: Sequence[int] = spec.DEFAULT_TOP_KS,
        blessing_k: int = spec.DEFAULT_BLESSING_K,
        min_top_k_accuracy: float = 0.0,
        min_margin_over_popularity: Optional[float] = None,
        baseline_tolerance: float = 0.0,
        max_eval_examples: Optional[int] = None,
        baseline_push_destination: Optional[str] = None,
        batch_size: int = spec.DEFAULT_BATCH_SIZE,
        eval_split: str = spec.DEFAULT_EVAL_SPLIT,
        train_split: str = spec.DEFAULT_TRAIN_SPLIT,
    ):
        """Builds the component.

        Args:
          model: Channel of the Model to evaluate (a SavedModel at
            ``Format-Serving`` with the retrieval ``serving_default``).
          examples: Channel of Examples with the eval split (metrics) and the
            train split (popularity counts).
          baseline_model: Optional channel of the last blessed Model (a
            Resolver with ``LatestBlessedModelStrategy``); it may resolve to
            nothing on the first run.
          top_ks: The cut-offs k of every metric, ascending; the model must
            return at least ``max(top_ks)`` movies.
          blessing_k: The k (one of ``top_ks``) whose top-k accuracy decides
            the blessing.
          min_top_k_accuracy: Minimum top-``blessing_k`` accuracy to bless.
          min_margin_over_popularity: If set, the model's top-``blessing_k``
            accuracy must be at least popularity's plus this (0.0: at least
            as good as popularity). None: not required.
          baseline_tolerance: How much lower (absolute top-``blessing_k``
            accuracy) than the baseline model the model may score and still
            be blessed. 0.0: not worse.
          max_eval_examples: Evaluate only the first N eval examples in file
            order (None: all). The popularity counts always read all of train.
          baseline_push_destination: A VersionedPusher's destination. Without
            ``baseline_model``, the newest model pushed there (the served
            one) is the baseline, read when the evaluator runs. Unlike a
            resolver channel, it leaves the evaluator's cache key unchanged
            after a push, so a rerun on unchanged inputs executes nothing.
          batch_size: Examples per call of the serving signature.
          eval_split: Split holding the eval ratings.
          train_split: Split whose ratings the popularity baseline counts.
        """
        settings = Settings(  # Fails early on bad settings.
            top_ks=tuple(top_ks),
            blessing_k=blessing_k,
            min_top_k_accuracy=min_top_k_accuracy,
            min_margin_over_popularity=min_margin_over_popularity,
            baseline_tolerance=baseline_tolerance,
            max_eval_examples=max_eval_examples,
            baseline_push_destination=baseline_push_destination,
            batch_size=batch_size,
            eval_split=eval_split,
            train_split=train_split,
        )
        super().__init__(
            spec=spec.RetrievalEvaluatorSpec(
                **settings.to_exec_properties(),
                **{
                    spec.MODEL_KEY: model,
                    spec.EXAMPLES_KEY: examples,
                    spec.BASELINE_MODEL_KEY: baseline_model,
                    spec.EVALUATION_KEY: types.Channel(type=standard_artifacts.ModelEvaluation),
                    spec.BLESSING_KEY: types.Channel(type=standard_artifacts.ModelBlessing),
                },
            )
        )
