"""Tests of the synthetic MovieLens generator.

What the generator guarantees, and these tests check:
- Equal configs give identical records in the same order, in any process
  (string hashing and process state play no part).
- A user's ratings depend only on the config and the user: the union of the
  shards is the same data set for every ``num_shards``, each user in exactly
  one shard; a span's records are the same as in the unfiltered data.
- Records have the types of ``records.py`` and survive ``tf.train.Example``.
- The planted structure is there: the oracle beats popularity clearly,
  popularity is Zipf-like, demographics and time carry signal.
"""

import collections
import hashlib
import os
import subprocess
import sys
import zlib
from typing import Any, Dict, List, Optional

import numpy as np
import pytest

from components.movielens_example_gen import records
from components.movielens_example_gen import synthetic
from transform_fn import features

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SMALL = synthetic.SyntheticConfig(num_ratings=5_000, seed=7)
MEDIUM = synthetic.SyntheticConfig(num_ratings=30_000, seed=1)
THREE_SPANS = synthetic.SyntheticConfig(
    num_ratings=30_000, seed=3, num_spans=3, span_seconds=30 * 86_400
)
SMALL_SPANS = synthetic.SyntheticConfig(
    num_ratings=6_000, seed=5, num_spans=3, span_seconds=86_400
)
KS = (10, 100)


def _ratings(
    config: synthetic.SyntheticConfig, num_shards: int = 1, span: Optional[int] = None
) -> List[Dict[str, Any]]:
    return [
        record
        for shard in range(num_shards)
        for record in synthetic.generate_ratings(config, shard, num_shards, span)
    ]


def _digest(ratings: List[Dict[str, Any]]) -> str:
    return hashlib.sha256(repr(ratings).encode()).hexdigest()


@pytest.fixture(scope="module")
def medium_ratings() -> List[Dict[str, Any]]:
    return _ratings(MEDIUM)


def _is_eval(record: Dict[str, Any]) -> bool:
    """Stable hash split: about 20% of the ratings are eval."""
    key = f"{record[features.USER_ID]}:{record[features.MOVIE_ID]}"
    return zlib.crc32(key.encode()) % 10 >= 8


def _genre_profiles(ratings: List[Dict[str, Any]], num_users: int) -> np.ndarray:
    """Unit-norm genre histogram of each user's ratings, [num_users, genres]."""
    profiles = np.zeros((num_users, len(features.GENRE_NAMES)))
    for record in ratings:
        profiles[int(record[features.USER_ID]) - 1, record[features.MOVIE_GENRES]] += 1
    return profiles / np.linalg.norm(profiles, axis=1, keepdims=True)


def _genre_shares(ratings: List[Dict[str, Any]]) -> np.ndarray:
    counts = np.zeros(len(features.GENRE_NAMES))
    for record in ratings:
        counts[record[features.MOVIE_GENRES]] += 1
    return counts / counts.sum()


def _total_variation(a: List[Dict[str, Any]], b: List[Dict[str, Any]]) -> float:
    return 0.5 * float(np.abs(_genre_shares(a) - _genre_shares(b)).sum())


# ----------------------------------------------------------------------------
# Sizes and config.
# ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "num_ratings, num_users, num_movies",
    [(100_000, 943, 1_682), (1_000_209, 6_040, 3_706), (25_000_095, 162_541, 62_423)],
)
def test_default_sizes_match_movielens_releases(num_ratings, num_users, num_movies):
    config = synthetic.SyntheticConfig(num_ratings=num_ratings)
    assert (config.num_users, config.num_movies) == (num_users, num_movies)


def test_default_sizes_of_a_tiny_dataset_are_usable():
    config = synthetic.SyntheticConfig(num_ratings=1_000)
    assert 10 <= config.num_users < config.num_movies
    assert len(_ratings(config)) == 1_000


def test_generates_exactly_num_ratings(medium_ratings):
    assert len(medium_ratings) == MEDIUM.num_ratings


@pytest.mark.parametrize(
    "overrides",
    [
        {"num_ratings": 0},
        {"num_ratings": 10_000, "num_users": 10, "num_movies": 100},
        {"seed": -1},
        {"num_spans": 0},
        {"span_seconds": 1},
    ],
)
def test_impossible_config_is_rejected(overrides):
    with pytest.raises(ValueError):
        synthetic.SyntheticConfig(**overrides)


