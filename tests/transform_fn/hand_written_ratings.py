"""Hand-written ratings and what the transform must make of them.

Six ratings with missing values (one without age and gender). The expected
vocabularies and statistics are worked out in the comments.
"""

import numpy as np
import tensorflow as tf

from transform_fn import features

T = features.transformed_name

FEATURE_SPEC = {
    features.USER_ID: tf.io.FixedLenFeature([], tf.string),
    features.MOVIE_ID: tf.io.FixedLenFeature([], tf.string),
    features.MOVIE_TITLE: tf.io.FixedLenFeature([], tf.string),
    features.MOVIE_GENRES: tf.io.VarLenFeature(tf.int64),
    features.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64),
    features.USER_RATING: tf.io.FixedLenFeature([], tf.float32),
    # Optional in this data set: VarLenFeatures, as SchemaGen infers them.
    features.RAW_USER_AGE: tf.io.VarLenFeature(tf.float32),
    features.USER_GENDER: tf.io.VarLenFeature(tf.int64),
    features.USER_OCCUPATION_TEXT: tf.io.FixedLenFeature([], tf.string),
    features.USER_ZIP_CODE: tf.io.FixedLenFeature([], tf.string),
}

TOY, GOLDENEYE, FOUR = b"Toy Story (1995)", b"GoldenEye (1995)", b"Four Rooms (1995)"
# user, movie, title, genres, timestamp, age ([] = missing), gender, occupation, zip
_ROWS = [
    (b"u1", b"m1", TOY, [2, 3, 4], 100, [20.0], [1], b"student", b"11111"),
    (b"u1", b"m2", GOLDENEYE, [0, 1, 16], 200, [20.0], [1], b"student", b"11111"),
    (b"u2", b"m1", TOY, [2, 3, 4], 300, [40.0], [0], b"writer", b"22222"),
    (b"u3", b"m3", FOUR, [16], 400, [], [], b"writer", b"33333"),
    (b"u1", b"m3", FOUR, [16], 500, [60.0], [1], b"student", b"11111"),
    (b"u2", b"m1", TOY, [2, 3, 4], 600, [40.0], [0], b"writer", b"22222"),
]
ROWS = [
    {
        features.USER_ID: user,
        features.MOVIE_ID: movie,
        features.MOVIE_TITLE: title,
        features.MOVIE_GENRES: genres,
        features.TIMESTAMP: ts,
        features.USER_RATING: 4.0,
        features.RAW_USER_AGE: age,
        features.USER_GENDER: gender,
        features.USER_OCCUPATION_TEXT: occupation,
        features.USER_ZIP_CODE: zip_code,
    }
    for user, movie, title, genres, ts, age, gender, occupation, zip_code in _ROWS
]

# Vocabularies: by decreasing count; equal counts by decreasing *string*
# (bytes) order, also for integers. OOV id = vocabulary size.
VOCABULARIES = {
    features.USER_ID: [b"u1", b"u2", b"u3"],  # 3, 2, 1 ratings
    features.MOVIE_ID: [b"m1", b"m3", b"m2"],  # 3, 2, 1
    features.MOVIE_TITLE: [TOY, FOUR, GOLDENEYE],
    # 2, 3, 4 and 16 three times each: "4" > "3" > "2" > "16"; then "1" > "0".
    features.MOVIE_GENRES: [b"4", b"3", b"2", b"16", b"1", b"0"],
    features.USER_OCCUPATION_TEXT: [b"writer", b"student"],  # 3 each
    features.USER_GENDER: [b"1", b"0"],  # 3, 2 (one rating has none)
    features.USER_ZIP_CODE: [b"11111", b"22222", b"33333"],
}
# Tokens: 1995 x6; toy, story x3; four, rooms x2; goldeneye x1.
TITLE_TOKENS = [b"1995", b"toy", b"story", b"rooms", b"four", b"goldeneye"]
# Timestamps 100..600: mean 350, population variance
# (250^2 + 150^2 + 50^2) * 2 / 6 = 29166.67.
TIMESTAMP_STD = np.sqrt(175000 / 6)
# Ages present 20, 20, 40, 60, 40: mean 36, variance (2*16^2 + 2*4^2 + 24^2)/5 = 224.
AGE_MEAN, AGE_STD = 36.0, np.sqrt(224.0)

# Expected transformed values, one per rating in ROWS order.
EXPECTED = {
    T(features.USER_ID, features.INDEX): [0, 0, 1, 2, 0, 1],
    T(features.MOVIE_ID, features.INDEX): [0, 2, 0, 1, 1, 0],
    T(features.MOVIE_TITLE, features.INDEX): [0, 2, 0, 1, 1, 0],
    T(features.USER_OCCUPATION_TEXT, features.INDEX): [1, 1, 0, 0, 1, 0],
    T(features.USER_ZIP_CODE, features.INDEX): [0, 0, 1, 2, 0, 1],
    # The rating without a gender gets the OOV id, 2.
    T(features.USER_GENDER, features.INDEX): [0, 0, 1, 2, 0, 1],
    # [2, 3, 4] -> [2, 1, 0]; [0, 1, 16] -> [5, 4, 3]; [16] -> [3].
    T(features.MOVIE_GENRES, features.INDEX): [
        [2, 1, 0], [5, 4, 3], [2, 1, 0], [3], [3], [2, 1, 0],
    ],
    # toy story 1995 / goldeneye 1995 / four rooms 1995.
    T(features.MOVIE_TITLE, features.TOKENS): [
        [1, 2, 0], [5, 0], [1, 2, 0], [4, 3, 0], [4, 3, 0], [1, 2, 0],
    ],
    T(features.TIMESTAMP, features.Z_SCORE): [
        (ts - 350) / TIMESTAMP_STD for ts in (100, 200, 300, 400, 500, 600)
    ],
    # The rating without an age counts as the mean: z = 0.
    T(features.RAW_USER_AGE, features.Z_SCORE): [
        (a - AGE_MEAN) / AGE_STD for a in (20, 20, 40, AGE_MEAN, 60, 40)
    ],
    # Quantile buckets. Boundary i of n buckets is the smallest value whose
    # empirical CDF exceeds i/n; a value's bucket is the number of boundaries
    # <= it. Six equally frequent timestamps: the k-th smallest has CDF k/6,
    # so its bucket is ceil(1000 k / 6) - 1 (999 boundaries in all).
    T(features.TIMESTAMP, features.BUCKET): [166, 333, 499, 666, 833, 999],
    # Ages 20, 20, 40, 60, 40 have CDF 0.4, 0.8, 1.0: the 9 boundaries of 10
    # buckets are 20 x3, 40 x4, 60 x2. 20 -> 3, 40 -> 7, 60 -> 9, and the
    # missing age (imputed mean 36) -> 3.
    T(features.RAW_USER_AGE, features.BUCKET): [3, 3, 7, 3, 9, 7],
    features.MOVIE_ID: [row[features.MOVIE_ID] for row in ROWS],
}
FLOAT_OUTPUTS = (
    T(features.TIMESTAMP, features.Z_SCORE),
    T(features.RAW_USER_AGE, features.Z_SCORE),
)


def assert_expected(rows_out, names=None):
    """Checks transformed rows (in ROWS order) against EXPECTED."""
    for name in names or EXPECTED:
        got = [row[name] for row in rows_out]
        if name in FLOAT_OUTPUTS:
            np.testing.assert_allclose(got, EXPECTED[name], rtol=1e-6, atol=1e-7)
        elif isinstance(EXPECTED[name][0], list):
            assert [list(v) for v in got] == EXPECTED[name], name
        else:
            assert got == EXPECTED[name], name
