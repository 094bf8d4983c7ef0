"""Datasets for training: transformed ratings and the transformed corpus."""

import dataclasses
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from absl import logging

import retrieval_metrics
from transform_fn import features

FilePatterns = Union[str, Sequence[str]]
# Examples per transform call when transforming a whole split into memory.
_TRANSFORM_BATCH = 16_384


def _files(patterns: FilePatterns) -> List[str]:
    patterns = [patterns] if isinstance(patterns, str) else list(patterns)
    files = sorted(path for pattern in patterns for path in tf.io.gfile.glob(pattern))
    if not files:
        raise FileNotFoundError(f"No files match {patterns}")
    return files


def _records(files: Sequence[str]) -> tf.data.Dataset:
    return tf.data.TFRecordDataset(list(files), compression_type="GZIP")


def transformed_ratings(
    patterns: FilePatterns,
    tf_transform_output: tft.TFTransformOutput,
    transform_layer: tf.keras.layers.Layer,
    batch_size: int,
    shuffle_buffer: int = 0,
    seed: int = 0,
    cache: bool = False,
    cache_max_examples: Optional[int] = None,
    known_examples: Optional[int] = None,
) -> tf.data.Dataset:
    """Batches of rating features, transformed from the raw examples.

    The Transform component only analyses (it does not materialize transformed
    examples): the examples go through the transform graph here, the same
    ``transform_layer`` the exported model serves with.

    Args:
      patterns: Glob(s) of the ExampleGen's gzipped TFRecords of one split.
      tf_transform_output: The Transform output (for the raw feature spec).
      transform_layer: ``tf_transform_output.transform_features_layer()``.
      batch_size: Examples per batch.
      shuffle_buffer: Shuffle buffer size when streaming from the files
        (``streamed_batches``); 0 keeps file order. In memory (``cache``)
        any value above 0 reshuffles the whole split every pass
        (``shuffled_row_batches``).
      seed: Shuffle seed.
      cache: Transform the whole split once and keep it in memory (for data
        that fits; epochs then only gather rows), instead of reading,
        parsing and transforming the files on every pass.
      cache_max_examples: With ``cache``, a split of more ratings than this
        streams instead (said in the log): the transform into memory stops
        once it passes this many and drops what it holds. None: no limit.
      known_examples: The split's number of ratings, if known (e.g.
        recorded by the ExampleGen): above ``cache_max_examples`` it streams
        at once, without reading up to the limit first.

    Returns:
      A dataset of transformed feature dicts.
    """
    transform = _parse_and_transform(tf_transform_output, transform_layer)
    files = _files(patterns)
    known_too_big = (
        known_examples is not None
        and cache_max_examples is not None
        and known_examples > cache_max_examples
    )
    if cache and not known_too_big:
        columns = _transform_all(_records(files), transform, files, limit=cache_max_examples)
        if columns is not None:
            return _in_memory_batches(columns, batch_size, shuffle_buffer, seed)
    if cache:
        logging.info(
            "The split holds more than %d ratings (cache_max_examples%s): streaming it from "
            "its %d files on every pass instead of holding it in memory",
            cache_max_examples,
            f"; {known_examples:,} recorded by the ExampleGen" if known_too_big else "",
            len(files),
        )
    return streamed_batches(files, transform, batch_size, shuffle_buffer, seed)


