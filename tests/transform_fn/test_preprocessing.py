"""preprocessing_fn on the hand-written ratings of hand_written_ratings.py.

One Beam run (module fixture) over six ratings with missing values; the
serving tests then call the saved transform graph directly.
"""

import numpy as np
import pytest
import tensorflow as tf

from tests.transform_fn import transform_fn_testing
from tests.transform_fn.hand_written_ratings import (  # pylint: disable=g-multiple-import
    AGE_MEAN,
    AGE_STD,
    EXPECTED,
    FEATURE_SPEC,
    FOUR,
    ROWS,
    T,
    TITLE_TOKENS,
    TOY,
    VOCABULARIES,
    assert_expected,
)
from transform_fn import features
from transform_fn import sizes


@pytest.fixture(scope="module")
def transformed(tmp_path_factory):
    return transform_fn_testing.run_transform(
        ROWS,
        FEATURE_SPEC,
        str(tmp_path_factory.mktemp("preprocessing")),
        sort_by=T(features.TIMESTAMP, features.Z_SCORE),  # ROWS are in time order
    )


def column(rows, name):
    return [row[name] for row in rows]


@pytest.mark.parametrize("feature", sorted(VOCABULARIES))
def test_vocabulary_files_are_frequency_ordered(tf_transform_output, feature):
    vocabulary = tf_transform_output.vocabulary_by_name(features.vocabulary_name(feature))
    assert vocabulary == VOCABULARIES[feature]


def test_title_token_vocabulary(tf_transform_output):
    assert (
        tf_transform_output.vocabulary_by_name(features.TITLE_TOKENS_VOCABULARY)
        == TITLE_TOKENS
    )


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_transformed_values(rows_out, name):
    assert_expected(rows_out, [name])


def test_title_hash_is_farmhash_mod_bins(rows_out):
    hashes = column(rows_out, T(features.MOVIE_TITLE, features.HASH))
    titles = column(ROWS, features.MOVIE_TITLE)
    expected = tf.strings.to_hash_bucket_fast(titles, features.TITLE_HASH_BINS).numpy()
    assert hashes == list(expected)
    assert hashes[0] == hashes[2] != hashes[1]


def test_output_names_and_types(tf_transform_output):
    spec = tf_transform_output.transformed_feature_spec()
    index = {T(f, features.INDEX) for f in features.VOCABULARY_FEATURES}
    expected_fixed = {
        **{name: tf.int64 for name in index - {T(features.MOVIE_GENRES, features.INDEX)}},
        **{T(f, features.Z_SCORE): tf.float32 for f in features.Z_SCORE_FEATURES},
        **{T(f, features.BUCKET): tf.int64 for f in features.BUCKET_FEATURES},
        T(features.MOVIE_TITLE, features.HASH): tf.int64,
        features.MOVIE_ID: tf.string,
        features.TIMESTAMP: tf.int64,
    }
    expected_varlen = {
        T(features.MOVIE_GENRES, features.INDEX): tf.int64,
        T(features.MOVIE_TITLE, features.TOKENS): tf.int64,
    }
    assert set(spec) == set(expected_fixed) | set(expected_varlen)
    for name, dtype in expected_fixed.items():
        assert spec[name] == tf.io.FixedLenFeature([], dtype), name
    for name, dtype in expected_varlen.items():
        assert spec[name] == tf.io.VarLenFeature(dtype), name


def test_every_categorical_output_has_a_domain(tf_transform_output):
    # Sizes: vocabulary + 1 OOV id; n boundaries -> n + 1 bucket ids (the
    # quantile analyzer returns num_buckets - 1 boundaries); hash bins.
    assert sizes.categorical_sizes(tf_transform_output) == {
        T(features.USER_ID, features.INDEX): 4,
        T(features.MOVIE_ID, features.INDEX): 4,
        T(features.MOVIE_TITLE, features.INDEX): 4,
        T(features.MOVIE_GENRES, features.INDEX): 7,
        T(features.USER_OCCUPATION_TEXT, features.INDEX): 3,
        T(features.USER_GENDER, features.INDEX): 3,
        T(features.USER_ZIP_CODE, features.INDEX): 4,
        T(features.MOVIE_TITLE, features.TOKENS): 7,
        T(features.MOVIE_TITLE, features.HASH): features.TITLE_HASH_BINS,
        T(features.TIMESTAMP, features.BUCKET): features.TIMESTAMP_BUCKETS,
        T(features.RAW_USER_AGE, features.BUCKET): features.AGE_BUCKETS,
    }


def _sparse(rows, dtype):
    return tf.ragged.constant(rows, dtype=dtype).to_sparse()


