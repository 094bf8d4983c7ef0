"""Top-k accuracy over the whole corpus, for a model and for popularity."""

from typing import Callable, Dict, Iterable, Mapping

import tensorflow as tf

from trainer.data import rows_of
from transform_fn import features

DEFAULT_KS = (1, 5, 10, 50, 100)


def _hits(scores: tf.Tensor, label_rows: tf.Tensor, k: int) -> tf.Tensor:
    """1.0 where the label ranks within the top k; ties are counted against it."""
    label_scores = tf.gather(scores, label_rows[:, None], batch_dims=1)
    at_least_as_good = tf.reduce_sum(tf.cast(scores >= label_scores, tf.int32), axis=1) - 1
    return tf.cast(at_least_as_good < k, tf.float32)


def top_k_accuracy(
    embed_queries: Callable[[Mapping[str, tf.Tensor]], tf.Tensor],
    corpus_embeddings: tf.Tensor,
    dataset: tf.data.Dataset,
    rows: tf.lookup.StaticHashTable,
    ks: Iterable[int] = DEFAULT_KS,
) -> Dict[int, float]:
    """Share of ratings whose movie ranks in the query's top k of the corpus.

    Args:
      embed_queries: Transformed batch -> ``[batch, d]`` query embeddings.
      corpus_embeddings: ``[N, d]`` candidate embeddings.
      dataset: Transformed rating batches.
      rows: Movie id -> corpus row table.
      ks: The cut-offs.

    Returns:
      k -> accuracy.
    """
    ks = tuple(ks)
    hits = {k: 0.0 for k in ks}
    total = 0
    for batch in dataset:
        scores = tf.matmul(embed_queries(batch), corpus_embeddings, transpose_b=True)
        label_rows = rows_of(batch, rows)
        for k in ks:
            hits[k] += float(tf.reduce_sum(_hits(scores, label_rows, k)))
        total += int(tf.shape(label_rows)[0])
    return {k: hits[k] / max(total, 1) for k in ks}


def popularity_top_k_accuracy(
    train_counts: tf.Tensor,
    dataset: tf.data.Dataset,
    rows: tf.lookup.StaticHashTable,
    ks: Iterable[int] = DEFAULT_KS,
) -> Dict[int, float]:
    """Top-k accuracy of recommending the most-rated training movies to all.

    Args:
      train_counts: ``[N]`` ratings per corpus movie in the training split.
      dataset: Transformed rating batches to score.
      rows: Movie id -> corpus row table.
      ks: The cut-offs.

    Returns:
      k -> accuracy.
    """
    return top_k_accuracy(
        lambda batch: tf.ones([tf.size(batch[features.MOVIE_ID]), 1]),
        tf.cast(train_counts, tf.float32)[:, None],
        dataset,
        rows,
        ks,
    )
