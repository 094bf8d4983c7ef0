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
* Taste drifts: a user's latent turns, at ``drift_strength`` radians per span,
  towards a direction mixing a population trend with a personal one.
* A rating picks its movie from ``softmax(user_latent(t) . movie_latent +
  bias)`` without replacement (a user rates a movie at most once); the score
  given grows with the affinity ``user_latent(t) . movie_latent``.

Like the real ml-100k, some titles are shared by two movie ids (the second id
a near-copy of the first), and, like later releases, the corpus holds movies
nobody rated (here: announced for the year after the data ends).

Time is cut into ``SEGMENTS_PER_SPAN`` segments per span; the user latent is
constant within a segment, so ``SyntheticModel.scores`` gives exactly the
logits the ratings were sampled from.

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

# Independent random streams, one per part of the hidden model.
_USERS_STREAM = 1
_MOVIES_STREAM = 2
_COUNTS_STREAM = 3
_RATINGS_STREAM = 4

# Hidden-model shape, tuned so that on 100k ratings with a random 80/20 split
# the oracle's top-100 accuracy (measured 0.59) is about twice popularity's
# (0.29 to 0.31), as a good model on the real ml-100k (0.42) is above its
# popularity baseline (0.30).
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


def _segment_start(config: SyntheticConfig, segment: int) -> int:
    """First timestamp of a segment (inverse of ``_segment_of``)."""
    total = config.num_spans * config.span_seconds
    return config.start_timestamp + -(-segment * total // config.num_segments)


def _year_of(timestamp: int) -> int:
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).year


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


def _release_years(rng: np.random.Generator, config: SyntheticConfig,
                   unreleased: np.ndarray) -> np.ndarray:
    """Release years: mostly recent; unreleased movies come out after the data."""
    first_year = _year_of(config.start_timestamp)
    ages = rng.geometric(_RELEASE_AGE_PROBABILITY, config.num_movies) - 1
    years = np.maximum(first_year - ages, _OLDEST_YEAR)
    years[unreleased] = _year_of(config.end_timestamp - 1) + 1
    return years


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
    """Builds the movies: latent factors, popularity and records."""
    rng = np.random.default_rng([config.seed, _MOVIES_STREAM])
    dim = config.latent_dim
    centroids = rng.normal(size=(len(_THEMES), dim)) * dim**-0.25
    themes = rng.choice(len(_THEMES), config.num_movies,
                        p=rng.dirichlet(np.full(len(_THEMES), 3.0)))
    noise = rng.normal(size=(config.num_movies, dim)) * dim**-0.25
    latent = centroids[themes] + _MOVIE_NOISE * noise
    unreleased = rng.choice(config.num_movies, _num_unreleased(config.num_movies),
                            replace=False)
    bias = _popularity_bias(rng, config, unreleased)
    years = _release_years(rng, config, unreleased)
    taken: set = set()
    records = [
        {
            features.MOVIE_ID: str(j + 1),
            features.MOVIE_TITLE: _title(rng, _THEMES[theme][1], year, taken),
            features.MOVIE_GENRES: _genres(rng, _THEMES[theme][0]),
        }
        for j, (theme, year) in enumerate(zip(themes, years))
    ]
    for original, duplicate in _duplicate_pairs(rng, bias):
        records[duplicate] = {**records[original],
                              features.MOVIE_ID: records[duplicate][features.MOVIE_ID]}
        latent[duplicate] = latent[original] + _DUPLICATE_NOISE * noise[duplicate]
    return _Movies(latent.astype(np.float32), bias.astype(np.float32), records)


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
        """Float32 array [num_movies]: log popularity; -inf if never rateable."""
        return self._movie_bias

    def scores(self, user_ids: Sequence[str], timestamps: Sequence[int]) -> np.ndarray:
        """The true generating logits of users at given times.

        Args:
          user_ids: User ids, as in the records.
          timestamps: Unix times in seconds, one per user id. Times outside
            the spans are treated as the nearest span's edge.

        Returns:
          Float32 array [n, num_movies]; column ``j`` is movie index ``j``
          (``movie_ids[j]``). Movies nobody can rate score -inf.

        Raises:
          ValueError: If a user id is unknown.
        """
        indices = _indices(user_ids, self.config.num_users, "user")
        vectors = self.user_vectors(indices, _segment_of(self.config, timestamps))
        return self.affinities(vectors) + self._movie_bias


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
class _SegmentRatings:
    segment: int
    movies: np.ndarray  # movie indices
    timestamps: np.ndarray  # sorted
    ratings: np.ndarray  # floats 1..5


def _segment_timestamps(rng: np.random.Generator, config: SyntheticConfig,
                        segment: int, count: int) -> np.ndarray:
    start = _segment_start(config, segment)
    stop = _segment_start(config, segment + 1)
    return np.sort(rng.integers(start, stop, count))


def _stars(rng: np.random.Generator, z: np.ndarray) -> np.ndarray:
    """Star ratings (1 to 5) that grow with the standardized affinity ``z``."""
    stars = _RATING_CENTER + _RATING_SLOPE * z + rng.normal(0.0, _RATING_NOISE, len(z))
    return np.clip(np.rint(stars), 1, 5)


