"""Conversion of parsed MovieLens records into ``tf.train.Example``s.

A record is a plain dict from raw feature name (``transform_fn.features``) to a
Python value: ``str`` for bytes features, ``int`` or ``float`` for scalars and a
list of ``int`` for ``movie_genres``. Every source (GroupLens archives, TFDS,
the synthetic generator) produces records; only this module builds protos.
"""

from typing import Any, Dict, Mapping

import tensorflow as tf

from transform_fn import features

_ALL_KINDS: Dict[str, str] = {
    **features.RATING_FEATURE_KINDS,
    **features.DEMOGRAPHIC_FEATURE_KINDS,
    **features.RAW_AGE_FEATURE_KINDS,
}


def to_example(record: Mapping[str, Any]) -> tf.train.Example:
    """Builds a ``tf.train.Example`` from a record.

    Args:
      record: Raw feature name to value. Names must be known MovieLens features.

    Returns:
      The example, one feature per record entry.

    Raises:
      KeyError: If the record holds a feature name that is not a MovieLens
        feature.
    """
    example = tf.train.Example()
    for name, value in record.items():
        try:
            kind = _ALL_KINDS[name]
        except KeyError:
            raise KeyError(f"Unknown MovieLens feature {name!r}") from None
        values = value if name in features.MULTIVALENT_FEATURES else [value]
        feature = example.features.feature[name]
        if kind == features.BYTES:
            feature.bytes_list.value.extend(
                v.encode("utf-8") if isinstance(v, str) else v for v in values
            )
        elif kind == features.INT64:
            feature.int64_list.value.extend(int(v) for v in values)
        else:
            feature.float_list.value.extend(float(v) for v in values)
    return example


def from_example(example: tf.train.Example) -> Dict[str, Any]:
    """Reads a record back from a ``tf.train.Example`` (inverse of ``to_example``).

    Args:
      example: An example written by ``to_example``.

    Returns:
      The record.
    """
    record: Dict[str, Any] = {}
    for name, feature in example.features.feature.items():
        kind = _ALL_KINDS[name]
        if kind == features.BYTES:
            values = [v.decode("utf-8") for v in feature.bytes_list.value]
        elif kind == features.INT64:
            values = list(feature.int64_list.value)
        else:
            values = list(feature.float_list.value)
        record[name] = values if name in features.MULTIVALENT_FEATURES else values[0]
    return record
