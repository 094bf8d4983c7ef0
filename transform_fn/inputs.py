"""Shape handling of raw Transform inputs: dense, sparse or ragged.

TFX parses raw examples with the feature spec SchemaGen inferred: a feature
present in every example with one value becomes a dense ``[batch, 1]`` tensor,
one that is sometimes missing becomes a ``[batch, None]`` ``SparseTensor``
(VarLenFeature), and a hand-written feature spec may give ``[batch]`` tensors.
These helpers turn any of them into the two shapes the ``preprocessing_fn``
works with: a ``[batch]`` tensor plus a presence mask for single-valued
features, and a ``[batch, None]`` ``SparseTensor`` for multivalent ones.

Each helper builds ops from its own input only, so every transformed feature
depends on the raw features it is computed from and nothing else; tf.Transform
relies on that to serve a subset of the inputs (the candidate corpus).
"""

from typing import NamedTuple, Union

import tensorflow as tf

RawTensor = Union[tf.Tensor, tf.SparseTensor, tf.RaggedTensor]


class Scalar(NamedTuple):
    """A single-valued feature, one entry per example."""

    dense: tf.Tensor  # [batch]; ``default`` where the example has no value.
    present: tf.Tensor  # [batch] bool; whether the example has a value.

    @property
    def values(self) -> tf.Tensor:
        """The values of the examples that have one (what analyzers see)."""
        return tf.boolean_mask(self.dense, self.present)


def scalar(x: RawTensor, default) -> Scalar:
    """Returns a single-valued feature as a ``[batch]`` tensor and a mask.

    Args:
      x: The raw feature: ``[batch]`` or ``[batch, 1]`` dense, or a rank-2
        ``SparseTensor`` / ``RaggedTensor`` with at most one value per row (the
        first one is used if a row holds more).
      default: The value put where an example has none.

    Returns:
      The dense values and the presence mask.

    Raises:
      ValueError: If a dense input has more than one value per example.
    """
    if isinstance(x, tf.RaggedTensor):
        x = x.to_sparse()
    if isinstance(x, tf.SparseTensor):
        batch_size = x.dense_shape[0]
        # Widen to at least one column so that a batch where every example
        # lacks the feature still yields a [batch] tensor.
        width = tf.maximum(x.dense_shape[1], 1)
        shape = tf.stack([batch_size, width])
        dense = tf.sparse.to_dense(
            tf.SparseTensor(x.indices, x.values, shape),
            default_value=tf.cast(default, x.dtype),
            validate_indices=False,
        )[:, 0]
        present = tf.sparse.to_dense(
            tf.SparseTensor(x.indices, tf.ones_like(x.values, dtype=tf.bool), shape),
            default_value=False,
            validate_indices=False,
        )[:, 0]
        return Scalar(dense, present)
    if x.shape.rank == 2:
        if x.shape[1] != 1:
            raise ValueError(
                f"Expected one value per example, got a dense tensor of shape "
                f"{x.shape}"
            )
        x = tf.squeeze(x, axis=1)
    elif x.shape.rank != 1:
        raise ValueError(f"Expected a [batch] or [batch, 1] tensor, got {x.shape}")
    return Scalar(x, tf.fill(tf.shape(x), True))


def multivalent(x: RawTensor) -> tf.SparseTensor:
    """Returns a list-valued feature as a ``[batch, None]`` ``SparseTensor``.

    Dense inputs (SchemaGen gives a fixed shape when every example in the
    analysed data held the same number of values) keep every value, zeros
    included: genre id 0 is "Action", not a missing value.

    Args:
      x: The raw feature: ``[batch]`` / ``[batch, k]`` dense, sparse or ragged.

    Returns:
      The values, one row per example.
    """
    if isinstance(x, tf.RaggedTensor):
        return x.to_sparse()
    if isinstance(x, tf.SparseTensor):
        return x
    if x.shape.rank == 1:
        x = tf.expand_dims(x, axis=1)
    indices = tf.where(tf.fill(tf.shape(x), True))
    return tf.SparseTensor(
        indices=indices,
        values=tf.gather_nd(x, indices),
        dense_shape=tf.shape(x, out_type=tf.int64),
    )
