"""RetrievalEvaluator: top-k retrieval metrics against baselines, and blessing."""

from typing import Optional, Sequence

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts

from components.retrieval_evaluator import executor, spec
from components.retrieval_evaluator import settings as settings_lib
from components.retrieval_evaluator.settings import Settings


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

    SPEC_CLASS = spec.RetrievalEvaluatorSpec
    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        model: types.BaseChannel,
        examples: types.BaseChannel,
        candidates: types.BaseChannel,
        baseline_model: Optional[types.BaseChannel] = None,
        train_examples: Optional[types.BaseChannel] = None,
        top_ks: Sequence[int] = spec.DEFAULT_TOP_KS,
        blessing_k: int = spec.DEFAULT_BLESSING_K,
        min_top_k_accuracy: float = settings_lib.DEFAULT_MIN_TOP_K_ACCURACY,
        min_margin_over_baselines: Optional[float] = (
            settings_lib.DEFAULT_MIN_MARGIN_OVER_BASELINES
        ),
        blessing_baselines: Optional[Sequence[str]] = settings_lib.DEFAULT_BLESSING_BASELINES,
        baseline_tolerance: float = settings_lib.DEFAULT_BASELINE_TOLERANCE,
        query_time: str = settings_lib.DEFAULT_QUERY_TIME,
        recent_window_fraction: float = settings_lib.DEFAULT_RECENT_WINDOW_FRACTION,
        ease_lambda: float = settings_lib.DEFAULT_EASE_LAMBDA,
        ease_max_movies: int = settings_lib.DEFAULT_EASE_MAX_MOVIES,
        knn_neighbours: int = settings_lib.DEFAULT_KNN_NEIGHBOURS,
        knn_max_movies: int = settings_lib.DEFAULT_KNN_MAX_MOVIES,
        max_eval_examples: Optional[int] = None,
        baseline_push_destination: Optional[str] = None,
        batch_size: int = spec.DEFAULT_BATCH_SIZE,
        eval_split: str = spec.DEFAULT_EVAL_SPLIT,
        train_split: str = spec.DEFAULT_TRAIN_SPLIT,
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
            nothing on the first run.
          train_examples: Optional channel of Examples whose train splits,
            all of them, are the training data (the Trainer's rolling window
            of spans, the newest included); replaces the train split of
            ``examples``. The baselines fit on it, the filtered protocol
            removes its movies, and its users are the warm ones.
          top_ks: The cut-offs k of every metric, ascending; the model's
            ``serving_default`` must return at least ``max(top_ks)`` movies
            (or the whole corpus, if smaller).
          blessing_k: The k (one of ``top_ks``) whose filtered top-k accuracy
            on all eval ratings decides the blessing.
          min_top_k_accuracy: Minimum top-``blessing_k`` accuracy to bless.
          min_margin_over_baselines: If set, the model's top-``blessing_k``
            accuracy must be at least the best counted baseline's plus this
            (0.0: at least as good). None: not required, only reported.
          blessing_baselines: Names of the baselines that count (of
            ``popularity``, ``recent_popularity``, ``item_knn``, ``ease``).
            None: every baseline that ran.
          baseline_tolerance: How much lower (absolute top-``blessing_k``
            accuracy) than the baseline model the model may score and still
            be blessed.
          query_time: ``model_default`` (queries without timestamp: the time
            the served model uses by default; for a random split) or
            ``rating`` (each eval rating's own time; for a temporal split).
          recent_window_fraction: ``recent_popularity``'s window, as a share
            of the training time range.
          ease_lambda: EASE's ridge penalty.
          ease_max_movies: Largest corpus EASE is computed for (exact dense
            inverse); above it EASE is skipped and metrics.json says why.
          knn_neighbours: Similar movies kept per movie by ``item_knn``.
          knn_max_movies: Largest corpus ``item_knn`` is computed for.
          max_eval_examples: Evaluate only the first N eval examples in file
            order (None: all); metrics.json says when a sample was used. The
            baselines always fit on all of train.
          baseline_push_destination: A VersionedPusher's destination. Without
            ``baseline_model``, the newest model pushed there (the served
            one) is the baseline, read when the evaluator runs. Unlike a
            resolver channel, it leaves the evaluator's cache key unchanged
            after a push, so a rerun on unchanged inputs executes nothing.
          batch_size: Eval ratings scored at a time (memory: batch_size x
            corpus size floats per score matrix) and examples per signature
            call.
          eval_split: Split holding the eval ratings.
          train_split: Split holding the training ratings.
        """
        settings = Settings(  # Fails early on bad settings.
            top_ks=tuple(top_ks),
            blessing_k=blessing_k,
            min_top_k_accuracy=min_top_k_accuracy,
            min_margin_over_baselines=min_margin_over_baselines,
            blessing_baselines=(
                None if blessing_baselines is None else tuple(blessing_baselines)
            ),
            baseline_tolerance=baseline_tolerance,
            query_time=query_time,
            recent_window_fraction=recent_window_fraction,
            ease_lambda=ease_lambda,
            ease_max_movies=ease_max_movies,
            knn_neighbours=knn_neighbours,
            knn_max_movies=knn_max_movies,
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
                    spec.CANDIDATES_KEY: candidates,
                    spec.BASELINE_MODEL_KEY: baseline_model,
                    spec.TRAIN_EXAMPLES_KEY: train_examples,
                    spec.EVALUATION_KEY: types.Channel(type=standard_artifacts.ModelEvaluation),
                    spec.BLESSING_KEY: types.Channel(type=standard_artifacts.ModelBlessing),
                },
            )
        )
