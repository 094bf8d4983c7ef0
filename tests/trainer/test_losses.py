"""Numeric tests of the retrieval losses and the top-k metric."""

import math

import numpy as np
import tensorflow as tf

from trainer import metrics
from trainer.model import exact_softmax_loss


def test_exact_softmax_loss_on_a_hand_built_batch():
    queries = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    candidates = tf.constant([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    labels = tf.constant([0, 2], tf.int64)
    # Row 0 logits [1, 0, 1], label 0: -log(e / (e + 1 + e)) = log(2e + 1) - 1.
    # Row 1 logits [0, 1, 1], label 2: the same value by symmetry.
    expected = math.log(2 * math.e + 1) - 1
    loss = exact_softmax_loss(queries, candidates, labels)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-6)


def test_exact_softmax_loss_falls_when_the_label_scores_higher():
    candidates = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    labels = tf.constant([1], tf.int64)
    worse = exact_softmax_loss(tf.constant([[1.0, 0.0]]), candidates, labels)
    better = exact_softmax_loss(tf.constant([[0.0, 3.0]]), candidates, labels)
    assert better < worse


def test_top_k_hits_count_ties_against_the_label():
    scores = tf.constant([[0.9, 0.5, 0.5, 0.1], [0.2, 0.3, 0.4, 0.5]])
    labels = tf.constant([1, 0], tf.int64)
    # Row 0: label 0.5 ties with another 0.5 and trails 0.9: rank 3 when ties count against.
    # Row 1: label 0.2 is last of 4.
    hits_at_2 = metrics._hits(scores, labels, 2).numpy()  # pylint: disable=protected-access
    hits_at_3 = metrics._hits(scores, labels, 3).numpy()  # pylint: disable=protected-access
    np.testing.assert_array_equal(hits_at_2, [0.0, 0.0])
    np.testing.assert_array_equal(hits_at_3, [1.0, 0.0])
