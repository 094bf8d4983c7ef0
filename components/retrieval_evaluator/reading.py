"""Reading rating examples of an Examples artifact's split with tf.data.

Paths go through ``tf.io.gfile`` (via ``fileio``), so ``gs://`` and other
TensorFlow file systems work as local folders do.
"""

from typing import Iterator, List, Optional, Tuple

import numpy as np
import tensorflow as tf
from tfx import types
from tfx.dsl.io import fileio
from tfx.types import artifact_utils

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
    files: List[str], batch_size: int, limit: Optional[int] = None
) -> Iterator[np.ndarray]:
    """Yields serialized ``tf.train.Example``s in batches, in file order.

    Args:
      files: TFRecord files, all gzipped (``.gz``) or all uncompressed.
      batch_size: Records per batch (the last batch may be smaller).
      limit: Read at most this many records (None: all).

    Yields:
      1-D object arrays of serialized examples.
    """
    gzipped = {path.endswith(_GZIP_SUFFIX) for path in files}
    if len(gzipped) != 1:
        raise ValueError(f"Mixed gzipped and plain record files: {files}")
    dataset = tf.data.TFRecordDataset(
        files, compression_type="GZIP" if gzipped.pop() else None
    )
    if limit is not None:
        dataset = dataset.take(limit)
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
