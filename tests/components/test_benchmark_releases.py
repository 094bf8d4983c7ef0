"""The benchmarks' GroupLens releases of synthetic data read back whole."""

import os
import sys

import pytest

from components.movielens_example_gen import spec
from movielens_simulator import synthetic
from tests.components.example_gen_testing import properties, read_split, run_executor
from transform_fn import features

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import grouplens_archives  # noqa: E402  pylint: disable=wrong-import-position


@pytest.mark.parametrize("release", grouplens_archives.RELEASES)
def test_every_synthetic_rating_and_movie_reads_back(release, tmp_path):
    config = synthetic.SyntheticConfig(num_ratings=600, seed=5)
    folder = grouplens_archives.write_release(release, config, str(tmp_path))
    examples, candidates = run_executor(
        str(tmp_path / "out"), properties(source=spec.SOURCE_GROUPLENS, input_path=folder)
    )
    assert examples.get_int_custom_property(spec.BAD_ROWS_COUNT_PROPERTY) == 0
    ratings = read_split(examples.uri, "train") + read_split(examples.uri, "eval")
    generated = list(synthetic.generate_ratings(config, 0, 1))
    key = (features.USER_ID, features.MOVIE_ID, features.TIMESTAMP)
    assert sorted(tuple(r[k] for k in key) for r in ratings) == sorted(
        tuple(r[k] for k in key) for r in generated
    )
    movies = read_split(candidates.uri, spec.CANDIDATES_SPLIT)
    assert len(movies) == len(synthetic.generate_movies(config))
    if release == grouplens_archives.ML_25M:
        # No users file: the release carries ratings and movies only.
        assert not any(r.get(features.USER_OCCUPATION_TEXT) for r in ratings)
        # Titles with a comma are quoted, as in the real release, and read back whole.
        with open(os.path.join(folder, "movies.csv"), encoding="utf-8") as handle:
            quoted = [line for line in handle if '"' in line]
        assert quoted
        titles = {m[features.MOVIE_TITLE] for m in movies}
        assert {line.split('"')[1] for line in quoted} <= titles
    else:
        assert all(r[features.USER_OCCUPATION_TEXT] for r in ratings)


@pytest.mark.parametrize("release", grouplens_archives.RELEASES)
def test_ratings_written_by_two_processes_are_the_same_lines(release, tmp_path):
    config = synthetic.SyntheticConfig(num_ratings=600, seed=5)
    alone = grouplens_archives.write_release(release, config, str(tmp_path / "one"))
    shared = grouplens_archives.write_release(release, config, str(tmp_path / "two"), processes=2)
    for name in os.listdir(alone):
        with open(os.path.join(alone, name), "rb") as one, open(os.path.join(shared, name), "rb") as two:
            lines_alone, lines_shared = one.read().splitlines(), two.read().splitlines()
        assert lines_alone[0] == lines_shared[0], name
        assert sorted(lines_alone) == sorted(lines_shared), name
    assert sorted(os.listdir(alone)) == sorted(os.listdir(shared))
