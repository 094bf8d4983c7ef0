"""The tf.Transform ``preprocessing_fn`` of the MovieLens retrieval pipeline.

Computes in Beam, at parity with the TFRS featurization tutorial's Keras layers
(see ``transform_fn/README.md`` for the index mapping):

- frequency-ordered vocabularies with OOV buckets for
  ``features.VOCABULARY_FEATURES`` (``StringLookup``);
- z-scores for ``features.Z_SCORE_FEATURES`` (``Normalization``), of the
  value clipped to the analysed range;
- buckets for ``features.BUCKET_FEATURES``: quantile boundaries, or the seed's
  equal-width boundaries over the analysed min and max (``Discretization``);
- title tokens through a top-k token vocabulary (``TextVectorization``);
- title hash bins (``Hashing``), and the raw ``movie_id`` and ``timestamp``
  passed through.

A feature absent from the input schema (ml-20m/25m have no demographics)
produces no outputs; every output depends only on its own raw feature, so a
caller may feed a subset of the raw features (the movie corpus feeds
``movie_id``, ``movie_title`` and ``movie_genres``) and get their outputs.
Missing values inside a present feature: strings and ids map to the OOV
index, numbers to the analysed mean (z-score 0), lists to an empty list.
"""

import logging
from typing import Any, Dict, Mapping, Optional

import tensorflow as tf
import tensorflow_transform as tft
from tensorflow_transform import schema_inference

from transform_fn import features
from transform_fn import inputs as raw_inputs

# Keras TextVectorization's default standardization, "lower_and_strip_punctuation"
# (tf_keras text_vectorization.DEFAULT_STRIP_REGEX): ASCII-lowercase, then
# delete these characters; the split is on whitespace.
KERAS_STRIP_PUNCTUATION_REGEX = r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']'

# Put where an example lacks a single-valued categorical feature: never in a
# vocabulary (tf.Transform drops empty strings from text vocabularies, and
# MovieLens ids are not negative), so a missing value maps to the OOV index.
MISSING_BYTES = b""
MISSING_INT64 = -1

# How tf.Transform runs this ``preprocessing_fn`` (its ``force_tf_compat_v1``):
# in TF1 graph mode. The TF2 mode traces the function once per analysis phase
# and writes and reloads TF2 SavedModels between phases, which costs more
# than the analysis itself, for the same outputs (docs/benchmarks.md). The
# transform graph it writes serves from TF2 through
# ``TFTransformOutput.transform_features_layer()`` all the same.
FORCE_TF_COMPAT_V1 = True

_RAW_KINDS: Dict[str, str] = {
    **features.RATING_FEATURE_KINDS,
    **features.DEMOGRAPHIC_FEATURE_KINDS,
    **features.RAW_AGE_FEATURE_KINDS,
}
_BUCKETINGS = (features.BUCKETING_QUANTILE, features.BUCKETING_EQUAL_WIDTH)


def preprocessing_fn(
    inputs: Mapping[str, Any], custom_config: Optional[Mapping[str, Any]] = None
) -> Dict[str, Any]:
    """Transforms raw MovieLens features; see the module docstring.

    Args:
      inputs: Raw feature name to a dense, sparse or ragged batch, as parsed
        from the schema. Features absent from the schema are skipped.
      custom_config: The Transform component's ``custom_config``. Key
        ``features.BUCKETING_CONFIG_KEY``: ``features.BUCKETING_QUANTILE``
        (default) or ``features.BUCKETING_EQUAL_WIDTH``.

    Returns:
      Transformed feature name to tensor (names in ``features``).

    Raises:
      ValueError: If ``custom_config`` names an unknown bucketing.
    """
    bucketing = _bucketing(custom_config)
    outputs: Dict[str, Any] = {}
    absent = [f for f in _used_raw_features() if f not in inputs]
    if absent:
        logging.info("No transformed outputs for absent raw features: %s", absent)

    for name in features.VOCABULARY_FEATURES:
        if name in inputs:
            outputs[features.transformed_name(name, features.INDEX)] = (
                _vocabulary_index(name, inputs[name])
            )

    numeric = dict.fromkeys(features.Z_SCORE_FEATURES + tuple(features.BUCKET_FEATURES))
    for name in numeric:
        if name in inputs:
            outputs.update(_numeric_outputs(name, inputs[name], bucketing))

    if features.MOVIE_TITLE in inputs:
        title = raw_inputs.scalar(inputs[features.MOVIE_TITLE], MISSING_BYTES).dense
        outputs[features.transformed_name(features.MOVIE_TITLE, features.TOKENS)] = (
            _title_token_ids(title)
        )
        outputs[features.transformed_name(features.MOVIE_TITLE, features.HASH)] = (
            hash_title(title)
        )

    for name in features.PASSTHROUGH_FEATURES:
        if name in inputs:
            outputs[name] = raw_inputs.scalar(inputs[name], _missing(name)).dense
    return outputs


