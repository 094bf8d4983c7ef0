"""The evaluator's baselines, on a hand-built 4 users x 5 movies training set.

Training ratings (user: movie@timestamp), time range [0, 100]:

    u0: m0@10  m1@20  m2@89
    u1: m0@0   m1@40  m4@5
    u2: m1@50  m3@95
    u3: m0@60  m4@100 m2@90

so the binary matrix X (rows u0..u3, columns m0..m4) is

    u0: 1 1 1 0 0
    u1: 1 1 0 0 1
    u2: 0 1 0 1 0
    u3: 1 0 1 0 1

and the rating counts are m0: 3, m1: 3, m2: 2, m3: 1, m4: 2.
"""

import numpy as np
import pytest
import scipy.sparse

from components.retrieval_evaluator import baselines
from components.retrieval_evaluator.baselines import (
    COLD_USER,
    BaselineSkipped,
    EaseBaseline,
    ItemKnnBaseline,
    PopularityBaseline,
    RecentPopularityBaseline,
    TrainingInteractions,
)
from retrieval_metrics import target_ranks

USERS = [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3]
MOVIES = [0, 1, 2, 0, 1, 4, 1, 3, 0, 4, 2]
TIMES = [10, 20, 89, 0, 40, 5, 50, 95, 60, 100, 90]
X = np.array(
    [
        [1, 1, 1, 0, 0],
        [1, 1, 0, 0, 1],
        [0, 1, 0, 1, 0],
        [1, 0, 1, 0, 1],
    ],
    dtype=np.float64,
)
COLD = -1


def _interactions(users=USERS, movies=MOVIES, times=TIMES, num_users=4, num_movies=5):
    return TrainingInteractions(
        np.array(users), np.array(movies), np.array(times), num_users, num_movies
    )


def _order(score_row):
    """Columns from best to worst (scores hold no ties)."""
    return np.argsort(-score_row, kind="stable").tolist()


def test_popularity_ranks_by_count_and_breaks_ties_by_lower_row():
    popularity = PopularityBaseline(_interactions())
    assert popularity.counts.tolist() == [3, 3, 2, 1, 2]
    scores = popularity.scores(np.array([0, COLD]))
    assert scores.dtype == np.float32 and scores.shape == (2, 5)
    # m0 and m1 tie at 3 (lower row first), m2 and m4 at 2; m3 is last.
    assert _order(scores[0]) == [0, 1, 2, 4, 3]
    assert np.array_equal(scores[0], scores[1])
    # The tie is broken, so m1 is second behind m0, not third behind m0 and itself.
    assert target_ranks(scores, np.array([1, 4])).tolist() == [1, 3]


def test_recent_popularity_counts_only_the_window_and_breaks_ties_by_all_time():
    recent = RecentPopularityBaseline(_interactions(), window_fraction=0.1)
    # Window: t >= 100 - 0.1 * (100 - 0) = 90 -> m3@95, m4@100, m2@90 (on the
    # boundary, kept); m2@89 is not.
    assert baselines.recent_window_start(np.array(TIMES), 0.1) == 90.0
    assert recent.counts.tolist() == [0, 0, 1, 1, 1]
    # Recent ties at 1: all-time m2 = 2, m4 = 2, m3 = 1 -> m2, m4 (row), m3;
    # then m0 and m1 at 0 recent, 3 all-time each -> m0, m1.
    assert _order(recent.scores(np.array([2]))[0]) == [2, 4, 3, 0, 1]


def test_recent_window_of_the_whole_range_is_all_time_popularity():
    interactions = _interactions()
    recent = RecentPopularityBaseline(interactions, window_fraction=1.0)
    popularity = PopularityBaseline(interactions)
    assert recent.counts.tolist() == popularity.counts.tolist()
    assert np.array_equal(recent.scores(np.array([0])), popularity.scores(np.array([0])))


def test_cosine_similarity_of_hand_computed_pairs():
    knn = ItemKnnBaseline(_interactions(), neighbours=None)
    s = knn.weights
    # m0, m1: both rated by u0, u1 -> 2 / sqrt(3 * 3) = 2/3.
    assert s[0, 1] == pytest.approx(2 / 3, rel=1e-6)
    # m2, m4: both rated by u3 -> 1 / sqrt(2 * 2) = 1/2.
    assert s[2, 4] == pytest.approx(0.5, rel=1e-6)
    # m1, m3: both rated by u2 -> 1 / sqrt(3 * 1).
    assert s[1, 3] == pytest.approx(1 / np.sqrt(3), rel=1e-6)
    # m0, m3: no common user.
    assert s[0, 3] == 0.0
    norms = np.linalg.norm(X, axis=0)
    expected = X.T @ X / np.outer(norms, norms)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(s, expected, rtol=1e-6)
    assert np.array_equal(s, s.T)