def streamed_batches(
    files: Sequence[str],
    transform: Callable[[tf.Tensor], Any],
    batch_size: int,
    shuffle_buffer: int,
    seed: int,
) -> tf.data.Dataset:
    """Batches read from the files, then parsed and transformed, on every pass.

    With a shuffle, every file is open at once and gives one record in turn
    (``interleave``), the files in a new order every pass, before the
    shuffle buffer. A split's files each hold a stretch of its source's
    order (the ExampleGen writes ~100k ratings per file, one shuffle window
    of the ratings file after another: ``shard_files.py``), so a buffer
    filled from one file at a time would hold the ratings of a few
    thousand users, and at ml-25m's size a step budget of less than one
    epoch would never train the users it did not reach. Taken in turn from every file, each
    batch draws from the whole split. Without a shuffle the files are read
    one after another, in file order.

    Args:
      files: The split's gzipped TFRecord files.
      transform: Serialized examples -> transformed features.
      batch_size: Examples per batch.
      shuffle_buffer: Records held by the shuffle; 0: file order.
      seed: Shuffle seed.

    Returns:
      A dataset of transformed feature dicts.
    """
    if shuffle_buffer:
        dataset = (
            tf.data.Dataset.from_tensor_slices(list(files))
            .shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
            .interleave(
                lambda path: tf.data.TFRecordDataset(path, compression_type="GZIP"),
                cycle_length=len(files),
                block_length=1,
            )
            .shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        )
    else:
        dataset = _records(files)
    return (
        dataset.batch(batch_size)
        .map(transform, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )


def transform_split(
    patterns: FilePatterns,
    tf_transform_output: tft.TFTransformOutput,
    transform_layer: tf.keras.layers.Layer,
) -> Dict[str, Any]:
    """A whole split transformed into memory: what ``cache`` epochs gather from.

    Args:
      patterns: Glob(s) of the ExampleGen's gzipped TFRecords of one split.
      tf_transform_output: The Transform output (for the raw feature spec).
      transform_layer: ``tf_transform_output.transform_features_layer()``.

    Returns:
      One tensor per transformed feature, a row per example in file order
      (ragged for variable-length features).
    """
    files = _files(patterns)
    return _transform_all(
        _records(files), _parse_and_transform(tf_transform_output, transform_layer), files
    )


@dataclasses.dataclass(frozen=True)
class SampledRatings:
    """A uniform sample of a split's ratings, transformed into memory.

    Attributes:
      dataset: Batches of the sample's transformed features, in file order.
      read: Ratings in the split (all of them were read to draw the sample).
    """

    dataset: tf.data.Dataset
    read: int


def sampled_ratings(
    patterns: FilePatterns,
    tf_transform_output: tft.TFTransformOutput,
    transform_layer: tf.keras.layers.Layer,
    batch_size: int,
    size: int,
    seed: int,
) -> SampledRatings:
    """A seeded uniform sample of a split's ratings, transformed into memory.

    The split streams through (``retrieval_metrics.uniform_sample`` holds at
    most ``size`` serialized examples); only the sample is transformed.

    Args:
      patterns: Glob(s) of the ExampleGen's gzipped TFRecords of one split.
      tf_transform_output: The Transform output (for the raw feature spec).
      transform_layer: ``tf_transform_output.transform_features_layer()``.
      batch_size: Examples per batch.
      size: Ratings to keep (all of them when the split has fewer).
      seed: Seed of the draw: the same split gives the same sample.

    Returns:
      The sample's batches and how many ratings were read to draw it.
    """
    files = _files(patterns)
    serialized = (batch.numpy() for batch in _records(files).batch(_TRANSFORM_BATCH))
    sample, read = retrieval_metrics.uniform_sample(serialized, size, seed)
    records = tf.data.Dataset.from_tensor_slices(tf.constant(list(sample), tf.string))
    columns = _transform_all(
        records, _parse_and_transform(tf_transform_output, transform_layer), files
    )
    return SampledRatings(
        dataset=_in_memory_batches(columns, batch_size, shuffle_buffer=0, seed=0), read=read
    )


def _parse_and_transform(
    tf_transform_output: tft.TFTransformOutput, transform_layer: tf.keras.layers.Layer
) -> Callable[[tf.Tensor], Dict[str, Any]]:
    """Serialized raw examples -> transformed features."""
    spec = tf_transform_output.raw_feature_spec()

    # No autograph: tracing the transform graph through it takes seconds per
    # dataset, and the graph has no Python control flow to convert.
    @tf.autograph.experimental.do_not_convert
    def parse_and_transform(serialized: tf.Tensor) -> Dict[str, Any]:
        return transform_layer(tf.io.parse_example(serialized, spec))

    return parse_and_transform


def _transform_all(
    records: tf.data.Dataset,
    transform: Callable[[tf.Tensor], Dict[str, Any]],
    files: Sequence[str],
    limit: Optional[int] = None,
) -> Optional[Dict[str, Any]]:
    """Every record transformed, one tensor per feature (ragged for lists).

    ``files`` names where the records came from, for the error when there
    are none. With a ``limit``, None as soon as there are more records.
    """
    parts: Dict[str, List[Any]] = {}
    count = 0
    for batch in records.batch(_TRANSFORM_BATCH).map(transform):
        count += int(next(iter(batch.values())).shape[0])
        if limit is not None and count > limit:
            return None
        for name, value in batch.items():
            if isinstance(value, tf.SparseTensor):
                value = tf.RaggedTensor.from_sparse(value)
            parts.setdefault(name, []).append(value)
    if not parts:
        raise ValueError(f"No rating examples: {list(files)} hold no records")
    return {name: tf.concat(values, axis=0) for name, values in parts.items()}


def _in_memory_batches(
    columns: Dict[str, Any], batch_size: int, shuffle_buffer: int, seed: int
) -> tf.data.Dataset:
    """Batches gathered from in-memory columns, reshuffled on every pass.

    With ``shuffle_buffer`` > 0 every pass (iterator) draws a new permutation
    of all the rows at once (``shuffled_row_batches``) instead of shuffling
    row numbers one element at a time through a buffer: the same rows, the
    same batch sizes, a fresh and seeded order every epoch, a uniform
    shuffle of the whole split whatever the buffer size, and a tenth of the
    input pipeline's CPU (docs/benchmarks.md, "A Trainer epoch against a bare
    Keras loop").
    """
    count = int(next(iter(columns.values())).shape[0])
    if shuffle_buffer:
        rows = shuffled_row_batches(count, batch_size, seed)
    else:
        rows = tf.data.Dataset.range(count).batch(batch_size)

    def gather(indices: tf.Tensor) -> Dict[str, Any]:
        batch = {}
        for name, column in columns.items():
            value = tf.gather(column, indices)
            batch[name] = value.to_sparse() if isinstance(value, tf.RaggedTensor) else value
        return batch

    return rows.map(gather).prefetch(tf.data.AUTOTUNE)


def shuffled_row_batches(count: int, batch_size: int, seed: int) -> tf.data.Dataset:
    """Row numbers ``0..count-1`` in batches, in a new random order on every pass.

    Each iterator takes a fresh seed from ``tf.data.Dataset.random`` (seeded,
    so every process, and every worker of a multi-worker run, draws the same
    sequence of orders) and permutes all the rows with one stateless shuffle.

    Args:
      count: Number of rows.
      batch_size: Rows per batch (the last batch holds the rest).
      seed: The op seed of the orders (with TensorFlow's global seed).

    Returns:
      A dataset of ``[<= batch_size]`` int64 row numbers, of known length.
    """
    last_dimension_seed = tf.constant(0, tf.int64)

    def batches_of(epoch_seed: tf.Tensor) -> tf.data.Dataset:
        order = tf.random.experimental.stateless_shuffle(
            tf.range(count, dtype=tf.int64), seed=tf.stack([epoch_seed, last_dimension_seed])
        )
        return tf.data.Dataset.range(0, count, batch_size).map(
            lambda start: order[start : start + batch_size]
        )

    return (
        tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        .take(1)
        .flat_map(batches_of)
        .apply(tf.data.experimental.assert_cardinality(-(-count // batch_size)))
    )


@dataclasses.dataclass(frozen=True)
class Corpus:
    """The candidate corpus, raw and transformed.

    Attributes:
      movie_ids: ``[N]`` raw movie ids (the candidate keys).
      titles: ``[N]`` raw titles.
      transformed: Transformed movie features of the N movies.
    """

    movie_ids: tf.Tensor
    titles: tf.Tensor
    transformed: Dict[str, tf.Tensor]

    @property
    def size(self) -> int:
        """Number of candidates."""
        return int(self.movie_ids.shape[0])


def candidate_feature_spec(tf_transform_output: tft.TFTransformOutput) -> Dict[str, object]:
    """The raw feature spec of the corpus's movie features.

    Args:
      tf_transform_output: The Transform output.

    Returns:
      The raw spec restricted to ``features.CANDIDATE_FEATURES``.
    """
    raw = tf_transform_output.raw_feature_spec()
    return {name: raw[name] for name in features.CANDIDATE_FEATURES if name in raw}


def load_corpus(
    patterns: FilePatterns,
    tf_transform_output: tft.TFTransformOutput,
    transform_layer: tf.keras.layers.Layer,
) -> Corpus:
    """Reads the raw candidate corpus and transforms it.

    Args:
      patterns: Glob(s) of the ExampleGen ``candidates`` corpus split.
      tf_transform_output: The Transform output.
      transform_layer: ``tf_transform_output.transform_features_layer()``.

    Returns:
      The corpus, in file order.

    Raises:
      ValueError: If a movie id appears twice.
    """
    serialized = tf.concat(list(_records(_files(patterns)).batch(100_000)), axis=0)
    raw = tf.io.parse_example(serialized, candidate_feature_spec(tf_transform_output))
    transformed = transform_layer(raw)
    ids = _dense_strings(raw[features.MOVIE_ID])
    unique, _ = tf.unique(ids)
    if unique.shape[0] != ids.shape[0]:
        raise ValueError("The candidate corpus holds a movie id more than once")
    return Corpus(
        movie_ids=ids,
        titles=_dense_strings(raw[features.MOVIE_TITLE]),
        transformed=dict(transformed),
    )


def _dense_strings(tensor) -> tf.Tensor:
    if isinstance(tensor, tf.SparseTensor):
        tensor = tf.sparse.to_dense(tensor, default_value=b"")
    return tf.reshape(tensor, [-1])


def corpus_rows(corpus: Corpus) -> tf.lookup.StaticHashTable:
    """A table from movie id to its row in the corpus (-1 when absent).

    Args:
      corpus: The candidate corpus.

    Returns:
      The lookup table.
    """
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            corpus.movie_ids, tf.range(corpus.size, dtype=tf.int64)
        ),
        default_value=-1,
    )


@dataclasses.dataclass(frozen=True)
class Interactions:
    """Who rated which corpus movie when, one entry per rating.

    Attributes:
      user_index: ``[n]`` the transform's ``user_id_index`` of each rating.
      movie_rows: ``[n]`` corpus row of each rating's movie.
      timestamps: ``[n]`` raw rating times.
    """

    user_index: np.ndarray
    movie_rows: np.ndarray
    timestamps: np.ndarray

    def movie_counts(self, size: int) -> np.ndarray:
        """``[size]`` int64 number of ratings of each corpus row."""
        return np.bincount(self.movie_rows, minlength=size).astype(np.int64)


def interactions(dataset: tf.data.Dataset, rows: tf.lookup.StaticHashTable) -> Interactions:
    """Reads who rated what and when from transformed rating batches.

    Args:
      dataset: Batches with ``user_id_index`` and the pass-through
        ``movie_id`` and ``timestamp``.
      rows: ``corpus_rows`` of the corpus.

    Returns:
      The ratings' users, corpus rows and times.
    """
    users, movies, times = [], [], []
    user_index = features.transformed_name(features.USER_ID, features.INDEX)
    for batch in dataset:
        users.append(tf.reshape(batch[user_index], [-1]).numpy())
        movies.append(rows_of(batch, rows).numpy())
        times.append(tf.reshape(batch[features.TIMESTAMP], [-1]).numpy())
    return Interactions(
        user_index=np.concatenate(users).astype(np.int64),
        movie_rows=np.concatenate(movies).astype(np.int64),
        timestamps=np.concatenate(times).astype(np.int64),
    )


def rows_of(batch: Mapping[str, tf.Tensor], rows: tf.lookup.StaticHashTable) -> tf.Tensor:
    """The corpus rows of a batch's rated movies.

    Args:
      batch: Transformed features with the pass-through ``movie_id``.
      rows: ``corpus_rows`` of the corpus.

    Returns:
      ``[batch]`` int64 rows.
    """
    found = rows.lookup(tf.reshape(batch[features.MOVIE_ID], [-1]))
    tf.debugging.assert_non_negative(
        found, message="A rating's movie_id is not in the candidate corpus"
    )
    return found
