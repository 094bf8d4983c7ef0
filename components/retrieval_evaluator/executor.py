"""Executor of RetrievalEvaluator: ranks the eval split, compares, blesses.

Every ranker scores the whole candidate corpus for each eval rating: the
model (and the served baseline model) through its ``query_embedding`` and
``candidate_embedding`` signatures (``Q C^T``), the baselines of
``baselines.py`` fitted on the train split. ``retrieval_metrics`` ranks each
score matrix filtered (the user's training movies removed) and unfiltered,
and the metrics are summarized for all, warm and cold eval ratings, at the
cut-offs below the corpus size (``Settings.cutoffs``).
"""

import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np
from absl import logging
from tfx import types
from tfx.components.evaluator import executor as tfx_evaluator_executor
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import path_utils

from components.progress_log import PROGRESS_EVERY, log_progress
from components.retrieval_evaluator import baselines, blessing, reading, report, spec
from components.retrieval_evaluator.metrics import RankCollector
from components.retrieval_evaluator.rankers import SavedModelRanker
from components.retrieval_evaluator.settings import Cutoffs, Settings
from components.versioned_pusher.publish import latest_pushed_model
from retrieval_metrics import EVAL_SAMPLE_SEED, exclusion_mask, uniform_sample


def serving_model_path(model: types.Artifact) -> str:
    """Returns the SavedModel directory of a Model artifact (TFX's layout)."""
    return path_utils.serving_model_path(model.uri, path_utils.is_old_model_artifact(model))


def _optional_single(
    input_dict: Dict[str, List[types.Artifact]], key: str
) -> Optional[types.Artifact]:
    artifacts = input_dict.get(key) or []
    if len(artifacts) > 1:
        raise ValueError(f"Expected at most one {key!r} artifact, got {len(artifacts)}")
    return artifacts[0] if artifacts else None


def _eval_batches(
    examples: types.Artifact, settings: Settings
) -> Iterator[Tuple[np.ndarray, bool]]:
    """Yields eval batches and whether they are a sample of the split.

    The whole split streams in file order; with ``max_eval_examples`` below
    its size, a uniform random sample of that many ratings (seeded, so the
    same split gives the same sample), in file order.
    """
    files = reading.split_files(examples, settings.eval_split)
    batches = reading.serialized_batches(files, settings.batch_size)
    cap = settings.max_eval_examples
    if cap is None:
        for serialized in batches:
            yield serialized, False
        return
    sample, read = uniform_sample(batches, cap, EVAL_SAMPLE_SEED)
    for start in range(0, len(sample), settings.batch_size):
        yield sample[start : start + settings.batch_size], read > cap


