"""Seeded synthetic MovieLens-shaped data with planted structure.

The data comes from a hidden model whose truth is known, so a pipeline can be
judged against what is achievable (the oracle) and against the popularity
baseline:

* Users and movies have latent factors. Users belong to clusters; a cluster
  sets both the user's taste (latent = cluster centroid + noise) and the
  distribution of their demographics (age, gender, occupation, zip code).
  Movies belong to themes; a theme sets the movie's latent (centroid + noise),
  its genres and the words of its title.
* Movies have a Zipf-like popularity bias: ``-popularity_exponent * log(rank)``.
* Movies are released over time. Most were released years before the data
  starts; some come out during it, and a few are announced for the year after
  it ends (nobody rates them). A movie cannot be rated before its release
  day; from then on its logit gains ``log(1 + boost * x * exp(1 - x))``,
  ``x`` = days since release / peak days: popularity rises for a few weeks,
  then decays back to the static bias. The title's year is the release year.
* Taste drifts: a user's latent turns, at ``drift_strength`` radians per span,
  towards a direction mixing a population trend with a personal one.
* Ratings come in sessions, as on the real ml-100k: each user arrives at a
  time spread uniformly over the whole data period (all spans) and rates most
  of their movies in one burst, seconds to a minute apart; some users come
  back for a few short visits later, up to the end of the data.
* A rating picks its movie from ``softmax(user_latent(t) . movie_latent +
  popularity(t))`` over the movies released by then, without replacement (a
  user rates a movie at most once); the score given grows with the affinity
  ``user_latent(t) . movie_latent``.

Like the real ml-100k, some titles are shared by two movie ids (the second id
a near-copy of the first).

Time is cut into ``SEGMENTS_PER_SPAN`` segments per span and into days from
the start; the user latent is constant within a segment and the popularity
within a day, so ``SyntheticModel.scores`` gives exactly the logits the
ratings were sampled from.

Everything is rebuilt deterministically from a ``SyntheticConfig``: the
users and movies from the seed, and each user's ratings from the seed and
the user's index alone. So the records of a user are the same whichever shard
or process generates them, and the union of the shards is the same data set
for every ``num_shards``.
"""

import dataclasses
import datetime
import functools
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

import numpy as np

import retrieval_metrics
from transform_fn import features

# Segments of constant user taste per span.
SEGMENTS_PER_SPAN = 4
# TFDS's ``bucketized_user_age`` buckets (lower edges).
AGE_BUCKETS: Tuple[int, ...] = (1, 18, 25, 35, 45, 50, 56)

# (ratings, users, movies) of ml-100k, ml-1m and ml-25m: default sizes are
# interpolated between them on a log-log scale.
_RELEASE_SIZES: Tuple[Tuple[int, int, int], ...] = (
    (100_000, 943, 1_682),
    (1_000_209, 6_040, 3_706),
    (25_000_095, 162_541, 62_423),
)
_MIN_USERS = 10
_MIN_MOVIES = 50
# Score-matrix cells ranked at once by the oracle and popularity.
_SCORE_BATCH_CELLS = 2**22

# Independent random streams, one per part of the hidden model.
_USERS_STREAM = 1
_MOVIES_STREAM = 2
_COUNTS_STREAM = 3
_RATINGS_STREAM = 4

# Hidden-model shape: chosen so that, with the pipeline's random 80/20 split
# and the filtered protocol, the oracle's top-k accuracy is far above
# popularity's, and popularity's near the real ml-100k's
# (docs/benchmarks.md).
_NUM_USER_CLUSTERS = 16
_USER_NOISE = 0.6
_MOVIE_NOISE = 0.6
# Logit standard deviation is about _AFFINITY_SCALE * 1.36 ** 2 for any
# latent_dim: latent coordinates have variance 1 / sqrt(latent_dim).
_AFFINITY_SCALE = 3.0
_DUPLICATE_NOISE = 0.1
_DUPLICATE_TITLE_FRACTION = 18 / 1_682  # ml-100k's shared titles
_UNRELEASED_FRACTION = 0.02
_MIN_RATINGS_PER_USER = 20  # as in ml-100k and ml-1m
_MAX_RATED_FRACTION = 0.5  # of the rateable movies, per user
_ACTIVITY_SIGMA = 1.0  # lognormal spread of ratings per user
_NON_NUMERIC_ZIP_FRACTION = 0.01
_RATING_CENTER = 2.3
_RATING_SLOPE = 0.9
_RATING_NOISE = 1.0

# Sessions and releases, tuned so that 100k ratings have ml-100k's timeline
# (benchmarks/synthetic_structure.py measures both; real values in
# synthetic_stats.py).
_DAY_SECONDS = 86_400
_SESSION_GAP_SECONDS = 18.0  # median pause between two ratings of a session
_SESSION_GAP_SIGMA = 1.0  # lognormal spread of the pauses
# A user with ``count`` ratings returns with probability
# ``1 - exp(-(count / scale) ** exponent)``.
_RETURN_COUNT_SCALE = 130.0
_RETURN_EXPONENT = 2.0
_RETURN_VISIT_SIZE = 15.0  # mean ratings per return visit
_ARRIVAL_SHARE = (2.0, 2.0)  # Beta of a returning user's share rated on arrival
_MIN_RETURN_DELAY_SECONDS = 10_800.0
_LATE_RETURN_PROBABILITY = 0.17  # of a uniform (not log-uniform) return delay

# Releases during the data period and their popularity curve. On a temporal
# 80/20 split of 100k ratings, about 1% of the eval ratings are of movies
# released too late to have training ratings, and the popularity of the last
# 10% of the training time is about as good as all-time popularity.
_IN_PERIOD_RELEASE_FRACTION = 0.04
_RELEASE_PEAK_DAYS = 21.0
_RELEASE_BOOST = 15.0

