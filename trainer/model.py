"""The two-tower retrieval model and its softmax losses.

The towers know nothing of the loss; ``RetrievalModel.compute_loss`` only wires
them: the query tower embeds the rating's query, and either the whole corpus
(exact softmax) or the batch's movies (in-batch softmax with a log-Q
correction) are the candidates.
"""

from typing import Dict, Optional

import tensorflow as tf
import tensorflow_recommenders as tfrs

from trainer import config as config_lib
from trainer.data import Corpus, rows_of
from trainer.towers import Tower


def exact_softmax_loss(
    queries: tf.Tensor, candidates: tf.Tensor, label_rows: tf.Tensor
) -> tf.Tensor:
    """Mean cross-entropy of a softmax over every candidate.

    Args:
      queries: ``[batch, d]`` query embeddings.
      candidates: ``[N, d]`` embeddings of the whole corpus.
      label_rows: ``[batch]`` row of each query's true candidate.

    Returns:
      The scalar loss.
    """
    logits = tf.matmul(queries, candidates, transpose_b=True)
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
        candidate_probabilities: Optional[tf.Tensor] = None,
    ):
        """Builds the model.

        Args:
          query_tower: Embeds transformed query features.
          candidate_tower: Embeds transformed movie features.
          corpus: The candidate corpus.
          loss: ``exact_softmax`` or ``in_batch_softmax``.
          candidate_probabilities: ``[N]`` sampling probability of each corpus
            movie in training batches (its rating share), for the log-Q
            correction of the in-batch loss.
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
        self.in_batch_task = tfrs.tasks.Retrieval(remove_accidental_hits=True)

    def set_rows(self, rows: tf.lookup.StaticHashTable) -> None:
        """Sets the movie id -> corpus row table used for labels."""
        self._rows = rows

    def corpus_embeddings(self) -> tf.Tensor:
        """Embeds every corpus movie with the candidate tower."""
        return self.candidate_tower(self._corpus.transformed)

    def train_step(self, inputs: Dict[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
        step = super().train_step
        if self._loss_name == config_lib.LOSS_EXACT:
            # Autograph would transpile TFRS's and our step code on the first
            # batch (~10 s on 100k ratings) to find no tensor-dependent Python
            # control flow in it. TFRS's Retrieval task (the in-batch loss)
            # does need autograph (``len(tf.shape(x))``).
            step = tf.autograph.experimental.do_not_convert(step)
        return step(inputs)

    def compute_loss(self, inputs: Dict[str, tf.Tensor], training: bool = False) -> tf.Tensor:
        queries = self.query_tower(inputs)
        label_rows = rows_of(inputs, self._rows)
        if self._loss_name == config_lib.LOSS_EXACT:
            return exact_softmax_loss(queries, self.corpus_embeddings(), label_rows)
        candidates = self.candidate_tower(inputs)
        return self.in_batch_task(
            queries,
            candidates,
            candidate_sampling_probability=tf.gather(self._probabilities, label_rows),
            candidate_ids=label_rows,
            compute_metrics=False,
        )
