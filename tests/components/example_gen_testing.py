"""Helpers for running MovieLensExampleGen's executor in tests."""

import glob
import os
from typing import Any, Dict, List, Tuple

import tensorflow as tf
from tfx.types import standard_artifacts

from components.movielens_example_gen import executor, records, spec
from components.movielens_example_gen.split_rules import RANDOM


def properties(**overrides: Any) -> Dict[str, Any]:
    """Execution properties with the component's defaults, overridden."""
    result = {
        "source": spec.SOURCE_GROUPLENS,
        "input_path": None,
        "tfds_name": None,
        "tfds_data_dir": None,
        "tfds_download": 0,
        "synthetic_config": "{}",
        "split_mode": RANDOM,
        "eval_fraction": 0.2,
        "max_bad_rows": 0,
        spec.SPAN_KEY: spec.LATEST_SPAN,
    }
    result.update(overrides)
    return result


def run_executor(
    output_root: str, exec_properties: Dict[str, Any]
) -> Tuple[standard_artifacts.Examples, standard_artifacts.Examples]:
    """Runs ``Executor.Do`` into fresh artifacts under ``output_root``.

    Returns:
      The ``examples`` and ``candidates`` artifacts.
    """
    examples = standard_artifacts.Examples()
    examples.uri = os.path.join(output_root, "examples")
    candidates = standard_artifacts.Examples()
    candidates.uri = os.path.join(output_root, "candidates")
    executor.Executor().Do(
        {}, {spec.EXAMPLES_KEY: [examples], spec.CANDIDATES_KEY: [candidates]}, exec_properties
    )
    return examples, candidates


def read_split(artifact_uri: str, split: str) -> List[Dict[str, Any]]:
    """Reads the records of one split of an Examples artifact."""
    files = glob.glob(os.path.join(artifact_uri, f"Split-{split}", "*.gz"))
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP")
    return [records.from_example(tf.train.Example.FromString(raw.numpy())) for raw in dataset]