# Movie themes: genres (most typical first) and title words.
_THEMES: Tuple[Tuple[Tuple[str, ...], Tuple[str, ...]], ...] = (
    (("Action", "Thriller", "Adventure"),
     ("Fire", "Strike", "Mission", "Steel", "Force", "Hunter", "Fury",
      "Bullet", "Impact", "Target", "Rage", "Escape", "Speed", "Danger")),
    (("Sci-Fi", "Action", "Adventure"),
     ("Star", "Galaxy", "Planet", "Robot", "Future", "Orbit", "Alien",
      "Machine", "Signal", "Nova", "Cyborg", "Void", "Mars", "Time")),
    (("Children", "Animation", "Comedy"),
     ("Little", "Puppy", "Magic", "Friends", "Toy", "Bear", "Dragon",
      "Princess", "Wonder", "Kid", "Holiday", "Jungle", "Pony", "Balloon")),
    (("Comedy", "Romance"),
     ("Crazy", "Wedding", "Party", "Trouble", "Dad", "Weekend", "Funny",
      "Roommate", "Vacation", "Boss", "Nerd", "Mess", "Camp", "Prank")),
    (("Romance", "Drama"),
     ("Love", "Heart", "Kiss", "Summer", "Forever", "Letters", "Moon",
      "Promise", "Rose", "Dance", "Paris", "Bride", "Sunset", "Affair")),
    (("Drama",),
     ("Life", "Song", "Silence", "River", "Father", "Daughter", "Memory",
      "Road", "Winter", "Home", "Truth", "Years", "Garden", "Stranger")),
    (("Crime", "Thriller", "Film-Noir", "Mystery"),
     ("Murder", "Shadow", "Money", "Street", "Gun", "Deal", "Killer", "Heist",
      "Witness", "Case", "Alibi", "Racket", "Detective", "Motive")),
    (("Horror", "Thriller"),
     ("Night", "Evil", "Dead", "Scream", "Curse", "Haunting", "Terror",
      "Zombie", "Demon", "Grave", "Fear", "Blood", "Cellar", "Possession")),
    (("War", "Drama", "Action"),
     ("Battle", "Soldier", "Glory", "Sergeant", "Command", "Ridge", "Platoon",
      "Bridge", "Beach", "Fleet", "Bomber", "Trench", "Victory", "Front")),
    (("Western", "Adventure"),
     ("Frontier", "Outlaw", "Valley", "Rifle", "Canyon", "Sheriff", "Saddle",
      "Gold", "Ranch", "Desert", "Posse", "Stagecoach", "Mesa", "Trail")),
    (("Fantasy", "Adventure"),
     ("Sword", "Kingdom", "Quest", "Legend", "Wizard", "Crown", "Realm",
      "Beast", "Spell", "Tower", "Knight", "Myth", "Throne", "Oracle")),
    (("Documentary", "Musical"),
     ("Music", "Story", "Stage", "Voices", "Rhythm", "Band", "Portrait",
      "Journey", "Broadway", "Jazz", "World", "Tour", "Rock", "Nature")),
)
_TITLE_TEMPLATES: Tuple[str, ...] = (
    "{0}", "{0} {1}", "The {0}", "The {0} {1}", "{0} of the {1}",
    "{0} and {1}", "Return of the {0}", "The Last {0}", "{0}!",
)
_EXTRA_GENRE_PROBABILITY = 0.015
_SECONDARY_GENRE_PROBABILITY = 0.5
# Genres a theme may add at random: not the TFDS placeholders.
_ORDINARY_GENRES: Tuple[int, ...] = tuple(
    features.GENRE_NAMES.index(name)
    for name in features.GENRE_NAMES
    if name not in ("IMAX", "Unknown", "(no genres listed)")
)
_OLDEST_YEAR = 1920
_RELEASE_AGE_PROBABILITY = 0.12  # geometric: mean release ~8 years earlier


@dataclasses.dataclass(frozen=True)
class SyntheticConfig:
    """What to generate. Equal configs generate identical data.

    Attributes:
      num_ratings: Total number of ratings, over all spans.
      num_users: Number of users; by default interpolated from the real
        MovieLens releases (100k ratings: 943 users; 25M: 162,541).
      num_movies: Number of movies in the corpus, unrated ones included; by
        default interpolated likewise (100k: 1,682; 25M: 62,423).
      seed: Seed of every random choice (a non-negative integer).
      latent_dim: Dimension of the user and movie latent factors.
      num_spans: Number of consecutive time windows (TFX spans) of data.
      start_timestamp: Unix time (seconds) at which span 0 starts.
      span_seconds: Length of a span in seconds.
      drift_strength: Angle (radians) a user's latent turns per span; 0 for
        no drift.
      popularity_exponent: Exponent ``s`` of the popularity bias
        ``-s * log(rank)`` added to the logits. Differing tastes flatten the
        resulting rating counts: at the default, on 100k ratings, the top 10%
        of movies get about 40% of the ratings.
      with_demographics: Whether users have age, gender, occupation and zip
        code (as ml-100k); without them the data looks like ml-20m/25m.
    """

    num_ratings: int = 100_000
    num_users: Optional[int] = None
    num_movies: Optional[int] = None
    seed: int = 0
    latent_dim: int = 16
    num_spans: int = 1
    start_timestamp: int = 874_724_710  # ml-100k's first rating (1997-09-20)
    span_seconds: int = 215 * 86_400  # ml-100k's seven months
    drift_strength: float = 0.5
    popularity_exponent: float = 1.6
    with_demographics: bool = True

    def __post_init__(self):
        """Fills in the default sizes and rejects impossible configs."""
        if self.num_ratings < 1:
            raise ValueError(f"num_ratings must be positive, got {self.num_ratings}")
        if self.num_users is None:
            object.__setattr__(self, "num_users", default_num_users(self.num_ratings))
        if self.num_movies is None:
            object.__setattr__(self, "num_movies", default_num_movies(self.num_ratings))
        _validate(self)

    @property
    def num_segments(self) -> int:
        """Number of segments of constant user taste over all spans."""
        return self.num_spans * SEGMENTS_PER_SPAN

    @property
    def end_timestamp(self) -> int:
        """Unix time just after the last span."""
        return self.start_timestamp + self.num_spans * self.span_seconds


