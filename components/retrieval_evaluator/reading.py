"""Reading the corpus and rating examples of Examples artifacts with tf.data.

Paths go through ``tf.io.gfile`` (via ``fileio``), so ``gs://`` and other
TensorFlow file systems work as local folders do. Ids become rows: movies are
columns of the corpus (the order of the candidates split), users of the train
split rows of ``baselines.TrainingInteractions``.
"""

import dataclasses
from typing import Dict, Iterator, List, Sequence, Tuple

import numpy as np
import tensorflow as tf
from tfx import types
from tfx.dsl.io import fileio
from tfx.types import artifact_utils

from components.retrieval_evaluator import baselines
from transform_fn import features

_GZIP_SUFFIX = ".gz"


def split_files(examples: types.Artifact, split: str) -> List[str]:
    """Lists the record files of one split of an Examples artifact.

    Args:
      examples: The Examples artifact (TFX layout ``<uri>/Split-<split>/``).
      split: The split name.

    Returns:
      The split's files, sorted, so reading order is the same on every run.

    Raises:
      ValueError: If the artifact has no such split, or the split no files.
    """
    names = artifact_utils.decode_split_names(examples.split_names)
    if split not in names:
        raise ValueError(
            f"Examples at {examples.uri} have no split {split!r}; splits: {names}"
        )
    folder = artifact_utils.get_split_uri([examples], split)
    files = sorted(
        path
        for path in fileio.glob(f"{folder.rstrip('/')}/*")
        if not fileio.isdir(path)
    )
    if not files:
        raise ValueError(f"Split {split!r} of {examples.uri} has no files in {folder}")
    return files


def serialized_batches(
    files: List[str], batch_size: int
) -> Iterator[np.ndarray]:
    """Yields serialized ``tf.train.Example``s in batches, in file order.

    Args:
      files: TFRecord files, all gzipped (``.gz``) or all uncompressed.
      batch_size: Records per batch (the last batch may be smaller).

    Yields:
      1-D object arrays of serialized examples.
    """
    gzipped = {path.endswith(_GZIP_SUFFIX) for path in files}
    if len(gzipped) != 1:
        raise ValueError(f"Mixed gzipped and plain record files: {files}")
    dataset = tf.data.TFRecordDataset(
        files, compression_type="GZIP" if gzipped.pop() else None
    )
    for batch in dataset.batch(batch_size).prefetch(1):
        yield batch.numpy()


_RATING_SPEC = {
    features.USER_ID: tf.io.FixedLenFeature([], tf.string),
    features.MOVIE_ID: tf.io.FixedLenFeature([], tf.string),
    features.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64, default_value=0),
}
_MOVIE_SPEC = {features.MOVIE_ID: _RATING_SPEC[features.MOVIE_ID]}