def test_shard_and_span_out_of_range_are_rejected():
    with pytest.raises(ValueError, match="shard_index"):
        next(synthetic.generate_ratings(SMALL, 2, 2))
    with pytest.raises(ValueError, match="span"):
        next(synthetic.generate_ratings(SMALL, 0, 1, span=1))


# ----------------------------------------------------------------------------
# Determinism and sharding.
# ----------------------------------------------------------------------------
def test_same_seed_gives_identical_records_in_another_process():
    # A fresh interpreter with another string-hash seed, as a Beam worker.
    code = (
        "from components.movielens_example_gen import synthetic\n"
        "import hashlib\n"
        f"config = synthetic.SyntheticConfig(num_ratings={SMALL.num_ratings}, "
        f"seed={SMALL.seed})\n"
        "records = list(synthetic.generate_ratings(config, 1, 3))\n"
        "print(hashlib.sha256(repr(records).encode()).hexdigest())\n"
    )
    env = dict(os.environ, PYTHONHASHSEED="12345", PYTHONPATH=REPO_ROOT)
    child = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO_ROOT,
        capture_output=True, text=True, check=True,
    )
    here = list(synthetic.generate_ratings(SMALL, 1, 3))
    assert child.stdout.strip() == _digest(here)


def test_same_seed_gives_identical_corpus_and_users():
    same = synthetic.SyntheticConfig(num_ratings=SMALL.num_ratings, seed=SMALL.seed)
    assert synthetic.SyntheticModel(same).movies == synthetic.generate_movies(SMALL)
    assert synthetic.SyntheticModel(same).users == synthetic.generate_users(SMALL)


def test_different_seed_gives_different_records():
    other = synthetic.SyntheticConfig(
        num_ratings=SMALL.num_ratings, seed=SMALL.seed + 1
    )
    assert _digest(_ratings(other)) != _digest(_ratings(SMALL))
    assert synthetic.generate_movies(other) != synthetic.generate_movies(SMALL)


def test_shards_partition_users_and_their_union_is_independent_of_count():
    one = _ratings(SMALL, num_shards=1)
    shards = [list(synthetic.generate_ratings(SMALL, s, 3)) for s in range(3)]
    user_sets = [{r[features.USER_ID] for r in shard} for shard in shards]
    assert sum(map(len, user_sets)) == len(set().union(*user_sets))

    def key(record):
        return tuple(record[k] for k in (features.USER_ID, features.TIMESTAMP,
                                         features.MOVIE_ID))

    assert sorted(one, key=key) == sorted((r for s in shards for r in s), key=key)


def test_each_users_ratings_are_in_time_order():
    by_user = collections.defaultdict(list)
    for record in _ratings(SMALL):
        by_user[record[features.USER_ID]].append(record[features.TIMESTAMP])
    assert all(times == sorted(times) for times in by_user.values())


def test_a_span_holds_the_same_records_as_the_full_data():
    everything = _ratings(SMALL_SPANS, num_shards=4)
    for span in range(SMALL_SPANS.num_spans):
        expected = [r for r in everything
                    if synthetic.span_of(SMALL_SPANS, r[features.TIMESTAMP]) == span]
        assert expected
        assert _ratings(SMALL_SPANS, num_shards=4, span=span) == expected


def test_span_of_rejects_a_timestamp_outside_the_spans():
    assert synthetic.span_of(THREE_SPANS, THREE_SPANS.start_timestamp) == 0
    assert synthetic.span_of(THREE_SPANS, THREE_SPANS.end_timestamp - 1) == 2
    with pytest.raises(ValueError):
        synthetic.span_of(THREE_SPANS, THREE_SPANS.end_timestamp)


# ----------------------------------------------------------------------------
# Record contract.
# ----------------------------------------------------------------------------
_PYTHON_TYPES = {features.BYTES: str, features.INT64: int, features.FLOAT: float}


def _assert_record_types(record: Dict[str, Any], kinds: Dict[str, str]) -> None:
    assert set(record) == set(kinds)
    for name, kind in kinds.items():
        value = record[name]
        values = value if name in features.MULTIVALENT_FEATURES else [value]
        assert values and all(type(v) is _PYTHON_TYPES[kind] for v in values), name


