"""Numeric tests of the retrieval losses on hand-built batches."""

import math

import numpy as np
import tensorflow as tf

import tensorflow_recommenders as tfrs

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


def test_rated_movies_leave_the_exact_softmax():
    queries = tf.constant([[1.0, 0.0]])
    candidates = tf.constant([[2.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    labels = tf.constant([1], tf.int64)
    # Logits [2, 1, 0], label 1. With row 0 (rated) left out: -log(e / (e + 1)).
    rated = tf.constant([[1.0, 0.0, 0.0]])
    expected = math.log(math.e + 1) - 1
    loss = exact_softmax_loss(queries, candidates, labels, rated)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-6)
    # Without the mask the rated movie competes: log(e^2 + e + 1) - 1.
    unmasked = exact_softmax_loss(queries, candidates, labels)
    np.testing.assert_allclose(unmasked.numpy(), math.log(math.e**2 + math.e + 1) - 1, rtol=1e-6)


def test_in_batch_loss_subtracts_log_q_of_each_candidate():
    # Two queries, two in-batch candidates; logits Q C^T = [[1, 0], [0, 1]].
    queries = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    candidates = tf.constant([[1.0, 0.0], [0.0, 1.0]])
    probabilities = tf.constant([0.5, 0.25])
    task = tfrs.tasks.Retrieval(remove_accidental_hits=True)
    loss = task(
        queries,
        candidates,
        candidate_sampling_probability=probabilities,
        candidate_ids=tf.constant([0, 1], tf.int64),
        compute_metrics=False,
    )
    # log-Q: column j loses log(p_j): row 0 [1 - log .5, -log .25], label 0;
    # row 1 [-log .5, 1 - log .25], label 1. Summed cross-entropy (TFRS's
    # default reduction is a sum over the batch).
    rows = np.array([[1 - math.log(0.5), -math.log(0.25)], [-math.log(0.5), 1 - math.log(0.25)]])
    expected = sum(
        -row[label] + math.log(np.exp(row).sum()) for row, label in zip(rows, (0, 1))
    )
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-5)