def test_item_knn_sums_similarities_and_breaks_ties_by_popularity():
    knn = ItemKnnBaseline(_interactions(), neighbours=None)
    # u2 rated m1, m3: score_j = s(1, j) + s(3, j):
    #   m0 2/3, m1 1/sqrt(3), m2 1/sqrt(6), m3 1/sqrt(3), m4 1/sqrt(6).
    raw = knn.raw_scores(np.array([2]))[0]
    third, sixth = 1 / np.sqrt(3), 1 / np.sqrt(6)
    np.testing.assert_allclose(raw, [2 / 3, third, sixth, third, sixth], rtol=1e-6)
    # m1 and m3 tie: m1 is more popular (3 vs 1). m2 and m4 tie at 2: lower row.
    assert _order(knn.scores(np.array([2]))[0]) == [0, 1, 3, 2, 4]


def test_item_knn_keeps_each_movies_nearest_neighbours_and_their_ties():
    knn = ItemKnnBaseline(_interactions(), neighbours=1)
    kept = (knn.weights > 0).astype(int)
    # Row m0: m2 and m4 tie at 2/sqrt(6), both kept. m1 -> m0 (2/3),
    # m2 -> m0, m3 -> m1 (its only similar movie), m4 -> m0.
    assert kept.tolist() == [
        [0, 0, 1, 0, 1],
        [1, 0, 0, 0, 0],
        [1, 0, 0, 0, 0],
        [0, 1, 0, 0, 0],
        [1, 0, 0, 0, 0],
    ]
    # u2 (m1, m3): m0 gets 2/3, m1 gets 1/sqrt(3), the rest 0 -> popularity
    # among them: m2, m4 (2 each, lower row first), m3.
    assert _order(knn.scores(np.array([2]))[0]) == [0, 1, 2, 4, 3]


def _ease_by_least_squares(x, l2):
    """Each column j regressed on the others with ridge l2 (B_jj = 0)."""
    n = x.shape[1]
    weights = np.zeros((n, n))
    for j in range(n):
        others = [i for i in range(n) if i != j]
        design = np.vstack([x[:, others], np.sqrt(l2) * np.eye(n - 1)])
        target = np.concatenate([x[:, j], np.zeros(n - 1)])
        weights[others, j] = np.linalg.lstsq(design, target, rcond=None)[0]
    return weights


@pytest.mark.parametrize("l2", [0.5, 300.0])
def test_ease_matches_the_constrained_ridge_regression(l2):
    ease = EaseBaseline(_interactions(), l2=l2)
    expected = _ease_by_least_squares(X, l2)
    assert np.all(np.diag(ease.weights) == 0.0)
    np.testing.assert_allclose(ease.weights, expected, rtol=1e-4, atol=1e-7)
    raw = ease.raw_scores(np.array([0, 1, 2, 3]))
    np.testing.assert_allclose(raw, X @ expected, rtol=1e-4, atol=1e-7)


def test_ease_scores_follow_its_raw_scores_then_popularity_then_row():
    ease = EaseBaseline(_interactions(), l2=0.5)
    queries = np.array([0, 1, 2, 3])
    raw = ease.raw_scores(queries)
    scores = ease.scores(queries)
    # X's columns m2 and m4 mirror each other under swapping u0 and u1, so u2
    # and u3 score them equal; both have 2 ratings, so the lower row wins.
    assert raw[2, 2] == raw[2, 4] and raw[3, 2] == raw[3, 4]
    counts = np.array([3, 3, 2, 1, 2])
    for query in range(4):
        expected = np.lexsort((np.arange(5), -counts, -raw[query]))
        assert _order(scores[query]) == expected.tolist()


@pytest.mark.parametrize("baseline_class", [ItemKnnBaseline, EaseBaseline])
def test_cold_users_get_popularity(baseline_class):
    interactions = _interactions()
    baseline = baseline_class(interactions)
    popularity = PopularityBaseline(interactions)
    np.testing.assert_array_equal(
        baseline.raw_scores(np.array([0, COLD]))[1], popularity.counts
    )
    scores = baseline.scores(np.array([COLD, 0, COLD]))
    assert np.array_equal(scores[0], popularity.scores(np.array([COLD]))[0])
    assert np.array_equal(scores[2], scores[0])
    assert not np.array_equal(scores[1], scores[0])


@pytest.mark.parametrize("name", ["popularity", "recent_popularity", "item_knn", "ease"])
def test_every_row_of_scores_is_a_strict_order(name):
    fitted, _ = baselines.fit_baselines(_interactions())
    scores = fitted[name].scores(np.array([0, 1, 2, 3, COLD]))
    assert scores.dtype == np.float32
    for row in scores:
        assert sorted(row.tolist()) == [1, 2, 3, 4, 5]


def test_size_bound_raises_skip_naming_size_and_bound():
    with pytest.raises(BaselineSkipped, match=r"ease.*5 movies.*max_movies = 4"):
        EaseBaseline(_interactions(), max_movies=4)
    with pytest.raises(BaselineSkipped, match=r"item_knn.*5 movies.*max_movies = 4"):
        ItemKnnBaseline(_interactions(), neighbours=None, max_movies=4)


