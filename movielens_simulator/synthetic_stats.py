"""Timeline and split statistics of rating records, to compare with ml-100k.

The synthetic generator is tuned so that these come out close to the real
ml-100k's (measured there: the median user's ratings span 0.8 hours; 62% of
the ratings fall within an hour of the user's first, 78% within a day; 1,000
quantile buckets of the timestamp hold a median of 4 distinct users; a
temporal 80/20 split puts 85% of the eval ratings on users without training
ratings and about 1% on movies without training ratings).

The splits are the pipeline's (``splits.py``): random by a stable hash of the
rating, temporal by a timestamp quantile (eval = strictly later ratings).
"""

import collections
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import numpy as np

from movielens_simulator import synthetic
from components.movielens_example_gen import split_rules
from transform_fn import features

Records = Sequence[Mapping[str, Any]]

_HOUR_SECONDS = 3_600
_DAY_SECONDS = 86_400
_TIME_BUCKETS = 1_000


def _user_columns(ratings: Records) -> Tuple[np.ndarray, np.ndarray]:
    """Dense user index and timestamp of each rating."""
    _, users = np.unique([r[features.USER_ID] for r in ratings], return_inverse=True)
    timestamps = np.array([r[features.TIMESTAMP] for r in ratings], dtype=np.int64)
    return users, timestamps


def median_users_per_time_bucket(ratings: Records,
                                 num_buckets: int = _TIME_BUCKETS) -> float:
    """Median number of distinct users among equal-count buckets of time.

    Args:
      ratings: Rating records with ``user_id`` and ``timestamp``.
      num_buckets: Number of buckets; the ratings, in time order, are cut into
        this many runs of (nearly) equal size (quantile buckets).

    Returns:
      The median over the non-empty buckets of the number of distinct users.
    """
    users, timestamps = _user_columns(ratings)
    order = np.argsort(timestamps, kind="stable")
    buckets = np.arange(len(order)) * num_buckets // len(order)
    pairs = np.unique(np.stack([buckets, users[order]]), axis=1)
    _, users_per_bucket = np.unique(pairs[0], return_counts=True)
    return float(np.median(users_per_bucket))


def timeline_statistics(ratings: Records) -> Dict[str, float]:
    """How ratings gather in sessions around each user's first rating.

    Args:
      ratings: Rating records with ``user_id`` and ``timestamp``.

    Returns:
      ``median_user_span_hours`` (last minus first rating time of the median
      user), ``share_within_hour_of_first`` and ``share_within_day_of_first``
      (of all ratings, at most that long after the user's first rating) and
      ``median_users_per_time_bucket`` (over 1,000 quantile buckets).
    """
    users, timestamps = _user_columns(ratings)
    first = np.full(users.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, users, timestamps)
    last = np.zeros_like(first)
    np.maximum.at(last, users, timestamps)
    since_first = timestamps - first[users]
    return {
        "median_user_span_hours": float(np.median(last - first)) / _HOUR_SECONDS,
        "share_within_hour_of_first": float(np.mean(since_first <= _HOUR_SECONDS)),
        "share_within_day_of_first": float(np.mean(since_first <= _DAY_SECONDS)),
        "median_users_per_time_bucket": median_users_per_time_bucket(ratings),
    }


def random_split(ratings: Records, eval_fraction: float = 0.2) -> Tuple[List, List]:
    """The pipeline's random split: a stable hash of the rating decides.

    Args:
      ratings: Rating records.
      eval_fraction: Share of the ratings (in expectation) in eval.

    Returns:
      ``(train, eval)`` lists of records.
    """
    train, evaluation = [], []
    for record in ratings:
        is_eval = split_rules.hash_fraction(split_rules.rating_key(record)) < eval_fraction
        (evaluation if is_eval else train).append(record)
    return train, evaluation


def temporal_split(ratings: Records, eval_fraction: float = 0.2) -> Tuple[List, List]:
    """The pipeline's temporal split: eval holds the ratings after a quantile.

    Args:
      ratings: Rating records.
      eval_fraction: Share of the ratings in eval (less where times tie).

    Returns:
      ``(train, eval)`` lists of records; every eval rating is later than
      every training rating.
    """
    timestamps = np.sort([r[features.TIMESTAMP] for r in ratings])
    cutoff = timestamps[int(round((1.0 - eval_fraction) * (len(timestamps) - 1)))]
    train = [r for r in ratings if r[features.TIMESTAMP] <= cutoff]
    evaluation = [r for r in ratings if r[features.TIMESTAMP] > cutoff]
    return train, evaluation


