"""Small transformed datasets for trainer tests.

Synthetic ratings go through the real ExampleGen executor, then through
tf.Transform's Beam implementation with the project's ``preprocessing_fn``,
read the way TFX's Transform reads (TFXIO over a schema whose raw features are
all variable-length, as SchemaGen infers with ``infer_feature_shape=False``).
"""

import dataclasses
import os
from typing import Dict, Optional

import apache_beam as beam
import tensorflow as tf
import tensorflow_transform as tft
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io, schema_utils
from tfx_bsl.public import tfxio

from components.movielens_example_gen import spec
from tests.components.example_gen_testing import properties, run_executor
from transform_fn import features, preprocessing

_DTYPES = {features.BYTES: tf.string, features.INT64: tf.int64, features.FLOAT: tf.float32}


@dataclasses.dataclass(frozen=True)
class TransformedData:
    """Paths of a transformed dataset.

    Attributes:
      train_files: Glob of transformed train examples.
      eval_files: Glob of transformed eval examples.
      raw_eval_files: Glob of raw eval examples.
      candidate_files: Glob of the raw candidate corpus.
      transform_dir: The transform graph directory.
    """

    train_files: str
    eval_files: str
    raw_eval_files: str
    candidate_files: str
    transform_dir: str


def raw_feature_spec(with_demographics: bool = True) -> Dict[str, tf.io.VarLenFeature]:
    """Every raw rating feature as variable-length, as SchemaGen would infer."""
    kinds = dict(features.RATING_FEATURE_KINDS)
    if with_demographics:
        kinds.update(features.DEMOGRAPHIC_FEATURE_KINDS)
        kinds.update(features.RAW_AGE_FEATURE_KINDS)
    return {name: tf.io.VarLenFeature(_DTYPES[kind]) for name, kind in kinds.items()}


def build(
    work_dir: str,
    synthetic_config: Dict[str, object],
    custom_config: Optional[Dict[str, object]] = None,
) -> TransformedData:
    """Generates, splits and transforms a synthetic dataset.

    Args:
      work_dir: An empty directory.
      synthetic_config: ``SyntheticConfig`` keyword arguments.
      custom_config: The ``preprocessing_fn``'s custom config.

    Returns:
      Where the outputs are.
    """
    import json

    examples, candidates = run_executor(
        os.path.join(work_dir, "example_gen"),
        properties(source=spec.SOURCE_SYNTHETIC, synthetic_config=json.dumps(synthetic_config)),
    )
    with_demographics = synthetic_config.get("with_demographics", True)
    schema = schema_utils.schema_from_feature_spec(raw_feature_spec(with_demographics))
    transform_dir = os.path.join(work_dir, "transform_graph")
    out_dir = os.path.join(work_dir, "transformed")

    def source(split: str) -> tfxio.TFExampleRecord:
        return tfxio.TFExampleRecord(
            file_pattern=os.path.join(examples.uri, f"Split-{split}", "*.gz"),
            schema=schema,
            telemetry_descriptors=["tests"],
        )

    train_source, eval_source = source("train"), source("eval")

    def fn(inputs):
        return preprocessing.preprocessing_fn(inputs, custom_config)

    with beam.Pipeline() as pipeline:
        with tft_beam.Context(temp_dir=os.path.join(work_dir, "tmp")):
            train = pipeline | "ReadTrain" >> train_source.BeamSource()
            evaluation = pipeline | "ReadEval" >> eval_source.BeamSource()
            adapter = train_source.TensorAdapterConfig()
            (train_out, metadata), transform_fn = (
                train,
                adapter,
            ) | tft_beam.AnalyzeAndTransformDataset(fn)
            eval_out, _ = ((evaluation, adapter), transform_fn) | tft_beam.TransformDataset()
            _ = transform_fn | tft_beam.WriteTransformFn(transform_dir)
            for name, rows in (("train", train_out), ("eval", eval_out)):
                coder = tft.coders.ExampleProtoCoder(metadata.schema)
                _ = (
                    rows
                    | f"Encode{name}" >> beam.Map(coder.encode)
                    | f"Write{name}"
                    >> beam.io.WriteToTFRecord(
                        os.path.join(out_dir, name, "part"), file_name_suffix=".gz"
                    )
                )
    # TFX's Transform also records the raw schema; the trainer reads it.
    metadata_io.write_metadata(
        dataset_metadata.DatasetMetadata(schema), os.path.join(transform_dir, "metadata")
    )
    return TransformedData(
        train_files=os.path.join(out_dir, "train", "*.gz"),
        eval_files=os.path.join(out_dir, "eval", "*.gz"),
        raw_eval_files=os.path.join(examples.uri, "Split-eval", "*.gz"),
        candidate_files=os.path.join(candidates.uri, f"Split-{spec.CANDIDATES_SPLIT}", "*.gz"),
        transform_dir=transform_dir,
    )
