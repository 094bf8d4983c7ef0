"""Users' training histories: built by the Trainer, carried by the served model.

The query tower reads a user's history (served: the movies they rated in
training before the query time; in training: a random sample of their other
training movies, never the rating's own) as the sum of their embeddings over
the square root of their count. The history of every user in the training data is kept in the
model as three variables (corpus rows and rating times in user and time
order, and each user's slice), so a caller sends only ``user_id`` and the
model finds the rest, and every training run refreshes it.
"""

from typing import Tuple

import numpy as np
import tensorflow as tf


class UserHistory(tf.Module):
    """Corpus rows and times of each user's training ratings, by user index.

    The user index is the transform's ``user_id_index`` (vocabulary id); ids
    without training ratings (the OOV id, unknown users) have no history.
    """

    def __init__(
        self,
        user_index: np.ndarray,
        movie_rows: np.ndarray,
        timestamps: np.ndarray,
        num_users: int,
        name: str = "user_history",
    ):
        """Builds the history from the training ratings.

        Args:
          user_index: ``[n]`` user vocabulary id of each training rating.
          movie_rows: ``[n]`` corpus row of each rating's movie.
          timestamps: ``[n]`` raw time of each rating (unix seconds).
          num_users: Number of user ids (vocabulary plus OOV ids).
          name: The module's name.

        Raises:
          ValueError: On mismatched lengths or user ids outside
            ``[0, num_users)``.
        """
        super().__init__(name=name)
        user_index = np.asarray(user_index, dtype=np.int64)
        movie_rows = np.asarray(movie_rows, dtype=np.int64)
        timestamps = np.asarray(timestamps, dtype=np.int64)
        if not len(user_index) == len(movie_rows) == len(timestamps):
            raise ValueError(
                f"History needs one user, movie and time per rating; got "
                f"{len(user_index)}, {len(movie_rows)} and {len(timestamps)}"
            )
        if len(user_index) and (user_index.min() < 0 or user_index.max() >= num_users):
            raise ValueError(f"User ids must lie in [0, {num_users})")
        order = np.lexsort((timestamps, user_index))
        splits = np.concatenate([[0], np.cumsum(np.bincount(user_index, minlength=num_users))])
        self.rows = tf.Variable(movie_rows[order], trainable=False, name="rows")
        self.times = tf.Variable(timestamps[order], trainable=False, name="times")
        self.row_splits = tf.Variable(splits.astype(np.int64), trainable=False, name="row_splits")
        latest = int(timestamps.max()) if len(timestamps) else 0
        self.latest_time = tf.Variable(latest, dtype=tf.int64, trainable=False, name="latest_time")

    def of(
        self,
        users: tf.Tensor,
        before: tf.Tensor = None,
        leave_out: tf.Tensor = None,
    ) -> tf.RaggedTensor:
        """The corpus rows of some users' histories, oldest first.

        Args:
          users: ``[batch]`` user vocabulary ids; ids past the table (none in
            practice) have no history.
          before: Optional ``[batch]`` query times: keep ratings at or before.
          leave_out: Optional ``[batch]`` corpus rows to drop (the movie whose
            rating is being predicted in training).

        Returns:
          ``[batch, None]`` int64 corpus rows.
        """
        picked, picked_times = self.gather(users, self.times)
        keep = tf.ones_like(picked, dtype=tf.bool)
        if before is not None:
            keep &= picked_times <= tf.reshape(tf.cast(before, tf.int64), [-1, 1])
        if leave_out is not None:
            keep &= picked != tf.reshape(tf.cast(leave_out, tf.int64), [-1, 1])
        return tf.ragged.boolean_mask(picked, keep)

    def rows_of(self, users: tf.Tensor) -> tf.RaggedTensor:
        """Some users' corpus rows, oldest first, without any filter.

        Args:
          users: ``[batch]`` user vocabulary ids; ids past the table have no
            history.

        Returns:
          ``[batch, None]`` int64 corpus rows.
        """
        return self._per_user(self.rows, users)

    def gather(self, users: tf.Tensor, values: tf.Tensor) -> Tuple[tf.RaggedTensor, tf.RaggedTensor]:
        """Some users' corpus rows, each with its entry of a per-rating vector.

        Args:
          users: ``[batch]`` user vocabulary ids; ids past the table have no
            history.
          values: ``[ratings]`` one value per training rating, in the
            history's order (``rows``).

        Returns:
          ``[batch, None]`` corpus rows and ``[batch, None]`` their values.
        """
        return self._per_user(self.rows, users), self._per_user(values, users)

    def _per_user(self, values: tf.Tensor, users: tf.Tensor) -> tf.RaggedTensor:
        """The slices of a per-rating vector that belong to some users."""
        users = tf.reshape(tf.cast(users, tf.int64), [-1])
        num_users = tf.shape(self.row_splits, out_type=tf.int64)[0] - 1
        users = tf.where(users < num_users, users, num_users)
        splits = tf.concat([self.row_splits, self.row_splits[-1:]], axis=0)
        return tf.gather(tf.RaggedTensor.from_row_splits(values, splits, validate=False), users)


def as_vocabulary_ids(rows: tf.RaggedTensor, vocabulary_id_of_row: tf.Tensor) -> tf.SparseTensor:
    """History corpus rows as the ``movie_id`` vocabulary ids the tower embeds.

    Args:
      rows: ``[batch, None]`` corpus rows (``UserHistory.of``).
      vocabulary_id_of_row: ``[N]`` the ``movie_id_index`` of each corpus row.

    Returns:
      ``[batch, None]`` sparse vocabulary ids (empty rows stay empty).
    """
    return tf.gather(vocabulary_id_of_row, rows).to_sparse()


def scatter_rated(rows: tf.RaggedTensor, num_rows: int) -> tf.Tensor:
    """``[batch, N]`` float32 1.0 at each query's ``rows``.

    Args:
      rows: ``[batch, None]`` corpus rows.
      num_rows: Corpus size N.

    Returns:
      The indicator.
    """
    indices = tf.stack([tf.cast(rows.value_rowids(), tf.int64), rows.flat_values], axis=1)
    shape = tf.stack([rows.nrows(out_type=tf.int64), tf.constant(num_rows, tf.int64)])
    return tf.minimum(tf.scatter_nd(indices, tf.ones_like(rows.flat_values, tf.float32), shape), 1.0)
