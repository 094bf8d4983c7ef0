"""The Trainer's own report: filtered top-k accuracy, queried as served.

Each eval rating is a query at the model's default time (its latest training
time: the time a server uses when a request has none), the user's training
movies are left out of the ranking, and the rank of the rated movie is taken
by ``retrieval_metrics`` (the one tie rule the Evaluator uses too). The
Evaluator's report, with every baseline and the warm/cold split, is the one
that blesses; this one is the Trainer's quick check.
"""

import dataclasses
from typing import Dict, Iterable, Mapping

import numpy as np
import tensorflow as tf

import retrieval_metrics
from trainer.data import rows_of
from trainer.model import RetrievalModel
from transform_fn import features

DEFAULT_KS = (1, 5, 10, 50, 100)
# Scores ranked at once per ranker: 64 MiB of float32 model scores.
MAX_SCORES = 1 << 24
# Time features the transform computes from the query time.
_TIME_FEATURES = (
    features.transformed_name(features.TIMESTAMP, features.Z_SCORE),
    features.transformed_name(features.TIMESTAMP, features.BUCKET),
)


def query_time_features(
    transform_layer: tf.keras.layers.Layer, raw_spec: Mapping[str, object], timestamp: int
) -> Dict[str, tf.Tensor]:
    """The transformed time features of one query time.

    Args:
      transform_layer: The transform layer.
      raw_spec: The transform's raw feature spec.
      timestamp: Unix seconds.

    Returns:
      Transformed time feature name -> ``[1]`` value, for those that exist.
    """
    value = tf.constant([timestamp], tf.int64)
    if isinstance(raw_spec[features.TIMESTAMP], tf.io.FixedLenFeature):
        raw = tf.reshape(value, [1, 1])
    else:
        raw = tf.SparseTensor([[0, 0]], value, [1, 1])
    transformed = transform_layer({features.TIMESTAMP: raw})
    return {name: tf.reshape(transformed[name], [-1]) for name in _TIME_FEATURES if name in transformed}


def popularity_scores(train_counts: np.ndarray) -> np.ndarray:
    """Training rating counts, ties broken towards the lower corpus row.

    Args:
      train_counts: ``[N]`` ratings of each corpus movie in training.

    Returns:
      ``[N]`` float64 scores.
    """
    size = len(train_counts)
    return train_counts.astype(np.float64) + 0.5 * (1.0 - np.arange(size) / max(size, 1))


@dataclasses.dataclass(frozen=True)
class Evaluation:
    """Filtered top-k accuracy on eval ratings.

    Attributes:
      accuracy: ``{"model": {k: accuracy}, "popularity": {k: accuracy}}``.
      ranked: Eval ratings ranked.
    """

    accuracy: Dict[str, Dict[int, float]]
    ranked: int


def evaluate(
    model: RetrievalModel,
    dataset: tf.data.Dataset,
    time_features: Mapping[str, tf.Tensor],
    train_counts: np.ndarray,
    ks: Iterable[int] = DEFAULT_KS,
    max_scores: int = MAX_SCORES,
) -> Evaluation:
    """Filtered top-k accuracy of the model and of popularity on eval batches.

    Each batch is ranked in slices of at most ``max_scores`` query x movie
    scores, so memory stays bounded whatever the batch and the corpus (a
    4,096-rating batch against ml-25m's 62k movies would be a 1 GB matrix).

    Args:
      model: The trained model (its history lists the users' rated movies).
      dataset: Transformed eval rating batches.
      time_features: ``query_time_features`` of the model's default time,
        put in place of each rating's own time.
      train_counts: ``[N]`` training ratings per corpus movie.
      ks: The cut-offs.
      max_scores: Scores held at once per ranker (query rows x corpus size;
        at least one query row is ranked at a time).

    Returns:
      The accuracies and how many ratings were ranked.
    """
    corpus = model.corpus_embeddings().numpy()
    popularity = popularity_scores(train_counts)
    rows_per_slice = max(1, max_scores // max(len(corpus), 1))
    ranks: Dict[str, list] = {"model": [], "popularity": []}
    for batch in dataset:
        size = tf.shape(batch[features.MOVIE_ID])[0]
        batch = {
            **batch,
            **{name: tf.repeat(value, size) for name, value in time_features.items()},
        }
        targets = rows_of(batch, model.rows).numpy()
        rated = model.history_rows(batch)
        queries = model.query_tower(model.with_history(batch, rated)).numpy()
        for start in range(0, len(targets), rows_per_slice):
            end = start + rows_per_slice
            part = rated[start:end]
            excluded = np.zeros((len(targets[start:end]), len(corpus)), dtype=bool)
            excluded[part.value_rowids().numpy(), part.flat_values.numpy()] = True
            scores = {
                "model": queries[start:end] @ corpus.T,
                "popularity": np.broadcast_to(popularity, excluded.shape),
            }
            for name, matrix in scores.items():
                ranks[name].append(
                    retrieval_metrics.target_ranks(matrix, targets[start:end], excluded)
                )
    return Evaluation(
        accuracy={
            name: retrieval_metrics.accuracy_at_k(np.concatenate(parts), ks)
            for name, parts in ranks.items()
        },
        ranked=sum(len(part) for part in ranks["model"]),
    )