def test_rating_records_match_the_feature_contract_and_survive_examples():
    kinds = {
        **features.RATING_FEATURE_KINDS,
        **features.DEMOGRAPHIC_FEATURE_KINDS,
        **features.RAW_AGE_FEATURE_KINDS,
    }
    for record in _ratings(SMALL)[:200]:
        _assert_record_types(record, kinds)
        assert records.from_example(records.to_example(record)) == record
        assert 1.0 <= record[features.USER_RATING] <= 5.0
        assert record[features.BUCKETIZED_USER_AGE] in synthetic.AGE_BUCKETS
        assert (features.OCCUPATION_LABELS[record[features.USER_OCCUPATION_LABEL]]
                == record[features.USER_OCCUPATION_TEXT])
        assert record[features.USER_GENDER] in (0, 1)


def test_movie_records_match_the_candidate_contract():
    for movie in synthetic.generate_movies(SMALL):
        _assert_record_types(movie, features.MOVIE_FEATURE_KINDS)
        assert records.from_example(records.to_example(movie)) == movie
        assert movie[features.MOVIE_TITLE].endswith(")")


def test_without_demographics_only_the_demographic_features_go():
    plain = synthetic.SyntheticConfig(
        num_ratings=SMALL.num_ratings, seed=SMALL.seed, with_demographics=False
    )
    ratings = _ratings(plain)
    assert all(set(r) == set(features.RATING_FEATURE_KINDS) for r in ratings)
    assert all(set(u) == {features.USER_ID} for u in synthetic.generate_users(plain))
    kept = features.RATING_FEATURE_KINDS
    assert ratings == [{k: r[k] for k in kept} for r in _ratings(SMALL)]


def test_some_titles_are_shared_by_two_movie_ids():
    movies = synthetic.generate_movies(synthetic.SyntheticConfig(num_ratings=100_000))
    ids_by_title = collections.defaultdict(list)
    for movie in movies:
        ids_by_title[movie[features.MOVIE_TITLE]].append(movie[features.MOVIE_ID])
    shared = [ids for ids in ids_by_title.values() if len(ids) > 1]
    # ml-100k has 18 such pairs among 1,682 movies.
    assert 10 <= len(shared) <= 30
    assert all(len(set(ids)) == 2 for ids in shared)


def test_every_rating_references_an_existing_movie_and_user(medium_ratings):
    movies = {m[features.MOVIE_ID]: m for m in synthetic.generate_movies(MEDIUM)}
    users = {u[features.USER_ID]: u for u in synthetic.generate_users(MEDIUM)}
    for record in medium_ratings:
        movie = movies[record[features.MOVIE_ID]]
        user = users[record[features.USER_ID]]
        assert all(record[k] == v for k, v in {**movie, **user}.items())
    rated = {r[features.MOVIE_ID] for r in medium_ratings}
    assert set(movies) - rated, "the corpus should hold movies nobody rated"
    pairs = {(r[features.USER_ID], r[features.MOVIE_ID]) for r in medium_ratings}
    assert len(pairs) == len(medium_ratings), "a user rates a movie at most once"


def test_a_few_zip_codes_are_not_numeric():
    users = synthetic.generate_users(synthetic.SyntheticConfig(num_ratings=100_000))
    zips = [u[features.USER_ZIP_CODE] for u in users]
    assert 0 < sum(not z.isdigit() for z in zips) < 0.05 * len(zips)


# ----------------------------------------------------------------------------
# Planted structure.
# ----------------------------------------------------------------------------
def test_oracle_beats_popularity_by_a_clear_margin(medium_ratings):
    train = [r for r in medium_ratings if not _is_eval(r)]
    evaluation = [r for r in medium_ratings if _is_eval(r)]
    counts = collections.Counter(r[features.MOVIE_ID] for r in train)
    oracle = synthetic.oracle_top_k_accuracy(MEDIUM, evaluation, KS)
    popularity = synthetic.popularity_top_k_accuracy(counts, evaluation, KS)
    assert 0.5 <= oracle[100] <= 0.8
    assert 0.2 <= popularity[100] <= 0.45
    assert oracle[100] > popularity[100] + 0.2
    assert oracle[10] > popularity[10]


