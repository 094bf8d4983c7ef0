"""Helpers for RetrievalEvaluator and VersionedPusher tests: artifacts on disk.

``save_fake_model`` writes a tiny SavedModel honouring the retrieval model
contract (``serving_default``: ``examples`` -> ``movie_ids``, ``movie_titles``,
``scores``) that returns a fixed ranking per user, so metrics can be worked
out by hand.
"""

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import tensorflow as tf
from tfx.types import artifact_utils, standard_artifacts
from tfx.utils import path_utils

from components.movielens_example_gen import records
from components.retrieval_evaluator import executor, spec
from components.retrieval_evaluator.settings import Settings
from transform_fn import features


def rating(user: str, movie: str, timestamp: int) -> Dict[str, Any]:
    """A rating record as the ExampleGen writes it (a subset of its features)."""
    return {
        features.USER_ID: user,
        features.MOVIE_ID: movie,
        features.MOVIE_TITLE: f"Title of {movie}",
        features.MOVIE_GENRES: [1],
        features.TIMESTAMP: timestamp,
        features.USER_RATING: 4.0,
    }


def write_examples(
    uri: str, splits: Mapping[str, Sequence[Mapping[str, Any]]], gzip: bool = True
) -> standard_artifacts.Examples:
    """Writes record splits as an Examples artifact (``Split-<name>/*.gz``)."""
    artifact = standard_artifacts.Examples()
    artifact.uri = uri
    artifact.split_names = artifact_utils.encode_split_names(list(splits))
    options = tf.io.TFRecordOptions(compression_type="GZIP" if gzip else "")
    for name, rows in splits.items():
        folder = os.path.join(uri, f"Split-{name}")
        os.makedirs(folder)
        # Two files per split: readers must take every file, in order.
        half = len(rows) // 2
        for index, part in enumerate((rows[:half], rows[half:])):
            suffix = ".gz" if gzip else ""
            path = os.path.join(folder, f"data_tfrecord-0000{index}-of-00002{suffix}")
            with tf.io.TFRecordWriter(path, options) as writer:
                for row in part:
                    writer.write(records.to_example(row).SerializeToString())
    return artifact


class FixedRankings(tf.Module):
    """A retrieval model stub: a fixed top-K per user (a default for others)."""

    def __init__(self, rankings: Mapping[str, Sequence[str]], default: Sequence[str]):
        super().__init__()
        users = list(rankings)
        rows = [list(rankings[user]) for user in users] + [list(default)]
        self._k = len(default)
        self._default_row = len(users)
        self._ids = tf.constant(rows)
        self._rows = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(users or [""], dtype=tf.string),
                tf.range(max(1, len(users)), dtype=tf.int64),
            ),
            default_value=-1,
        )

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=spec.SIGNATURE_INPUT)])
    def serve(self, examples):
        parsed = tf.io.parse_example(
            examples, {features.USER_ID: tf.io.FixedLenFeature([], tf.string)}
        )
        rows = self._rows.lookup(parsed[features.USER_ID])
        rows = tf.where(rows < 0, tf.constant(self._default_row, tf.int64), rows)
        ids = tf.gather(self._ids, rows)
        scores = tf.range(self._k, 0, -1, dtype=tf.float32)[tf.newaxis, :]
        return {
            spec.OUTPUT_MOVIE_IDS: ids,
            spec.OUTPUT_MOVIE_TITLES: tf.strings.join(["Title of ", ids]),
            spec.OUTPUT_SCORES: tf.tile(scores, [tf.shape(ids)[0], 1]),
        }


def save_fake_model(
    uri: str,
    rankings: Mapping[str, Sequence[str]],
    default: Sequence[str],
    model_id: int = 1,
) -> standard_artifacts.Model:
    """Saves a ``FixedRankings`` SavedModel as a Model artifact (``Format-Serving``)."""
    model = standard_artifacts.Model()
    model.uri = uri
    model.id = model_id
    module = FixedRankings(rankings, default)
    tf.saved_model.save(
        module,
        path_utils.serving_model_path(uri),
        signatures={spec.SIGNATURE_NAME: module.serve},
    )
    return model


def run_evaluator(
    output_root: str,
    model: standard_artifacts.Model,
    examples: standard_artifacts.Examples,
    baseline_model: Optional[standard_artifacts.Model] = None,
    empty_baseline_channel: bool = False,
    **settings: Any,
) -> Tuple[standard_artifacts.ModelEvaluation, standard_artifacts.ModelBlessing]:
    """Runs the RetrievalEvaluator executor's Do() into fresh output artifacts."""
    evaluation = standard_artifacts.ModelEvaluation()
    evaluation.uri = os.path.join(output_root, "evaluation")
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = os.path.join(output_root, "blessing")
    input_dict: Dict[str, List[Any]] = {
        spec.MODEL_KEY: [model],
        spec.EXAMPLES_KEY: [examples],
    }
    if baseline_model is not None:
        input_dict[spec.BASELINE_MODEL_KEY] = [baseline_model]
    elif empty_baseline_channel:
        input_dict[spec.BASELINE_MODEL_KEY] = []
    executor.Executor().Do(
        input_dict,
        {spec.EVALUATION_KEY: [evaluation], spec.BLESSING_KEY: [blessing]},
        Settings(**settings).to_exec_properties(),
    )
    return evaluation, blessing
