"""Invariants of the feature contract in transform_fn/features.py."""

from transform_fn import features

_RAW = {
    **features.RATING_FEATURE_KINDS,
    **features.DEMOGRAPHIC_FEATURE_KINDS,
    **features.RAW_AGE_FEATURE_KINDS,
}


def _transformed_names():
    t = features.transformed_name
    return (
        [t(f, features.INDEX) for f in features.VOCABULARY_FEATURES]
        + [t(f, features.Z_SCORE) for f in features.Z_SCORE_FEATURES]
        + [t(f, features.BUCKET) for f in features.BUCKET_FEATURES]
        + [t(features.MOVIE_TITLE, features.TOKENS), t(features.MOVIE_TITLE, features.HASH)]
        + list(features.PASSTHROUGH_FEATURES)
    )


def test_transformed_inputs_are_raw_features():
    used = (
        features.VOCABULARY_FEATURES
        + features.Z_SCORE_FEATURES
        + tuple(features.BUCKET_FEATURES)
        + features.PASSTHROUGH_FEATURES
    )
    assert set(used) <= set(_RAW)
    assert all(_RAW[f] != features.BYTES for f in features.Z_SCORE_FEATURES)
    assert all(_RAW[f] != features.BYTES for f in features.BUCKET_FEATURES)


def test_transformed_names_are_unique():
    names = _transformed_names()
    assert len(names) == len(set(names))


def test_vocabulary_files_are_unique():
    files = [features.vocabulary_name(f) for f in features.VOCABULARY_FEATURES]
    files.append(features.TITLE_TOKENS_VOCABULARY)
    assert len(files) == len(set(files))


def test_bucketings_and_sizes():
    assert features.BUCKETING_QUANTILE != features.BUCKETING_EQUAL_WIDTH
    assert all(n >= 2 for n in features.BUCKET_FEATURES.values())
    assert features.VOCAB_OOV_BUCKETS >= 1
