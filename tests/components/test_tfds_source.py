"""Tests of the TFDS source under TFDS's own mock-data facility (offline)."""

import pytest
import tensorflow_datasets as tfds

from components.movielens_example_gen import spec, tfds_source
from tests.components.example_gen_testing import properties, read_split, run_executor
from transform_fn import features


def test_movies_builder_matches_ratings_builder():
    assert tfds_source.movies_builder_name("movielens/1m-ratings") == "movielens/1m-movies"


def test_reads_mock_ratings_into_tfds_named_features(tmp_path):
    with tfds.testing.mock_data(num_examples=30):
        examples, candidates = run_executor(
            str(tmp_path / "out"),
            properties(source=spec.SOURCE_TFDS, tfds_name="movielens/100k-ratings", tfds_download=1),
        )
    ratings = read_split(examples.uri, "train") + read_split(examples.uri, "eval")
    assert len(ratings) == 30
    expected = {
        **features.RATING_FEATURE_KINDS,
        **features.DEMOGRAPHIC_FEATURE_KINDS,
        **features.RAW_AGE_FEATURE_KINDS,
    }
    assert set(ratings[0]) == set(expected)
    assert ratings[0][features.USER_GENDER] in (0, 1)
    corpus_ids = {m[features.MOVIE_ID] for m in read_split(candidates.uri, spec.CANDIDATES_SPLIT)}
    assert {r[features.MOVIE_ID] for r in ratings} <= corpus_ids


def test_unprepared_data_without_download_says_how_to_go_offline(tmp_path):
    reader = tfds_source.read_tfds("movielens/100k-ratings", str(tmp_path), download=False)
    with pytest.raises(tfds_source.TfdsUnavailableError, match="not prepared"):
        next(reader)