def standardize_title(titles: tf.Tensor) -> tf.Tensor:
    """Keras ``TextVectorization()``'s default standardization of ``[batch]`` text."""
    return tf.strings.regex_replace(
        tf.strings.lower(titles), KERAS_STRIP_PUNCTUATION_REGEX, ""
    )


def tokenize_title(titles: tf.Tensor) -> tf.RaggedTensor:
    """Standardized whitespace tokens of ``[batch]`` titles, as Keras splits them."""
    return tf.strings.split(standardize_title(titles))


def hash_title(titles: tf.Tensor) -> tf.Tensor:
    """Keras ``Hashing(num_bins=TITLE_HASH_BINS)`` bins, with an int domain.

    Keras ``Hashing`` without a salt calls ``tf.strings.to_hash_bucket_fast``
    (FarmHash fingerprint modulo the bin count), as ``tft.hash_strings`` does.
    """
    bins = features.TITLE_HASH_BINS
    hashed = tft.hash_strings(titles, bins)
    _set_int_domain(hashed, bins)
    return hashed


def equal_width_boundaries(
    minimum: tf.Tensor, maximum: tf.Tensor, count: int
) -> tf.Tensor:
    """``np.linspace(minimum, maximum, count)`` as float32 bucket boundaries.

    Reproduces numpy's float64 arithmetic (``start + i * ((stop - start) /
    (count - 1))``, the last value set to ``stop``) and rounds to float32, the
    precision Keras ``Discretization`` compares in (its ``Bucketize`` op takes
    float boundaries), so the bucket ids are the seed's exactly.

    Args:
      minimum: Scalar, the analysed minimum.
      maximum: Scalar, the analysed maximum.
      count: Number of boundaries, at least 2.

    Returns:
      A ``[1, count]`` float32 tensor, as ``tft.apply_buckets`` takes.
    """
    if count < 2:
        raise ValueError(f"Need at least 2 equal-width boundaries, got {count}")
    start = tf.cast(minimum, tf.float64)
    stop = tf.cast(maximum, tf.float64)
    step = (stop - start) / float(count - 1)
    inner = tf.range(count - 1, dtype=tf.float64) * step + start
    boundaries = tf.concat([inner, tf.reshape(stop, [1])], axis=0)
    return tf.expand_dims(tf.cast(boundaries, tf.float32), axis=0)


def _bucketing(custom_config: Optional[Mapping[str, Any]]) -> str:
    bucketing = (custom_config or {}).get(
        features.BUCKETING_CONFIG_KEY, features.BUCKETING_QUANTILE
    )
    if bucketing not in _BUCKETINGS:
        raise ValueError(
            f"custom_config[{features.BUCKETING_CONFIG_KEY!r}] must be one of "
            f"{_BUCKETINGS}, got {bucketing!r}"
        )
    return bucketing


def _used_raw_features():
    return dict.fromkeys(
        features.VOCABULARY_FEATURES
        + features.Z_SCORE_FEATURES
        + tuple(features.BUCKET_FEATURES)
        + (features.MOVIE_TITLE,)
        + features.PASSTHROUGH_FEATURES
    )


def _missing(name: str):
    return MISSING_BYTES if _RAW_KINDS[name] == features.BYTES else MISSING_INT64


