"""Reading TFRecord files in TFX's Beam components with TensorFlow's reader.

StatisticsGen and Transform read examples through tfx_bsl, whose
``record_based_tfxio.ReadTfRecord`` uses Beam's ``ReadFromTFRecord``: a
pure-Python reader that unpacks every record's header and checks two CRCs
in Python calls. Profiled on TFDV's statistics of 1M ratings, it was half
the time; counting 1M gzipped records took 26.5-37.6 s through it against
6.4-11.1 s through ``tf.data.TFRecordDataset`` (C++) inside a ``FlatMap``
(docs/benchmarks.md). ``ReadTfRecordFiles`` is that ``FlatMap``: the same
records, one element each, for the same file patterns; the files are spread
over the workers, each read whole (a gzipped file cannot be split anyway).

``tensorflow_record_reads()`` puts it in place of tfx_bsl's reader while an
executor builds and runs its pipeline (``components/statistics_gen``,
``components/retrieval_transform``): tfx_bsl looks the function up on its
module each time it builds a source, so no other reading changes.
"""

import contextlib
from typing import Iterator, List, Sequence

import apache_beam as beam
import tensorflow as tf
from tfx_bsl.tfxio import record_based_tfxio

# Suffix -> tf.data compression; other suffixes with a compression of their
# own are refused (Beam's reader would have detected them).
_COMPRESSION_BY_SUFFIX = {".gz": "GZIP", ".gzip": "GZIP", ".zlib": "ZLIB"}
_REFUSED_SUFFIXES = (".bz2", ".deflate", ".zst", ".lzma", ".snappy", ".xz")
# Records handed from TensorFlow to Python at a time.
_RECORDS_PER_READ = 8192
_READ_BUFFER_BYTES = 8 << 20


def compression_of(path: str) -> str:
    """The ``tf.data`` compression of a TFRecord file, from its name.

    Args:
      path: The file's path.

    Returns:
      ``GZIP``, ``ZLIB`` or ``""`` (uncompressed).

    Raises:
      ValueError: If the name ends in a compression TensorFlow cannot read.
    """
    lowered = path.lower()
    for suffix, compression in _COMPRESSION_BY_SUFFIX.items():
        if lowered.endswith(suffix):
            return compression
    if lowered.endswith(_REFUSED_SUFFIXES):
        raise ValueError(
            f"{path}: TFRecord files compressed as {lowered.rsplit('.', 1)[-1]} cannot be read "
            "by TensorFlow's reader; write them gzipped (.gz) or uncompressed"
        )
    return ""


def read_records(path: str) -> Iterator[bytes]:
    """Yields the records of one TFRecord file, in order.

    Args:
      path: A local or remote (``gs://``, ``s3://``) TFRecord file.

    Yields:
      Each record's bytes.

    Raises:
      ValueError: Naming the file, if it is corrupt or cannot be read.
    """
    dataset = tf.data.TFRecordDataset(
        path, compression_type=compression_of(path), buffer_size=_READ_BUFFER_BYTES
    )
    try:
        for batch in dataset.batch(_RECORDS_PER_READ):
            yield from batch.numpy().tolist()
    except tf.errors.OpError as error:
        raise ValueError(f"{path}: cannot read its TFRecords: {error.message}") from error


def files_of(file_patterns: Sequence[str]) -> List[str]:
    """The files each pattern matches, in pattern order, each pattern's sorted.

    Args:
      file_patterns: Glob patterns.

    Returns:
      The files.

    Raises:
      FileNotFoundError: Naming the first pattern that matches no file.
    """
    files = []
    for pattern in file_patterns:
        matched = sorted(path for path in tf.io.gfile.glob(pattern) if not tf.io.gfile.isdir(path))
        if not matched:
            raise FileNotFoundError(f"No TFRecord files match {pattern}")
        files.extend(matched)
    return files


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(bytes)
def ReadTfRecordFiles(  # pylint: disable=invalid-name
    pipeline: beam.Pipeline, file_pattern: Sequence[str]
) -> beam.PCollection:
    """Every record of the files the patterns match, one element each.

    The signature and output of tfx_bsl's ``record_based_tfxio.ReadTfRecord``.

    Args:
      pipeline: The pipeline.
      file_pattern: Glob patterns of TFRecord files.

    Returns:
      A PCollection of the records' bytes.
    """
    return (
        pipeline
        | "ListFiles" >> beam.Create(files_of(file_pattern))
        | "SpreadFiles" >> beam.Reshuffle()
        | "ReadRecords" >> beam.FlatMap(read_records)
    )


@contextlib.contextmanager
def tensorflow_record_reads() -> Iterator[None]:
    """Within the block, tfx_bsl reads TFRecord files with ``ReadTfRecordFiles``.

    Yields:
      Nothing; tfx_bsl's own reader is back in place after the block.
    """
    original = record_based_tfxio.ReadTfRecord
    record_based_tfxio.ReadTfRecord = ReadTfRecordFiles
    try:
        yield
    finally:
        record_based_tfxio.ReadTfRecord = original
