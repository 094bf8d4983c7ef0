"""The two-tower retrieval model and its softmax losses.

The towers know nothing of the loss; ``RetrievalModel.compute_loss`` only wires
them: the query tower embeds the rating's query (with the user's history,
the rating's own movie left out), and either the whole corpus (exact softmax,
the user's other rated movies left out of it) or the batch's movies (in-batch
softmax with a log-Q correction) are the candidates.
"""

from typing import Dict, Mapping, Optional

import tensorflow as tf
import tensorflow_recommenders as tfrs

from trainer import config as config_lib
from trainer import history as history_lib
from trainer.data import Corpus, rows_of
from trainer.towers import Tower
from transform_fn import features

_USER_INDEX = features.transformed_name(features.USER_ID, features.INDEX)
_MOVIE_INDEX = features.transformed_name(features.MOVIE_ID, features.INDEX)


def exact_softmax_loss(
    queries: tf.Tensor,
    candidates: tf.Tensor,
    label_rows: tf.Tensor,
    rated: Optional[tf.Tensor] = None,
) -> tf.Tensor:
    """Mean cross-entropy of a softmax over every candidate.

    Args:
      queries: ``[batch, d]`` query embeddings.
      candidates: ``[N, d]`` embeddings of the whole corpus.
      label_rows: ``[batch]`` row of each query's true candidate.
      rated: Optional ``[batch, N]`` float 1.0 at candidates left out of each
        query's softmax (the other movies its user rated: a served model
        never recommends them, so they are not competitors). 0 at the label.

    Returns:
      The scalar loss.
    """
    logits = tf.matmul(queries, candidates, transpose_b=True)
    if rated is not None:
        # Finite, so the softmax stays defined.
        logits -= 1e9 * rated
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=label_rows, logits=logits)
    )


