"""Shape handling of raw inputs (eager; no Beam)."""

import pytest
import tensorflow as tf

from transform_fn import inputs


def _sparse(rows, dtype):
    return tf.ragged.constant(rows, dtype=dtype, ragged_rank=1).to_sparse()


@pytest.mark.parametrize(
    "raw",
    [
        tf.constant([3, 0, 5], tf.int64),
        tf.constant([[3], [0], [5]], tf.int64),
    ],
)
def test_scalar_dense(raw):
    value = inputs.scalar(raw, default=-1)
    assert value.dense.numpy().tolist() == [3, 0, 5]
    assert value.present.numpy().tolist() == [True, True, True]
    assert value.values.numpy().tolist() == [3, 0, 5]


def test_scalar_sparse_with_missing_values():
    value = inputs.scalar(_sparse([[b"a"], [], [b"c"]], tf.string), default=b"")
    assert value.dense.numpy().tolist() == [b"a", b"", b"c"]
    assert value.present.numpy().tolist() == [True, False, True]
    assert value.values.numpy().tolist() == [b"a", b"c"]


def test_scalar_sparse_all_missing_keeps_batch_size():
    empty = tf.SparseTensor(
        tf.zeros([0, 2], tf.int64), tf.zeros([0], tf.float32), tf.constant([4, 0], tf.int64)
    )
    value = inputs.scalar(empty, default=0)
    assert value.dense.numpy().tolist() == [0.0] * 4
    assert not value.present.numpy().any()


def test_scalar_ragged():
    value = inputs.scalar(tf.ragged.constant([[1.5], []]), default=0)
    assert value.dense.numpy().tolist() == [1.5, 0.0]
    assert value.present.numpy().tolist() == [True, False]


def test_scalar_rejects_several_dense_values():
    with pytest.raises(ValueError, match="one value per example"):
        inputs.scalar(tf.constant([[1, 2]]), default=0)


def test_multivalent_dense_keeps_zeros():
    sparse = inputs.multivalent(tf.constant([[0, 4], [2, 0]], tf.int64))
    assert tf.sparse.to_dense(sparse, default_value=-1).numpy().tolist() == [[0, 4], [2, 0]]
    assert sparse.values.numpy().tolist() == [0, 4, 2, 0]


def test_multivalent_passes_sparse_and_converts_ragged():
    ragged = tf.ragged.constant([[1, 2, 3], []], dtype=tf.int64)
    from_ragged = inputs.multivalent(ragged)
    assert isinstance(from_ragged, tf.SparseTensor)
    assert from_ragged.values.numpy().tolist() == [1, 2, 3]
    sparse = ragged.to_sparse()
    assert inputs.multivalent(sparse) is sparse
    assert inputs.multivalent(tf.constant([7, 8], tf.int64)).dense_shape.numpy().tolist() == [2, 1]