class Executor(tfx_evaluator_executor.Executor):
    """Computes retrieval metrics and writes the evaluation and the blessing.

    A subclass of TFX's Evaluator executor only so that TFX's Kubeflow V2
    entry point treats its ModelBlessing as an Evaluator's: it rewrites
    ``current_model_id`` and ``baseline_model_id`` from TFX's integer ids to
    the pipeline's artifact names, which Vertex AI's latest-blessed-model
    resolver looks up. ``Do`` is this class's own; nothing of TFX's
    Evaluator runs.
    """

    def __init__(self, context: Optional[base_executor.BaseExecutor.Context] = None):
        """Builds the executor from a plain executor context.

        TFX's Evaluator executor is a Beam executor, whose constructor
        refuses the plain context LocalDagRunner gives a component with an
        ``ExecutorClassSpec``; this one runs no Beam, so it is built as a
        plain executor.

        Args:
          context: The executor context.
        """
        base_executor.BaseExecutor.__init__(self, context)  # pylint: disable=non-parent-init-called

    def Do(
        self,
        input_dict: Dict[str, List[types.Artifact]],
        output_dict: Dict[str, List[types.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        """Evaluates the model, the baselines and the baseline model; blesses or not.

        Args:
          input_dict: ``model`` (Model), ``examples`` (Examples with the eval
            and train splits), ``candidates`` (Examples with the corpus
            split), optional ``baseline_model`` (Model; absent or empty on
            the first run), optional ``train_examples`` (Examples whose train
            splits replace that of ``examples``).
          output_dict: ``evaluation`` (ModelEvaluation: metrics.json) and
            ``blessing`` (ModelBlessing).
          exec_properties: See ``spec.RetrievalEvaluatorSpec``.

        Raises:
          ValueError: If a split is missing or empty, the corpus is no larger
            than the smallest of ``top_ks``, a rated movie is not in the
            corpus, or a model breaks the contract.
        """
        self._log_startup(input_dict, output_dict, exec_properties)
        settings = Settings.from_exec_properties(exec_properties)
        model = artifact_utils.get_single_instance(input_dict[spec.MODEL_KEY])
        examples = artifact_utils.get_single_instance(input_dict[spec.EXAMPLES_KEY])
        candidates = artifact_utils.get_single_instance(input_dict[spec.CANDIDATES_KEY])
        baseline_model = _optional_single(input_dict, spec.BASELINE_MODEL_KEY)
        # Sorted, so user rows (and so the run) do not depend on resolution order.
        train_sources = sorted(
            input_dict.get(spec.TRAIN_EXAMPLES_KEY) or [examples], key=lambda a: a.uri
        )
        evaluation = artifact_utils.get_single_instance(output_dict[spec.EVALUATION_KEY])
        blessing_artifact = artifact_utils.get_single_instance(output_dict[spec.BLESSING_KEY])

        corpus = reading.read_corpus(candidates, spec.CORPUS_SPLIT, settings.batch_size)
        cutoffs = settings.cutoffs(corpus.size)
        if cutoffs.left_out:
            logging.warning("Cut-offs left out: %s", cutoffs.left_out_reason)
        started = time.perf_counter()
        training = reading.read_training(
            train_sources, settings.train_split, corpus, settings.batch_size
        )
        log_progress(
            "%s training ratings read (%.0fs); fitting the baselines",
            f"{training.num_ratings:,}",
            time.perf_counter() - started,
        )
        started = time.perf_counter()
        fitted, skipped = baselines.fit_baselines(
            training.interactions,
            recent_window_fraction=settings.recent_window_fraction,
            ease_lambda=settings.ease_lambda,
            ease_max_movies=settings.ease_max_movies,
            knn_neighbours=settings.knn_neighbours,
            knn_max_movies=settings.knn_max_movies,
        )
        log_progress("baselines fitted (%.0fs): %s", time.perf_counter() - started, ", ".join(fitted))
        for name, reason in skipped.items():
            logging.warning("Baseline %s skipped: %s", name, reason)
        models: Dict[str, SavedModelRanker] = {
            spec.CANDIDATE: SavedModelRanker(serving_model_path(model), settings.batch_size)
        }
        baseline_path = _baseline_path(baseline_model, settings)
        if baseline_path is not None:
            models[spec.BASELINE] = SavedModelRanker(baseline_path, settings.batch_size)
        for ranker in models.values():
            ranker.index_corpus(corpus.serialized)
        collector = RankCollector([*models, *fitted], cutoffs.top_ks)
        logging.info(
            "Evaluating %s on split %r over %d movies (queries at %s time)",
            collector.rankers, settings.eval_split, corpus.size, settings.query_time,
        )

        sampled = self._rank_eval_split(
            examples, settings, cutoffs, corpus, training, models, fitted, collector
        )
        results = collector.results()
        counts = {
            **collector.counts(),
            "train": training.num_ratings,
            "train_interactions": len(training.interactions),
            "train_users": training.interactions.num_users,
            "corpus": corpus.size,
        }
        decision = blessing.decide(settings, cutoffs, results, skipped)
        content = report.build(
            settings,
            cutoffs,
            results,
            skipped,
            decision,
            counts=counts,
            sampled=sampled,
            train_uris=[source.uri for source in train_sources],
            model_uri=model.uri,
            baseline_model_uri=baseline_model.uri if baseline_model else baseline_path,
        )
        path = report.write(evaluation, content)
        report.record_properties(evaluation, results, counts)
        blessing.write_blessing(
            blessing_artifact, decision, model, baseline_model, exec_properties
        )
        logging.info(
            "Metrics written to %s; %s: %s",
            path,
            "BLESSED" if decision.blessed else "NOT BLESSED",
            "; ".join(decision.reasons),
        )

    @staticmethod
    def _rank_eval_split(
        examples: types.Artifact,
        settings: Settings,
        cutoffs: Cutoffs,
        corpus: reading.Corpus,
        training: reading.Training,
        models: Dict[str, SavedModelRanker],
        fitted: Dict[str, baselines.Baseline],
        collector: RankCollector,
    ) -> bool:
        """Ranks every eval rating with every ranker; returns whether it sampled.

        The models score each eval rating's own query, batch by batch as the
        split is read. The baselines score by user only, so they run after,
        over the ratings in user order, once per user of each batch.
        """
        user_codes: Dict[bytes, int] = {}
        all_targets, all_rows = [], []
        read = 0
        sampled = False
        checked = False
        for serialized, cut in _eval_batches(examples, settings):
            sampled = sampled or cut
            if not len(serialized):
                continue
            user_ids, movie_ids, _ = reading.rating_keys(serialized)
            targets = corpus.columns(
                movie_ids, f"{settings.eval_split!r} split of {examples.uri}"
            )
            user_rows = training.rows_of(user_ids)
            positions = np.arange(read, read + len(serialized))
            read += len(serialized)
            all_targets.append(targets)
            all_rows.append(user_rows)
            collector.add_queries(
                np.array(
                    [user_codes.setdefault(user, len(user_codes)) for user in user_ids.tolist()],
                    dtype=np.int64,
                ),
                user_rows != baselines.COLD_USER,
            )
            queries = (
                reading.without_timestamp(serialized)
                if settings.query_time == spec.QUERY_TIME_MODEL_DEFAULT
                else serialized
            )
            if not checked:
                for ranker in models.values():
                    ranker.check_serving(queries, cutoffs.max_k)
                checked = True
            excluded = _excluded(training, user_rows, corpus.size)
            for name, ranker in models.items():
                collector.add_scores(name, ranker.scores(queries), targets, excluded, positions)
            _log_ranked(read - len(serialized), read, None, ", ".join(models))
        if not read:
            return sampled
        _rank_baselines(
            np.concatenate(all_rows),
            np.concatenate(all_targets),
            settings.batch_size,
            training,
            corpus.size,
            fitted,
            collector,
        )
        return sampled


def _excluded(training: reading.Training, user_rows: np.ndarray, num_movies: int) -> np.ndarray:
    """The filtered protocol's ``[batch, N]`` mask: each user's training movies."""
    return exclusion_mask(
        len(user_rows),
        num_movies,
        baselines.user_training_movies(training.interactions, user_rows),
    )


def _rank_baselines(
    user_rows: np.ndarray,
    targets: np.ndarray,
    batch_size: int,
    training: reading.Training,
    num_movies: int,
    fitted: Dict[str, baselines.Baseline],
    collector: RankCollector,
) -> None:
    """Ranks every eval rating with every baseline, scoring each user once a batch.

    A baseline's scores depend on the query user alone (cold users all get
    the same row), so the ratings are taken in user order and each batch's
    distinct users are scored; their rows are repeated for their ratings.
    """
    order = np.argsort(user_rows, kind="stable")
    for start in range(0, len(order), batch_size):
        positions = order[start : start + batch_size]
        users, rating_user = np.unique(user_rows[positions], return_inverse=True)
        excluded = _excluded(training, users, num_movies)[rating_user]
        for name, baseline in fitted.items():
            scores = baseline.scores(users)[rating_user]
            collector.add_scores(name, scores, targets[positions], excluded, positions)
        _log_ranked(start, start + len(positions), len(order), ", ".join(fitted))


def _log_ranked(before: int, done: int, total: Optional[int], rankers: str) -> None:
    """Logs ``N[/M] eval ratings ranked by R`` each time ``done`` passes a multiple of PROGRESS_EVERY, and at ``total``."""
    if done // PROGRESS_EVERY == before // PROGRESS_EVERY and done != total:
        return
    of_total = f"/{total:,}" if total is not None else ""
    log_progress("%s%s eval ratings ranked by %s", f"{done:,}", of_total, rankers)


def _baseline_path(baseline_model: Optional[types.Artifact], settings: Settings) -> Optional[str]:
    """The baseline SavedModel: the input model, else the served one, else none."""
    if baseline_model is not None:
        return serving_model_path(baseline_model)
    if settings.baseline_push_destination:
        return latest_pushed_model(settings.baseline_push_destination)
    return None
