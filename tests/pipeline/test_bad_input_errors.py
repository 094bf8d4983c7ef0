"""Bad inputs and options end in one clean error line, not a traceback."""

import pytest

from pipeline import cli
from tests.components import grouplens_fixtures as fixtures


def _error_lines(capsys):
    return capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("ratings", ["0", "-5"])
def test_a_non_positive_synthetic_size_is_refused(tmp_path, capsys, ratings):
    status = cli.main(["run", "--source", "synthetic", "--synthetic-ratings", ratings,
                       "--work-dir", str(tmp_path / "work")])
    assert status == 2
    assert _error_lines(capsys) == [
        f"error: Synthetic data: num_ratings must be positive, got {ratings}"
    ]


def test_a_work_dir_that_is_a_file_is_refused(tmp_path, capsys):
    work_file = tmp_path / "not-a-folder"
    work_file.write_text("x")
    assert cli.main(["run", "--source", "synthetic", "--work-dir", str(work_file)]) == 2
    assert _error_lines(capsys) == [f"error: --work-dir {work_file} is a file, not a folder"]


def test_examples_with_a_missing_input_path_names_it(tmp_path, capsys):
    missing = tmp_path / "nowhere"
    status = cli.main(["examples", "--source", "grouplens", "--input-path", str(missing),
                       "--output-dir", str(tmp_path / "out")])
    assert status == 2
    assert _error_lines(capsys) == [f"error: MovieLens input not found: {missing} does not exist"]


@pytest.mark.parametrize("content", [b"", b"abc", b"x" * 100])
def test_an_empty_or_tiny_or_non_zip_file_is_not_an_archive(tmp_path, capsys, content):
    archive = tmp_path / "ml-100k.zip"
    archive.write_bytes(content)
    status = cli.main(["examples", "--source", "grouplens", "--input-path", str(archive),
                       "--output-dir", str(tmp_path / "out")])
    assert status == 2
    assert _error_lines(capsys) == [
        f"error: {archive} is not a MovieLens archive: neither a folder nor a .zip archive"
    ]


@pytest.mark.parametrize("keep, expected", [([], "1 (dropped)"), (["--keep-duplicate-ratings"], "1 (kept)")])
def test_examples_reports_duplicate_rating_lines(tmp_path, capsys, keep, expected):
    folder = fixtures.write_100k(str(tmp_path / "ml-100k"))
    with open(f"{folder}/u.data", encoding="latin-1") as handle:
        first_line = handle.readline()
    with open(f"{folder}/u.data", "a", encoding="latin-1") as handle:
        handle.write(first_line)
    status = cli.main(["examples", "--source", "grouplens", "--input-path", folder,
                       "--output-dir", str(tmp_path / "out"), *keep])
    assert status == 0
    assert f"duplicate ratings: {expected}" in capsys.readouterr().out.splitlines()
