"""Beam transforms writing records as TFX Examples splits, and the run summary."""

import json
import os
from typing import Any, Dict, Mapping

import apache_beam as beam
import tensorflow as tf
from tfx.components.example_gen import write_split

from components.movielens_example_gen import batches, records
from components.movielens_example_gen.bad_rows import SAMPLE_SIZE, BadRowsSummary


@beam.ptransform_fn
def WriteRecords(  # pylint: disable=invalid-name
    record_batches: beam.PCollection, split_uri: str
) -> beam.pvalue.PDone:
    """Writes batches of records as gzipped TFRecords of ``tf.train.Example``.

    The files are named as TFX's own ExampleGens name them
    (``data_tfrecord-*.gz``). Like TFX's ``WriteSplit``, the examples are
    shuffled before writing, here as whole serialized batches: shuffling
    single examples costs ~3 s per 100k on the DirectRunner.

    Args:
      record_batches: Lists of records (``records.py``, ``batches.py``).
      split_uri: The split folder of an Examples artifact (``Split-<name>``).

    Returns:
      The write's PDone.
    """
    return (
        record_batches
        | "ToExamples" >> beam.Map(records.to_serialized_examples)
        | "Shuffle" >> beam.Reshuffle()
        | "Unbatch" >> batches.Unbatch()
        | "Write"
        >> beam.io.WriteToTFRecord(
            os.path.join(split_uri, write_split.DEFAULT_TF_RECORD_FILE_NAME),
            file_name_suffix=".gz",
        )
    )


@beam.ptransform_fn
def SummarizeBadRows(bad_rows: beam.PCollection) -> beam.PCollection:  # pylint: disable=invalid-name
    """Reduces bad rows to one ``BadRowsSummary`` (count and first rows)."""
    count = bad_rows | "CountBad" >> beam.combiners.Count.Globally()
    first = bad_rows | "FirstBad" >> beam.combiners.Top.Of(
        SAMPLE_SIZE, key=lambda row: (row.file, row.line), reverse=True
    )
    return count | "Summary" >> beam.Map(
        lambda total, rows: BadRowsSummary.of(total, rows), beam.pvalue.AsSingleton(first)
    )


def write_summary(path: str, summary: Mapping[str, Any]) -> None:
    """Writes the run summary JSON.

    Args:
      path: Destination file (any ``tf.io.gfile`` path).
      summary: JSON-serializable summary.
    """
    with tf.io.gfile.GFile(path, "w") as handle:
        json.dump(summary, handle, indent=2, sort_keys=True)


def read_summary(path: str) -> Dict[str, Any]:
    """Reads a summary written by ``write_summary``.

    Args:
      path: The summary file.

    Returns:
      The summary.
    """
    with tf.io.gfile.GFile(path) as handle:
        return json.load(handle)


def split_uri(artifact_uri: str, split: str) -> str:
    """Returns the folder of a split inside an Examples artifact (TFX layout).

    Args:
      artifact_uri: The Examples artifact's URI.
      split: The split name.

    Returns:
      ``<uri>/Split-<split>``.
    """
    return os.path.join(artifact_uri, f"Split-{split}")