@pytest.mark.parametrize("neighbours", [1, 2, 100])
def test_item_knn_above_max_movies_keeps_the_same_neighbours_sparse(neighbours):
    rng = np.random.default_rng(3)
    users, movies = rng.integers(0, 40, 400), rng.integers(0, 30, 400)
    interactions = TrainingInteractions(users, movies, np.arange(400), 40, 30)
    dense = ItemKnnBaseline(interactions, neighbours=neighbours)
    sparse = ItemKnnBaseline(interactions, neighbours=neighbours, max_movies=29)

    assert isinstance(dense.weights, np.ndarray) and scipy.sparse.issparse(sparse.weights)
    np.testing.assert_array_equal(sparse.weights.toarray(), dense.weights)
    queries = np.array([0, 5, 39, COLD_USER])
    np.testing.assert_allclose(sparse.raw_scores(queries), dense.raw_scores(queries), rtol=1e-6)
    np.testing.assert_array_equal(sparse.scores(queries), dense.scores(queries))


def test_fit_baselines_reports_skipped_ones():
    fitted, skipped = baselines.fit_baselines(_interactions(), ease_max_movies=4)
    assert list(fitted) == ["popularity", "recent_popularity", "item_knn"]
    assert list(skipped) == ["ease"]
    assert "max_movies = 4" in skipped["ease"]
    fitted, skipped = baselines.fit_baselines(_interactions())
    assert list(fitted) == ["popularity", "recent_popularity", "item_knn", "ease"]
    assert skipped == {}
    assert all(fitted[name].name == name for name in fitted)


def test_duplicate_pairs_count_once_and_keep_the_latest_time():
    # u0 rates m0 again at t=99: still one (u0, m0) pair, now recent.
    interactions = _interactions(USERS + [0], MOVIES + [0], TIMES + [99])
    assert len(interactions) == len(USERS)
    assert PopularityBaseline(interactions).counts.tolist() == [3, 3, 2, 1, 2]
    recent = RecentPopularityBaseline(interactions, window_fraction=0.1)
    assert recent.counts.tolist() == [1, 0, 1, 1, 1]
    np.testing.assert_allclose(baselines.cooccurrence(interactions), X.T @ X)


def test_interactions_are_sorted_and_read_only():
    interactions = _interactions()
    assert interactions.user_rows.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3]
    assert interactions.movie_rows.tolist() == [0, 1, 2, 0, 1, 4, 1, 3, 0, 2, 4]
    assert interactions.timestamps.tolist() == [10, 20, 89, 0, 40, 5, 50, 95, 60, 90, 100]
    with pytest.raises(ValueError, match="read-only"):
        interactions.movie_rows[0] = 4


def test_user_training_movies_are_empty_for_cold_users():
    movies = baselines.user_training_movies(_interactions(), np.array([2, COLD, 3]))
    assert [m.tolist() for m in movies] == [[1, 3], [], [0, 2, 4]]


def test_cooccurrence_summed_over_user_blocks(monkeypatch):
    # 10 elements per block of 5 movies: blocks of 2 users.
    monkeypatch.setattr(baselines, "_CHUNK_ELEMENTS", 10)
    np.testing.assert_array_equal(baselines.cooccurrence(_interactions()), X.T @ X)


def test_shared_cooccurrence_is_not_modified():
    interactions = _interactions()
    shared = baselines.cooccurrence(interactions)
    ItemKnnBaseline(interactions, neighbours=1, cooccurrence_matrix=shared)
    EaseBaseline(interactions, cooccurrence_matrix=shared)
    np.testing.assert_array_equal(shared, X.T @ X)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"movies": MOVIES[:-1]}, "one length"),
        ({"users": [4] + USERS[1:]}, r"user_rows must be in \[0, 4\)"),
        ({"movies": [-1] + MOVIES[1:]}, r"movie_rows must be in \[0, 5\)"),
        ({"times": [0.5] * len(TIMES)}, "timestamps must hold integers"),
        ({"num_movies": 0}, "num_movies must be an int >= 1"),
    ],
)
def test_invalid_interactions_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _interactions(**kwargs)


def test_invalid_queries_and_parameters_are_refused():
    interactions = _interactions()
    with pytest.raises(ValueError, match="query_user_rows must be -1"):
        PopularityBaseline(interactions).scores(np.array([0, -2]))
    with pytest.raises(ValueError, match="query_user_rows must be -1"):
        baselines.user_training_movies(interactions, np.array([4]))
    with pytest.raises(ValueError, match="window_fraction"):
        RecentPopularityBaseline(interactions, window_fraction=0.0)
    with pytest.raises(ValueError, match="l2 > 0"):
        EaseBaseline(interactions, l2=0.0)
    with pytest.raises(ValueError, match="neighbours must be an int >= 1"):
        ItemKnnBaseline(interactions, neighbours=0)
