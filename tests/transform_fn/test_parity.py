"""Parity of the transform with the seed tutorial's Keras preprocessing layers.

The same 400 synthetic ratings go through tf.Transform (equal-width bucketing,
as the seed) and through the TFRS featurization tutorial's layers, adapted as
the tutorial adapts them. Index mappings, where the two differ by design:

- ``StringLookup``: Keras puts ``[UNK]`` at 0 and the vocabulary at 1..V;
  tf.Transform puts the vocabulary at 0..V-1 and OOV at V. So
  ``keras = (tft + 1) % (V + 1)``.
- ``TextVectorization``: Keras reserves 0 (padding) and 1 (``[UNK]``); tokens
  are 2..V+1. tf.Transform: tokens 0..V-1, OOV V, no padding (variable
  length). So ``keras = tft + 2`` in the vocabulary and ``1`` for OOV.
- ``Hashing`` and ``Discretization``: identical ids.
"""

import numpy as np
import pytest
import tensorflow as tf

from tests.transform_fn import transform_fn_testing
from transform_fn import features
from transform_fn import preprocessing

T = features.transformed_name
N_RATINGS = 400
TITLES = [
    "Star Wars (1977)",
    "Monty Python's Life of Brian (1979)",
    "Dr. Strangelove or: How I Learned to Stop Worrying and Love the Bomb (1963)",
    "Wallace & Gromit: The Best of Aardman Animation (1996)",
    "Seven (Se7en) (1995)",
    "Things to Do in Denver when You're Dead (1995)",
    "City of Lost Children, The (1995)",
    "Mr. Holland's Opus (1995)",
    "Misérables, Les (1995)",
    "Chasing Amy (1997)",
    "unknown",
    "8 1/2 (1963)",
    "Evita (1996)",
    "E.T. the Extra-Terrestrial (1982)",
    "Ghost in the Shell (Kokaku kidotai) (1995)",
    "M*A*S*H (1970)",
]
FEATURE_SPEC = {
    features.USER_ID: tf.io.FixedLenFeature([], tf.string),
    features.MOVIE_ID: tf.io.FixedLenFeature([], tf.string),
    features.MOVIE_TITLE: tf.io.FixedLenFeature([], tf.string),
    features.MOVIE_GENRES: tf.io.VarLenFeature(tf.int64),
    features.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64),
    features.RAW_USER_AGE: tf.io.FixedLenFeature([], tf.float32),
}


def _ratings():
    rng = np.random.default_rng(7)
    # ml-100k's time range; unique, so the rows sort back by their z-score.
    timestamps = np.sort(rng.choice(np.arange(874724710, 893286638), N_RATINGS, replace=False))
    # Skewed popularity, so that vocabulary order is by frequency with ties.
    users = rng.zipf(1.5, N_RATINGS) % 60
    movies = rng.zipf(1.3, N_RATINGS) % len(TITLES)
    ages = rng.integers(7, 73, size=60).astype(np.float32) + 0.5
    return [
        {
            features.USER_ID: str(u).encode(),
            features.MOVIE_ID: str(m + 1).encode(),
            features.MOVIE_TITLE: TITLES[m].encode(),
            features.MOVIE_GENRES: [int(m % 19)],
            features.TIMESTAMP: int(ts),
            features.RAW_USER_AGE: float(ages[u]),
        }
        for u, m, ts in zip(users, movies, timestamps)
    ]


RATINGS = _ratings()


@pytest.fixture(scope="module")
def transformed(tmp_path_factory):
    return transform_fn_testing.run_transform(
        RATINGS,
        FEATURE_SPEC,
        str(tmp_path_factory.mktemp("parity")),
        sort_by=T(features.TIMESTAMP, features.Z_SCORE),
        custom_config={features.BUCKETING_CONFIG_KEY: features.BUCKETING_EQUAL_WIDTH},
    )


def raw(feature):
    return np.array([r[feature] for r in RATINGS])


def out(rows_out, name):
    return [r[name] for r in rows_out]


def ratings_dataset(feature):
    return tf.data.Dataset.from_tensor_slices(raw(feature))


@pytest.mark.parametrize("feature", [features.USER_ID, features.MOVIE_TITLE])
def test_string_lookup(rows_out, tf_transform_output, feature):
    lookup = tf.keras.layers.StringLookup()
    lookup.adapt(ratings_dataset(feature))
    keras_vocabulary = lookup.get_vocabulary()
    assert keras_vocabulary[0] == "[UNK]"
    tft_vocabulary = tf_transform_output.vocabulary_by_name(features.vocabulary_name(feature))
    assert [v.encode() for v in keras_vocabulary[1:]] == tft_vocabulary
    size = len(tft_vocabulary)
    # The data has ties in count: same tie-break (decreasing bytes) on both.
    counts = {}
    for v in raw(feature):
        counts[v] = counts.get(v, 0) + 1
    assert len(set(counts.values())) < len(counts)

    keras_ids = lookup(raw(feature)).numpy()
    tft_ids = np.array(out(rows_out, T(feature, features.INDEX)))
    np.testing.assert_array_equal(keras_ids, (tft_ids + 1) % (size + 1))

    # Unseen at serving: tft OOV (size) <-> Keras [UNK] (0).
    unseen = tf.constant([b"never seen"])
    layer_ids = tf_transform_output.transform_features_layer()({feature: unseen})
    assert layer_ids[T(feature, features.INDEX)].numpy().tolist() == [size]
    assert lookup(unseen).numpy().tolist() == [0]


