"""Times the TFRS featurization tutorial's retrieval model: the pipeline's time reference.

The project's rule is that the whole pipeline stays within 1.5x the time of
this script on 100k ratings. The model is the TensorFlow Recommenders
"featurization" tutorial's, unchanged:

* user model: ``StringLookup(user_id) -> Embedding(32)``, concatenated with
  ``Discretization(timestamp, 1000 equal-width buckets) -> Embedding(32)``
  and ``Normalization(timestamp)``;
* movie model: ``StringLookup(movie_title) -> Embedding(32)``, concatenated
  with ``TextVectorization(movie_title) -> Embedding(10000, 32, mask_zero)
  -> GlobalAveragePooling1D``;
* query and candidate models: those followed by ``Dense(32)``;
* ``tfrs.tasks.Retrieval`` with ``FactorizedTopK`` over every movie title of
  the corpus (computed on the training batches too, as in the tutorial),
  Adagrad(0.1), 3 epochs, 80/20 random split, training batches of 8192
  shuffled with a 100k buffer, eval batches of 4096.

The ratings are the project's synthetic MovieLens data
(``movielens_simulator.synthetic``), what the pipeline reads with
``--source synthetic``, generated in this process. Writes JSON with the
seconds of each phase (imports, data preparation, vocabularies, fit,
evaluation), the whole process's wall time from the script's first line, and
the test metrics.

Usage (from the repository root):

    TF_USE_LEGACY_KERAS=1 .venv/bin/python benchmarks/tfrs_tutorial_benchmark.py \\
        --ratings 100000 --output /tmp/bench/tutorial.json
"""

import time

_STARTED = time.perf_counter()

# pylint: disable=g-import-not-at-top,wrong-import-position
import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse
import json
import platform
import sys
from typing import Dict, Tuple

import numpy as np
import tensorflow as tf
import tensorflow_recommenders as tfrs
import tf_keras as keras

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from movielens_simulator import synthetic
from transform_fn import features

_IMPORTED = time.perf_counter()

EMBEDDING_DIM = 32
TIMESTAMP_BUCKETS = 1_000
MAX_TOKENS = 10_000
TRAIN_FRACTION = 0.8
SHUFFLE_BUFFER = 100_000
TRAIN_BATCH = 8_192
EVAL_BATCH = 4_096
CANDIDATE_BATCH = 128
LEARNING_RATE = 0.1
TOP_K_METRIC = "factorized_top_k/top_100_categorical_accuracy"


class UserModel(keras.Model):
    """The tutorial's user model: user id and timestamp features."""

    def __init__(self, user_ids: np.ndarray, timestamp_buckets: np.ndarray,
                 timestamps: np.ndarray):
        """Builds the layers from the vocabularies.

        Args:
          user_ids: The distinct user ids.
          timestamp_buckets: Bucket boundaries of the timestamp.
          timestamps: Every rating's timestamp, to adapt the normalization.
        """
        super().__init__()
        self.user_embedding = keras.Sequential([
            keras.layers.StringLookup(vocabulary=user_ids, mask_token=None),
            keras.layers.Embedding(len(user_ids) + 1, EMBEDDING_DIM),
        ])
        self.timestamp_embedding = keras.Sequential([
            keras.layers.Discretization(timestamp_buckets.tolist()),
            keras.layers.Embedding(len(timestamp_buckets) + 2, EMBEDDING_DIM),
        ])
        self.normalized_timestamp = keras.layers.Normalization(axis=None)
        self.normalized_timestamp.adapt(timestamps)

    def call(self, inputs: Dict[str, tf.Tensor]) -> tf.Tensor:
        """Embeds a batch of queries.

        Args:
          inputs: ``user_id`` and ``timestamp``, each ``[batch]``.

        Returns:
          ``[batch, 2 * EMBEDDING_DIM + 1]`` features.
        """
        return tf.concat([
            self.user_embedding(inputs[features.USER_ID]),
            self.timestamp_embedding(inputs[features.TIMESTAMP]),
            tf.reshape(self.normalized_timestamp(inputs[features.TIMESTAMP]), (-1, 1)),
        ], axis=1)