def rating_keys(serialized: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parses who rated what and when from serialized rating examples.

    Args:
      serialized: Serialized ``tf.train.Example``s.

    Returns:
      ``user_id`` (bytes), ``movie_id`` (bytes) and ``timestamp`` (int64;
      0 when absent) arrays.

    Raises:
      tf.errors.InvalidArgumentError: If an example lacks user_id or movie_id.
    """
    parsed = tf.io.parse_example(serialized, _RATING_SPEC)
    return (
        parsed[features.USER_ID].numpy(),
        parsed[features.MOVIE_ID].numpy(),
        parsed[features.TIMESTAMP].numpy(),
    )


def movie_ids(serialized: np.ndarray) -> np.ndarray:
    """Parses ``movie_id`` (bytes) from serialized rating examples."""
    return tf.io.parse_example(serialized, _MOVIE_SPEC)[features.MOVIE_ID].numpy()


@dataclasses.dataclass(frozen=True)
class Corpus:
    """The movies every ranker ranks.

    Attributes:
      serialized: ``[N]`` serialized movie examples (the candidates split, in
        file order); column ``i`` of every score matrix is movie ``i``.
      movie_ids: ``[N]`` their ``movie_id`` (bytes).
      rows: ``movie_id`` -> column.
    """

    serialized: np.ndarray
    movie_ids: np.ndarray
    rows: Dict[bytes, int]

    @property
    def size(self) -> int:
        """Number of movies."""
        return len(self.movie_ids)

    def columns(self, movie_ids: np.ndarray, what: str) -> np.ndarray:
        """Maps movie ids to corpus columns.

        Args:
          movie_ids: ``[n]`` movie ids (bytes).
          what: What the ids are, for the error (e.g. "train split").

        Returns:
          ``[n]`` int64 columns.

        Raises:
          ValueError: If a movie is not in the corpus (naming it).
        """
        unique, inverse = np.unique(movie_ids, return_inverse=True)
        try:
            columns = np.array([self.rows[movie] for movie in unique], dtype=np.int64)
        except KeyError as missing:
            raise ValueError(
                f"The {what} has a rating of movie {missing.args[0].decode(errors='replace')!r}, "
                f"which is not in the candidate corpus ({self.size} movies): the corpus "
                "must hold every rated movie"
            ) from None
        return columns[inverse] if len(unique) else np.zeros([0], np.int64)


def read_corpus(candidates: types.Artifact, split: str, batch_size: int) -> Corpus:
    """Reads the candidate corpus.

    Args:
      candidates: The ExampleGen's ``candidates`` Examples artifact.
      split: Its split (``corpus``).
      batch_size: Records read at a time.

    Returns:
      The corpus.

    Raises:
      ValueError: If the split is missing or empty, or a movie id repeats.
    """
    batches = list(serialized_batches(split_files(candidates, split), batch_size))
    serialized = np.concatenate(batches) if batches else np.zeros([0], dtype=object)
    if not len(serialized):
        raise ValueError(f"The {split!r} split of {candidates.uri} holds no movies")
    ids = movie_ids(serialized)
    rows: Dict[bytes, int] = {}
    for row, movie in enumerate(ids.tolist()):
        if rows.setdefault(movie, row) != row:
            raise ValueError(
                f"Movie {movie.decode(errors='replace')!r} appears twice in the corpus "
                f"{candidates.uri} ({split!r}): candidates must be keyed by movie_id"
            )
    return Corpus(serialized=serialized, movie_ids=ids, rows=rows)


@dataclasses.dataclass(frozen=True)
class Training:
    """The train split as rows.

    Attributes:
      interactions: Who rated which corpus movie when (users as rows).
      user_rows: ``user_id`` -> row of ``interactions``.
      num_ratings: Train ratings read (before merging repeated pairs).
    """

    interactions: baselines.TrainingInteractions
    user_rows: Dict[bytes, int]
    num_ratings: int

    def rows_of(self, user_ids: np.ndarray) -> np.ndarray:
        """``[n]`` user rows; ``baselines.COLD_USER`` for users not in train."""
        unique, inverse = np.unique(user_ids, return_inverse=True)
        rows = np.array(
            [self.user_rows.get(user, baselines.COLD_USER) for user in unique], dtype=np.int64
        )
        return rows[inverse] if len(unique) else np.zeros([0], np.int64)


def read_training(
    sources: Sequence[types.Artifact], split: str, corpus: Corpus, batch_size: int
) -> Training:
    """Reads the train splits' ratings as rows of users and corpus columns.

    Args:
      sources: The rating Examples artifacts (one, or a window of spans);
        the train split of each is read.
      split: The train split's name.
      corpus: The candidate corpus.
      batch_size: Records read at a time.

    Returns:
      The training interactions.

    Raises:
      ValueError: If the split is missing, or a rated movie is not in the
        corpus (naming it).
    """
    user_rows: Dict[bytes, int] = {}
    users, movies, times = [], [], []
    batches = (
        (examples, batch)
        for examples in sources
        for batch in serialized_batches(split_files(examples, split), batch_size)
    )
    for examples, batch in batches:
        user_ids, batch_movies, timestamps = rating_keys(batch)
        unique, inverse = np.unique(user_ids, return_inverse=True)
        rows = np.array(
            [user_rows.setdefault(user, len(user_rows)) for user in unique.tolist()],
            dtype=np.int64,
        )
        users.append(rows[inverse])
        movies.append(corpus.columns(batch_movies, f"{split!r} split of {examples.uri}"))
        times.append(timestamps.astype(np.int64))

    def joined(parts: List[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.zeros([0], np.int64)

    interactions = baselines.TrainingInteractions(
        user_rows=joined(users),
        movie_rows=joined(movies),
        timestamps=joined(times),
        num_users=len(user_rows),
        num_movies=corpus.size,
    )
    return Training(
        interactions=interactions, user_rows=user_rows, num_ratings=sum(map(len, users))
    )


def without_timestamp(serialized: np.ndarray) -> np.ndarray:
    """The same examples with their ``timestamp`` feature removed.

    Args:
      serialized: Serialized ``tf.train.Example``s.

    Returns:
      Serialized examples without ``timestamp`` (the served model then uses
      its own default time).
    """
    stripped = []
    for record in serialized:
        example = tf.train.Example.FromString(record)
        if features.TIMESTAMP in example.features.feature:
            del example.features.feature[features.TIMESTAMP]
        stripped.append(example.SerializeToString())
    return np.array(stripped, dtype=object)
