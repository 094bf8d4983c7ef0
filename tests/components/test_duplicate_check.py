"""The GroupLens reader's duplicate check: which ratings repeat, and their first lines."""

import apache_beam as beam
import numpy as np
from apache_beam.testing.util import assert_that, equal_to

from components.movielens_example_gen import duplicate_check, formats


def _numbered(pairs):
    return [(number, ("1", movie, 4.0, 1000 + movie_time)) for number, movie, movie_time in pairs]


def test_a_digest_is_of_the_parsed_rating_not_of_its_text():
    written_two_ways = [
        formats.parse_rating(formats.FORMAT_1M, b"1::2::4::100"),
        formats.parse_rating(formats.FORMAT_1M, b"1::2::4.0::100"),
    ]
    assert duplicate_check.rating_digest(written_two_ways[0]) == duplicate_check.rating_digest(
        written_two_ways[1]
    )
    others = [("1", "2", 4.0, 101), ("1", "2", 3.5, 100), ("2", "2", 4.0, 100), ("1", "3", 4.0, 100)]
    digests = {duplicate_check.rating_digest(rating) for rating in [written_two_ways[0], *others]}
    assert len(digests) == 5
    assert all(len(digest) == 16 for digest in digests)


def test_digest_arrays_hold_every_line_once_in_the_bucket_of_its_digest():
    ratings = _numbered((line, str(line % 7), line) for line in range(1, 201))

    cut = list(duplicate_check.digest_arrays(ratings, buckets=4))

    assert len(cut) == 4
    lines = np.concatenate([array["line"] for _, array in cut])
    assert sorted(lines.tolist()) == list(range(1, 201))
    for bucket, array in cut:
        assert (array["high"] % np.uint64(4) == bucket).all()
    assert list(duplicate_check.digest_arrays([], buckets=4)) == []


def test_repeats_are_found_across_stretches_with_their_smallest_line():
    unique = _numbered((line, str(line), line) for line in range(1, 50))
    # Line 60 repeats line 7 and line 80 repeats it again; line 90 repeats line 30.
    later_stretch = _numbered([(60, "7", 7), (80, "7", 7), (90, "30", 30), (91, "31", 99)])
    arrays = [array for _, array in duplicate_check.digest_arrays(later_stretch, buckets=1)]
    arrays += [array for _, array in duplicate_check.digest_arrays(unique, buckets=1)]

    repeats = duplicate_check.repeats_among(arrays)

    assert repeats == {60: 7, 80: 7, 90: 30}


def test_a_bucket_without_repeats_or_with_one_rating_has_none():
    (only,) = [array for _, array in duplicate_check.digest_arrays(_numbered([(3, "1", 1)]), 1)]
    assert duplicate_check.repeats_among([only]) == {}
    many = [a for _, a in duplicate_check.digest_arrays(_numbered((n, str(n), n) for n in range(1, 99)), 1)]
    assert duplicate_check.repeats_among(many) == {}


def test_the_repeats_of_every_stretch_and_bucket_are_gathered_and_the_files_removed(tmp_path):
    stretches = {
        "a": _numbered([(1, "1", 1), (2, "2", 2), (3, "3", 3)]),
        "b": _numbered([(4, "2", 2), (5, "4", 4)]),
        "c": _numbered([(6, "3", 3), (7, "2", 2), (8, "5", 5)]),
    }
    with beam.Pipeline() as pipeline:
        repeats = (
            pipeline
            | beam.Create(sorted(stretches))
            | beam.FlatMap(lambda name: duplicate_check.digest_arrays(stretches[name], buckets=2))
            | duplicate_check.FindRepeats(str(tmp_path), buckets=2)
        )
        assert_that(
            repeats,
            equal_to([{4: 2, 7: 2, 6: 3}]),
        )
    assert list(tmp_path.iterdir()) == []


def test_a_bucket_reads_only_the_files_of_committed_bundles(tmp_path):
    ratings = _numbered([(1, "1", 1), (2, "2", 2), (9, "2", 2)])
    (only,) = [array for _, array in duplicate_check.digest_arrays(ratings, buckets=1)]
    committed = duplicate_check._write_array((0, only), str(tmp_path))
    # A failed attempt's file: its line 5 would repeat line 1.
    leftover = _numbered([(5, "1", 1)])
    duplicate_check._write_array((0, next(duplicate_check.digest_arrays(leftover, 1))[1]), str(tmp_path))

    repeats = duplicate_check._repeats_of_bucket(0, [committed], str(tmp_path))

    assert repeats == {9: 2}
    assert list(tmp_path.iterdir()) == []


def test_no_good_rating_at_all_gives_no_repeats(tmp_path):
    with beam.Pipeline() as pipeline:
        repeats = (
            pipeline
            | beam.Create(["only_bad_lines"])
            | beam.FlatMap(lambda _: duplicate_check.digest_arrays([]))
            | duplicate_check.FindRepeats(str(tmp_path))
        )
        assert_that(repeats, equal_to([{}]))