class MovieModel(keras.Model):
    """The tutorial's movie model: the title as an id and as words."""

    def __init__(self, titles: np.ndarray):
        """Builds the layers and adapts the title vectorizer.

        Args:
          titles: The distinct movie titles.
        """
        super().__init__()
        self.title_embedding = keras.Sequential([
            keras.layers.StringLookup(vocabulary=titles, mask_token=None),
            keras.layers.Embedding(len(titles) + 1, EMBEDDING_DIM),
        ])
        self.title_vectorizer = keras.layers.TextVectorization(max_tokens=MAX_TOKENS)
        self.title_vectorizer.adapt(titles)
        self.title_text_embedding = keras.Sequential([
            self.title_vectorizer,
            keras.layers.Embedding(MAX_TOKENS, EMBEDDING_DIM, mask_zero=True),
            keras.layers.GlobalAveragePooling1D(),
        ])

    def call(self, titles: tf.Tensor) -> tf.Tensor:
        """Embeds a batch of titles.

        Args:
          titles: ``[batch]`` movie titles.

        Returns:
          ``[batch, 2 * EMBEDDING_DIM]`` features.
        """
        return tf.concat([self.title_embedding(titles), self.title_text_embedding(titles)], axis=1)


class MovielensModel(tfrs.models.Model):
    """The tutorial's two-tower retrieval model."""

    def __init__(self, user_model: UserModel, movie_model: MovieModel,
                 corpus: tf.data.Dataset):
        """Stacks a Dense layer on each tower and sets up the retrieval task.

        Args:
          user_model: The query features.
          movie_model: The candidate features.
          corpus: Every movie title, the candidates of ``FactorizedTopK``.
        """
        super().__init__()
        self.query_model = keras.Sequential([user_model, keras.layers.Dense(EMBEDDING_DIM)])
        self.candidate_model = keras.Sequential([movie_model, keras.layers.Dense(EMBEDDING_DIM)])
        self.task = tfrs.tasks.Retrieval(metrics=tfrs.metrics.FactorizedTopK(
            candidates=corpus.batch(CANDIDATE_BATCH).map(self.candidate_model)))

    def compute_loss(self, inputs: Dict[str, tf.Tensor], training: bool = False) -> tf.Tensor:
        """The retrieval loss of a batch of ratings (metrics updated as a side effect).

        Args:
          inputs: ``user_id``, ``timestamp`` and ``movie_title``, each ``[batch]``.
          training: Unused; the tutorial computes the metrics in training too.

        Returns:
          The scalar loss.
        """
        del training
        query_embeddings = self.query_model({
            features.USER_ID: inputs[features.USER_ID],
            features.TIMESTAMP: inputs[features.TIMESTAMP],
        })
        movie_embeddings = self.candidate_model(inputs[features.MOVIE_TITLE])
        return self.task(query_embeddings, movie_embeddings)


def load_data(num_ratings: int, seed: int) -> Tuple[Dict[str, np.ndarray], np.ndarray]:
    """Generates the synthetic ratings and movie corpus.

    Args:
      num_ratings: Number of ratings.
      seed: The generator's seed.

    Returns:
      The ratings as columns (``user_id``, ``timestamp``, ``movie_title``) and
      the title of every movie of the corpus.
    """
    config = synthetic.SyntheticConfig(num_ratings=num_ratings, seed=seed)
    records = list(synthetic.generate_ratings(config, 0, 1))
    ratings = {
        features.USER_ID: np.array([r[features.USER_ID] for r in records], dtype=object),
        features.TIMESTAMP: np.array([r[features.TIMESTAMP] for r in records], dtype=np.int64),
        features.MOVIE_TITLE: np.array([r[features.MOVIE_TITLE] for r in records], dtype=object),
    }
    titles = np.array([m[features.MOVIE_TITLE] for m in synthetic.generate_movies(config)],
                      dtype=object)
    return ratings, titles


