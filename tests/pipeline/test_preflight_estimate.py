"""Preflight's estimate of how many ratings a GroupLens file holds."""

import zipfile

from components.movielens_example_gen.archive import ArchiveFile
from pipeline import preflight


def _ratings_lines(count: int) -> bytes:
    return "".join(f"{1 + i % 900},{1 + i % 3000},4.0,{878971047 + i}\n" for i in range(count)).encode()


def test_a_plain_file_is_estimated_from_its_own_line_length(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_bytes(_ratings_lines(20_000))
    estimate = preflight.estimated_file_ratings(ArchiveFile(None, str(path)))
    assert 19_000 <= estimate <= 21_000


def test_a_zipped_file_counts_its_uncompressed_size(tmp_path):
    path = tmp_path / "ml-25m.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("ml-25m/ratings.csv", _ratings_lines(20_000))
    estimate = preflight.estimated_file_ratings(ArchiveFile(str(path), "ml-25m/ratings.csv"))
    assert 19_000 <= estimate <= 21_000


def test_an_empty_file_holds_no_ratings(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_bytes(b"")
    assert preflight.estimated_file_ratings(ArchiveFile(None, str(path))) == 0