def cold_shares(train: Records, evaluation: Records) -> Dict[str, float]:
    """Shares of eval ratings whose user, or movie, has no training rating.

    Args:
      train: Training rating records.
      evaluation: Eval rating records (at least one).

    Returns:
      ``cold_user_eval_share`` and ``cold_movie_eval_share``.
    """
    train_users = {r[features.USER_ID] for r in train}
    train_movies = {r[features.MOVIE_ID] for r in train}
    return {
        "cold_user_eval_share": float(
            np.mean([r[features.USER_ID] not in train_users for r in evaluation])),
        "cold_movie_eval_share": float(
            np.mean([r[features.MOVIE_ID] not in train_movies for r in evaluation])),
    }


def training_movies(train: Records) -> Dict[str, List[str]]:
    """Movie ids each user rated in training (what the filtered protocol drops).

    Args:
      train: Training rating records.

    Returns:
      User id -> movie ids.
    """
    movies = collections.defaultdict(list)
    for record in train:
        movies[record[features.USER_ID]].append(record[features.MOVIE_ID])
    return dict(movies)


def recent_counts(train: Records, recent_fraction: float) -> Dict[str, int]:
    """Training ratings of each movie over the last part of the training time.

    Args:
      train: Training rating records (at least one).
      recent_fraction: Share of the training time span, counted back from
        the last training rating.

    Returns:
      Movie id -> number of ratings in that window.
    """
    times = [r[features.TIMESTAMP] for r in train]
    since = max(times) - recent_fraction * (max(times) - min(times))
    return dict(collections.Counter(
        r[features.MOVIE_ID] for r in train if r[features.TIMESTAMP] >= since))


def baseline_accuracies(
    config: synthetic.SyntheticConfig,
    train: Records,
    evaluation: Records,
    ks: Sequence[int],
    recent_fraction: float = 0.1,
) -> Dict[str, Dict[int, float]]:
    """Filtered top-k accuracy of the oracle and of two popularity baselines.

    Args:
      config: The generator's config (the oracle's model and the corpus).
      train: Training rating records.
      evaluation: Eval rating records.
      ks: Cut-offs.
      recent_fraction: Window of ``recent_popularity``: this share of the
        training time, at its end.

    Returns:
      ``oracle``, ``popularity`` (all-time training counts) and
      ``recent_popularity`` (counts in the window), each k -> accuracy.
    """
    movie_ids = [m[features.MOVIE_ID] for m in synthetic.generate_movies(config)]
    seen = training_movies(train)
    counts = collections.Counter(r[features.MOVIE_ID] for r in train)
    return {
        "oracle": synthetic.oracle_top_k_accuracy(config, evaluation, seen, ks),
        "popularity": synthetic.popularity_top_k_accuracy(
            movie_ids, counts, evaluation, seen, ks),
        "recent_popularity": synthetic.popularity_top_k_accuracy(
            movie_ids, recent_counts(train, recent_fraction), evaluation, seen, ks),
    }


def structure_statistics(
    config: synthetic.SyntheticConfig,
    ratings: Records,
    ks: Sequence[int] = (10, 100),
    eval_fraction: float = 0.2,
) -> Dict[str, Any]:
    """Timeline statistics, and cold shares and accuracies of both splits.

    Args:
      config: The config the ratings were generated with.
      ratings: All rating records.
      ks: Cut-offs of the accuracies.
      eval_fraction: Eval share of both splits.

    Returns:
      The ``timeline_statistics`` keys, and under ``random_split`` and
      ``temporal_split`` the ``cold_shares`` keys, the eval size and the
      ``baseline_accuracies``.
    """
    result: Dict[str, Any] = {"ratings": len(ratings), **timeline_statistics(ratings)}
    for name, split in (("random_split", random_split),
                        ("temporal_split", temporal_split)):
        train, evaluation = split(ratings, eval_fraction)
        result[name] = {
            "eval_ratings": len(evaluation),
            **cold_shares(train, evaluation),
            **baseline_accuracies(config, train, evaluation, ks),
        }
    return result
