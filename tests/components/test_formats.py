"""Tests of GroupLens format detection and line parsing."""

import os

import pytest

from components.movielens_example_gen import formats
from tests.components import grouplens_fixtures as fixtures
from transform_fn import features


@pytest.mark.parametrize(
    "writer, expected",
    [
        (fixtures.write_100k, formats.FORMAT_100K),
        (fixtures.write_1m, formats.FORMAT_1M),
        (fixtures.write_csv, formats.FORMAT_CSV),
    ],
)
def test_detects_each_release_in_folder_and_zip(tmp_path, writer, expected):
    folder = writer(str(tmp_path))
    for location in (folder, fixtures.zip_folder(folder)):
        layout = formats.detect_layout(location)
        assert layout.format_name == expected
        assert (layout.users is None) == (expected == formats.FORMAT_CSV)


def test_missing_location_is_named(tmp_path):
    missing = str(tmp_path / "nowhere.zip")
    with pytest.raises(FileNotFoundError, match="nowhere.zip"):
        formats.detect_layout(missing)


def test_empty_archive_is_an_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="empty"):
        formats.detect_layout(str(empty))


def test_release_missing_a_file_names_it(tmp_path):
    folder = fixtures.write_100k(str(tmp_path))
    os.remove(os.path.join(folder, "u.user"))
    with pytest.raises(ValueError, match="has no u.user"):
        formats.detect_layout(folder)


def test_folder_without_movielens_files(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="No MovieLens ratings file"):
        formats.detect_layout(str(tmp_path))


def test_parses_100k_movie_with_tfds_genre_labels():
    line = "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|" + "|".join(["0"] * 13)
    movie = formats.parse_movie(formats.FORMAT_100K, line.encode("latin-1"))
    names = [features.GENRE_NAMES[label] for label in movie[features.MOVIE_GENRES]]
    assert movie[features.MOVIE_ID] == "1"
    assert names == ["Animation", "Children", "Comedy"]


def test_latin1_title_decodes():
    line = "4::Mis\xe9rables, Les (1995)::Drama|War".encode("latin-1")
    movie = formats.parse_movie(formats.FORMAT_1M, line)
    assert movie[features.MOVIE_TITLE] == "Misérables, Les (1995)"


def test_1m_childrens_genre_maps_to_tfds_children():
    movie = formats.parse_movie(formats.FORMAT_1M, b"1::Toy Story (1995)::Children's|Comedy")
    assert movie[features.MOVIE_GENRES] == [
        features.GENRE_NAMES.index("Children"),
        features.GENRE_NAMES.index("Comedy"),
    ]


def test_csv_quoted_title_with_comma():
    movie = formats.parse_movie(formats.FORMAT_CSV, b'11,"American President, The (1995)",Comedy|Drama|Romance')
    assert movie[features.MOVIE_TITLE] == "American President, The (1995)"


def test_100k_user_keeps_non_numeric_zip_and_buckets_age():
    user_id, user = formats.parse_user(formats.FORMAT_100K, b"3|17|M|student|T8H1N")
    assert user_id == "3"
    assert user[features.USER_ZIP_CODE] == "T8H1N"
    assert user[features.BUCKETIZED_USER_AGE] == 1.0
    assert user[features.RAW_USER_AGE] == 17.0
    assert user[features.USER_GENDER] == 1
    assert features.OCCUPATION_LABELS[user[features.USER_OCCUPATION_LABEL]] == "student"


def test_1m_user_merges_student_labels_like_tfds():
    _, user = formats.parse_user(formats.FORMAT_1M, b"7::F::25::4::02139")
    assert user[features.USER_OCCUPATION_TEXT] == "college/grad student"
    assert features.OCCUPATION_LABELS[user[features.USER_OCCUPATION_LABEL]] == "student"
    assert features.RAW_USER_AGE not in user
    assert user[features.BUCKETIZED_USER_AGE] == 25.0


@pytest.mark.parametrize(
    "fmt, line, reason",
    [
        (formats.FORMAT_100K, b"1\t2\t3", "expected 4 fields, found 3"),
        (formats.FORMAT_100K, b"x1\t2\t3\t4", "user id 'x1' is not a number"),
        (formats.FORMAT_1M, b"1::2::five::4", "rating 'five' is not a number"),
        (formats.FORMAT_1M, b"1::2::3::yesterday", "timestamp 'yesterday' is not an integer"),
        (formats.FORMAT_CSV, b"1,2,9.0,4", r"rating 9.0 is outside \(0, 5\]"),
        (formats.FORMAT_CSV, b"1,\xff\xfe,3.0,4", "not valid UTF-8"),
    ],
)
def test_bad_rating_lines_give_the_reason(fmt, line, reason):
    with pytest.raises(formats.BadLine, match=reason):
        formats.parse_rating(fmt, line)


def test_unknown_genre_is_a_bad_line():
    with pytest.raises(formats.BadLine, match="unknown genre 'Cartoon'"):
        formats.parse_movie(formats.FORMAT_1M, b"1::Toy Story (1995)::Cartoon")


def test_genre_and_occupation_names_match_tfds():
    import tensorflow_datasets as tfds

    info = tfds.builder("movielens/100k-ratings").info
    assert info.features["movie_genres"].feature.names == features.GENRE_NAMES
    assert info.features["user_occupation_label"].names == features.OCCUPATION_LABELS
