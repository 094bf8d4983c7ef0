"""Runs the preprocessing_fn through tf.Transform's Beam implementation.

Shared by the transform_fn tests: one ``AnalyzeAndTransformDataset`` over
in-memory rows (tf.Transform's instance-dict format), the transform graph
written where ``TFTransformOutput`` can read it.
"""

import functools
import os
import pickle
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Set

import apache_beam as beam
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from apache_beam.options.pipeline_options import PipelineOptions
from tensorflow_transform.tf_metadata import dataset_metadata

from transform_fn import preprocessing

TRANSFORM_OUTPUT_DIR = "transform_output"
_TRANSFORMED_FILE = "transformed.tfrecord"


class TransformRun(NamedTuple):
    rows: List[Dict[str, Any]]  # transformed instances, sorted
    output: tft.TFTransformOutput
    pids: Set[int]  # processes that ran the transformed rows' last step


def run_transform(
    rows: Sequence[Mapping[str, Any]],
    feature_spec: Mapping[str, Any],
    work_dir: str,
    sort_by: str,
    custom_config: Optional[Mapping[str, Any]] = None,
    beam_args: Sequence[str] = (),
) -> TransformRun:
    """Analyzes and transforms ``rows``; returns the rows out and the graph.

    Args:
      rows: Raw instances: a scalar per FixedLenFeature([]), a list per
        VarLenFeature.
      feature_spec: Raw feature spec (as TFX derives from the schema).
      work_dir: Empty directory for the transform output and temp files.
      sort_by: A transformed feature; the rows out are sorted by it (Beam does
        not keep the input order), so give rows in increasing order of it.
      custom_config: Passed to ``preprocessing_fn``.
      beam_args: Beam pipeline arguments (default: in-memory DirectRunner).

    Returns:
      The transformed instances, the transform output and the worker pids.
    """
    metadata = dataset_metadata.DatasetMetadata.from_feature_spec(feature_spec)
    fn = functools.partial(preprocessing.preprocessing_fn, custom_config=custom_config)
    output_dir = os.path.join(work_dir, TRANSFORM_OUTPUT_DIR)
    transformed_path = os.path.join(work_dir, _TRANSFORMED_FILE)
    with beam.Pipeline(options=PipelineOptions(list(beam_args))) as pipeline:
        with tft_beam.Context(
            temp_dir=os.path.join(work_dir, "tmp"),
            force_tf_compat_v1=preprocessing.FORCE_TF_COMPAT_V1,
        ):
            raw = pipeline | "Rows" >> beam.Create(list(rows))
            (transformed, _), transform_fn = (
                raw,
                metadata,
            ) | tft_beam.AnalyzeAndTransformDataset(fn)
            _ = transform_fn | tft_beam.WriteTransformFn(output_dir)
            _ = (
                transformed
                | "Pickle" >> beam.Map(lambda row: pickle.dumps((os.getpid(), row)))
                | "Write"
                >> beam.io.WriteToTFRecord(transformed_path, shard_name_template="")
            )
    dataset = tf.data.TFRecordDataset(transformed_path)
    records = [pickle.loads(record) for record in dataset.as_numpy_iterator()]
    rows_out = sorted((row for _, row in records), key=lambda row: row[sort_by])
    return TransformRun(
        rows_out, tft.TFTransformOutput(output_dir), {pid for pid, _ in records}
    )
