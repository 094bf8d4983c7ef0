"""Helpers for RetrievalEvaluator and VersionedPusher tests: artifacts on disk.

``save_fake_model`` writes a tiny SavedModel honouring the retrieval model
contract (``serving_default``, ``query_embedding``, ``candidate_embedding``)
whose scores are given as a table: ``scores[user][movie]``. It embeds user
``u`` as the one-hot vector of its column and movie ``m`` as the vector of its
scores per column, so ``query . candidate`` is exactly the table's entry and
ranks can be worked out by hand. Users not in the table score by the
``default`` column; with ``timed`` given, every query example that carries a
``timestamp`` scores by the ``timed`` column instead (a model whose answer
depends on the query time).
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

ALL_SIGNATURES = (
    spec.SIGNATURE_NAME,
    spec.QUERY_EMBEDDING_SIGNATURE,
    spec.CANDIDATE_EMBEDDING_SIGNATURE,
)


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


def movie(movie_id: str) -> Dict[str, Any]:
    """A movie record of the candidate corpus, as the ExampleGen writes it."""
    return {
        features.MOVIE_ID: movie_id,
        features.MOVIE_TITLE: f"Title of {movie_id}",
        features.MOVIE_GENRES: [1],
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


def write_candidates(uri: str, movie_ids: Sequence[str]) -> standard_artifacts.Examples:
    """Writes a candidates artifact (split ``corpus``) holding these movies in order."""
    return write_examples(uri, {spec.CORPUS_SPLIT: [movie(m) for m in movie_ids]})


_DEFAULT = "<default>"
_TIMED = "<timed>"


class ScoreTable(tf.Module):
    """A two-tower stub whose dot products are a given score table."""

    def __init__(
        self,
        scores: Mapping[str, Mapping[str, float]],
        default: Mapping[str, float],
        timed: Optional[Mapping[str, float]],
        serving_k: Optional[int],
    ):
        super().__init__()
        columns = {**scores, _DEFAULT: default, _TIMED: timed or {}}
        names = list(columns)
        movies = sorted({m for table in columns.values() for m in table})
        self._timed = timed is not None
        self._k = min(serving_k or len(movies), len(movies))
        self._width = len(names)
        self._default_column = names.index(_DEFAULT)
        self._timed_column = names.index(_TIMED)
        self._movie_ids = tf.constant(movies)
        # Row m: movie m's score in every column; an extra zero row for
        # movies the table does not know.
        self._movie_vectors = tf.constant(
            [[float(columns[name].get(m, 0.0)) for name in names] for m in movies]
            + [[0.0] * len(names)]
        )
        self._users = _lookup(list(scores))
        self._movies = _lookup(movies)

    def _query(self, examples):
        parsed = tf.io.parse_example(
            examples,
            {
                features.USER_ID: tf.io.FixedLenFeature([], tf.string, default_value=""),
                features.TIMESTAMP: tf.io.VarLenFeature(tf.int64),
            },
        )
        column = self._users.lookup(parsed[features.USER_ID])
        column = tf.where(column < 0, tf.constant(self._default_column, tf.int64), column)
        if self._timed:
            has_time = tf.sparse.reduce_sum(
                tf.sparse.map_values(tf.ones_like, parsed[features.TIMESTAMP]), axis=1
            ) > 0
            # reduce_sum of an empty sparse batch has unknown rows: reshape.
            has_time = tf.reshape(has_time, [-1])
            column = tf.where(has_time, tf.constant(self._timed_column, tf.int64), column)
        return tf.one_hot(column, self._width, dtype=tf.float32)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=spec.SIGNATURE_INPUT)])
    def query_embedding(self, examples):
        return {spec.OUTPUT_EMBEDDING: self._query(examples)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=spec.SIGNATURE_INPUT)])
    def candidate_embedding(self, examples):
        parsed = tf.io.parse_example(
            examples, {features.MOVIE_ID: tf.io.FixedLenFeature([], tf.string)}
        )
        rows = self._movies.lookup(parsed[features.MOVIE_ID])
        unknown = tf.cast(tf.shape(self._movie_ids)[0], tf.int64)
        rows = tf.where(rows < 0, unknown, rows)
        return {spec.OUTPUT_EMBEDDING: tf.gather(self._movie_vectors, rows)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name=spec.SIGNATURE_INPUT)])
    def serve(self, examples):
        scores = tf.matmul(self._query(examples), self._movie_vectors[:-1], transpose_b=True)
        top, rows = tf.math.top_k(scores, k=self._k)
        ids = tf.gather(self._movie_ids, rows)
        return {
            spec.OUTPUT_MOVIE_IDS: ids,
            spec.OUTPUT_MOVIE_TITLES: tf.strings.join(["Title of ", ids]),
            spec.OUTPUT_SCORES: top,
        }


def _lookup(keys: List[str]) -> tf.lookup.StaticHashTable:
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(keys or [""], dtype=tf.string),
            tf.range(max(1, len(keys)), dtype=tf.int64),
        ),
        default_value=-1,
    )


def save_fake_model(
    uri: str,
    scores: Mapping[str, Mapping[str, float]],
    default: Mapping[str, float],
    timed: Optional[Mapping[str, float]] = None,
    model_id: int = 1,
    serving_k: Optional[int] = None,
    signatures: Sequence[str] = ALL_SIGNATURES,
) -> standard_artifacts.Model:
    """Saves a ``ScoreTable`` SavedModel as a Model artifact (``Format-Serving``).

    Args:
      uri: The artifact's URI.
      scores: ``scores[user][movie]``; a movie missing from a user's row scores 0.
      default: Scores for users not in ``scores``.
      timed: If given, scores for every query example with a ``timestamp``.
      model_id: The artifact's MLMD id.
      serving_k: How many movies ``serving_default`` returns (default: all
        the movies the table names).
      signatures: Which signatures to export.

    Returns:
      The Model artifact.
    """
    model = standard_artifacts.Model()
    model.uri = uri
    model.id = model_id
    module = ScoreTable(scores, default, timed, serving_k)
    functions = {
        spec.SIGNATURE_NAME: module.serve,
        spec.QUERY_EMBEDDING_SIGNATURE: module.query_embedding,
        spec.CANDIDATE_EMBEDDING_SIGNATURE: module.candidate_embedding,
    }
    tf.saved_model.save(
        module,
        path_utils.serving_model_path(uri),
        signatures={name: functions[name] for name in signatures},
    )
    return model


def run_evaluator(
    output_root: str,
    model: standard_artifacts.Model,
    examples: standard_artifacts.Examples,
    candidates: standard_artifacts.Examples,
    baseline_model: Optional[standard_artifacts.Model] = None,
    empty_baseline_channel: bool = False,
    train_examples: Optional[Sequence[standard_artifacts.Examples]] = None,
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
        spec.CANDIDATES_KEY: [candidates],
    }
    if baseline_model is not None:
        input_dict[spec.BASELINE_MODEL_KEY] = [baseline_model]
    elif empty_baseline_channel:
        input_dict[spec.BASELINE_MODEL_KEY] = []
    if train_examples is not None:
        input_dict[spec.TRAIN_EXAMPLES_KEY] = list(train_examples)
    executor.Executor().Do(
        input_dict,
        {spec.EVALUATION_KEY: [evaluation], spec.BLESSING_KEY: [blessing]},
        Settings(**settings).to_exec_properties(),
    )
    return evaluation, blessing
