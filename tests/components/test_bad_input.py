"""Bad GroupLens input the ExampleGen reports in one line, not a traceback (issue 17).

Each bad file is built in the test from ``grouplens_fixtures``.
"""

import json
import os

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from components.movielens_example_gen import archive, bad_rows, batches, formats, outputs, spec
from components.movielens_example_gen.grouplens_source import ReadGroupLens
from components.movielens_example_gen.settings import Settings
from pipeline.examples_command import generate_examples
from tests.components import grouplens_fixtures as fixtures
from tests.components.example_gen_testing import properties, read_split, run_executor

_IN_MEMORY = ["--direct_running_mode=in_memory", "--direct_num_workers=1"]


# Row 2: a bad movies or users line is reported first, its ratings apart.


def test_a_bad_movies_line_is_quoted_before_the_ratings_it_drops(tmp_path):
    folder = fixtures.write_100k(str(tmp_path / "data"))
    item = os.path.join(folder, "u.item")
    with open(item, "rb") as handle:
        first_line = handle.readline().rstrip(b"\n")
    fixtures.replace_line(item, 1, b"\xef\xbb\xbf" + first_line)  # Movie 1, rated on lines 1, 5.

    with pytest.raises(bad_rows.BadInputError) as error:
        run_executor(str(tmp_path / "out"), properties(input_path=folder))

    data = os.path.join(folder, "u.data")
    assert str(error.value) == (
        "3 bad input row(s), more than max_bad_rows=0. First ones:\n"
        f"  {item}:1: starts with a UTF-8 byte order mark\n"
        f"  {data}:1: movie id 1 has no record: its line 1 in u.item is bad\n"
        f"  {data}:5: movie id 1 has no record: its line 1 in u.item is bad\n"
        "2 of them: ratings of movies whose u.item line was bad.\n"
        "Fix the input, or raise max_bad_rows to skip and count them."
    )


@pytest.mark.parametrize(
    "writer, users_file, bad_line, reason",
    [
        (fixtures.write_100k, "u.user", b"2|53|F|astronaut|94043", "unknown occupation 'astronaut'"),
        (fixtures.write_1m, "users.dat", b"2::F::50::99::94043", "occupation '99' is not an index 0-20"),
    ],
)
def test_a_bad_users_line_is_named_by_the_ratings_it_drops(
    tmp_path, writer, users_file, bad_line, reason
):
    folder = writer(str(tmp_path))
    fixtures.replace_line(os.path.join(folder, users_file), 2, bad_line)  # User 2: lines 3, 4.
    layout = formats.detect_layout(folder)
    ratings_file = layout.ratings.display_name()
    consequence = (
        f"user id 2 has no record: its line 2 in {users_file} is bad",
        f"ratings of users whose {users_file} line was bad",
    )

    with beam.Pipeline() as pipeline:
        found = (pipeline | ReadGroupLens(layout)).bad_rows
        assert_that(
            found | beam.Map(lambda r: (r.file, r.line, r.reason, r.consequence_of)),
            equal_to(
                [
                    (layout.users.display_name(), 2, reason, ""),
                    (ratings_file, 3, *consequence),
                    (ratings_file, 4, *consequence),
                ]
            ),
        )


def test_the_summary_quotes_the_bad_line_before_any_of_its_many_consequences():
    group = "ratings of movies whose u.item line was bad"
    consequences = [
        bad_rows.BadRow("a/u.data", n, "movie id 1 has no record", group) for n in range(1, 26)
    ]
    culprit = bad_rows.BadRow("a/u.item", 1, "starts with a UTF-8 byte order mark")

    def check(summaries):
        [summary] = summaries
        assert summary.count == 26
        assert summary.samples[0] == "a/u.item:1: starts with a UTF-8 byte order mark"
        assert summary.samples[1:] == [f"a/u.data:{n}: movie id 1 has no record" for n in range(1, 10)]
        assert summary.consequences == {group: 25}

    with beam.Pipeline() as pipeline:
        rows = pipeline | beam.Create(consequences + [culprit])
        assert_that(rows | outputs.SummarizeBadRows(), check)


# Row 5: a damaged zip stops the run in one line naming archive and member.


def test_a_member_failing_its_crc_check_is_named_with_its_archive(tmp_path):
    zip_path = fixtures.zip_folder(fixtures.write_100k(str(tmp_path / "data")))
    fixtures.damage_member(zip_path, "ml-100k/u.data")

    with pytest.raises(archive.DamagedArchiveError) as error:
        run_executor(str(tmp_path / "out"), properties(input_path=zip_path))

    assert isinstance(error.value, bad_rows.BadInputError)
    assert str(error.value) == (
        f"MovieLens archive {zip_path} is damaged: member ml-100k/u.data cannot be read "
        "(Bad CRC-32 for file 'ml-100k/u.data')"
    )


def test_a_damaged_zip_directory_is_named(tmp_path):
    zip_path = fixtures.zip_folder(fixtures.write_100k(str(tmp_path)))
    with open(zip_path, "rb") as handle:
        content = handle.read()
    with open(zip_path, "wb") as handle:  # The directory's first entry loses its signature.
        handle.write(content.replace(b"PK\x01\x02", b"PK\x01\x00", 1))

    with pytest.raises(
        archive.DamagedArchiveError,
        match=f"^MovieLens archive {zip_path} is damaged: Bad magic number for central directory$",
    ):
        formats.detect_layout(zip_path)


