"""Tests of record -> tf.train.Example conversion, one by one and in batches."""

import pytest
import tensorflow as tf

from components.movielens_example_gen import records
from transform_fn import features

RATING = {
    features.USER_ID: "42",
    features.MOVIE_ID: "7",
    features.MOVIE_TITLE: "Misérables, Les (1995)",
    features.MOVIE_GENRES: [7, 16],
    features.TIMESTAMP: 875071561,
    features.USER_RATING: 4.0,
    features.USER_GENDER: 1,
    features.RAW_USER_AGE: 17.0,
    features.BUCKETIZED_USER_AGE: 1.0,
    features.USER_OCCUPATION_LABEL: 3,
    features.USER_OCCUPATION_TEXT: "writer",
    features.USER_ZIP_CODE: "T8H1N",
}
WITHOUT_DEMOGRAPHICS = {
    name: RATING[name]
    for name in (
        features.USER_ID,
        features.MOVIE_ID,
        features.MOVIE_TITLE,
        features.MOVIE_GENRES,
        features.TIMESTAMP,
        features.USER_RATING,
    )
}
MOVIE_WITHOUT_GENRES = {features.MOVIE_ID: "9", features.MOVIE_TITLE: "Untitled", features.MOVIE_GENRES: []}


def _parsed(serialized):
    return [tf.train.Example.FromString(example) for example in serialized]


def test_batch_encoding_equals_one_by_one_for_mixed_records():
    batch = [RATING, WITHOUT_DEMOGRAPHICS, MOVIE_WITHOUT_GENRES, {**RATING, features.USER_ID: "43"}]

    got = _parsed(records.to_serialized_examples(batch))

    assert got == [records.to_example(record) for record in batch]
    assert features.USER_ZIP_CODE not in got[1].features.feature
    assert records.from_example(got[3]) == {**RATING, features.USER_ID: "43"}


def test_batch_encoding_rejects_unknown_feature_by_name():
    with pytest.raises(KeyError, match="user_mood"):
        records.to_serialized_examples([{**RATING, "user_mood": "happy"}])
