"""Small analysed datasets for trainer tests.

Synthetic ratings go through the real ExampleGen executor, then through
tf.Transform's Beam analysis with the project's ``preprocessing_fn``, read the
way the pipeline's Transform reads (TFXIO over a schema whose raw features are
all variable-length, as the curated schemas declare them) and in the same TF
mode. As in the pipeline, nothing is materialized: the trainer transforms the
raw examples itself.
"""

import dataclasses
import json
import os
from typing import Dict, Optional

import apache_beam as beam
import tensorflow as tf
import tensorflow_transform.beam as tft_beam
from tensorflow_transform.tf_metadata import dataset_metadata, metadata_io, schema_utils
from tfx_bsl.public import tfxio

from components.movielens_example_gen import spec
from tests.components.example_gen_testing import properties, run_executor
from transform_fn import features, preprocessing

_DTYPES = {features.BYTES: tf.string, features.INT64: tf.int64, features.FLOAT: tf.float32}


@dataclasses.dataclass(frozen=True)
class AnalysedData:
    """Paths of an analysed dataset.

    Attributes:
      train_files: Glob of raw train examples.
      eval_files: Glob of raw eval examples.
      candidate_files: Glob of the raw candidate corpus.
      transform_dir: The transform graph directory.
    """

    train_files: str
    eval_files: str
    candidate_files: str
    transform_dir: str


def raw_feature_spec(with_demographics: bool = True) -> Dict[str, tf.io.VarLenFeature]:
    """Every raw rating feature as variable-length, as the curated schemas say."""
    kinds = dict(features.RATING_FEATURE_KINDS)
    if with_demographics:
        kinds.update(features.DEMOGRAPHIC_FEATURE_KINDS)
        kinds.update(features.RAW_AGE_FEATURE_KINDS)
    return {name: tf.io.VarLenFeature(_DTYPES[kind]) for name, kind in kinds.items()}


def build(
    work_dir: str,
    synthetic_config: Dict[str, object],
    custom_config: Optional[Dict[str, object]] = None,
) -> AnalysedData:
    """Generates and splits a synthetic dataset and analyses its train split.

    Args:
      work_dir: An empty directory.
      synthetic_config: ``SyntheticConfig`` keyword arguments.
      custom_config: The ``preprocessing_fn``'s custom config.

    Returns:
      Where the outputs are.
    """
    examples, candidates = run_executor(
        os.path.join(work_dir, "example_gen"),
        properties(source=spec.SOURCE_SYNTHETIC, synthetic_config=json.dumps(synthetic_config)),
    )
    with_demographics = synthetic_config.get("with_demographics", True)
    schema = schema_utils.schema_from_feature_spec(raw_feature_spec(with_demographics))
    transform_dir = os.path.join(work_dir, "transform_graph")

    def split_files(split: str) -> str:
        return os.path.join(examples.uri, f"Split-{split}", "*.gz")

    train_source = tfxio.TFExampleRecord(
        file_pattern=split_files("train"), schema=schema, telemetry_descriptors=["tests"]
    )

    def fn(inputs):
        return preprocessing.preprocessing_fn(inputs, custom_config)

    with beam.Pipeline() as pipeline:
        with tft_beam.Context(
            temp_dir=os.path.join(work_dir, "tmp"),
            force_tf_compat_v1=preprocessing.FORCE_TF_COMPAT_V1,
        ):
            train = pipeline | "ReadTrain" >> train_source.BeamSource()
            transform_fn = (
                train,
                train_source.TensorAdapterConfig(),
            ) | tft_beam.AnalyzeDataset(fn)
            _ = transform_fn | tft_beam.WriteTransformFn(transform_dir)
    # TFX's Transform also records the raw schema; the trainer reads it.
    metadata_io.write_metadata(
        dataset_metadata.DatasetMetadata(schema), os.path.join(transform_dir, "metadata")
    )
    return AnalysedData(
        train_files=split_files("train"),
        eval_files=split_files("eval"),
        candidate_files=os.path.join(candidates.uri, f"Split-{spec.CANDIDATES_SPLIT}", "*.gz"),
        transform_dir=transform_dir,
    )