def test_oracle_on_a_sample_estimates_the_full_evaluation(medium_ratings):
    full = synthetic.oracle_top_k_accuracy(MEDIUM, medium_ratings, KS)
    sample = synthetic.oracle_top_k_accuracy(MEDIUM, medium_ratings[::10], KS)
    assert abs(full[100] - sample[100]) < 0.03


def test_oracle_is_perfect_at_the_whole_corpus(medium_ratings):
    ks = [1, MEDIUM.num_movies]
    accuracy = synthetic.oracle_top_k_accuracy(MEDIUM, medium_ratings[:500], ks)
    assert accuracy[MEDIUM.num_movies] == 1.0
    assert accuracy[1] < 0.1


def test_popularity_recommends_most_rated_training_movies_first():
    counts = {"1": 5, "2": 3, "3": 3, "4": 1}
    evaluation = [{features.MOVIE_ID: m} for m in ("1", "3", "2", "4", "9")]
    accuracy = synthetic.popularity_top_k_accuracy(counts, evaluation, [1, 2, 3, 5])
    # Top-1 {1}; top-2 {1, 2} (the tie 2/3 goes to the smaller id); top-3
    # adds 3; top-5 holds every trained movie, never the untrained "9".
    assert accuracy == {1: 0.2, 2: 0.4, 3: 0.6, 5: 0.8}


def test_scores_are_the_true_logits_per_movie():
    model = synthetic.SyntheticModel(SMALL)
    scores = model.scores(["1", "2"], [SMALL.start_timestamp] * 2)
    assert scores.shape == (2, SMALL.num_movies)
    assert len(model.movie_ids) == SMALL.num_movies
    never_rateable = ~np.isfinite(scores[0])
    assert 0 < never_rateable.sum() < 0.05 * SMALL.num_movies
    with pytest.raises(ValueError, match="user id"):
        model.scores(["0"], [SMALL.start_timestamp])


def test_popularity_is_zipf_like(medium_ratings):
    movie_counts = collections.Counter(r[features.MOVIE_ID] for r in medium_ratings)
    counts = sorted(movie_counts.values(), reverse=True)
    top_tenth = sum(counts[: MEDIUM.num_movies // 10]) / len(medium_ratings)
    assert top_tenth > 0.3  # uniform popularity would give about 0.1


def test_users_of_the_same_occupation_have_similar_tastes(medium_ratings):
    profiles = _genre_profiles(medium_ratings, MEDIUM.num_users)
    similarity = profiles @ profiles.T
    occupations = np.array(
        [u[features.USER_OCCUPATION_LABEL] for u in synthetic.generate_users(MEDIUM)]
    )

    def gap(labels: np.ndarray) -> float:
        same = labels[:, None] == labels[None, :]
        np.fill_diagonal(same, False)
        different = labels[:, None] != labels[None, :]
        return float(similarity[same].mean() - similarity[different].mean())

    rng = np.random.default_rng(0)
    shuffled = [abs(gap(rng.permutation(occupations))) for _ in range(5)]
    assert gap(occupations) > 0.03
    assert gap(occupations) > 3 * max(shuffled)


def test_tastes_drift_between_the_first_and_the_last_span():
    spans = collections.defaultdict(list)
    for record in _ratings(THREE_SPANS):
        spans[synthetic.span_of(THREE_SPANS, record[features.TIMESTAMP])].append(record)
    first, last = spans[0], spans[2]
    both = {r[features.USER_ID] for r in first} & {r[features.USER_ID] for r in last}
    assert len(both) > 0.8 * THREE_SPANS.num_users
    first = [r for r in first if r[features.USER_ID] in both]
    last = [r for r in last if r[features.USER_ID] in both]
    # Sampling noise: the same pooled ratings split at random.
    pooled = first + last
    order = np.random.default_rng(0).permutation(len(pooled))
    noise = _total_variation([pooled[i] for i in order[: len(first)]],
                             [pooled[i] for i in order[len(first):]])
    assert _total_variation(first, last) > 3 * noise
    # The true model at the wrong time predicts the last span much worse.
    at_start = [{**r, features.TIMESTAMP: THREE_SPANS.start_timestamp} for r in last]
    on_time = synthetic.oracle_top_k_accuracy(THREE_SPANS, last, [100])[100]
    stale = synthetic.oracle_top_k_accuracy(THREE_SPANS, at_start, [100])[100]
    assert on_time > stale + 0.1