def split(ratings: Dict[str, np.ndarray], seed: int) -> Tuple[tf.data.Dataset, tf.data.Dataset]:
    """The tutorial's random 80/20 split and batching.

    Args:
      ratings: The rating columns.
      seed: Seed of the shuffles.

    Returns:
      The cached training batches (shuffled once, as the tutorial caches them)
      and the cached eval batches.
    """
    count = len(ratings[features.USER_ID])
    num_train = int(TRAIN_FRACTION * count)
    shuffled = tf.data.Dataset.from_tensor_slices(ratings).shuffle(
        SHUFFLE_BUFFER, seed=seed, reshuffle_each_iteration=False)
    train = shuffled.take(num_train)
    test = shuffled.skip(num_train).take(count - num_train)
    return (train.shuffle(SHUFFLE_BUFFER, seed=seed).batch(TRAIN_BATCH).cache(),
            test.batch(EVAL_BATCH).cache())


def vocabularies(ratings: Dict[str, np.ndarray],
                 titles: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tutorial's vocabularies and timestamp buckets, over all the ratings.

    Args:
      ratings: The rating columns.
      titles: The corpus' titles.

    Returns:
      The distinct user ids, the distinct titles and the timestamp bucket
      boundaries (equal-width between the first and last rating).
    """
    timestamps = ratings[features.TIMESTAMP]
    buckets = np.linspace(timestamps.min(), timestamps.max(), num=TIMESTAMP_BUCKETS)
    return (np.unique(ratings[features.USER_ID].astype(str)),
            np.unique(titles.astype(str)), buckets)


def build_model(ratings: Dict[str, np.ndarray], titles: np.ndarray) -> MovielensModel:
    """Adapts the vocabularies and layers, builds and compiles the model.

    Args:
      ratings: The rating columns.
      titles: The corpus' titles.

    Returns:
      The compiled model.
    """
    user_ids, unique_titles, buckets = vocabularies(ratings, titles)
    model = MovielensModel(
        UserModel(user_ids, buckets, ratings[features.TIMESTAMP]),
        MovieModel(unique_titles),
        tf.data.Dataset.from_tensor_slices(titles.astype(str)),
    )
    model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=LEARNING_RATE))
    return model


def main() -> int:
    """Runs the benchmark and writes its JSON.

    Returns:
      The exit status.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--ratings", type=int, default=100_000, help="synthetic ratings")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the synthetic data, the split and TensorFlow")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs")
    parser.add_argument("--output", required=True, help="JSON file to write")
    args = parser.parse_args()
    tf.random.set_seed(args.seed)
    seconds: Dict[str, float] = {"imports": _IMPORTED - _STARTED}

    started = time.perf_counter()
    ratings, titles = load_data(args.ratings, args.seed)
    train, test = split(ratings, args.seed)
    seconds["data_prep"] = time.perf_counter() - started

    started = time.perf_counter()
    model = build_model(ratings, titles)
    seconds["adapt"] = time.perf_counter() - started

    started = time.perf_counter()
    history = model.fit(train, epochs=args.epochs, verbose=2)
    seconds["fit"] = time.perf_counter() - started

    started = time.perf_counter()
    test_metrics = model.evaluate(test, return_dict=True, verbose=0)
    seconds["eval"] = time.perf_counter() - started
    seconds["total"] = time.perf_counter() - _STARTED

    result = {
        "args": vars(args),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "tensorflow": tf.__version__, "keras": keras.__version__},
        "counts": {"ratings": args.ratings, "users": len(np.unique(ratings[features.USER_ID])),
                   "corpus": len(titles), "train": int(TRAIN_FRACTION * args.ratings)},
        "seconds": seconds,
        "test_metrics": {name: float(value) for name, value in test_metrics.items()},
        "train_last_epoch": {name: float(values[-1]) for name, values in history.history.items()},
    }
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2, sort_keys=True)
    print(json.dumps({"seconds": seconds, TOP_K_METRIC: result["test_metrics"][TOP_K_METRIC]},
                     indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
