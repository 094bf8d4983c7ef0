"""Embedding table sizes read from the transform output.

Every categorical output of ``preprocessing_fn`` (vocabulary indices with their
OOV buckets, bucket ids, title token ids, title hash bins) carries an int
domain ``[0, size - 1]`` in the transformed schema. The trainer reads its
embedding sizes here instead of from constants, so they always match the
vocabularies and boundaries the analysis actually produced.
"""

from typing import Dict

import tensorflow_transform as tft


def categorical_sizes(tf_transform_output: tft.TFTransformOutput) -> Dict[str, int]:
    """Returns the number of ids of every categorical transformed feature.

    Args:
      tf_transform_output: The Transform component's output.

    Returns:
      Transformed feature name to id count (``int_domain.max + 1``), OOV ids
      included, for every feature with an int domain.

    Raises:
      ValueError: If a domain does not start at 0.
    """
    sizes = {}
    for feature in tf_transform_output.transformed_metadata.schema.feature:
        if feature.WhichOneof("domain_info") != "int_domain":
            continue
        if feature.int_domain.min != 0:
            raise ValueError(
                f"{feature.name}: int domain starts at {feature.int_domain.min}, "
                "expected 0"
            )
        sizes[feature.name] = feature.int_domain.max + 1
    return sizes