def test_candidate_corpus_through_transform_layer(tf_transform_output):
    layer = tf_transform_output.transform_features_layer()
    movies = {
        features.MOVIE_ID: tf.constant([b"m3", b"m9"]),
        features.MOVIE_TITLE: tf.constant([FOUR, b"Heat (1995)"]),
        features.MOVIE_GENRES: _sparse([[16], [0, 16]], tf.int64),
    }
    out = layer(movies)
    assert set(out) == {
        features.MOVIE_ID,
        T(features.MOVIE_ID, features.INDEX),
        T(features.MOVIE_TITLE, features.INDEX),
        T(features.MOVIE_GENRES, features.INDEX),
        T(features.MOVIE_TITLE, features.TOKENS),
        T(features.MOVIE_TITLE, features.HASH),
    }
    # m9 and "Heat (1995)" are unseen: OOV ids 3; "heat" is OOV 6, 1995 is 0.
    assert out[T(features.MOVIE_ID, features.INDEX)].numpy().tolist() == [1, 3]
    assert out[T(features.MOVIE_TITLE, features.INDEX)].numpy().tolist() == [1, 3]
    assert tf.sparse.to_dense(out[T(features.MOVIE_GENRES, features.INDEX)]).numpy().tolist() == [
        [3, 0], [5, 3],
    ]
    assert tf.sparse.to_dense(out[T(features.MOVIE_TITLE, features.TOKENS)], -1).numpy().tolist() == [
        [4, 3, 0], [6, 0, -1],
    ]
    assert out[features.MOVIE_ID].numpy().tolist() == [b"m3", b"m9"]


def test_unseen_and_missing_values_at_serving(tf_transform_output):
    layer = tf_transform_output.transform_features_layer()
    raw = {
        features.USER_ID: tf.constant([b"u1", b"new-user"]),
        features.MOVIE_ID: tf.constant([b"m1", b"new-movie"]),
        features.MOVIE_TITLE: tf.constant([TOY, b"!!!"]),
        features.MOVIE_GENRES: _sparse([[2], [19]], tf.int64),
        # Far outside the analysed range 100..600.
        features.TIMESTAMP: tf.constant([-5, 10**10], tf.int64),
        features.USER_RATING: tf.constant([1.0, 5.0]),
        features.RAW_USER_AGE: _sparse([[], [200.0]], tf.float32),  # 1st missing
        features.USER_GENDER: _sparse([[7], []], tf.int64),  # 7 unseen, 2nd missing
        features.USER_OCCUPATION_TEXT: tf.constant([b"", b"astronaut"]),
        features.USER_ZIP_CODE: tf.constant([b"T8H1N", b"11111"]),
    }
    out = {k: v.numpy().tolist() for k, v in layer(raw).items() if isinstance(v, tf.Tensor)}
    assert out[T(features.USER_ID, features.INDEX)] == [0, 3]
    assert out[T(features.MOVIE_ID, features.INDEX)] == [0, 3]
    assert out[T(features.MOVIE_TITLE, features.INDEX)] == [0, 3]
    assert out[T(features.USER_GENDER, features.INDEX)] == [2, 2]
    assert out[T(features.USER_OCCUPATION_TEXT, features.INDEX)] == [2, 2]
    assert out[T(features.USER_ZIP_CODE, features.INDEX)] == [3, 0]
    assert out[T(features.TIMESTAMP, features.BUCKET)] == [0, 999]
    # Missing age -> the mean's bucket (3) and z 0; 200 -> the last bucket,
    # and the z-score of the analysed maximum (60): clipped, not extrapolated.
    assert out[T(features.RAW_USER_AGE, features.BUCKET)] == [3, 9]
    np.testing.assert_allclose(
        out[T(features.RAW_USER_AGE, features.Z_SCORE)], [0.0, (60 - AGE_MEAN) / AGE_STD],
        rtol=1e-6,
    )
    # Times before and after the analysed 100..600 get the edges' z-scores.
    edges = layer({features.TIMESTAMP: tf.constant([100, 600], tf.int64)})
    np.testing.assert_allclose(
        out[T(features.TIMESTAMP, features.Z_SCORE)],
        edges[T(features.TIMESTAMP, features.Z_SCORE)].numpy(),
        rtol=1e-6,
    )
    # The raw time passes through unchanged, for the trainer's histories.
    assert out[features.TIMESTAMP] == [-5, 10**10]
    genres = layer(raw)[T(features.MOVIE_GENRES, features.INDEX)]
    assert tf.sparse.to_dense(genres).numpy().tolist() == [[2], [6]]
    tokens = layer(raw)[T(features.MOVIE_TITLE, features.TOKENS)]
    # "!!!" standardizes to "": no tokens.
    assert tf.sparse.to_dense(tokens, -1).numpy().tolist() == [[1, 2, 0], [-1, -1, -1]]
