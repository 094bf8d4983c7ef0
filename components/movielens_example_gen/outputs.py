"""Beam transforms writing records as TFX Examples splits, and the run summary."""

import json
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

import apache_beam as beam
import tensorflow as tf
from tfx.components.example_gen import write_split

from components.movielens_example_gen import records, shard_files
from components.movielens_example_gen.bad_rows import SAMPLE_SIZE, BadRowsSummary


@beam.ptransform_fn
def WriteRecords(  # pylint: disable=invalid-name
    record_batches: beam.PCollection, split_uri: str, span: Optional[int] = None
) -> beam.PCollection:
    """Writes batches of records as gzipped TFRecords of ``tf.train.Example``.

    The files are named as TFX's own ExampleGens name them
    (``data_tfrecord-*.gz``), after ``span_file_prefix`` when a span is
    given. The batches are written whole and in the order they come, in
    files of about ``shard_files.RECORDS_PER_FILE`` records each. Unlike TFX's ``WriteSplit``, there is
    no shuffle here: the sources deliver their ratings shuffled
    (``SourceOutput``), and a ``Reshuffle`` of every example would hold the
    whole split in the runner's memory (at 5M ratings, 6.1 GiB of the
    ExampleGen's peak against 3.0 GiB without it).

    Args:
      record_batches: Lists of records (``records.py``, ``batches.py``).
      split_uri: The split folder of an Examples artifact (``Split-<name>``).
      span: The span the records come from, when a split holds several.

    Returns:
      A one-element collection, computed once the files are in place.
    """
    return (
        record_batches
        | "ToExamples" >> beam.Map(records.to_serialized_examples)
        | "Write"
        >> shard_files.WriteShards(
            split_uri,
            write_split.DEFAULT_TF_RECORD_FILE_NAME if span is None else span_file_prefix(span),
        )
    )


class _SummaryFn(beam.CombineFn):
    """Counts rows, in all and per group, and keeps the first ones in ``sample_order``.

    One combine instead of a count, a top and a count per key: on the
    DirectRunner each combine is a stage with a fixed cost.
    """

    def __init__(self, group_of: Callable[[Any], str]):
        self._group_of = group_of

    def create_accumulator(self) -> Tuple[int, Dict[str, int], List[Any]]:
        return 0, {}, []

    def add_input(self, accumulator, row):
        count, groups, first = accumulator
        group = self._group_of(row)
        if group:
            groups[group] = groups.get(group, 0) + 1
        first.append(row)
        return count + 1, groups, _first(first)

    def merge_accumulators(self, accumulators):
        total, merged, first = 0, {}, []
        for count, groups, rows in accumulators:
            total += count
            for group, group_count in groups.items():
                merged[group] = merged.get(group, 0) + group_count
            first.extend(rows)
        return total, merged, _first(first)

    def extract_output(self, accumulator) -> BadRowsSummary:
        count, groups, first = accumulator
        return BadRowsSummary.of(count, first, groups)


def _first(rows: List[Any]) -> List[Any]:
    """Keeps the first ``SAMPLE_SIZE`` rows, once twice as many have piled up."""
    if len(rows) <= 2 * SAMPLE_SIZE:
        return rows
    return sorted(rows, key=lambda row: row.sample_order())[:SAMPLE_SIZE]


@beam.ptransform_fn
def SummarizeBadRows(bad_rows: beam.PCollection) -> beam.PCollection:  # pylint: disable=invalid-name
    """Reduces bad rows to one ``BadRowsSummary``.

    Args:
      bad_rows: ``BadRow``s.

    Returns:
      A one-element collection: the count, the first rows in ``sample_order``
      (bad lines before the rows they made unusable) and the count of each
      group of consequences.
    """
    return bad_rows | "Summarize" >> beam.CombineGlobally(
        _SummaryFn(lambda row: row.consequence_of)
    )


@beam.ptransform_fn
def SummarizeDuplicates(duplicates: beam.PCollection) -> beam.PCollection:  # pylint: disable=invalid-name
    """Reduces duplicate rating lines to one ``BadRowsSummary`` (count and first ones).

    Args:
      duplicates: ``DuplicateRating``s.

    Returns:
      A one-element collection with the summary.
    """
    return duplicates | "Summarize" >> beam.CombineGlobally(_SummaryFn(lambda row: ""))


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


def span_file_prefix(span: int) -> str:
    """The name prefix of a span's files in a split that holds several spans.

    Args:
      span: The span number.

    Returns:
      ``span-<k, 6 digits>-data_tfrecord``: each file says which span it
      holds, and each span has a file pattern of its own.
    """
    return f"span-{span:06d}-{write_split.DEFAULT_TF_RECORD_FILE_NAME}"


def train_files_glob(span: Optional[int]) -> str:
    """The glob of one span's files in a split, as ``WriteRecords`` names them.

    Args:
      span: The span, when the split holds several; None when it holds one.

    Returns:
      A glob relative to the split folder.
    """
    prefix = write_split.DEFAULT_TF_RECORD_FILE_NAME if span is None else span_file_prefix(span)
    return f"{prefix}*"


def split_uri(artifact_uri: str, split: str) -> str:
    """Returns the folder of a split inside an Examples artifact (TFX layout).

    Args:
      artifact_uri: The Examples artifact's URI.
      split: The split name.

    Returns:
      ``<uri>/Split-<split>``.
    """
    return os.path.join(artifact_uri, f"Split-{split}")