def _validate(config: SyntheticConfig) -> None:
    """Raises ValueError when a config cannot be generated."""
    checks = (
        (config.num_users >= 1, "num_users must be positive"),
        (config.num_movies >= _MIN_MOVIES, f"num_movies must be >= {_MIN_MOVIES}"),
        (config.seed >= 0, "seed must be non-negative"),
        (config.latent_dim >= 2, "latent_dim must be >= 2 (drift needs a plane)"),
        (config.num_spans >= 1, "num_spans must be positive"),
        (config.span_seconds >= SEGMENTS_PER_SPAN,
         f"span_seconds must be >= {SEGMENTS_PER_SPAN}"),
        (config.popularity_exponent >= 0, "popularity_exponent must be >= 0"),
        (config.num_ratings <= config.num_users * _max_ratings_per_user(config),
         "num_ratings exceeds what num_users can rate without repeating a movie "
         f"(at most {_max_ratings_per_user(config)} movies each)"),
    )
    for ok, message in checks:
        if not ok:
            raise ValueError(f"{message}: {config}")


def _interpolate_size(num_ratings: int, column: int) -> int:
    """Log-log interpolation of a release size column at ``num_ratings``."""
    ratings = np.log([size[0] for size in _RELEASE_SIZES])
    values = np.log([size[column] for size in _RELEASE_SIZES])
    x = np.log(num_ratings)
    # Extrapolate with the slope of the nearest pair of releases.
    i = int(np.clip(np.searchsorted(ratings, x) - 1, 0, len(ratings) - 2))
    slope = (values[i + 1] - values[i]) / (ratings[i + 1] - ratings[i])
    return int(round(np.exp(values[i] + slope * (x - ratings[i]))))


def default_num_users(num_ratings: int) -> int:
    """Number of users of a MovieLens release with ``num_ratings`` ratings.

    Args:
      num_ratings: Total number of ratings.

    Returns:
      The interpolated number of users (943 at 100k, 162,541 at 25M).
    """
    return max(_MIN_USERS, _interpolate_size(num_ratings, 1))


def default_num_movies(num_ratings: int) -> int:
    """Number of movies of a MovieLens release with ``num_ratings`` ratings.

    Args:
      num_ratings: Total number of ratings.

    Returns:
      The interpolated number of movies (1,682 at 100k, 62,423 at 25M).
    """
    return max(_MIN_MOVIES, _interpolate_size(num_ratings, 2))


def _num_unreleased(num_movies: int) -> int:
    return max(1, int(round(_UNRELEASED_FRACTION * num_movies)))


def _num_in_period(num_movies: int) -> int:
    return int(round(_IN_PERIOD_RELEASE_FRACTION * num_movies))


def _max_ratings_per_user(config: SyntheticConfig) -> int:
    rateable = config.num_movies - _num_unreleased(config.num_movies)
    return max(1, int(_MAX_RATED_FRACTION * rateable))


def span_of(config: SyntheticConfig, timestamp: int) -> int:
    """Returns the span a timestamp falls in.

    Args:
      config: The generator's config.
      timestamp: Unix time in seconds.

    Returns:
      The span index, in ``[0, config.num_spans)``.

    Raises:
      ValueError: If the timestamp lies outside every span.
    """
    span = (int(timestamp) - config.start_timestamp) // config.span_seconds
    if not 0 <= span < config.num_spans:
        raise ValueError(
            f"Timestamp {timestamp} lies outside the {config.num_spans} span(s) "
            f"starting at {config.start_timestamp}"
        )
    return span


