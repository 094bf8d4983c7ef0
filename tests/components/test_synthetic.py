"""Tests of the synthetic MovieLens generator.

What the generator guarantees, and these tests check:
- Equal configs give identical records in the same order, in any process
  (string hashing and process state play no part).
- A user's ratings depend only on the config and the user: the union of the
  shards is the same data set for every ``num_shards``, each user in exactly
  one shard; a span's records are the same as in the unfiltered data.
- Records have the types of ``records.py`` and survive ``tf.train.Example``.
- The planted structure is there: the oracle beats popularity clearly under
  the filtered protocol, popularity is Zipf-like, demographics carry signal,
  tastes drift.
- The timeline is ml-100k's: users arrive over the whole period and rate in
  sessions, so a temporal split makes most eval users cold; movies come out
  over time, are never rated before release and are rated most soon after.
"""

import collections
import datetime
import hashlib
import os
import subprocess
import sys
import zlib
from typing import Any, Dict, List, Optional

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.testing import util as beam_util

import retrieval_metrics
from components.movielens_example_gen import records
from movielens_simulator import synthetic
from components.movielens_example_gen import synthetic_source
from movielens_simulator import synthetic_stats
from components.movielens_example_gen.split_rules import SplitConfig
from components.movielens_example_gen.splits import SplitRatings
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
DAY = 86_400


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


def _movie_index(record: Dict[str, Any]) -> int:
    return int(record[features.MOVIE_ID]) - 1


def _year(timestamp: int) -> int:
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (epoch + datetime.timedelta(seconds=int(timestamp))).year


def _first_rating_times(ratings: List[Dict[str, Any]]) -> Dict[str, int]:
    first: Dict[str, int] = {}
    for record in ratings:
        user = record[features.USER_ID]
        first[user] = min(first.get(user, record[features.TIMESTAMP]),
                          record[features.TIMESTAMP])
    return first


def _genre_profiles(ratings: List[Dict[str, Any]], num_users: int) -> np.ndarray:
    """Unit-norm genre histogram of each user's ratings, [num_users, genres]."""
    profiles = np.zeros((num_users, len(features.GENRE_NAMES)))
    for record in ratings:
        profiles[int(record[features.USER_ID]) - 1, record[features.MOVIE_GENRES]] += 1
    return profiles / np.linalg.norm(profiles, axis=1, keepdims=True)


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
        "from movielens_simulator import synthetic\n"
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
def _random_split(ratings: List[Dict[str, Any]]):
    train = [r for r in ratings if not _is_eval(r)]
    return train, [r for r in ratings if _is_eval(r)]


def test_filtered_oracle_beats_filtered_popularity_by_a_clear_margin(medium_ratings):
    train, evaluation = _random_split(medium_ratings)
    seen = synthetic_stats.training_movies(train)
    counts = collections.Counter(r[features.MOVIE_ID] for r in train)
    movie_ids = [m[features.MOVIE_ID] for m in synthetic.generate_movies(MEDIUM)]
    oracle = synthetic.oracle_top_k_accuracy(MEDIUM, evaluation, seen, KS)
    popularity = synthetic.popularity_top_k_accuracy(
        movie_ids, counts, evaluation, seen, KS
    )
    # On the real ml-100k, filtered popularity reaches 0.09 / 0.41.
    assert 0.05 <= popularity[10] <= 0.2
    assert 0.25 <= popularity[100] <= 0.6
    assert oracle[100] > popularity[100] + 0.3
    assert oracle[10] > 2 * popularity[10]


def test_filtering_never_lowers_the_oracle(medium_ratings):
    train, evaluation = _random_split(medium_ratings)
    evaluation = evaluation[:1_000]
    filtered = synthetic.oracle_top_k_accuracy(
        MEDIUM, evaluation, synthetic_stats.training_movies(train), KS
    )
    unfiltered = synthetic.oracle_top_k_accuracy(MEDIUM, evaluation, {}, KS)
    assert all(filtered[k] >= unfiltered[k] for k in KS)
    assert filtered[10] > unfiltered[10]


def test_oracle_on_a_sample_estimates_the_full_evaluation(medium_ratings):
    train, evaluation = _random_split(medium_ratings)
    seen = synthetic_stats.training_movies(train)
    full = synthetic.oracle_top_k_accuracy(MEDIUM, evaluation, seen, KS)
    sample = synthetic.oracle_top_k_accuracy(MEDIUM, evaluation[::5], seen, KS)
    assert abs(full[100] - sample[100]) < 0.03


def test_oracle_is_perfect_at_the_whole_corpus(medium_ratings):
    ks = [1, MEDIUM.num_movies]
    accuracy = synthetic.oracle_top_k_accuracy(MEDIUM, medium_ratings[:500], {}, ks)
    assert accuracy[MEDIUM.num_movies] == 1.0
    assert accuracy[1] < 0.2


