"""Executor of RetrievalEvaluator: ranks the eval split, compares, blesses.

The model is used only through its ``serving_default`` signature (serialized
rating examples in, top-K movie ids out; see ``rankers.SavedModelRanker``).
Popularity (the most-rated train movies, for everyone) and the last blessed
model, when given, are evaluated on the same examples in the same pass.
"""

from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np
from absl import logging
from tfx import types
from tfx.dsl.components.base import base_executor
from tfx.types import artifact_utils
from tfx.utils import path_utils

from components.retrieval_evaluator import blessing, reading, report, spec
from components.retrieval_evaluator.metrics import RetrievalMetrics
from components.retrieval_evaluator.rankers import (
    FixedRanker,
    Ranker,
    SavedModelRanker,
    most_popular,
)
from components.retrieval_evaluator.settings import Settings
from components.versioned_pusher.publish import latest_pushed_model


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
) -> Iterator[Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    files = reading.split_files(examples, settings.eval_split)
    for serialized in reading.serialized_batches(
        files, settings.batch_size, settings.max_eval_examples
    ):
        yield (serialized, *reading.rating_keys(serialized))


class Executor(base_executor.BaseExecutor):
    """Computes retrieval metrics and writes the evaluation and the blessing."""

    def Do(
        self,
        input_dict: Dict[str, List[types.Artifact]],
        output_dict: Dict[str, List[types.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        """Evaluates the model, popularity and the baseline model; blesses or not.

        Args:
          input_dict: ``model`` (Model), ``examples`` (Examples with the eval
            and train splits), optional ``baseline_model`` (Model; absent or
            empty on the first run).
          output_dict: ``evaluation`` (ModelEvaluation: metrics.json) and
            ``blessing`` (ModelBlessing).
          exec_properties: See ``spec.RetrievalEvaluatorSpec``.

        Raises:
          ValueError: If a split is missing or empty, or a model breaks the
            serving contract.
        """
        self._log_startup(input_dict, output_dict, exec_properties)
        settings = Settings.from_exec_properties(exec_properties)
        model = artifact_utils.get_single_instance(input_dict[spec.MODEL_KEY])
        examples = artifact_utils.get_single_instance(input_dict[spec.EXAMPLES_KEY])
        baseline_model = _optional_single(input_dict, spec.BASELINE_MODEL_KEY)
        evaluation = artifact_utils.get_single_instance(output_dict[spec.EVALUATION_KEY])
        blessing_artifact = artifact_utils.get_single_instance(output_dict[spec.BLESSING_KEY])

        train_files = reading.split_files(examples, settings.train_split)
        popular, num_train = most_popular(
            (
                reading.movie_ids(batch)
                for batch in reading.serialized_batches(train_files, settings.batch_size)
            ),
            settings.max_k,
        )
        rankers: Dict[str, Ranker] = {
            spec.CANDIDATE: SavedModelRanker(serving_model_path(model), settings.max_k),
            spec.POPULARITY: FixedRanker(popular, settings.max_k),
        }
        baseline_path = _baseline_path(baseline_model, settings)
        if baseline_path is not None:
            rankers[spec.BASELINE] = SavedModelRanker(baseline_path, settings.max_k)
        logging.info("Evaluating %s on split %r", sorted(rankers), settings.eval_split)

        accumulator = RetrievalMetrics(rankers, settings.top_ks)
        for batch in _eval_batches(examples, settings):
            accumulator.add(*batch)
        results = accumulator.results()
        decision = blessing.decide(settings, results)

        content = report.build(
            settings,
            results,
            decision,
            num_eval_examples=accumulator.num_examples,
            num_eval_users=accumulator.num_users,
            num_train_examples=num_train,
            model_uri=model.uri,
            baseline_model_uri=baseline_model.uri if baseline_model else baseline_path,
        )
        path = report.write(evaluation, content)
        report.record_properties(evaluation, results, accumulator.num_examples)
        blessing.write_blessing(
            blessing_artifact, decision, model, baseline_model, exec_properties
        )
        logging.info(
            "Metrics written to %s; %s: %s",
            path,
            "BLESSED" if decision.blessed else "NOT BLESSED",
            "; ".join(decision.reasons),
        )


def _baseline_path(baseline_model: Optional[types.Artifact], settings: Settings) -> Optional[str]:
    """The baseline SavedModel: the input model, else the served one, else none."""
    if baseline_model is not None:
        return serving_model_path(baseline_model)
    if settings.baseline_push_destination:
        return latest_pushed_model(settings.baseline_push_destination)
    return None
