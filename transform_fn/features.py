"""Feature names, types and preprocessing settings: the single source of truth.

Raw feature names follow TFDS's ``movielens/*-ratings`` and
``movielens/*-movies`` datasets. The ExampleGen component writes them, the
``preprocessing_fn`` reads them, and the trainer reads the transformed names.
"""

from typing import Dict, List, Tuple

# ----------------------------------------------------------------------------
# Raw features (tf.train.Example keys).
# ----------------------------------------------------------------------------
USER_ID = "user_id"
MOVIE_ID = "movie_id"
MOVIE_TITLE = "movie_title"
MOVIE_GENRES = "movie_genres"
TIMESTAMP = "timestamp"
USER_RATING = "user_rating"
RAW_USER_AGE = "raw_user_age"
BUCKETIZED_USER_AGE = "bucketized_user_age"
USER_GENDER = "user_gender"
USER_OCCUPATION_LABEL = "user_occupation_label"
USER_OCCUPATION_TEXT = "user_occupation_text"
USER_ZIP_CODE = "user_zip_code"

# tf.train.Example value kinds.
BYTES = "bytes"
INT64 = "int64"
FLOAT = "float"

# Features of every rating, in every MovieLens release.
RATING_FEATURE_KINDS: Dict[str, str] = {
    USER_ID: BYTES,
    MOVIE_ID: BYTES,
    MOVIE_TITLE: BYTES,
    MOVIE_GENRES: INT64,
    TIMESTAMP: INT64,
    USER_RATING: FLOAT,
}

# User demographics: only ml-100k and ml-1m have them; raw age only ml-100k.
# ``user_gender`` is TFDS's bool (true = male), stored as int64 1/0.
DEMOGRAPHIC_FEATURE_KINDS: Dict[str, str] = {
    BUCKETIZED_USER_AGE: FLOAT,
    USER_GENDER: INT64,
    USER_OCCUPATION_LABEL: INT64,
    USER_OCCUPATION_TEXT: BYTES,
    USER_ZIP_CODE: BYTES,
}
RAW_AGE_FEATURE_KINDS: Dict[str, str] = {RAW_USER_AGE: FLOAT}

# Features of a movie in the candidate corpus (``movielens/*-movies``).
MOVIE_FEATURE_KINDS: Dict[str, str] = {
    MOVIE_ID: BYTES,
    MOVIE_TITLE: BYTES,
    MOVIE_GENRES: INT64,
}

# Features that hold a list of values; every other feature holds exactly one.
MULTIVALENT_FEATURES: Tuple[str, ...] = (MOVIE_GENRES,)

# Query-side raw features (what a serving request describes) and
# candidate-side raw features (what the corpus describes).
QUERY_FEATURES: Tuple[str, ...] = (
    USER_ID,
    TIMESTAMP,
    RAW_USER_AGE,
    BUCKETIZED_USER_AGE,
    USER_GENDER,
    USER_OCCUPATION_LABEL,
    USER_OCCUPATION_TEXT,
    USER_ZIP_CODE,
)
CANDIDATE_FEATURES: Tuple[str, ...] = tuple(MOVIE_FEATURE_KINDS)

# The candidate key: titles are not unique (ml-100k has 18 shared titles).
CANDIDATE_KEY = MOVIE_ID

# TFDS ClassLabel names, in label order (tensorflow_datasets movielens.py).
GENRE_NAMES: List[str] = [
    "Action", "Adventure", "Animation", "Children", "Comedy", "Crime",
    "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "IMAX",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "Unknown", "War",
    "Western", "(no genres listed)",
]
OCCUPATION_LABELS: List[str] = [
    "academic/educator", "artist", "clerical/admin", "customer service",
    "doctor/health care", "entertainment", "executive/managerial", "farmer",
    "homemaker", "lawyer", "librarian", "other/not specified", "programmer",
    "retired", "sales/marketing", "scientist", "self-employed", "student",
    "technician/engineer", "tradesman/craftsman", "unemployed", "writer",
]