def test_oracle_rejects_unknown_ids_and_no_records():
    record = {features.USER_ID: "1", features.MOVIE_ID: "1",
              features.TIMESTAMP: SMALL.start_timestamp}
    with pytest.raises(ValueError, match="movie id"):
        synthetic.oracle_top_k_accuracy(SMALL, [record], {"1": ["0"]}, KS)
    with pytest.raises(ValueError, match="No eval records"):
        synthetic.oracle_top_k_accuracy(SMALL, [], {}, KS)


def test_popularity_ranks_by_training_count_filtered_with_ties_broken_by_order():
    movie_ids = ["1", "2", "3", "4", "5"]
    counts = {"1": 5, "2": 3, "3": 3, "4": 1}
    seen = {"a": ["1"], "c": ["2", "3"]}
    evaluation = [
        {features.USER_ID: user, features.MOVIE_ID: movie}
        for user, movie in (("a", "3"), ("b", "5"), ("a", "2"), ("c", "1"), ("c", "4"))
    ]
    accuracy = synthetic.popularity_top_k_accuracy(
        movie_ids, counts, evaluation, seen, [1, 2, 5]
    )
    # Order 1, 2, 3, 4, 5 (2 ties 3 and comes first). a without 1: 3 has
    # rank 1, 2 rank 0; b: 5 rank 4; c without 2 and 3: 1 rank 0, 4 rank 1.
    assert accuracy == {1: 0.4, 2: 0.8, 5: 1.0}


def test_popularity_scores_keep_count_order_and_never_tie():
    scores = synthetic.popularity_scores(["a", "b", "c", "d"], {"b": 2, "c": 2, "d": 1})
    assert list(np.argsort(-scores)) == [1, 2, 3, 0]
    assert len(set(scores)) == 4


def test_scores_are_the_true_logits_per_movie():
    model = synthetic.SyntheticModel(SMALL)
    scores = model.scores(["1", "2"], [SMALL.start_timestamp] * 2)
    assert scores.shape == (2, SMALL.num_movies)
    assert len(model.movie_ids) == SMALL.num_movies
    vectors = model.user_vectors(np.array([0, 1]), np.array([0, 0]))
    expected = model.affinities(vectors) + model.popularity_logits(
        [SMALL.start_timestamp] * 2
    )
    np.testing.assert_array_equal(scores, expected)
    not_out_yet = model.release_timestamps > SMALL.start_timestamp
    assert 0 < not_out_yet.sum() < 0.1 * SMALL.num_movies
    np.testing.assert_array_equal(~np.isfinite(scores[0]), not_out_yet)
    with pytest.raises(ValueError, match="user id"):
        model.scores(["0"], [SMALL.start_timestamp])


def test_popularity_rises_after_release_then_decays_to_the_static_bias():
    model = synthetic.SyntheticModel(MEDIUM)
    release = model.release_timestamps
    in_period = np.flatnonzero((release > MEDIUM.start_timestamp)
                               & (release < MEDIUM.end_timestamp))
    movie = int(in_period[np.argmin(release[in_period])])
    days = np.array([-1, 0, 3, 21, 60, 180])
    assert release[movie] + days[-1] * DAY < MEDIUM.end_timestamp
    logits = model.popularity_logits(list(release[movie] + days * DAY))[:, movie]
    gain = logits - model.popularity_bias[movie]
    assert gain[0] == -np.inf and gain[1] == 0.0
    assert 0 < gain[2] < gain[3] and gain[3] > gain[4] > gain[5] > 0
    assert gain[5] < 0.1 * gain[3]


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


def test_the_oracle_with_the_taste_of_the_first_segment_predicts_the_last_span_worse():
    last = _ratings(THREE_SPANS, span=2)[::4]
    model = synthetic.SyntheticModel(THREE_SPANS)
    users = [r[features.USER_ID] for r in last]
    times = [r[features.TIMESTAMP] for r in last]
    targets = np.array([_movie_index(r) for r in last])
    indices = np.array([int(u) - 1 for u in users])
    stale = model.affinities(model.user_vectors(indices, np.zeros_like(indices)))
    stale = stale + model.popularity_logits(times)

    def top_100(scores: np.ndarray) -> float:
        ranks = retrieval_metrics.target_ranks(scores, targets)
        return retrieval_metrics.accuracy_at_k(ranks, [100])[100]

    assert top_100(model.scores(users, times)) > top_100(stale) + 0.15


# ----------------------------------------------------------------------------
# Timeline: sessions, arrivals and releases.
# ----------------------------------------------------------------------------
def test_users_rate_in_sessions(medium_ratings):
    timeline = synthetic_stats.timeline_statistics(medium_ratings)
    # ml-100k: 0.8 hours, 62% within an hour, 78% within a day.
    assert timeline["median_user_span_hours"] < 2.0
    assert timeline["share_within_hour_of_first"] > 0.5
    assert timeline["share_within_day_of_first"] > timeline["share_within_hour_of_first"]


def test_some_users_come_back_later(medium_ratings):
    first = _first_rating_times(medium_ratings)
    later = {r[features.USER_ID] for r in medium_ratings
             if r[features.TIMESTAMP] > first[r[features.USER_ID]] + DAY}
    assert 0.05 * MEDIUM.num_users < len(later) < 0.6 * MEDIUM.num_users