def _vocabulary_index(name: str, raw) -> Any:
    """Frequency-ordered vocabulary ids; OOV (and missing) after the vocabulary."""
    if name in features.MULTIVALENT_FEATURES:
        analysed = applied = raw_inputs.multivalent(raw)
    else:
        value = raw_inputs.scalar(raw, _missing(name))
        analysed, applied = value.values, value.dense
    # The approximate analyzer is a combiner, so tf.Transform packs all seven
    # into one Beam pass with the means, variances and quantiles; tft.vocabulary
    # is a dozen or so Beam stages each, seconds of fixed cost in every run
    # (docs/benchmarks.md). Below EXACT_VOCABULARY_LIMIT distinct values its
    # counts, order and ties are tft.vocabulary's exactly.
    vocabulary = tft.experimental.approximate_vocabulary(
        analysed,
        top_k=features.EXACT_VOCABULARY_LIMIT,
        vocab_filename=features.vocabulary_name(name),
        name=f"{name}_vocabulary",
    )
    return tft.apply_vocabulary(
        applied, vocabulary, num_oov_buckets=features.VOCAB_OOV_BUCKETS
    )


def _numeric_outputs(name: str, raw, bucketing: str) -> Dict[str, tf.Tensor]:
    """z-score and bucket of a number; a missing value counts as the mean."""
    value = raw_inputs.scalar(raw, 0)
    values = tf.cast(value.values, tf.float64)
    x = tf.cast(value.dense, tf.float64)
    mean = tft.mean(values, name=f"{name}_mean")
    minimum = tft.min(value.values, name=f"{name}_min")
    maximum = tft.max(value.values, name=f"{name}_max")
    outputs = {}
    if name in features.Z_SCORE_FEATURES:
        # Population variance, as Keras Normalization and tft.scale_to_z_score.
        std = tf.sqrt(tft.var(values, name=f"{name}_var"))
        # Clipped to the analysed range first: a value past it (a query at
        # "now", months after the data) gets the z-score of the range's edge
        # instead of an extrapolation the model never saw (Keras
        # Normalization does not clip; inside the range the two agree).
        clipped = tf.clip_by_value(
            x, tf.cast(minimum, tf.float64), tf.cast(maximum, tf.float64)
        )
        centred = clipped - mean
        # A constant feature is only centred (tft.scale_to_z_score's rule).
        z = tf.where(std > 0, centred / tf.where(std > 0, std, 1.0), centred)
        z = tf.where(value.present, z, tf.zeros_like(z))
        outputs[features.transformed_name(name, features.Z_SCORE)] = tf.cast(
            z, tf.float32
        )
    if name in features.BUCKET_FEATURES:
        count = features.BUCKET_FEATURES[name]
        if bucketing == features.BUCKETING_EQUAL_WIDTH:
            boundaries = equal_width_boundaries(minimum, maximum, count)
        else:
            boundaries = tft.quantiles(
                tf.cast(value.values, tf.float32),
                num_buckets=count,
                epsilon=min(1.0 / count, 0.01),
                name=f"{name}_quantiles",
            )
        imputed = tf.where(value.present, x, mean)
        # float32 comparisons, as Keras Discretization's Bucketize op makes.
        outputs[features.transformed_name(name, features.BUCKET)] = tft.apply_buckets(
            tf.cast(imputed, tf.float32), boundaries
        )
    return outputs


def _title_token_ids(title: tf.Tensor) -> tf.SparseTensor:
    """Title token ids through the top-k token vocabulary; OOV after it."""
    tokens = tokenize_title(title).to_sparse()
    vocabulary = tft.vocabulary(
        tokens,
        top_k=features.TITLE_TOKEN_VOCAB_SIZE,
        vocab_filename=features.TITLE_TOKENS_VOCABULARY,
        name="movie_title_token_vocabulary",
    )
    return tft.apply_vocabulary(
        tokens, vocabulary, num_oov_buckets=features.VOCAB_OOV_BUCKETS
    )


def _set_int_domain(ids: tf.Tensor, size: int) -> None:
    """Records int domain [0, size - 1] for ``ids`` in the transformed schema."""
    schema_inference.set_tensor_schema_override(
        ids, tf.constant(0, tf.int64), tf.constant(size - 1, tf.int64)
    )
