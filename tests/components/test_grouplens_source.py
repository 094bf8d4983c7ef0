"""Tests of the Beam transform reading GroupLens archives."""

import apache_beam as beam
from apache_beam.testing.util import assert_that, equal_to, is_empty

from components.movielens_example_gen import archive, batches, formats, grouplens_source
from components.movielens_example_gen.grouplens_source import ReadGroupLens
from tests.components import grouplens_fixtures as fixtures
from transform_fn import features


def _ids(records):
    return sorted(
        (r[features.USER_ID], r[features.MOVIE_ID], r[features.TIMESTAMP]) for r in records
    )


def test_reads_joined_ratings_and_whole_corpus_from_zip(tmp_path):
    archive = fixtures.zip_folder(fixtures.write_100k(str(tmp_path)))
    layout = formats.detect_layout(archive)

    with beam.Pipeline() as pipeline:
        out = pipeline | ReadGroupLens(layout)
        _assert_every_rating_once(out)
        assert_that(
            out.movies | beam.Map(lambda m: (m[features.MOVIE_ID], m[features.MOVIE_TITLE])),
            equal_to([(m, t) for m, t, _ in fixtures.MOVIES]),
            label="movies",
        )
        assert_that(out.bad_rows, is_empty(), label="no_bad_rows")


def test_ratings_over_many_batches_all_arrive_once_with_bad_rows_named(tmp_path, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_SIZE", 2)
    folder = fixtures.write_1m(str(tmp_path), bad_lines={3: "1::99::4::874965758"})
    layout = formats.detect_layout(folder)

    with beam.Pipeline() as pipeline:
        out = pipeline | ReadGroupLens(layout)
        _assert_every_rating_once(out)
        assert_that(
            out.rating_batches | beam.Map(len),
            lambda sizes: _check(max(sizes) == 2 and len(sizes) > 2, sizes),
            label="batches",
        )
        assert_that(
            out.bad_rows | beam.Map(lambda r: (r.line, r.reason)),
            equal_to([(3, "unknown movie id 99")]),
            label="bad",
        )


def test_joined_rating_carries_movie_and_user_features(tmp_path):
    layout = formats.detect_layout(fixtures.write_100k(str(tmp_path)))

    def check(records):
        by_key = {(r[features.USER_ID], r[features.MOVIE_ID]): r for r in records}
        record = by_key[("3", "4")]
        assert record[features.MOVIE_TITLE] == "Misérables, Les (1995)"
        assert record[features.USER_ZIP_CODE] == "T8H1N"
        assert record[features.RAW_USER_AGE] == 17.0
        assert record[features.USER_RATING] == 5.0
        assert record[features.TIMESTAMP] == 875071561
        assert [features.GENRE_NAMES[g] for g in record[features.MOVIE_GENRES]] == ["Drama", "War"]

    with beam.Pipeline() as pipeline:
        assert_that(_ratings(pipeline | ReadGroupLens(layout)), check)


def test_bad_lines_and_unknown_references_name_file_line_and_reason(tmp_path):
    folder = fixtures.write_1m(
        str(tmp_path),
        bad_lines={2: "1::2::3", 4: "1::99::4::874965758", 5: "42::1::4::874965758"},
    )
    layout = formats.detect_layout(folder)
    ratings_file = layout.ratings.display_name()
    expected = [
        (ratings_file, 2, "expected 4 fields, found 3"),
        (ratings_file, 4, "unknown movie id 99"),
        (ratings_file, 5, "unknown user id 42"),
    ]

    with beam.Pipeline() as pipeline:
        out = pipeline | ReadGroupLens(layout)
        assert_that(
            out.bad_rows | beam.Map(lambda r: (r.file, r.line, r.reason)),
            equal_to(expected),
            label="bad",
        )
        assert_that(_ratings(out) | beam.combiners.Count.Globally(), equal_to([len(fixtures.RATINGS)]), label="good")


def test_duplicate_movie_id_is_reported_not_silently_merged(tmp_path):
    folder = fixtures.write_csv(str(tmp_path))
    with open(f"{folder}/movies.csv", "a", encoding="utf-8") as handle:
        handle.write('1,"Toy Story again (1995)",Comedy\n')
    layout = formats.detect_layout(folder)

    with beam.Pipeline() as pipeline:
        out = pipeline | ReadGroupLens(layout)
        assert_that(
            out.bad_rows | beam.Map(lambda r: (r.line, r.reason)),
            equal_to([(len(fixtures.MOVIES) + 2, "duplicate id 1 (first on line 2)")]),
        )


def test_ratings_leave_shuffled_within_windows_the_same_on_every_run(tmp_path, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_SIZE", 2)
    monkeypatch.setattr(grouplens_source, "_SHUFFLE_WINDOW", 10)
    layout = formats.detect_layout(fixtures.write_1m(str(tmp_path)))
    lines = [f"{1 + n // 8}::{1 + n % 4}::4::{1000 + n}" for n in range(40)]
    lines[3] = "1::x::4::1"
    with open(layout.ratings.path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    (stretch,) = archive.line_ranges(layout.ratings, 1, 1)

    def parse():
        parser = grouplens_source._ParseRatings(layout.ratings, layout.format_name, False)
        out = list(parser.process(stretch, repeats={}))
        numbers = [number for item in out if isinstance(item, list) for number, _ in item]
        bad = [item.value.line for item in out if isinstance(item, beam.pvalue.TaggedOutput)]
        return numbers, bad

    numbers, bad = parse()

    assert bad == [4]
    good = [n for n in range(1, 41) if n != 4]
    assert sorted(numbers) == good
    # Each window of 10 good lines is shuffled within itself, not with the next.
    windows = [numbers[i:i + 10] for i in range(0, len(numbers), 10)]
    assert [sorted(window) for window in windows] == [good[i:i + 10] for i in range(0, 40, 10)]
    assert all(window != sorted(window) for window in windows)
    assert parse() == (numbers, bad)


def test_the_first_pass_takes_the_good_lines_timestamps_only_when_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(grouplens_source, "_MIN_STRETCH_BYTES", 1)
    layout = formats.detect_layout(fixtures.write_1m(str(tmp_path), bad_lines={3: "1::2::x::5"}))

    assert (beam.Pipeline() | ReadGroupLens(layout)).timestamps is None
    with beam.Pipeline() as pipeline:
        out = pipeline | ReadGroupLens(layout, with_timestamps=True)
        assert_that(
            out.timestamps | beam.FlatMap(lambda timestamps: timestamps),
            equal_to([timestamp for _, _, _, timestamp in fixtures.RATINGS]),
        )


def _assert_every_rating_once(out):
    expected = sorted((u, m, t) for u, m, _, t in fixtures.RATINGS)
    assert_that(_ratings(out), lambda got: _check(_ids(got) == expected, got), label="ratings")


def _ratings(out):
    return out.rating_batches | batches.Unbatch()


def _check(condition, got):
    assert condition, got
