"""The two-tower retrieval model and its softmax losses.

The towers know nothing of the loss; ``RetrievalModel.compute_loss`` only wires
them: the query tower embeds the rating's query (with a random sample of the
user's other training movies as its history, drawn anew every step), and
either the whole corpus (exact softmax, the movies in the query's history left
out of it) or the batch's movies (in-batch softmax with a log-Q correction)
are the candidates.

Why a sample: with every other movie of the user as the history, the history
is the user's whole history less the rating's own movie, so a model that
learns each user's whole history (their id, or embeddings whose sums over a
user's movies cancel) can subtract and find the held-out movie. Training loss
then falls far while the model as served, whose history is the whole one,
falls to popularity (trainer/README.md, "The leave-one-out history leaks").
With a sample, the movies outside it (the held-out one among them) are all
alike to the query, and they stay in the softmax as competitors.
"""

from typing import Dict, Mapping, Optional, Tuple

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
        history_keep_rate: float = config_lib.TrainerConfig.history_keep_rate,
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
          exclude_rated_from_loss: Leave the movies in each training
            query's history (without a history: the user's other rated
            movies) out of the exact softmax, as the served model leaves the
            history out of its answers.
          history_keep_rate: Chance that each of the user's other training
            movies is in a training query's history, drawn anew every step.
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
        self._keep_rate = history_keep_rate
        self._vocabulary_id_of_row = tf.reshape(corpus.transformed[_MOVIE_INDEX], [-1])
        self.in_batch_task = tfrs.tasks.Retrieval(remove_accidental_hits=True)
        # TFRS's train step returns the batch's own loss, so Keras's epoch
        # logs would carry the last batch's (often a partial batch); the
        # epoch's running mean is reported instead. Keras resets it each epoch.
        self.loss_tracker = tf.keras.metrics.Mean(name="loss")

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
        results = step(inputs)
        self.loss_tracker.update_state(results["loss"])
        return {**results, "loss": self.loss_tracker.result()}

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

    def training_history(
        self,
        inputs: Mapping[str, tf.Tensor],
        label_rows: tf.Tensor,
        keep_rate: Optional[float] = None,
    ) -> Tuple[tf.Tensor, tf.RaggedTensor]:
        """Embeds training queries' histories: a fresh sample of the user's other movies.

        Each training rating of the batch's users is kept with chance
        ``keep_rate``, one draw per rating per call (a user's queries in the
        batch share it); a query's history is its user's kept movies less
        the one it predicts. The same as the query tower's lookup of
        ``with_history(inputs, rows)`` for the returned rows (sum over the
        square root of the count), from one sparse product of the batch's
        users' kept movies with the table, less the target's row when it was
        kept. The cost follows the batch's users' history lengths, not the
        size of the training data.

        Args:
          inputs: Transformed rating features with ``user_id_index``.
          label_rows: ``[batch]`` the corpus rows being predicted (each in
            its user's history).
          keep_rate: Chance of each rating being kept; None takes the
            model's ``history_keep_rate``.

        Returns:
          ``[batch, dim]`` embeddings and the ``[batch, None]`` corpus rows
          of each query's history.
        """
        keep_rate = self._keep_rate if keep_rate is None else keep_rate
        table = self.query_tower.embedding_tables[features.MOVIE_HISTORY].table
        users = tf.reshape(tf.cast(inputs[_USER_INDEX], tf.int64), [-1])
        labels = tf.reshape(tf.cast(label_rows, tf.int64), [-1])
        batch_users, user_of_query = tf.unique(users, out_idx=tf.int64)
        user_rows = self.user_history.rows_of(batch_users)
        owner, movie = user_rows.value_rowids(), user_rows.flat_values
        kept = tf.ones_like(movie, tf.bool)
        if keep_rate < 1.0:
            kept = tf.random.uniform(tf.shape(movie)) < keep_rate
        # Flat ops over every (query, movie) pair: ragged ops cost 3x more here.
        pairs = tf.gather(
            tf.RaggedTensor.from_row_splits(
                tf.range(tf.size(movie, out_type=tf.int64)), user_rows.row_splits, validate=False
            ),
            user_of_query,
        )
        query_of, pair = pairs.value_rowids(), pairs.flat_values
        query_movie, query_kept = tf.gather(movie, pair), tf.gather(kept, pair)
        is_target = query_movie == tf.gather(labels, query_of)
        in_history = query_kept & ~is_target
        queries = tf.shape(labels, out_type=tf.int64)[0]
        seen = tf.RaggedTensor.from_value_rowids(
            tf.boolean_mask(query_movie, in_history),
            tf.boolean_mask(query_of, in_history),
            nrows=queries,
            validate=False,
        )
        target_kept = tf.minimum(
            tf.math.unsorted_segment_sum(
                tf.cast(query_kept & is_target, tf.float32), query_of, queries
            ),
            1.0,
        )
        kept_matrix = tf.SparseTensor(
            tf.stack([owner, tf.gather(self._vocabulary_id_of_row, movie)], axis=1),
            tf.cast(kept, tf.float32),
            tf.stack([tf.size(batch_users, out_type=tf.int64), tf.shape(table, out_type=tf.int64)[0]]),
        )
        sums = tf.sparse.sparse_dense_matmul(kept_matrix, table)
        target = tf.gather(table, tf.gather(self._vocabulary_id_of_row, label_rows))
        count = tf.cast(seen.row_lengths(), tf.float32)
        embedded = (tf.gather(sums, user_of_query) - target * target_kept[:, None]) / tf.sqrt(
            tf.maximum(count, 1.0)
        )[:, None]
        return embedded, seen

    def compute_loss(self, inputs: Dict[str, tf.Tensor], training: bool = False) -> tf.Tensor:
        label_rows = rows_of(inputs, self._rows)
        embedded, seen = {}, None
        if self._history_in_query:
            embedded[features.MOVIE_HISTORY], seen = self.training_history(inputs, label_rows)
        queries = self.query_tower(inputs, embedded=embedded)
        if self._loss_name == config_lib.LOSS_EXACT:
            rated = None
            if self._exclude_rated:
                if seen is None:
                    seen = self.history_rows(inputs, leave_out=label_rows)
                rated = history_lib.scatter_rated(seen, self._corpus.size)
            return exact_softmax_loss(queries, self.corpus_embeddings(), label_rows, rated=rated)
        candidates = self.candidate_tower(inputs)
        return self.in_batch_task(
            queries,
            candidates,
            candidate_sampling_probability=tf.gather(self._probabilities, label_rows),
            candidate_ids=label_rows,
            compute_metrics=False,
        )
