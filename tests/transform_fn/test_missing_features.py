"""Ratings without demographics (ml-20m / ml-25m) and with missing values.

The schema has no user features at all, ids and timestamps are ``[batch, 1]``
(what SchemaGen infers for a feature present once in every example), every
movie here has exactly one genre (so SchemaGen would give ``movie_genres`` a
fixed shape too) and one rating lacks its title.
"""

import pytest
import tensorflow as tf

from tests.transform_fn import transform_fn_testing
from transform_fn import features
from transform_fn import sizes

T = features.transformed_name

FEATURE_SPEC = {
    features.USER_ID: tf.io.FixedLenFeature([1], tf.string),
    features.MOVIE_ID: tf.io.FixedLenFeature([1], tf.string),
    features.MOVIE_TITLE: tf.io.VarLenFeature(tf.string),
    features.MOVIE_GENRES: tf.io.FixedLenFeature([1], tf.int64),
    features.TIMESTAMP: tf.io.FixedLenFeature([1], tf.int64),
    features.USER_RATING: tf.io.FixedLenFeature([1], tf.float32),
}
# user, movie, title ([] = missing), genre, timestamp
ROWS = [
    {
        features.USER_ID: [user],
        features.MOVIE_ID: [movie],
        features.MOVIE_TITLE: title,
        # Genre 0 ("Action") is a value, not padding.
        features.MOVIE_GENRES: [genre],
        features.TIMESTAMP: [ts],
        features.USER_RATING: [3.5],
    }
    for user, movie, title, genre, ts in [
        (b"7", b"1", [b"Toy Story (1995)"], 0, 10),
        (b"7", b"2", [b"Jumanji (1995)"], 5, 20),
        (b"8", b"1", [], 0, 30),
        (b"9", b"1", [b"Toy Story (1995)"], 0, 40),
    ]
]
MOVIE_OUTPUTS = {
    features.MOVIE_ID,
    T(features.MOVIE_ID, features.INDEX),
    T(features.MOVIE_TITLE, features.INDEX),
    T(features.MOVIE_GENRES, features.INDEX),
    T(features.MOVIE_TITLE, features.TOKENS),
    T(features.MOVIE_TITLE, features.HASH),
}
QUERY_OUTPUTS = {
    features.TIMESTAMP,
    T(features.USER_ID, features.INDEX),
    T(features.TIMESTAMP, features.Z_SCORE),
    T(features.TIMESTAMP, features.BUCKET),
}


@pytest.fixture(scope="module")
def transformed(tmp_path_factory):
    return transform_fn_testing.run_transform(
        ROWS,
        FEATURE_SPEC,
        str(tmp_path_factory.mktemp("missing")),
        sort_by=T(features.TIMESTAMP, features.Z_SCORE),
    )


def test_outputs_only_for_present_features(transformed):
    rows_out, tf_transform_output, _ = transformed
    assert set(tf_transform_output.transformed_feature_spec()) == MOVIE_OUTPUTS | QUERY_OUTPUTS
    assert set(rows_out[0]) == MOVIE_OUTPUTS | QUERY_OUTPUTS
    assert set(sizes.categorical_sizes(tf_transform_output)) == (
        MOVIE_OUTPUTS | QUERY_OUTPUTS
    ) - {features.MOVIE_ID, features.TIMESTAMP, T(features.TIMESTAMP, features.Z_SCORE)}


def test_missing_title_and_fixed_shape_genres(transformed):
    rows_out, tf_transform_output, _ = transformed
    column = lambda name: [row[name] for row in rows_out]  # noqa: E731
    # Titles: Toy Story x2, Jumanji x1; the missing one is OOV (2).
    assert column(T(features.MOVIE_TITLE, features.INDEX)) == [0, 1, 2, 0]
    # Tokens: 1995 x3, toy x2, story x2, jumanji x1; no tokens when missing.
    assert [list(t) for t in column(T(features.MOVIE_TITLE, features.TOKENS))] == [
        [1, 2, 0], [3, 0], [], [1, 2, 0],
    ]
    # A missing title hashes as the empty string, as Keras Hashing would.
    empty_hash = tf.strings.to_hash_bucket_fast([""], features.TITLE_HASH_BINS)
    assert column(T(features.MOVIE_TITLE, features.HASH))[2] == empty_hash.numpy()[0]
    # Genre 0 three times, 5 once.
    assert tf_transform_output.vocabulary_by_name(
        features.vocabulary_name(features.MOVIE_GENRES)
    ) == [b"0", b"5"]
    assert [list(g) for g in column(T(features.MOVIE_GENRES, features.INDEX))] == [
        [0], [1], [0], [0],
    ]
    assert column(features.MOVIE_ID) == [b"1", b"2", b"1", b"1"]
    # Users 7 x2, then 8 and 9 once each: the tie goes to "9" first.
    assert column(T(features.USER_ID, features.INDEX)) == [0, 0, 2, 1]


def test_movie_corpus_through_transform_layer(transformed):
    _, tf_transform_output, _ = transformed
    layer = tf_transform_output.transform_features_layer()
    out = layer(
        {
            features.MOVIE_ID: tf.constant([[b"2"], [b"3"]]),
            features.MOVIE_TITLE: tf.ragged.constant([[b"Jumanji (1995)"], []]).to_sparse(),
            features.MOVIE_GENRES: tf.constant([[5], [17]], tf.int64),
        }
    )
    assert set(out) == MOVIE_OUTPUTS
    assert out[T(features.MOVIE_ID, features.INDEX)].numpy().tolist() == [1, 2]
    assert out[T(features.MOVIE_TITLE, features.INDEX)].numpy().tolist() == [1, 2]
    genres = tf.sparse.to_dense(out[T(features.MOVIE_GENRES, features.INDEX)])
    assert genres.numpy().tolist() == [[1], [2]]