def _sample_segment(rng: np.random.Generator, model: SyntheticModel, user: int,
                    segment: int, count: int,
                    available: np.ndarray) -> _SegmentRatings:
    """Draws a user's ratings of one segment and marks their movies as rated.

    Movies are drawn without replacement from the softmax of the segment's
    logits over the still ``available`` movies (Gumbel top-k).
    """
    vector = model.user_vectors(np.array([user]), np.array([segment]))
    affinity = model.affinities(vector)[0]
    gumbel = -np.log(rng.standard_exponential(len(affinity)))
    keys = np.where(available, affinity + model.popularity_bias + gumbel, -np.inf)
    chosen = rng.permutation(np.argpartition(keys, len(keys) - count)[-count:])
    available[chosen] = False
    mean, std = model.affinity_moments(vector[0])
    return _SegmentRatings(
        segment=segment,
        movies=chosen,
        timestamps=_segment_timestamps(rng, model.config, segment, count),
        ratings=_stars(rng, (affinity[chosen] - mean) / std),
    )


def _sample_user(model: SyntheticModel, user: int,
                 last_segment: int) -> Iterator[_SegmentRatings]:
    """A user's ratings, segment by segment, up to ``last_segment``.

    The user's random stream depends on the seed and the user only, and is
    consumed in segment order, so stopping early changes nothing before.
    """
    config = model.config
    rng = np.random.default_rng([config.seed, _RATINGS_STREAM, user])
    activity = rng.dirichlet(np.ones(config.num_segments))
    per_segment = rng.multinomial(model.rating_counts[user], activity)
    available = np.isfinite(model.popularity_bias)
    for segment in np.flatnonzero(per_segment[: last_segment + 1]):
        yield _sample_segment(rng, model, user, int(segment),
                              int(per_segment[segment]), available)


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
             part: _SegmentRatings) -> Iterator[Dict[str, Any]]:
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


def _eval_columns(eval_records: Iterable[Mapping[str, Any]]
                  ) -> Tuple[List[str], List[str], List[int]]:
    """User ids, movie ids and timestamps of the eval records."""
    users, movies, timestamps = [], [], []
    for record in eval_records:
        users.append(record[features.USER_ID])
        movies.append(record[features.MOVIE_ID])
        timestamps.append(int(record[features.TIMESTAMP]))
    if not users:
        raise ValueError("No eval records to score")
    return users, movies, timestamps


def _hit_rates(ranks: np.ndarray, ks: Sequence[int]) -> Dict[int, float]:
    return {int(k): float(np.mean(ranks < k)) for k in ks}


def oracle_top_k_accuracy(
    config: SyntheticConfig,
    eval_records: Iterable[Mapping[str, Any]],
    ks: Sequence[int],
) -> Dict[int, float]:
    """Top-k accuracy of the true generating model.

    For each eval rating, ranks every movie by the true logits of that user
    at that time (no movie excluded, as in TFRS's FactorizedTopK) and checks
    whether the rated movie is among the k best. Ties count in the movie's
    favour. Any sample of eval records will do.

    Args:
      config: The config the records were generated with.
      eval_records: Records with ``user_id``, ``movie_id`` and ``timestamp``.
      ks: Cut-offs.

    Returns:
      For each k, the fraction of eval records whose movie is in the top k.

    Raises:
      ValueError: If there are no records, or an id is unknown.
    """
    model = _cached_model(config)
    users, movies, timestamps = _eval_columns(eval_records)
    movie_indices = _indices(movies, config.num_movies, "movie")
    batch = max(1, 2**22 // config.num_movies)
    ranks = np.empty(len(users), dtype=np.int64)
    for start in range(0, len(users), batch):
        stop = start + batch
        scores = model.scores(users[start:stop], timestamps[start:stop])
        true = scores[np.arange(len(scores)), movie_indices[start:stop]]
        ranks[start:stop] = (scores > true[:, None]).sum(axis=1)
    return _hit_rates(ranks, ks)


def popularity_top_k_accuracy(
    train_movie_counts: Mapping[str, int],
    eval_records: Iterable[Mapping[str, Any]],
    ks: Sequence[int],
) -> Dict[int, float]:
    """Top-k accuracy of recommending the most rated training movies to all.

    Args:
      train_movie_counts: Number of training ratings of each movie id.
      eval_records: Records with ``movie_id``.
      ks: Cut-offs.

    Returns:
      For each k, the fraction of eval records whose movie is among the k
      movies rated most in training (ties broken by movie id).

    Raises:
      ValueError: If there are no records.
    """
    ranked = sorted(train_movie_counts, key=lambda m: (-train_movie_counts[m], m))
    rank_of = {movie: rank for rank, movie in enumerate(ranked)}
    never_trained = np.iinfo(np.int64).max
    ranks = np.asarray([rank_of.get(record[features.MOVIE_ID], never_trained)
                        for record in eval_records], dtype=np.int64)
    if not len(ranks):
        raise ValueError("No eval records to score")
    return _hit_rates(ranks, ks)
