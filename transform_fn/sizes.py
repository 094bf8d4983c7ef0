"""Embedding table sizes read from the transform output.

Every categorical output of ``preprocessing_fn`` (vocabulary indices with their
OOV buckets, bucket ids, title token ids, title hash bins) carries an int
domain ``[0, size - 1]`` in the transformed schema. The trainer reads its
embedding sizes here instead of from constants, so they always match the
vocabularies and boundaries the analysis actually produced.
"""

from typing import Dict

import tensorflow_transform as tft

from transform_fn import features


def categorical_sizes(tf_transform_output: tft.TFTransformOutput) -> Dict[str, int]:
    """Returns the number of ids of every categorical transformed feature.

    Args:
      tf_transform_output: The Transform component's output.

    Returns:
      Transformed feature name to id count (``int_domain.max + 1``), OOV ids
      included, for every feature with an int domain.

    Raises:
      ValueError: If a domain does not start at 0, or a vocabulary reached
        ``features.EXACT_VOCABULARY_LIMIT`` (it may then be approximate).
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
    _check_exact_vocabularies(sizes)
    return sizes


def _check_exact_vocabularies(sizes: Dict[str, int]) -> None:
    for name in features.VOCABULARY_FEATURES:
        indexed = features.transformed_name(name, features.INDEX)
        entries = sizes.get(indexed, 0) - features.VOCAB_OOV_BUCKETS
        if entries >= features.EXACT_VOCABULARY_LIMIT:
            raise ValueError(
                f"{name}: the vocabulary reached {entries} entries, the limit "
                f"up to which tft.experimental.approximate_vocabulary counts "
                f"exactly ({features.EXACT_VOCABULARY_LIMIT}); values past it "
                "may be missing or misordered"
            )