# Row 7: a value that cannot become an example is a bad row like any other.


@pytest.mark.parametrize("timestamp", [2**63, -(2**63) - 1, 10**30])
def test_a_timestamp_beyond_int64_is_a_bad_line(timestamp):
    with pytest.raises(formats.BadLine, match=f"^timestamp {timestamp} is outside the int64 range$"):
        formats.parse_rating(formats.FORMAT_100K, f"1\t1\t5\t{timestamp}".encode())


def test_the_int64_limits_are_good_timestamps():
    for timestamp in (2**63 - 1, -(2**63)):
        line = f"1\t1\t5\t{timestamp}".encode()
        assert formats.parse_rating(formats.FORMAT_100K, line)[3] == timestamp


def test_an_age_no_person_has_is_a_bad_line():
    with pytest.raises(formats.BadLine, match="^age 1000 is outside 0-150$"):
        formats.parse_user(formats.FORMAT_100K, b"1|1000|M|writer|85711")


def test_a_timestamp_beyond_int64_is_skipped_under_the_tolerance(tmp_path):
    folder = fixtures.write_100k(
        str(tmp_path / "data"), bad_lines={3: "1\t5\t4\t100000000000000000000"}
    )

    examples, _ = run_executor(str(tmp_path / "out"), properties(input_path=folder, max_bad_rows=1))

    assert examples.get_int_custom_property(spec.BAD_ROWS_COUNT_PROPERTY) == 1
    samples = json.loads(examples.get_string_custom_property(spec.BAD_ROWS_SAMPLE_PROPERTY))
    assert samples == [
        f"{folder}/u.data:3: timestamp 100000000000000000000 is outside the int64 range"
    ]
    written = read_split(examples.uri, "train") + read_split(examples.uri, "eval")
    assert len(written) == len(fixtures.RATINGS)


# Row 15: exact duplicate rating lines are counted and reported, dropped by default.


@pytest.mark.parametrize("keep", [False, True])
def test_exact_duplicates_are_found_across_batches(tmp_path, monkeypatch, keep):
    monkeypatch.setattr(batches, "BATCH_SIZE", 2)
    folder = fixtures.write_100k(
        str(tmp_path),
        # Line 7 repeats line 1; line 8 is line 2 with another rating, not a duplicate.
        bad_lines={7: "1\t1\t5\t874965758", 8: "1\t2\t4\t876893171"},
    )
    layout = formats.detect_layout(folder)
    ratings_file = layout.ratings.display_name()

    with beam.Pipeline() as pipeline:
        out = pipeline | ReadGroupLens(layout, keep_duplicates=keep)
        assert_that(
            out.bad_rows,
            equal_to([bad_rows.DuplicateRating(ratings_file, 7, 1)]),
            label="duplicates",
        )
        assert_that(
            out.rating_batches | batches.CountBatched(),
            equal_to([len(fixtures.RATINGS) + 1 + int(keep)]),
            label="ratings",
        )


def test_duplicates_are_dropped_and_reported_in_the_summary_not_as_bad_rows(tmp_path):
    folder = fixtures.write_100k(str(tmp_path / "data"), bad_lines={7: "3\t4\t5\t875071561"})

    examples, _ = run_executor(str(tmp_path / "out"), properties(input_path=folder))

    summary = outputs.read_summary(os.path.join(examples.uri, spec.SUMMARY_FILE))
    assert summary["duplicate_ratings"] == {
        "count": 1,
        "samples": [
            f"{folder}/u.data:7: same user, movie, rating and timestamp as line 6"
        ],
        "dropped": True,
    }
    assert summary["bad_rows"]["count"] == 0
    assert examples.get_int_custom_property(spec.DUPLICATE_RATINGS_COUNT_PROPERTY) == 1
    written = read_split(examples.uri, "train") + read_split(examples.uri, "eval")
    assert len(written) == len(fixtures.RATINGS)


# Row 13: a failed ``examples`` leaves nothing that looks complete.


def _grouplens(folder: str) -> Settings:
    return Settings(source=spec.SOURCE_GROUPLENS, input_path=folder, tfds_download=False)


def test_a_failed_examples_run_leaves_no_output(tmp_path):
    folder = fixtures.write_100k(str(tmp_path / "data"), bad_lines={3: "1\t2\tbad\t4"})
    output_dir = tmp_path / "runs" / "out"

    with pytest.raises(bad_rows.BadInputError):
        generate_examples(_grouplens(folder), str(output_dir), _IN_MEMORY)

    assert os.listdir(tmp_path / "runs") == []


def test_a_failed_examples_run_keeps_the_last_good_output(tmp_path):
    good = fixtures.write_100k(str(tmp_path / "good"))
    bad = fixtures.write_100k(str(tmp_path / "bad"), bad_lines={3: "1\t2\tbad\t4"})
    output_dir = tmp_path / "out"
    generate_examples(_grouplens(good), str(output_dir), _IN_MEMORY)
    before = sorted(os.walk(output_dir))

    with pytest.raises(bad_rows.BadInputError):
        generate_examples(_grouplens(bad), str(output_dir), _IN_MEMORY)

    assert sorted(os.walk(output_dir)) == before
    assert sorted(os.listdir(tmp_path)) == ["bad", "good", "out"]  # No partial folder left.