class RetrievalModel(tfrs.Model):
    """Query tower + candidate tower trained with a softmax retrieval loss."""

    def __init__(
        self,
        query_tower: Tower,
        candidate_tower: Tower,
        corpus: Corpus,
        loss: str,
        history: history_lib.UserHistory,
        candidate_probabilities: Optional[tf.Tensor] = None,
        history_in_query: bool = True,
        exclude_rated_from_loss: bool = True,
    ):
        """Builds the model.

        Args:
          query_tower: Embeds transformed query features.
          candidate_tower: Embeds transformed movie features.
          corpus: The candidate corpus.
          loss: ``exact_softmax`` or ``in_batch_softmax``.
          history: The users' training histories.
          candidate_probabilities: ``[N]`` sampling probability of each corpus
            movie in training batches (its rating share), for the log-Q
            correction of the in-batch loss.
          history_in_query: The query tower reads ``features.MOVIE_HISTORY``.
          exclude_rated_from_loss: Leave each user's other rated movies out
            of the exact softmax.
        """
        super().__init__()
        if loss == config_lib.LOSS_IN_BATCH and candidate_probabilities is None:
            raise ValueError("in_batch_softmax needs candidate_probabilities")
        self.query_tower = query_tower
        self.candidate_tower = candidate_tower
        self._corpus = corpus
        self._loss_name = loss
        self._probabilities = candidate_probabilities
        self._rows = None
        self.user_history = history
        self._history_in_query = history_in_query
        self._exclude_rated = exclude_rated_from_loss
        self._vocabulary_id_of_row = tf.reshape(corpus.transformed[_MOVIE_INDEX], [-1])
        self._rated_rows = history_lib.rated_rows(history, corpus.size)
        self._rated_matrix = None
        if history_in_query:
            self._rated_matrix = history_lib.rated_matrix(
                history,
                self._vocabulary_id_of_row,
                query_tower.embedding_tables[features.MOVIE_HISTORY].size,
            )
            self._history_lengths = tf.cast(
                history.row_splits[1:] - history.row_splits[:-1], tf.float32
            )
        self.in_batch_task = tfrs.tasks.Retrieval(remove_accidental_hits=True)

    def set_rows(self, rows: tf.lookup.StaticHashTable) -> None:
        """Sets the movie id -> corpus row table used for labels."""
        self._rows = rows

    @property
    def rows(self) -> tf.lookup.StaticHashTable:
        """The movie id -> corpus row table used for labels."""
        return self._rows

    def corpus_embeddings(self) -> tf.Tensor:
        """Embeds every corpus movie with the candidate tower."""
        return self.candidate_tower(self._corpus.transformed)

    def train_step(self, inputs: Dict[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
        step = super().train_step
        if self._loss_name == config_lib.LOSS_EXACT:
            # Autograph would transpile TFRS's and our step code on the first
            # batch (seconds of every run; docs/benchmarks.md) to find no
            # tensor-dependent Python control flow in it. TFRS's Retrieval
            # task (the in-batch loss) does need autograph
            # (``len(tf.shape(x))``).
            step = tf.autograph.experimental.do_not_convert(step)
        return step(inputs)

    def history_rows(
        self,
        inputs: Mapping[str, tf.Tensor],
        before: Optional[tf.Tensor] = None,
        leave_out: Optional[tf.Tensor] = None,
    ) -> tf.RaggedTensor:
        """The corpus rows of the query users' histories.

        Args:
          inputs: Transformed features with ``user_id_index``.
          before: Optional ``[batch]`` query times (history up to them).
          leave_out: Optional ``[batch]`` corpus rows left out of the history.

        Returns:
          ``[batch, None]`` rows.
        """
        return self.user_history.of(inputs[_USER_INDEX], before=before, leave_out=leave_out)

    def with_history(
        self, inputs: Mapping[str, tf.Tensor], rows: tf.RaggedTensor
    ) -> Dict[str, tf.Tensor]:
        """Adds ``features.MOVIE_HISTORY`` to transformed query features.

        Args:
          inputs: Transformed query features.
          rows: ``history_rows`` of the same queries.

        Returns:
          The features, with the history ids when the query tower reads them.
        """
        if not self._history_in_query:
            return dict(inputs)
        ids = history_lib.as_vocabulary_ids(rows, self._vocabulary_id_of_row)
        return {**inputs, features.MOVIE_HISTORY: ids}

    def training_history(self, inputs: Mapping[str, tf.Tensor], label_rows: tf.Tensor) -> tf.Tensor:
        """``[batch, dim]`` history embeddings of training queries, the target left out.

        The same as the query tower's lookup of ``with_history(inputs,
        history_rows(inputs, leave_out=label_rows))`` (sum over the square
        root of the count), from one sparse product of every user's history
        with the table: the rated movie is subtracted, the count less one.

        Args:
          inputs: Transformed rating features with ``user_id_index``.
          label_rows: ``[batch]`` the corpus rows being predicted (each in
            its user's history).

        Returns:
          The embeddings.
        """
        table = self.query_tower.embedding_tables[features.MOVIE_HISTORY].table
        users = tf.reshape(tf.cast(inputs[_USER_INDEX], tf.int64), [-1])
        sums = tf.sparse.sparse_dense_matmul(self._rated_matrix, table)
        target = tf.gather(table, tf.gather(self._vocabulary_id_of_row, label_rows))
        others = tf.gather(self._history_lengths, users) - 1.0
        return (tf.gather(sums, users) - target) / tf.sqrt(tf.maximum(others, 1.0))[:, None]

    def _rated(self, inputs: Mapping[str, tf.Tensor], label_rows: tf.Tensor) -> tf.Tensor:
        """``[batch, N]`` 1.0 where the query's user rated the movie, the label excepted."""
        if self._rated_rows is None:
            rows = self.history_rows(inputs, leave_out=label_rows)
            return history_lib.scatter_rated(rows, self._corpus.size)
        users = tf.reshape(tf.cast(inputs[_USER_INDEX], tf.int64), [-1])
        last = tf.shape(self._rated_rows, out_type=tf.int64)[0] - 1
        rated = tf.gather(self._rated_rows, tf.minimum(users, last))
        return rated * (1.0 - tf.one_hot(label_rows, self._corpus.size))

    def compute_loss(self, inputs: Dict[str, tf.Tensor], training: bool = False) -> tf.Tensor:
        label_rows = rows_of(inputs, self._rows)
        embedded = {}
        if self._history_in_query:
            embedded[features.MOVIE_HISTORY] = self.training_history(inputs, label_rows)
        queries = self.query_tower(inputs, embedded=embedded)
        if self._loss_name == config_lib.LOSS_EXACT:
            if self._exclude_rated:
                return exact_softmax_loss(
                    queries, self.corpus_embeddings(), label_rows, rated=self._rated(inputs, label_rows)
                )
            return exact_softmax_loss(queries, self.corpus_embeddings(), label_rows)
        candidates = self.candidate_tower(inputs)
        return self.in_batch_task(
            queries,
            candidates,
            candidate_sampling_probability=tf.gather(self._probabilities, label_rows),
            candidate_ids=label_rows,
            compute_metrics=False,
        )