def test_hashing(rows_out):
    hashing = tf.keras.layers.Hashing(num_bins=features.TITLE_HASH_BINS)
    np.testing.assert_array_equal(
        hashing(raw(features.MOVIE_TITLE)).numpy(),
        out(rows_out, T(features.MOVIE_TITLE, features.HASH)),
    )


def test_normalization_of_ages(rows_out):
    normalization = tf.keras.layers.Normalization(axis=None)
    normalization.adapt(ratings_dataset(features.RAW_USER_AGE).batch(1024))
    np.testing.assert_allclose(
        out(rows_out, T(features.RAW_USER_AGE, features.Z_SCORE)),
        normalization(raw(features.RAW_USER_AGE)).numpy(),
        atol=1e-5,
    )


def test_normalization_of_timestamps(rows_out):
    """tf.Transform is exact; Keras's float32 arithmetic is ~2e-5 off here.

    Keras Normalization casts timestamps (~8.8e8, float32 spacing 64 s) and
    accumulates the mean in float32; the z-score is off by tens of seconds
    over a standard deviation of ~5e6 s. tf.Transform computes mean and
    (population) variance in float64 and rounds only the z-score to float32.
    """
    timestamps = raw(features.TIMESTAMP)
    normalization = tf.keras.layers.Normalization(axis=None)
    normalization.adapt(ratings_dataset(features.TIMESTAMP).batch(1024))
    keras_z = normalization(timestamps).numpy()
    exact_z = (timestamps - timestamps.mean()) / timestamps.std()  # float64, ddof=0
    tft_z = np.array(out(rows_out, T(features.TIMESTAMP, features.Z_SCORE)))
    np.testing.assert_allclose(tft_z, exact_z, atol=1e-6)
    np.testing.assert_allclose(tft_z, keras_z, atol=5e-5)
    # Same formula once float32 rounding of the input is out of the way:
    # timestamps relative to the first one are exact in float32.
    offsets = (timestamps - timestamps[0]).astype(np.float32)
    normalization = tf.keras.layers.Normalization(axis=None)
    normalization.adapt(tf.data.Dataset.from_tensor_slices(offsets).batch(1024))
    np.testing.assert_allclose(tft_z, normalization(offsets).numpy(), atol=1e-5)


@pytest.mark.parametrize(
    "feature", [features.TIMESTAMP, features.RAW_USER_AGE]
)
def test_equal_width_discretization(rows_out, feature):
    # The tutorial: np.linspace over the min and max, then Discretization.
    values = raw(feature)
    boundaries = np.linspace(values.min(), values.max(), num=features.BUCKET_FEATURES[feature])
    discretization = tf.keras.layers.Discretization(boundaries.tolist())
    keras_buckets = discretization(values).numpy()
    tft_buckets = out(rows_out, T(feature, features.BUCKET))
    np.testing.assert_array_equal(keras_buckets, tft_buckets)
    # Not degenerate: the values spread over many buckets.
    assert len(set(tft_buckets)) > min(len(boundaries), len(set(values))) // 2


def test_equal_width_boundaries_equal_numpy_linspace():
    for start, stop, count in [(874724710, 893286638, 1000), (7.5, 72.5, 10), (3, 3, 5)]:
        ours = preprocessing.equal_width_boundaries(
            tf.constant(start), tf.constant(stop), count
        ).numpy()[0]
        np.testing.assert_array_equal(ours, np.linspace(start, stop, count).astype(np.float32))


def test_text_vectorization(rows_out, tf_transform_output):
    import tf_keras.src.layers.preprocessing.text_vectorization as keras_text  # pylint: disable=g-import-not-at-top

    assert preprocessing.KERAS_STRIP_PUNCTUATION_REGEX == keras_text.DEFAULT_STRIP_REGEX
    vectorization = tf.keras.layers.TextVectorization()
    vectorization.adapt(ratings_dataset(features.MOVIE_TITLE))
    keras_vocabulary = vectorization.get_vocabulary()
    assert keras_vocabulary[:2] == ["", "[UNK]"]
    tft_vocabulary = tf_transform_output.vocabulary_by_name(features.TITLE_TOKENS_VOCABULARY)
    assert [v.encode() for v in keras_vocabulary[2:]] == tft_vocabulary
    assert b"se7en" in tft_vocabulary and b"mis\xc3\xa9rables" in tft_vocabulary

    keras_tokens = vectorization(raw(features.MOVIE_TITLE)).numpy()
    size = len(tft_vocabulary)
    for keras_row, tft_row in zip(keras_tokens, out(rows_out, T(features.MOVIE_TITLE, features.TOKENS))):
        mapped = [t + 2 if t < size else 1 for t in tft_row]
        assert keras_row[: len(mapped)].tolist() == mapped
        assert not keras_row[len(mapped):].any()  # Keras pads with 0
