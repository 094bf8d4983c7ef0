"""Conversion of parsed MovieLens records into ``tf.train.Example``s.

A record is a plain dict from raw feature name (``transform_fn.features``) to a
Python value: ``str`` for bytes features, ``int`` or ``float`` for scalars and a
list of ``int`` for ``movie_genres``. Every source (GroupLens archives, TFDS,
the synthetic generator) produces records; only this module builds protos.
"""

from typing import Any, Callable, Dict, Mapping

import tensorflow as tf

from transform_fn import features

_ALL_KINDS: Dict[str, str] = {
    **features.RATING_FEATURE_KINDS,
    **features.DEMOGRAPHIC_FEATURE_KINDS,
    **features.RAW_AGE_FEATURE_KINDS,
}

FeatureSetter = Callable[[tf.train.Feature, Any], None]


def _set_bytes(feature: tf.train.Feature, value: Any) -> None:
    feature.bytes_list.value.append(value.encode("utf-8") if isinstance(value, str) else value)


def _set_int64(feature: tf.train.Feature, value: Any) -> None:
    feature.int64_list.value.append(int(value))


def _set_float(feature: tf.train.Feature, value: Any) -> None:
    feature.float_list.value.append(float(value))


def _set_int64_list(feature: tf.train.Feature, values: Any) -> None:
    feature.int64_list.value.extend(int(v) for v in values)


# One setter per feature, chosen once: building the example is the
# ExampleGen's main per-rating cost.
_SETTERS: Dict[str, FeatureSetter] = {
    name: (
        _set_int64_list
        if name in features.MULTIVALENT_FEATURES
        else {features.BYTES: _set_bytes, features.INT64: _set_int64, features.FLOAT: _set_float}[kind]
    )
    for name, kind in _ALL_KINDS.items()
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
    feature_map = example.features.feature
    for name, value in record.items():
        try:
            setter = _SETTERS[name]
        except KeyError:
            raise KeyError(f"Unknown MovieLens feature {name!r}") from None
        setter(feature_map[name], value)
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
