"""The users' training histories on hand-built ratings."""

import numpy as np
import pytest
import tensorflow as tf

from trainer.history import UserHistory, as_vocabulary_ids, scatter_rated

# Ratings (user index, corpus row, time): user 0 rated rows 3 (t=20) and 1
# (t=10); user 2 rated row 0 (t=5); user 1 (and the OOV id 3) rated nothing.
_USERS = np.array([0, 2, 0])
_ROWS = np.array([3, 0, 1])
_TIMES = np.array([20, 5, 10])


@pytest.fixture(name="history")
def _history():
    return UserHistory(_USERS, _ROWS, _TIMES, num_users=4)


def test_each_user_gets_their_rows_oldest_first(history):
    rows = history.of(tf.constant([0, 1, 2, 3]))
    assert rows.to_list() == [[1, 3], [], [0], []]


def test_history_stops_at_the_query_time(history):
    rows = history.of(tf.constant([0, 0, 0]), before=tf.constant([9, 10, 25]))
    assert rows.to_list() == [[], [1], [1, 3]]


def test_the_predicted_movie_is_left_out(history):
    rows = history.of(tf.constant([0, 2]), leave_out=tf.constant([3, 7]))
    assert rows.to_list() == [[1], [0]]


def test_ids_past_the_table_have_no_history(history):
    assert history.of(tf.constant([17])).to_list() == [[]]


def test_latest_time_is_the_newest_rating(history):
    assert int(history.latest_time.numpy()) == 20


def test_mismatched_or_out_of_range_inputs_are_refused():
    with pytest.raises(ValueError, match="one user, movie and time"):
        UserHistory(_USERS, _ROWS[:2], _TIMES, num_users=4)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        UserHistory(_USERS, _ROWS, _TIMES, num_users=2)


def test_rows_become_vocabulary_ids_and_empty_rows_stay_empty():
    rows = tf.ragged.constant([[2, 0], []], dtype=tf.int64)
    ids = as_vocabulary_ids(rows, tf.constant([10, 11, 12], tf.int64))
    assert tf.sparse.to_dense(ids).numpy().tolist() == [[12, 10], [0, 0]]
    assert ids.dense_shape.numpy().tolist() == [2, 2]
    assert ids.indices.numpy().tolist() == [[0, 0], [0, 1]]


def test_gather_returns_each_users_rows_with_their_values(history):
    # History order: user 0's rows 1 (t=10) and 3 (t=20), then user 2's row 0.
    values = tf.constant([0.5, 1.5, 2.5])
    rows, picked = history.gather(tf.constant([2, 1, 0, 9]), values)
    assert rows.to_list() == [[0], [], [1, 3], []]
    assert picked.to_list() == [[2.5], [], [0.5, 1.5], []]


def test_rows_of_returns_each_users_rows_unfiltered(history):
    assert history.rows_of(tf.constant([2, 0, 9])).to_list() == [[0], [1, 3], []]


def test_scatter_marks_each_querys_rows_once():
    rows = tf.ragged.constant([[2, 2], [0, 1]], dtype=tf.int64)
    assert scatter_rated(rows, 3).numpy().tolist() == [[0, 0, 1], [1, 1, 0]]
