"""Tests of the timeline and split statistics, on hand-made records."""

from typing import Any, Dict, List

import pytest

from movielens_simulator import synthetic, synthetic_stats
from components.movielens_example_gen.split_rules import hash_fraction, rating_key
from transform_fn import features


def _rating(user: str, movie: str, timestamp: int) -> Dict[str, Any]:
    return {features.USER_ID: user, features.MOVIE_ID: movie,
            features.TIMESTAMP: timestamp}


def _ratings(*rows) -> List[Dict[str, Any]]:
    return [_rating(*row) for row in rows]


def test_timeline_statistics_of_two_users():
    # a: 0 s, 60 s, 2 h (span 2 h); b: at 100,000 s and 30 s later.
    ratings = _ratings(("a", "1", 0), ("a", "2", 60), ("a", "3", 7_200),
                       ("b", "1", 100_000), ("b", "2", 100_030))
    timeline = synthetic_stats.timeline_statistics(ratings)
    assert timeline["median_user_span_hours"] == pytest.approx((7_200 + 30) / 2 / 3_600)
    assert timeline["share_within_hour_of_first"] == pytest.approx(4 / 5)
    assert timeline["share_within_day_of_first"] == 1.0
    # Five ratings in 1,000 buckets: one user per non-empty bucket.
    assert timeline["median_users_per_time_bucket"] == 1.0


def test_users_per_time_bucket_counts_distinct_users_of_equal_count_buckets():
    # In time order: a b a | c c c -> 2 users, then 1.
    ratings = _ratings(("c", "1", 50), ("a", "1", 0), ("c", "2", 30), ("b", "1", 10),
                       ("a", "2", 20), ("c", "3", 40))
    assert synthetic_stats.median_users_per_time_bucket(ratings, 2) == 1.5
    assert synthetic_stats.median_users_per_time_bucket(ratings, 1) == 3.0


def test_temporal_split_puts_the_latest_ratings_in_eval():
    ratings = _ratings(*[("u", str(t), t) for t in range(10, 0, -1)])
    train, evaluation = synthetic_stats.temporal_split(ratings, 0.2)
    # Cut-off: the sorted time at index round(0.8 * 9) = 7, i.e. 8.
    assert sorted(r[features.TIMESTAMP] for r in evaluation) == [9, 10]
    assert len(train) == 8


def test_temporal_split_keeps_equal_times_together():
    ratings = _ratings(("a", "1", 5), ("b", "1", 5), ("c", "1", 5))
    train, evaluation = synthetic_stats.temporal_split(ratings, 0.2)
    assert (len(train), len(evaluation)) == (3, 0)


def test_random_split_is_the_pipelines_hash_rule():
    ratings = _ratings(*[(str(u), str(m), 1_000 + m) for u in range(40) for m in range(50)])
    train, evaluation = synthetic_stats.random_split(ratings, 0.2)
    assert len(train) + len(evaluation) == len(ratings)
    assert all(hash_fraction(rating_key(r)) < 0.2 for r in evaluation)
    assert all(hash_fraction(rating_key(r)) >= 0.2 for r in train)
    assert abs(len(evaluation) / len(ratings) - 0.2) < 0.03


def test_cold_shares_count_eval_ratings_of_unseen_users_and_movies():
    train = _ratings(("a", "1", 1), ("b", "2", 2))
    evaluation = _ratings(("a", "2", 3), ("c", "1", 4), ("c", "3", 5), ("d", "4", 6))
    assert synthetic_stats.cold_shares(train, evaluation) == {
        "cold_user_eval_share": 0.75,
        "cold_movie_eval_share": 0.5,
    }


def test_recent_counts_look_at_the_end_of_the_training_time():
    train = _ratings(("a", "1", 0), ("a", "2", 50), ("b", "2", 91), ("b", "3", 100))
    # Last 10% of [0, 100]: from 90 on.
    assert synthetic_stats.recent_counts(train, 0.1) == {"2": 1, "3": 1}


def test_training_movies_group_by_user():
    train = _ratings(("a", "1", 0), ("b", "2", 1), ("a", "3", 2))
    assert synthetic_stats.training_movies(train) == {"a": ["1", "3"], "b": ["2"]}


def test_structure_statistics_of_a_small_config():
    config = synthetic.SyntheticConfig(num_ratings=3_000, seed=2)
    ratings = list(synthetic.generate_ratings(config, 0, 1))
    stats = synthetic_stats.structure_statistics(config, ratings, ks=(10, 100))
    assert stats["ratings"] == 3_000
    for split in ("random_split", "temporal_split"):
        part = stats[split]
        assert 0 < part["eval_ratings"] < 3_000
        for ranker in ("oracle", "popularity", "recent_popularity"):
            assert 0.0 <= part[ranker][10] <= part[ranker][100] <= 1.0
    assert stats["random_split"]["cold_user_eval_share"] < stats["temporal_split"][
        "cold_user_eval_share"]
