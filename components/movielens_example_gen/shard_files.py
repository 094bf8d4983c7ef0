"""Writing batches of serialized examples as gzipped TFRecord files, one per bundle.

Beam's ``WriteToTFRecord`` takes one element per record, so on the
DirectRunner every record pays the per-element costs of a Beam step (its
windowed value, the sink's bookkeeping, a zlib call of its own): profiled on
1M ratings, a third of the ExampleGen's time. Here each bundle's batches go
into one file through TensorFlow's ``TFRecordWriter`` (C++), and the files
follow the protocol of Beam's file sinks: written under a temporary folder,
then renamed to their final names in one step once every bundle has
committed, so that a retried bundle's leftover file is never published.
Paths go through ``tf.io.gfile``, so ``gs://`` and ``s3://`` work.
"""

import os
import uuid
from typing import Iterator, List

import apache_beam as beam
import tensorflow as tf
from apache_beam.transforms.window import GlobalWindows
from apache_beam.utils.windowed_value import WindowedValue

_GZIP = "GZIP"


def shard_name(prefix: str, index: int, count: int) -> str:
    """The name of one of a split's files, as Beam's sinks name shards.

    Args:
      prefix: The file prefix (``data_tfrecord``).
      index: The shard's index, from 0.
      count: How many shards the split has.

    Returns:
      ``<prefix>-<index, 5 digits>-of-<count, 5 digits>.gz``.
    """
    return f"{prefix}-{index:05d}-of-{count:05d}.gz"


class _WriteBundleFiles(beam.DoFn):
    """Writes the batches of each bundle into one temporary file and outputs its path."""

    def __init__(self, temp_dir: str):
        self._temp_dir = temp_dir
        self._writer = None
        self._path = None

    def setup(self) -> None:
        tf.io.gfile.makedirs(self._temp_dir)

    def start_bundle(self) -> None:
        self._writer = None
        self._path = None

    def process(self, serialized_batch: List[bytes]) -> None:
        """Appends a batch of serialized examples to the bundle's file.

        Args:
          serialized_batch: Serialized ``tf.train.Example``s.
        """
        if self._writer is None:
            self._path = os.path.join(self._temp_dir, f"{uuid.uuid4().hex}.gz")
            self._writer = tf.io.TFRecordWriter(self._path, options=_GZIP)
        for serialized in serialized_batch:
            self._writer.write(serialized)

    def finish_bundle(self) -> Iterator[WindowedValue]:
        """Closes the bundle's file, if it has one, and outputs its path.

        Yields:
          The temporary file's path, in the global window.
        """
        if self._writer is None:
            return
        self._writer.close()
        yield GlobalWindows.windowed_value(self._path)


def _publish(temp_files: List[str], temp_dir: str, folder: str, prefix: str) -> None:
    """Renames the committed temporary files to their shard names, then removes the temporary folder.

    A collection without records still gets one file, empty, as with Beam's
    sinks.
    """
    if not temp_files:
        tf.io.gfile.makedirs(temp_dir)
        empty = os.path.join(temp_dir, "empty.gz")
        tf.io.TFRecordWriter(empty, options=_GZIP).close()
        temp_files = [empty]
    for index, path in enumerate(sorted(temp_files)):
        tf.io.gfile.rename(
            path, os.path.join(folder, shard_name(prefix, index, len(temp_files))), overwrite=True
        )
    tf.io.gfile.rmtree(temp_dir)


@beam.ptransform_fn
def WriteShards(  # pylint: disable=invalid-name
    serialized_batches: beam.PCollection, folder: str, prefix: str
) -> beam.PCollection:
    """Writes batches of serialized examples as gzipped TFRecord shards.

    Args:
      serialized_batches: Lists of serialized ``tf.train.Example``s.
      folder: The folder the shards go to (a split folder).
      prefix: The shards' name prefix (``shard_name``).

    Returns:
      A one-element collection (None), computed once the shards are
      published.
    """
    temp_dir = os.path.join(folder, f".temp-{prefix}-{uuid.uuid4().hex}")
    return (
        serialized_batches
        | "WriteBundleFiles" >> beam.ParDo(_WriteBundleFiles(temp_dir))
        | "CommittedFiles" >> beam.combiners.ToList()
        | "Publish" >> beam.Map(_publish, temp_dir, folder, prefix)
    )
