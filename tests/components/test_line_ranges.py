"""Tests of cutting a ratings file into stretches of whole lines that workers read apart."""

import zipfile

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from components.movielens_example_gen import archive, batches, formats, grouplens_source
from components.movielens_example_gen.grouplens_source import ReadGroupLens
from tests.components import grouplens_fixtures as fixtures

# Lines of different lengths, an empty line, a CRLF ending, a blank line,
# and a last line without its line ending.
_CONTENT = b"".join(
    [f"{i}::{'x' * (i % 7)}\n".encode() for i in range(1, 40)]
    + [b"\n", b"40::crlf\r\n", b"   \n", b"42::last"]
)


def _plain(tmp_path, content: bytes = _CONTENT) -> archive.ArchiveFile:
    path = tmp_path / "ratings.dat"
    path.write_bytes(content)
    return archive.ArchiveFile(None, str(path))


def _deflated(tmp_path) -> archive.ArchiveFile:
    path = str(tmp_path / "release.zip")
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as release:
        release.writestr("ml-1m/ratings.dat", _CONTENT)
    return archive.ArchiveFile(path, "ml-1m/ratings.dat")


# Every line with its number, its ending removed, the blank ones left out.
_LINES = [
    (number, line.rstrip(b"\r"))
    for number, line in enumerate(_CONTENT.split(b"\n"), start=1)
    if line.strip()
]


@pytest.mark.parametrize("max_ranges,min_bytes", [(1, 1), (4, 1), (7, 30), (100, 1), (3, 10_000)])
@pytest.mark.parametrize("make_file", [_plain, _deflated])
@pytest.mark.parametrize("chunk_bytes", [5, 1 << 20])
def test_the_stretches_cover_the_file_in_whole_lines_and_read_as_the_whole_file(
    tmp_path, monkeypatch, make_file, max_ranges, min_bytes, chunk_bytes
):
    # Chunks of 5 bytes cut most lines in two.
    monkeypatch.setattr(archive, "_CHUNK_BYTES", chunk_bytes)
    source = make_file(tmp_path)

    ranges = archive.line_ranges(source, max_ranges, min_bytes)

    assert ranges[0].start == 0 and ranges[0].first_line == 1 and ranges[-1].end == len(_CONTENT)
    assert all(a.end == b.start for a, b in zip(ranges, ranges[1:]))
    assert all(_CONTENT[r.end - 1:r.end] == b"\n" for r in ranges[:-1])
    assert all(r.end - r.start >= min_bytes for r in ranges[:-1])
    assert len(ranges) <= max_ranges
    assert all(r.first_line == _CONTENT[:r.start].count(b"\n") + 1 for r in ranges)
    stitched = [line for r in ranges for line in archive.read_lines(source, r)]
    assert stitched == list(archive.read_lines(source)) == _LINES
    assert stitched[-1] == (43, b"42::last") and (41, b"40::crlf") in stitched


def test_each_stretch_ends_at_the_first_line_ending_after_an_equal_share(tmp_path):
    ranges = archive.line_ranges(_plain(tmp_path), 4, 1)

    share = -(-len(_CONTENT) // 4)
    assert len(ranges) == 4
    for stretch in ranges[:-1]:
        assert b"\n" not in _CONTENT[stretch.start + share - 1:stretch.end - 1]


def test_an_empty_file_is_one_empty_stretch(tmp_path):
    source = _plain(tmp_path, b"")
    (only,) = archive.line_ranges(source, 16, 1)
    assert only == archive.LineRange(0, 0, 1)
    assert list(archive.read_lines(source, only)) == []


def test_bad_lines_and_duplicates_keep_their_line_numbers_across_stretches(tmp_path, monkeypatch):
    monkeypatch.setattr(grouplens_source, "_MIN_STRETCH_BYTES", 1)
    monkeypatch.setattr(grouplens_source, "_RATING_STRETCHES", 4)
    folder = fixtures.write_1m(
        str(tmp_path),
        bad_lines={5: "1::1::5::874965758", 7: "1::2::nine::876893171"},
    )
    layout = formats.detect_layout(folder)
    # Lines 1, 5 and 7 fall in different stretches.
    assert [r.first_line for r in archive.line_ranges(layout.ratings, 4, 1)] == [1, 4, 7]
    ratings_file = layout.ratings.display_name()

    with beam.Pipeline() as pipeline:
        out = pipeline | ReadGroupLens(layout)
        bad = out.bad_rows | beam.Map(lambda row: (type(row).__name__, row.file, row.line))
        assert_that(
            bad,
            equal_to([("DuplicateRating", ratings_file, 5), ("BadRow", ratings_file, 7)]),
            label="bad",
        )
        assert_that(
            out.rating_batches | batches.CountBatched(),
            equal_to([len(fixtures.RATINGS)]),
            label="ratings",
        )