def _segment_of(config: SyntheticConfig, timestamps: np.ndarray) -> np.ndarray:
    """Segment of each timestamp, clipped to the generated time range."""
    offsets = np.asarray(timestamps, dtype=np.int64) - config.start_timestamp
    total = config.num_spans * config.span_seconds
    return np.clip(offsets * config.num_segments // total, 0, config.num_segments - 1)


_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def _year_of(timestamp: int) -> int:
    return (_EPOCH + datetime.timedelta(seconds=int(timestamp))).year


def _new_year_timestamp(year: int) -> int:
    """Unix time of January 1st of a year, UTC."""
    start = datetime.datetime(year, 1, 1, tzinfo=datetime.timezone.utc)
    return int((start - _EPOCH).total_seconds())


def _num_days(config: SyntheticConfig) -> int:
    """Number of (started) days of the data period."""
    return -(-config.num_spans * config.span_seconds // _DAY_SECONDS)


def _day_of(config: SyntheticConfig, timestamps: np.ndarray) -> np.ndarray:
    """Day (from the start) of each timestamp, clipped to the generated range."""
    clipped = np.clip(np.asarray(timestamps, dtype=np.int64),
                      config.start_timestamp, config.end_timestamp - 1)
    return (clipped - config.start_timestamp) // _DAY_SECONDS


def _first_day_from(config: SyntheticConfig, timestamp: int) -> int:
    """First day (from the start) that begins at or after a timestamp."""
    return -((config.start_timestamp - timestamp) // _DAY_SECONDS)


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _categorical_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Draws one category per row of a probability matrix."""
    cumulative = np.cumsum(probs, axis=1)
    draws = rng.random(len(probs)) * cumulative[:, -1]
    return (draws[:, None] >= cumulative).sum(axis=1)


@dataclasses.dataclass(frozen=True)
class _Users:
    latent: np.ndarray  # [num_users, latent_dim], taste at time 0
    turn: np.ndarray  # [num_users, latent_dim], taste after a quarter turn
    records: List[Dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class _Movies:
    latent: np.ndarray  # [num_movies, latent_dim]
    bias: np.ndarray  # [num_movies], -inf for movies nobody can rate
    release_day: np.ndarray  # [num_movies], days from the start (may be < 0)
    records: List[Dict[str, Any]]


def _zip_codes(rng: np.random.Generator, first_digits: np.ndarray) -> List[str]:
    """US zip codes from a first digit, and a few Canadian (non-numeric) ones."""
    rest = rng.integers(0, 10_000, len(first_digits))
    letters = rng.integers(0, 26, (len(first_digits), 3))
    canadian = rng.random(len(first_digits)) < _NON_NUMERIC_ZIP_FRACTION
    return [
        f"{chr(65 + l[0])}{d}{chr(65 + l[1])}{r % 10}{chr(65 + l[2])}" if c
        else f"{d}{r:04d}"
        for d, r, l, c in zip(first_digits, rest, letters, canadian)
    ]


def _demographics(
    rng: np.random.Generator, clusters: np.ndarray, num_clusters: int
) -> List[Dict[str, Any]]:
    """User demographics drawn from per-cluster distributions."""
    age_mean = rng.uniform(16, 62, num_clusters)
    male_prob = rng.beta(0.9, 0.4, num_clusters)
    occupation_probs = rng.dirichlet(np.full(len(features.OCCUPATION_LABELS), 0.1),
                                     num_clusters)
    zip_probs = rng.dirichlet(np.full(10, 0.3), num_clusters)
    ages = np.clip(np.rint(rng.normal(age_mean[clusters], 4.0)), 7, 73)
    bucket_index = np.searchsorted(AGE_BUCKETS, ages, side="right") - 1
    buckets = np.asarray(AGE_BUCKETS)[bucket_index]
    males = rng.random(len(clusters)) < male_prob[clusters]
    occupations = _categorical_rows(rng, occupation_probs[clusters])
    zips = _zip_codes(rng, _categorical_rows(rng, zip_probs[clusters]))
    return [
        {
            features.RAW_USER_AGE: float(age),
            features.BUCKETIZED_USER_AGE: float(bucket),
            features.USER_GENDER: int(male),
            features.USER_OCCUPATION_LABEL: int(occupation),
            features.USER_OCCUPATION_TEXT: features.OCCUPATION_LABELS[occupation],
            features.USER_ZIP_CODE: zip_code,
        }
        for age, bucket, male, occupation, zip_code
        in zip(ages, buckets, males, occupations, zips)
    ]


def _drift_turn(rng: np.random.Generator, latent: np.ndarray) -> np.ndarray:
    """Per-user direction of drift, orthogonal to the user and of equal norm.

    Half of it is a trend shared by the population, half is personal.
    """
    trend = rng.normal(size=latent.shape[1])
    direction = _unit_rows(trend / np.linalg.norm(trend)
                           + _unit_rows(rng.normal(size=latent.shape)))
    unit = _unit_rows(latent)
    orthogonal = direction - (direction * unit).sum(axis=1, keepdims=True) * unit
    return _unit_rows(orthogonal) * np.linalg.norm(latent, axis=1, keepdims=True)


def _make_users(config: SyntheticConfig) -> _Users:
    """Builds the users: latent factors, drift and records."""
    rng = np.random.default_rng([config.seed, _USERS_STREAM])
    dim = config.latent_dim
    centroids = rng.normal(size=(_NUM_USER_CLUSTERS, dim)) * dim**-0.25
    cluster_weights = rng.dirichlet(np.full(_NUM_USER_CLUSTERS, 2.0))
    clusters = rng.choice(_NUM_USER_CLUSTERS, config.num_users, p=cluster_weights)
    noise = rng.normal(size=(config.num_users, dim)) * dim**-0.25
    latent = _AFFINITY_SCALE * (centroids[clusters] + _USER_NOISE * noise)
    turn = _drift_turn(rng, latent)
    demographics = _demographics(rng, clusters, _NUM_USER_CLUSTERS)
    # Demographics are drawn either way, so ratings do not depend on the flag.
    if not config.with_demographics:
        demographics = [{} for _ in demographics]
    records = [{features.USER_ID: str(i + 1), **user}
               for i, user in enumerate(demographics)]
    return _Users(latent.astype(np.float32), turn.astype(np.float32), records)


def _genres(rng: np.random.Generator, theme_genres: Tuple[str, ...]) -> List[int]:
    """Genre label ids of a movie of a theme: its main genre, maybe more."""
    ids = [features.GENRE_NAMES.index(theme_genres[0])]
    ids += [features.GENRE_NAMES.index(g) for g in theme_genres[1:]
            if rng.random() < _SECONDARY_GENRE_PROBABILITY]
    extra = rng.random(len(_ORDINARY_GENRES)) < _EXTRA_GENRE_PROBABILITY
    ids += [g for g, pick in zip(_ORDINARY_GENRES, extra) if pick]
    return sorted(set(ids))


def _title(rng: np.random.Generator, words: Tuple[str, ...], year: int,
           taken: set) -> str:
    """A title made of theme words and a year, numbered like a sequel if taken."""
    template = _TITLE_TEMPLATES[rng.integers(len(_TITLE_TEMPLATES))]
    first, second = rng.choice(len(words), 2, replace=False)
    base = template.format(words[first], words[second])
    title, sequel = f"{base} ({year})", 1
    while title in taken:
        sequel += 1
        title = f"{base} {sequel} ({year})"
    taken.add(title)
    return title


def _release_days(rng: np.random.Generator, config: SyntheticConfig,
                  in_period: np.ndarray, unreleased: np.ndarray) -> np.ndarray:
    """Release day of each movie, counted from the data's first day.

    Most movies came out before the data starts (mostly in recent years);
    ``in_period`` ones on a day of the data period; ``unreleased`` ones in the
    year after it ends.
    """
    years_before = rng.geometric(_RELEASE_AGE_PROBABILITY, config.num_movies) - 1
    ages = (years_before + rng.random(config.num_movies)) * 365.25
    oldest = _first_day_from(config, _new_year_timestamp(_OLDEST_YEAR))
    days = np.maximum(-1 - np.floor(ages).astype(np.int64), oldest)
    days[in_period] = rng.integers(0, _num_days(config), len(in_period))
    next_year = _year_of(config.end_timestamp - 1) + 1
    announced = _first_day_from(config, _new_year_timestamp(next_year))
    days[unreleased] = announced + rng.integers(0, 365, len(unreleased))
    return days


def _release_curve(days_since_release: np.ndarray) -> np.ndarray:
    """Log-popularity a movie gains with time since release; -inf before it.

    ``log(1 + boost * x * exp(1 - x))`` with ``x`` = days / peak days: 0 on
    release day, ``log(1 + boost)`` at the peak, back towards 0 after.
    """
    days = np.asarray(days_since_release, dtype=np.float64)
    x = np.maximum(days, 0.0) / _RELEASE_PEAK_DAYS
    curve = np.log1p(_RELEASE_BOOST * x * np.exp(1.0 - x))
    return np.where(days >= 0, curve, -np.inf)


def _popularity_bias(rng: np.random.Generator, config: SyntheticConfig,
                     unreleased: np.ndarray) -> np.ndarray:
    """Zipf-like log-popularity of each movie; -inf for unreleased movies."""
    ranks = rng.permutation(config.num_movies) + 1
    bias = -config.popularity_exponent * np.log(ranks)
    bias[unreleased] = -np.inf
    return bias


def _duplicate_pairs(rng: np.random.Generator, bias: np.ndarray) -> np.ndarray:
    """Pairs (original, duplicate) of rateable movies; the duplicate is rarer."""
    rateable = np.flatnonzero(np.isfinite(bias))
    num_pairs = int(round(_DUPLICATE_TITLE_FRACTION * len(rateable)))
    pairs = rng.choice(rateable, (num_pairs, 2), replace=False)
    swap = bias[pairs[:, 0]] < bias[pairs[:, 1]]
    pairs[swap] = pairs[swap][:, ::-1]
    return pairs


def _make_movies(config: SyntheticConfig) -> _Movies:
    """Builds the movies: latent factors, popularity, release and records."""
    rng = np.random.default_rng([config.seed, _MOVIES_STREAM])
    dim = config.latent_dim
    centroids = rng.normal(size=(len(_THEMES), dim)) * dim**-0.25
    themes = rng.choice(len(_THEMES), config.num_movies,
                        p=rng.dirichlet(np.full(len(_THEMES), 3.0)))
    noise = rng.normal(size=(config.num_movies, dim)) * dim**-0.25
    latent = centroids[themes] + _MOVIE_NOISE * noise
    order = rng.permutation(config.num_movies)
    num_unreleased = _num_unreleased(config.num_movies)
    unreleased = order[:num_unreleased]
    in_period = order[num_unreleased:num_unreleased + _num_in_period(config.num_movies)]
    bias = _popularity_bias(rng, config, unreleased)
    release_day = _release_days(rng, config, in_period, unreleased)
    pairs = _duplicate_pairs(rng, bias)
    release_day[pairs[:, 1]] = release_day[pairs[:, 0]]
    records = _movie_records(rng, config, themes, release_day)
    for original, duplicate in pairs:
        records[duplicate] = {**records[original],
                              features.MOVIE_ID: records[duplicate][features.MOVIE_ID]}
        latent[duplicate] = latent[original] + _DUPLICATE_NOISE * noise[duplicate]
    return _Movies(latent.astype(np.float32), bias.astype(np.float32), release_day,
                   records)


def _movie_records(rng: np.random.Generator, config: SyntheticConfig,
                   themes: np.ndarray, release_day: np.ndarray) -> List[Dict[str, Any]]:
    """Movie records; the title's year is the release day's year."""
    taken: set = set()
    return [
        {
            features.MOVIE_ID: str(j + 1),
            features.MOVIE_TITLE: _title(
                rng, _THEMES[theme][1],
                _year_of(config.start_timestamp + int(day) * _DAY_SECONDS), taken),
            features.MOVIE_GENRES: _genres(rng, _THEMES[theme][0]),
        }
        for j, (theme, day) in enumerate(zip(themes, release_day))
    ]


def _rating_counts(config: SyntheticConfig) -> np.ndarray:
    """Ratings per user: heavy-tailed, at most the per-user cap, summing exactly."""
    rng = np.random.default_rng([config.seed, _COUNTS_STREAM])
    cap = _max_ratings_per_user(config)
    floor = min(_MIN_RATINGS_PER_USER, config.num_ratings // config.num_users // 2, cap)
    weights = rng.lognormal(0.0, _ACTIVITY_SIGMA, config.num_users)
    counts = floor + rng.multinomial(config.num_ratings - floor * config.num_users,
                                     weights / weights.sum())
    excess = int(np.maximum(counts - cap, 0).sum())
    while excess:
        counts = np.minimum(counts, cap)
        room = np.where(counts < cap, weights, 0.0)
        counts += rng.multinomial(excess, room / room.sum())
        excess = int(np.maximum(counts - cap, 0).sum())
    return counts


class SyntheticModel:
    """The hidden model behind a config's data, rebuilt deterministically.

    Attributes:
      config: The config the model was built from.
      users: User records (``user_id`` and, when enabled, demographics), in
        user index order; user index ``i`` has id ``str(i + 1)``.
      movies: Movie records (``movie_id``, ``movie_title``, ``movie_genres``),
        in movie index order; movie index ``j`` has id ``str(j + 1)``.
      rating_counts: Number of ratings of each user over all spans.
      release_timestamps: Int64 array [num_movies]: when each movie comes
        out (midnight of a day counted from ``config.start_timestamp``); no
        rating precedes it.
    """

    def __init__(self, config: SyntheticConfig):
        """Builds the model.

        Args:
          config: What to generate.
        """
        self.config = config
        users = _make_users(config)
        movies = _make_movies(config)
        self.users = users.records
        self.movies = movies.records
        self.rating_counts = _rating_counts(config)
        self.release_timestamps = (config.start_timestamp
                                   + movies.release_day * _DAY_SECONDS)
        self._release_day = movies.release_day
        self._user_latent = users.latent
        self._user_turn = users.turn
        self._movie_latent = movies.latent
        self._movie_bias = movies.bias
        self._movie_mean = movies.latent.mean(axis=0)
        centered = movies.latent - self._movie_mean
        self._movie_covariance = centered.T @ centered / len(centered)

    @property
    def movie_ids(self) -> List[str]:
        """The movie id of each column of ``scores``."""
        return [movie[features.MOVIE_ID] for movie in self.movies]

    def user_vectors(self, user_indices: np.ndarray,
                     segments: np.ndarray) -> np.ndarray:
        """Users' latent factors during given segments.

        Args:
          user_indices: Int array [n] of user indices.
          segments: Int array [n] of segment indices.

        Returns:
          Float32 array [n, latent_dim].
        """
        angle = self.config.drift_strength * np.asarray(segments) / SEGMENTS_PER_SPAN
        cos = np.cos(angle).astype(np.float32)[:, None]
        sin = np.sin(angle).astype(np.float32)[:, None]
        return (cos * self._user_latent[user_indices]
                + sin * self._user_turn[user_indices])

    def affinities(self, user_vectors: np.ndarray) -> np.ndarray:
        """Affinity (no popularity) of users to every movie.

        Args:
          user_vectors: Float32 array [n, latent_dim] from ``user_vectors``.

        Returns:
          Float32 array [n, num_movies].
        """
        return user_vectors @ self._movie_latent.T

    def affinity_moments(self, user_vector: np.ndarray) -> Tuple[float, float]:
        """Mean and standard deviation of a user's affinities over all movies.

        Args:
          user_vector: Float array [latent_dim] from ``user_vectors``.

        Returns:
          ``(mean, std)``, computed from the movie latents' moments.
        """
        mean = float(user_vector @ self._movie_mean)
        std = float(np.sqrt(user_vector @ self._movie_covariance @ user_vector))
        return mean, std

    @property
    def popularity_bias(self) -> np.ndarray:
        """Float32 array [num_movies]: static log popularity; -inf if unreleased."""
        return self._movie_bias

    def popularity_logits(self, timestamps: Sequence[int]) -> np.ndarray:
        """Log popularity of every movie at given times.

        Args:
          timestamps: Unix times in seconds. Times outside the spans are
            treated as the nearest span's edge.

        Returns:
          Float32 array [n, num_movies]: the static bias plus the release
          curve of the day; -inf for movies not released by that day.
        """
        days = _day_of(self.config, timestamps)
        curve = _release_curve(days[:, None] - self._release_day[None, :])
        return (self._movie_bias + curve).astype(np.float32)

    def scores(self, user_ids: Sequence[str], timestamps: Sequence[int]) -> np.ndarray:
        """The true generating logits of users at given times.

        Args:
          user_ids: User ids, as in the records.
          timestamps: Unix times in seconds, one per user id. Times outside
            the spans are treated as the nearest span's edge.

        Returns:
          Float32 array [n, num_movies]; column ``j`` is movie index ``j``
          (``movie_ids[j]``). Movies not released at that time score -inf.

        Raises:
          ValueError: If a user id is unknown.
        """
        indices = _indices(user_ids, self.config.num_users, "user")
        vectors = self.user_vectors(indices, _segment_of(self.config, timestamps))
        return self.affinities(vectors) + self.popularity_logits(timestamps)


def _indices(ids: Sequence[str], count: int, kind: str) -> np.ndarray:
    """Indices of decimal ids ``str(index + 1)``."""
    for i in ids:
        if not (str(i).isdigit() and 1 <= int(i) <= count):
            raise ValueError(f"Unknown {kind} id {i!r}: expected 1 to {count}")
    return np.asarray([int(i) for i in ids], dtype=np.int64) - 1


@functools.lru_cache(maxsize=2)
def _cached_model(config: SyntheticConfig) -> SyntheticModel:
    return SyntheticModel(config)


def generate_movies(config: SyntheticConfig) -> List[Dict[str, Any]]:
    """The whole movie corpus, movies nobody rated included.

    Args:
      config: What to generate.

    Returns:
      Movie records (``movie_id``, ``movie_title``, ``movie_genres``) in id order.
    """
    return [{**movie, features.MOVIE_GENRES: list(movie[features.MOVIE_GENRES])}
            for movie in _cached_model(config).movies]


def generate_users(config: SyntheticConfig) -> List[Dict[str, Any]]:
    """All users.

    Args:
      config: What to generate.

    Returns:
      User records (``user_id`` and, when enabled, demographics) in id order.
    """
    return [dict(user) for user in _cached_model(config).users]


@dataclasses.dataclass(frozen=True)
class _Group:
    """Ratings of a user drawn from the same logits (one segment, one day)."""

    segment: int
    movies: np.ndarray  # movie indices, in the order drawn
    timestamps: np.ndarray  # sorted
    ratings: np.ndarray  # floats 1..5


def _visit_sizes(rng: np.random.Generator, count: int) -> np.ndarray:
    """Ratings per visit of a user (``count`` >= 1): the arrival burst first.

    Light users mostly rate everything on arrival; the heavier a user, the likelier
    they come back. A returning user rates a Beta share on arrival and the
    rest in short return visits.
    """
    returning = rng.random() < -np.expm1(-(count / _RETURN_COUNT_SCALE) ** _RETURN_EXPONENT)
    if not returning or count < 2:
        return np.array([count])
    arrival = 1 + rng.binomial(count - 2, rng.beta(*_ARRIVAL_SHARE))
    later = count - arrival
    visits = min(1 + rng.poisson(later / _RETURN_VISIT_SIZE), later)
    return np.concatenate([[arrival], 1 + rng.multinomial(later - visits,
                                                          rng.dirichlet(np.ones(visits)))])


def _visit_starts(rng: np.random.Generator, config: SyntheticConfig,
                  num_visits: int) -> np.ndarray:
    """Start times of a user's visits: arrival, then return visits after it.

    The arrival is uniform over the whole data period. A return visit comes
    a delay after it that is either log-uniform (soon after, often the same
    day) or uniform (any time) up to the end of the data.
    """
    total = config.end_timestamp - config.start_timestamp
    arrival = config.start_timestamp + rng.random() * total
    longest = max(config.end_timestamp - arrival, _MIN_RETURN_DELAY_SECONDS)
    soon = np.exp(rng.uniform(np.log(_MIN_RETURN_DELAY_SECONDS), np.log(longest),
                              num_visits - 1))
    late = rng.uniform(_MIN_RETURN_DELAY_SECONDS, longest, num_visits - 1)
    delays = np.where(rng.random(num_visits - 1) < _LATE_RETURN_PROBABILITY, late, soon)
    return arrival + np.concatenate([[0.0], delays])


def _visit_timestamps(rng: np.random.Generator, config: SyntheticConfig,
                      start: float, size: int) -> np.ndarray:
    """Times of one visit's ratings: lognormal pauses, ending before the data does."""
    pauses = rng.lognormal(np.log(_SESSION_GAP_SECONDS), _SESSION_GAP_SIGMA, size - 1)
    offsets = np.concatenate([[0.0], np.cumsum(pauses)])
    return np.floor(min(start, config.end_timestamp - 1 - offsets[-1]) + offsets)


def _user_timestamps(rng: np.random.Generator, config: SyntheticConfig,
                     count: int) -> np.ndarray:
    """A user's ``count`` rating times, sorted, all within the data period."""
    if not count:
        return np.zeros(0, dtype=np.int64)
    sizes = _visit_sizes(rng, count)
    starts = _visit_starts(rng, config, len(sizes))
    times = np.concatenate([_visit_timestamps(rng, config, start, int(size))
                            for start, size in zip(starts, sizes)])
    return np.sort(np.clip(times, config.start_timestamp,
                           config.end_timestamp - 1).astype(np.int64))


def _groups(config: SyntheticConfig,
            timestamps: np.ndarray) -> Iterator[Tuple[int, np.ndarray]]:
    """Splits sorted times into runs of one segment and one day."""
    segments = _segment_of(config, timestamps)
    days = _day_of(config, timestamps)
    cuts = np.flatnonzero((np.diff(segments) != 0) | (np.diff(days) != 0)) + 1
    for run in np.split(np.arange(len(timestamps)), cuts):
        if len(run):
            yield int(segments[run[0]]), timestamps[run]


def _stars(rng: np.random.Generator, z: np.ndarray) -> np.ndarray:
    """Star ratings (1 to 5) that grow with the standardized affinity ``z``."""
    stars = _RATING_CENTER + _RATING_SLOPE * z + rng.normal(0.0, _RATING_NOISE, len(z))
    return np.clip(np.rint(stars), 1, 5)


def _sample_group(rng: np.random.Generator, model: SyntheticModel, user: int,
                  segment: int, timestamps: np.ndarray,
                  available: np.ndarray) -> _Group:
    """Draws a user's ratings at given times and marks their movies as rated.

    Movies are drawn without replacement from the softmax of the logits of
    the segment and day over the still ``available`` movies (Gumbel top-k,
    in the order drawn); unreleased movies have -inf logits.
    """
    vector = model.user_vectors(np.array([user]), np.array([segment]))
    affinity = model.affinities(vector)[0]
    logits = affinity + model.popularity_logits(timestamps[:1])[0]
    gumbel = -np.log(rng.standard_exponential(len(affinity)))
    keys = np.where(available, logits + gumbel, -np.inf)
    count = len(timestamps)
    top = np.argpartition(keys, len(keys) - count)[-count:]
    chosen = top[np.argsort(-keys[top], kind="stable")]
    available[chosen] = False
    mean, std = model.affinity_moments(vector[0])
    return _Group(
        segment=segment,
        movies=chosen,
        timestamps=timestamps,
        ratings=_stars(rng, (affinity[chosen] - mean) / std),
    )


def _sample_user(model: SyntheticModel, user: int,
                 last_segment: int) -> Iterator[_Group]:
    """A user's ratings, in time order, up to the end of ``last_segment``.

    The user's random stream depends on the seed and the user only: it draws
    all rating times first, then the movies in time order, so stopping early
    changes nothing before.
    """
    config = model.config
    rng = np.random.default_rng([config.seed, _RATINGS_STREAM, user])
    timestamps = _user_timestamps(rng, config, int(model.rating_counts[user]))
    available = np.ones(config.num_movies, dtype=bool)
    for segment, times in _groups(config, timestamps):
        if segment > last_segment:
            return
        yield _sample_group(rng, model, user, segment, times, available)


def _shard_users(config: SyntheticConfig, shard_index: int, num_shards: int) -> range:
    """Indices of the users of a shard."""
    if not 0 <= shard_index < num_shards:
        raise ValueError(f"shard_index {shard_index} not in [0, {num_shards})")
    return range(shard_index, config.num_users, num_shards)


def generate_ratings(
    config: SyntheticConfig,
    shard_index: int,
    num_shards: int,
    span: Optional[int] = None,
) -> Iterator[Dict[str, Any]]:
    """The joined rating records of one shard of the users.

    Shard ``s`` holds the users with index ``i % num_shards == s``, in index
    order, each user's ratings in time order. A user's ratings depend only on
    the config and the user, so the shards of any ``num_shards`` together hold
    the same records, and a span's records are the same as in the full data.
    Movies a user rated in earlier spans are excluded in later ones, so
    generating span ``k`` costs as much as generating spans 0 to ``k``.

    Args:
      config: What to generate.
      shard_index: Which shard, in ``[0, num_shards)``.
      num_shards: Number of shards the users are split into.
      span: If set, only the ratings of this span.

    Yields:
      Records: ``user_id``, ``movie_id``, ``movie_title``, ``movie_genres``,
      ``timestamp``, ``user_rating`` and, when enabled, the user demographics.

    Raises:
      ValueError: If the shard or span is out of range.
    """
    if span is not None and not 0 <= span < config.num_spans:
        raise ValueError(f"span {span} not in [0, {config.num_spans})")
    model = _cached_model(config)
    spans = range(config.num_spans) if span is None else range(span, span + 1)
    first_segment = spans[0] * SEGMENTS_PER_SPAN
    last_segment = (spans[-1] + 1) * SEGMENTS_PER_SPAN - 1
    for user in _shard_users(config, shard_index, num_shards):
        for part in _sample_user(model, user, last_segment):
            if part.segment >= first_segment:
                yield from _records(model, user, part)


def _records(model: SyntheticModel, user: int,
             part: _Group) -> Iterator[Dict[str, Any]]:
    """Joins a user's sampled ratings with the user's and movies' features."""
    user_record = model.users[user]
    for movie, timestamp, rating in zip(part.movies, part.timestamps, part.ratings):
        movie_record = model.movies[movie]
        yield {
            **user_record,
            features.MOVIE_ID: movie_record[features.MOVIE_ID],
            features.MOVIE_TITLE: movie_record[features.MOVIE_TITLE],
            features.MOVIE_GENRES: list(movie_record[features.MOVIE_GENRES]),
            features.TIMESTAMP: int(timestamp),
            features.USER_RATING: float(rating),
        }


def _eval_columns(eval_records: Iterable[Mapping[str, Any]],
                  names: Sequence[str]) -> List[List[Any]]:
    """The values of some features of the eval records, one list per feature."""
    rows = list(eval_records)
    if not rows:
        raise ValueError("No eval records to score")
    return [[record[name] for record in rows] for name in names]


def _columns(movie_ids: Iterable[str], column_of: Mapping[str, int]) -> np.ndarray:
    """Score-matrix columns of movie ids."""
    try:
        return np.fromiter((column_of[m] for m in movie_ids), dtype=np.int64)
    except KeyError as error:
        raise ValueError(f"Unknown movie id {error.args[0]!r}") from None


def _filtered_ranks(
    score_rows: Callable[[slice], np.ndarray],
    users: Sequence[str],
    targets: np.ndarray,
    train_movies: Mapping[str, Iterable[str]],
    column_of: Mapping[str, int],
) -> np.ndarray:
    """Ranks of the targets, each query leaving out its user's training movies.

    Args:
      score_rows: Scores ``[rows, num_movies]`` of a slice of the queries.
      users: The user of each query.
      targets: The column of each query's rated movie.
      train_movies: Movie ids each user rated in training.
      column_of: Column of each movie id.

    Returns:
      Int64 ranks (``retrieval_metrics.target_ranks``).
    """
    excluded = {user: _columns(train_movies.get(user, ()), column_of)
                for user in set(users)}
    batch = max(1, _SCORE_BATCH_CELLS // len(column_of))
    ranks = []
    for start in range(0, len(users), batch):
        rows = slice(start, start + batch)
        mask = retrieval_metrics.exclusion_mask(
            len(targets[rows]), len(column_of), [excluded[u] for u in users[rows]])
        ranks.append(retrieval_metrics.target_ranks(score_rows(rows), targets[rows], mask))
    return np.concatenate(ranks)


def oracle_top_k_accuracy(
    config: SyntheticConfig,
    eval_records: Iterable[Mapping[str, Any]],
    train_movies: Mapping[str, Iterable[str]],
    ks: Sequence[int],
) -> Dict[int, float]:
    """Top-k accuracy of the true generating model, filtered protocol.

    For each eval rating, ranks the corpus minus the movies that user rated in
    training by the true logits of that user at that time, with the project's
    one tie rule (``retrieval_metrics``: ties count against the rated movie),
    and checks whether the rated movie is among the k best. Any sample of eval
    records will do.

    Args:
      config: The config the records were generated with.
      eval_records: Records with ``user_id``, ``movie_id`` and ``timestamp``.
      train_movies: Movie ids each user rated in training (users without
        training ratings may be left out).
      ks: Cut-offs.

    Returns:
      For each k, the fraction of eval records whose movie is in the top k.

    Raises:
      ValueError: If there are no records, or an id is unknown.
    """
    model = _cached_model(config)
    users, movies, timestamps = _eval_columns(
        eval_records, (features.USER_ID, features.MOVIE_ID, features.TIMESTAMP))
    column_of = {movie: j for j, movie in enumerate(model.movie_ids)}
    ranks = _filtered_ranks(
        lambda rows: model.scores(users[rows], timestamps[rows]),
        users, _columns(movies, column_of), train_movies, column_of)
    return retrieval_metrics.accuracy_at_k(ranks, ks)


def popularity_scores(movie_ids: Sequence[str],
                      train_movie_counts: Mapping[str, int]) -> np.ndarray:
    """Scores of the popularity baseline: training counts, ties broken.

    Args:
      movie_ids: The corpus, in tie-break order (earlier wins).
      train_movie_counts: Number of training ratings of each movie id; absent
        movies count 0.

    Returns:
      Float64 array [len(movie_ids)]: the count plus a fraction in (0, 1)
      decreasing with the position, so no two movies tie.
    """
    count = len(movie_ids)
    counts = np.array([train_movie_counts.get(m, 0) for m in movie_ids], dtype=np.float64)
    return counts + (count - np.arange(count)) / (count + 1)


def popularity_top_k_accuracy(
    movie_ids: Sequence[str],
    train_movie_counts: Mapping[str, int],
    eval_records: Iterable[Mapping[str, Any]],
    train_movies: Mapping[str, Iterable[str]],
    ks: Sequence[int],
) -> Dict[int, float]:
    """Top-k accuracy of recommending the most rated training movies, filtered.

    Every user gets the movies of ``popularity_scores`` in order, minus the
    movies they rated in training.

    Args:
      movie_ids: The corpus, in tie-break order.
      train_movie_counts: Number of training ratings of each movie id.
      eval_records: Records with ``user_id`` and ``movie_id``.
      train_movies: Movie ids each user rated in training.
      ks: Cut-offs.

    Returns:
      For each k, the fraction of eval records whose movie is among the k
      first movies the user did not rate in training.

    Raises:
      ValueError: If there are no records, or a movie id is not in the corpus.
    """
    users, movies = _eval_columns(eval_records, (features.USER_ID, features.MOVIE_ID))
    column_of = {movie: j for j, movie in enumerate(movie_ids)}
    scores = popularity_scores(movie_ids, train_movie_counts)
    ranks = _filtered_ranks(
        lambda rows: np.broadcast_to(scores, (len(users[rows]), len(scores))),
        users, _columns(movies, column_of), train_movies, column_of)
    return retrieval_metrics.accuracy_at_k(ranks, ks)