def test_users_arrive_over_the_whole_period(medium_ratings):
    first = np.array(list(_first_rating_times(medium_ratings).values()))
    period = MEDIUM.end_timestamp - MEDIUM.start_timestamp
    position = (first - MEDIUM.start_timestamp) / period
    # Uniform arrivals: each decile of the users' first ratings sits at its
    # own decile of the period, up to sampling noise (about 0.03 here).
    deciles = np.quantile(position, np.linspace(0.1, 0.9, 9))
    np.testing.assert_allclose(deciles, np.linspace(0.1, 0.9, 9), atol=0.08)


def test_no_movie_is_rated_before_its_release(medium_ratings):
    model = synthetic.SyntheticModel(MEDIUM)
    release = model.release_timestamps
    in_period = np.flatnonzero(
        (release > MEDIUM.start_timestamp) & (release < MEDIUM.end_timestamp)
    )
    assert len(in_period) > 0.02 * MEDIUM.num_movies
    rated = collections.defaultdict(list)
    for record in medium_ratings:
        rated[_movie_index(record)].append(record[features.TIMESTAMP])
    assert all(min(times) >= release[movie] for movie, times in rated.items())
    assert sum(movie in rated for movie in in_period) > 0.5 * len(in_period)


def test_title_years_are_release_years_and_unreleased_movies_come_next_year(
    medium_ratings,
):
    model = synthetic.SyntheticModel(MEDIUM)
    years = [_year(t) for t in model.release_timestamps]
    assert all(m[features.MOVIE_TITLE].endswith(f"({year})")
               for m, year in zip(model.movies, years))
    unreleased = np.flatnonzero(model.release_timestamps >= MEDIUM.end_timestamp)
    assert len(unreleased) > 0
    assert {years[j] for j in unreleased} == {_year(MEDIUM.end_timestamp) + 1}
    rated = {_movie_index(r) for r in medium_ratings}
    assert not rated & set(unreleased)


def test_new_movies_are_rated_most_soon_after_release(medium_ratings):
    model = synthetic.SyntheticModel(MEDIUM)
    window = 42 * DAY
    release = model.release_timestamps
    movies = np.flatnonzero((release >= MEDIUM.start_timestamp)
                            & (release < MEDIUM.end_timestamp - window))
    times = np.sort([r[features.TIMESTAMP] for r in medium_ratings])
    observed = expected = 0.0
    for movie in movies:
        own = np.array([r[features.TIMESTAMP] for r in medium_ratings
                        if _movie_index(r) == movie])
        # Were the movie's popularity constant, it would get the window's
        # share of all ratings made after its release.
        after = times[times >= release[movie]]
        expected += len(own) * np.mean(after < release[movie] + window)
        observed += np.sum(own < release[movie] + window)
    assert observed > 1.25 * expected


def test_a_temporal_split_leaves_most_eval_users_cold(medium_ratings):
    train, evaluation = synthetic_stats.temporal_split(medium_ratings)
    cold = synthetic_stats.cold_shares(train, evaluation)
    # ml-100k: 85% of the eval ratings on cold users, 1% on cold movies.
    assert cold["cold_user_eval_share"] > 0.6
    assert cold["cold_movie_eval_share"] < 0.1
    random_cold = synthetic_stats.cold_shares(*_random_split(medium_ratings))
    assert random_cold["cold_user_eval_share"] < 0.01


# ----------------------------------------------------------------------------
# The Beam quality transform.
# ----------------------------------------------------------------------------
def test_synthetic_quality_measures_the_filtered_protocol_on_the_eval_split():
    config_kwargs = {"num_ratings": 2_000, "seed": 11}
    config = synthetic.SyntheticConfig(**config_kwargs)
    ratings = _ratings(config)
    train, evaluation = synthetic_stats.random_split(ratings)
    seen = synthetic_stats.training_movies(train)
    counts = collections.Counter(r[features.MOVIE_ID] for r in train)
    movie_ids = [m[features.MOVIE_ID] for m in synthetic.generate_movies(config)]
    ks = synthetic_source.QUALITY_KS
    expected = {
        "protocol": "filtered",
        "eval_sample_size": len(evaluation),
        "oracle_top_k_accuracy": {
            str(k): v
            for k, v in synthetic.oracle_top_k_accuracy(config, evaluation, seen, ks).items()
        },
        "popularity_top_k_accuracy": {
            str(k): v
            for k, v in synthetic.popularity_top_k_accuracy(
                movie_ids, counts, evaluation, seen, ks
            ).items()
        },
    }
    with beam.Pipeline() as pipeline:
        batches = pipeline | beam.Create([ratings[i:i + 300]
                                          for i in range(0, len(ratings), 300)])
        splits = batches | SplitRatings(SplitConfig())
        quality = splits | synthetic_source.SyntheticQuality(config_kwargs)
        beam_util.assert_that(quality, beam_util.equal_to([expected]))