# ----------------------------------------------------------------------------
# Preprocessing settings (the TFRS featurization tutorial's values).
# ----------------------------------------------------------------------------
VOCAB_OOV_BUCKETS = 1
# The vocabularies of VOCABULARY_FEATURES are counted by
# tft.experimental.approximate_vocabulary, which is exact while a feature has
# at most this many distinct values (its largest allowed top_k, tf.Transform's
# LARGE_VOCAB_TOP_K); every GroupLens release up to ml-25m (162,541 users)
# fits. A vocabulary that reaches it is refused (sizes.categorical_sizes).
EXACT_VOCABULARY_LIMIT = 200_000
TITLE_HASH_BINS = 200_000
TIMESTAMP_BUCKETS = 1_000
AGE_BUCKETS = 10
TITLE_TOKEN_VOCAB_SIZE = 10_000
# Equal-width (Keras Discretization over np.linspace) or quantile boundaries.
BUCKETING_QUANTILE = "quantile"
BUCKETING_EQUAL_WIDTH = "equal_width"


def vocabulary_name(feature: str) -> str:
    """Returns the tf.Transform vocabulary file name for a raw feature.

    Args:
      feature: A raw feature name.

    Returns:
      The name of the vocabulary asset written by the transform.
    """
    return f"{feature}_vocab"


def transformed_name(feature: str, suffix: str) -> str:
    """Returns the name of a transformed feature.

    Args:
      feature: A raw feature name.
      suffix: What the transform computed, e.g. ``index`` or ``z``.

    Returns:
      ``<feature>_<suffix>``.
    """
    return f"{feature}_{suffix}"


# ----------------------------------------------------------------------------
# Transformed features: the contract between preprocessing_fn and trainer.
# Every categorical output carries an int domain (min 0, max = size - 1) in the
# transformed schema, so the trainer reads embedding table sizes from the
# transform output instead of from constants.
# ----------------------------------------------------------------------------
INDEX = "index"  # vocabulary id; out-of-vocabulary ids after the vocabulary
Z_SCORE = "z"  # (x - mean) / std over the analysed data
BUCKET = "bucket"  # bucket id
TOKENS = "tokens"  # title token ids (variable length)
HASH = "hash"  # Keras Hashing-compatible bucket of the title

VOCABULARY_FEATURES: Tuple[str, ...] = (
    USER_ID,
    MOVIE_ID,
    MOVIE_TITLE,
    USER_OCCUPATION_TEXT,
    USER_GENDER,
    USER_ZIP_CODE,
    MOVIE_GENRES,
)
Z_SCORE_FEATURES: Tuple[str, ...] = (TIMESTAMP, RAW_USER_AGE)
BUCKET_FEATURES: Dict[str, int] = {
    TIMESTAMP: TIMESTAMP_BUCKETS,
    RAW_USER_AGE: AGE_BUCKETS,
}
# Raw features copied unchanged into the transformed examples, so the trainer
# can map each rating to its row of the candidate corpus and order a user's
# ratings in time. No tower reads them.
PASSTHROUGH_FEATURES: Tuple[str, ...] = (MOVIE_ID, TIMESTAMP)

# Transformed query features no tower reads, because they name the rating
# session: in MovieLens a user's ratings come in bursts, and one of 1,000
# quantile buckets of the time holds a median of 4 users (ml-100k), so the
# bucket identifies whose session a rating came from. The clipped time z-score
# stays: it carries the trend of popularity over time, not the session.
SESSION_NAMING_FEATURES: Tuple[str, ...] = (transformed_name(TIMESTAMP, BUCKET),)

# The user's history, added by the trainer (not by the transform): the
# movie_id vocabulary ids of the movies the user rated in training before the
# query time, never the rating's own movie. The query tower averages their
# embeddings; the exported model carries the history of every known user.
HISTORY = "history"
MOVIE_HISTORY = transformed_name(MOVIE_ID, HISTORY)

# ``custom_config`` key of the Transform component selecting the bucket
# boundaries: BUCKETING_QUANTILE (default) or BUCKETING_EQUAL_WIDTH.
BUCKETING_CONFIG_KEY = "bucketing"
# Vocabulary file of the title tokens (the title itself uses
# ``vocabulary_name(MOVIE_TITLE)``).
TITLE_TOKENS_VOCABULARY = vocabulary_name(transformed_name(MOVIE_TITLE, TOKENS))
