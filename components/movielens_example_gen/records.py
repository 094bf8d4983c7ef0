"""Conversion of parsed MovieLens records into ``tf.train.Example``s.

A record is a plain dict from raw feature name (``transform_fn.features``) to a
Python value: ``str`` for bytes features, ``int`` or ``float`` for scalars and a
list of ``int`` for ``movie_genres``. Every source (GroupLens archives, TFDS,
the synthetic generator) produces records; only this module builds protos.
"""

from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Sequence

import numpy as np
import pyarrow as pa
import tensorflow as tf
from tfx_bsl.coders import example_coder

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


_ARROW_TYPES = {features.BYTES: pa.binary(), features.INT64: pa.int64(), features.FLOAT: pa.float32()}


def to_serialized_examples(batch: Sequence[Mapping[str, Any]]) -> List[bytes]:
    """Serializes records as ``tf.train.Example``s, a whole batch at once.

    The same examples as ``to_example`` gives one by one, built by tfx_bsl's
    Arrow encoder (C++) from a column per feature: ~5x faster per record,
    which is the ExampleGen's main per-rating cost.

    Args:
      batch: Records. Records with different features are encoded in groups,
        so a feature a record lacks is absent from its example, not empty.

    Returns:
      The serialized examples, in the batch's order.

    Raises:
      KeyError: If a record holds a feature name that is not a MovieLens
        feature.
    """
    groups: Dict[FrozenSet[str], List[int]] = {}
    for index, record in enumerate(batch):
        groups.setdefault(frozenset(record), []).append(index)
    serialized: List[bytes] = [b""] * len(batch)
    for names, indices in groups.items():
        encoded = _encode_same_features(sorted(names), [batch[i] for i in indices])
        for index, example in zip(indices, encoded):
            serialized[index] = example
    return serialized


def _encode_same_features(names: List[str], batch: List[Mapping[str, Any]]) -> List[bytes]:
    """Encodes records that all hold exactly the features ``names``."""
    one_value_each = pa.array(np.arange(len(batch) + 1, dtype=np.int32))
    columns, fields = [], []
    for name in names:
        if name not in _ALL_KINDS:
            raise KeyError(f"Unknown MovieLens feature {name!r}")
        list_type = pa.list_(_ARROW_TYPES[_ALL_KINDS[name]])
        values = [record[name] for record in batch]
        if name in features.MULTIVALENT_FEATURES:
            columns.append(pa.array(values, type=list_type))
        else:
            flat = pa.array(values, type=list_type.value_type)
            columns.append(pa.ListArray.from_arrays(one_value_each, flat))
        fields.append(pa.field(name, list_type))
    record_batch = pa.RecordBatch.from_arrays(columns, schema=pa.schema(fields))
    return example_coder.RecordBatchToExamplesEncoder().encode(record_batch)


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
