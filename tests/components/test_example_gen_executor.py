"""Tests of MovieLensExampleGen's executor on real artifacts in a temp dir."""

import dataclasses
import fnmatch
import json
import os

import pytest

from components import movielens_example_gen
from components.movielens_example_gen import bad_rows, spans, spec
from components.movielens_example_gen.split_rules import TEMPORAL
from tests.components import grouplens_fixtures as fixtures
from tests.components.example_gen_testing import properties, read_split, run_executor
from transform_fn import features


@pytest.mark.parametrize("writer", [fixtures.write_100k, fixtures.write_1m, fixtures.write_csv])
def test_writes_every_rating_once_and_the_whole_corpus(tmp_path, writer):
    archive = fixtures.zip_folder(writer(str(tmp_path / "data")))
    examples, candidates = run_executor(str(tmp_path / "out"), properties(input_path=archive))

    train = read_split(examples.uri, "train")
    evaluation = read_split(examples.uri, "eval")
    keys = sorted((r[features.USER_ID], r[features.MOVIE_ID]) for r in train + evaluation)
    assert keys == sorted((u, m) for u, m, _, _ in fixtures.RATINGS)
    corpus = read_split(candidates.uri, spec.CANDIDATES_SPLIT)
    assert sorted(m[features.MOVIE_ID] for m in corpus) == [m for m, _, _ in fixtures.MOVIES]
    assert set(corpus[0]) == set(features.MOVIE_FEATURE_KINDS)
    assert examples.split_names == '["train", "eval"]'
    assert candidates.split_names == '["corpus"]'
    assert examples.span == 0
    assert examples.get_int_custom_property(spec.BAD_ROWS_COUNT_PROPERTY) == 0
    assert examples.get_int_custom_property("num_examples_train") == len(train)
    assert candidates.get_int_custom_property("num_examples_corpus") == len(fixtures.MOVIES)
    assert examples.get_string_custom_property(spec.FINGERPRINT_KEY).startswith("sha256:")


def test_temporal_split_keeps_the_future_out_of_training(tmp_path):
    folder = fixtures.write_100k(str(tmp_path / "data"))
    examples, _ = run_executor(
        str(tmp_path / "out"),
        properties(input_path=folder, split_mode=TEMPORAL, eval_fraction=0.34),
    )
    train = read_split(examples.uri, "train")
    evaluation = read_split(examples.uri, "eval")
    assert train and evaluation
    assert max(r[features.TIMESTAMP] for r in train) < min(r[features.TIMESTAMP] for r in evaluation)


def test_bad_rows_fail_the_run_naming_file_line_and_reason(tmp_path):
    folder = fixtures.write_100k(str(tmp_path / "data"), bad_lines={3: "1\t2\tbad\t4"})
    with pytest.raises(bad_rows.BadInputError) as error:
        run_executor(str(tmp_path / "out"), properties(input_path=folder))
    message = str(error.value)
    assert "1 bad input row(s), more than max_bad_rows=0" in message
    assert "u.data:3: rating 'bad' is not a number" in message


def test_tolerated_bad_rows_are_counted_and_quoted(tmp_path):
    folder = fixtures.write_100k(
        str(tmp_path / "data"), bad_lines={2: "1\t77\t3\t4", 5: "only one field"}
    )
    examples, _ = run_executor(
        str(tmp_path / "out"), properties(input_path=folder, max_bad_rows=2)
    )
    assert examples.get_int_custom_property(spec.BAD_ROWS_COUNT_PROPERTY) == 2
    samples = json.loads(examples.get_string_custom_property(spec.BAD_ROWS_SAMPLE_PROPERTY))
    assert [s.split("u.data:")[1] for s in samples] == [
        "2: unknown movie id 77",
        "5: expected 4 fields, found 1",
    ]
    written = read_split(examples.uri, "train") + read_split(examples.uri, "eval")
    assert len(written) == len(fixtures.RATINGS)


def test_newest_span_is_read_when_input_path_has_span_placeholder(tmp_path):
    fixtures.write_100k(str(tmp_path / "span-1"))
    newest = fixtures.write_100k(str(tmp_path / "span-2"))
    with open(f"{newest}/u.data", "a", encoding="latin-1") as handle:
        handle.write("1\t5\t4\t890000000\n")
    examples, _ = run_executor(
        str(tmp_path / "out"),
        properties(input_path=str(tmp_path / "span-{SPAN}" / "ml-100k")),
    )
    assert examples.span == 2
    written = read_split(examples.uri, "train") + read_split(examples.uri, "eval")
    assert len(written) == len(fixtures.RATINGS) + 1


def test_a_window_of_spans_trains_on_each_spans_train_split_and_measures_the_newest(tmp_path):
    for span in (1, 3, 4):  # Span 2 was never delivered: the window skips the gap.
        fixtures.write_100k(str(tmp_path / f"span-{span}"))
    input_path = str(tmp_path / "span-{SPAN}" / "ml-100k")
    single, _ = run_executor(str(tmp_path / "single"), properties(input_path=input_path))
    examples, candidates = run_executor(
        str(tmp_path / "window"), properties(input_path=input_path, window_spans=2)
    )
    one_span_train = read_split(single.uri, "train")
    train = read_split(examples.uri, "train")
    assert len(train) == 2 * len(one_span_train)
    assert read_split(examples.uri, "eval") == read_split(single.uri, "eval")
    assert examples.span == candidates.span == 4
    window = json.loads(examples.get_string_custom_property(spec.WINDOW_PROPERTY))
    assert [entry["span"] for entry in window] == [3, 4]
    files = os.listdir(f"{examples.uri}/Split-train")
    prefixes = {name.split("-data_tfrecord")[0] for name in files}
    assert prefixes == {"span-000003", "span-000004"}
    assert examples.get_int_custom_property("num_examples_train") == len(train)
    # Each span's files are its own: the globs part the split between them.
    matched = [{name for name in files if fnmatch.fnmatch(name, entry["train_files"])} for entry in window]
    assert all(matched) and set.union(*matched) == set(files) and not matched[0] & matched[1]
    # Span 4's examples are the same read alone or in a window, and keyed so.
    (alone,) = json.loads(single.get_string_custom_property(spec.WINDOW_PROPERTY))
    assert alone["span"] == 4 and alone["examples_key"] == window[1]["examples_key"]
    assert window[0]["examples_key"] != window[1]["examples_key"]
    assert fnmatch.filter(os.listdir(f"{single.uri}/Split-train"), alone["train_files"])


def test_a_change_to_an_older_span_of_the_window_changes_the_fingerprint(tmp_path):
    for span in (1, 2):
        fixtures.write_100k(str(tmp_path / f"span-{span}"))
    settings = movielens_example_gen.Settings(
        source="grouplens", input_path=str(tmp_path / "span-{SPAN}" / "ml-100k"), window_spans=2
    )
    before = spans.window_fingerprint(settings, spans.resolve_window(settings))
    with open(tmp_path / "span-1" / "ml-100k" / "u.data", "a", encoding="latin-1") as handle:
        handle.write("1\t5\t4\t890000000\n")
    assert spans.window_fingerprint(settings, spans.resolve_window(settings)) != before


def test_the_examples_key_follows_what_shapes_a_spans_examples_and_nothing_else(tmp_path):
    settings = movielens_example_gen.Settings(source="grouplens", input_path=str(tmp_path / "a.zip"))
    base = spans.examples_key(settings, "sha256:data", "code")
    shaping = [
        spans.examples_key(settings, "sha256:other data", "code"),
        spans.examples_key(settings, "sha256:data", "edited code"),
        spans.examples_key(dataclasses.replace(settings, split_mode=TEMPORAL), "sha256:data", "code"),
        spans.examples_key(dataclasses.replace(settings, eval_fraction=0.1), "sha256:data", "code"),
        spans.examples_key(
            dataclasses.replace(settings, keep_duplicate_ratings=True), "sha256:data", "code"
        ),
    ]
    assert len({base, *shaping}) == 1 + len(shaping)
    not_shaping = dataclasses.replace(
        settings, input_path=str(tmp_path / "b.zip"), window_spans=3, max_bad_rows=5, span=2
    )
    assert spans.examples_key(not_shaping, "sha256:data", "code") == base


def test_the_examples_code_fingerprint_covers_the_example_gen_and_the_generator(monkeypatch):
    hashed = []
    monkeypatch.setattr(spans.code_version, "files_fingerprint", lambda folders: hashed.extend(folders))
    spans.examples_code_fingerprint()
    assert sorted(os.path.basename(folder) for folder in hashed) == [
        "movielens_example_gen", "movielens_simulator"
    ]


def test_missing_archive_error_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.zip"):
        run_executor(str(tmp_path / "out"), properties(input_path=str(tmp_path / "absent.zip")))


def test_an_empty_ratings_file_stops_the_run_naming_the_empty_splits(tmp_path):
    folder = fixtures.write_100k(str(tmp_path / "data"))
    open(os.path.join(folder, "u.data"), "w").close()
    with pytest.raises(bad_rows.BadInputError, match="Empty split.s. train, eval: the input holds no ratings"):
        run_executor(str(tmp_path / "out"), properties(input_path=folder))


def test_an_eval_fraction_that_empties_a_split_names_it(tmp_path):
    folder = fixtures.write_100k(str(tmp_path / "data"))
    with pytest.raises(bad_rows.BadInputError, match=r"Empty split.s. eval: the random split with eval_fraction 1e-09 put all \d+ ratings on one side"):
        run_executor(str(tmp_path / "out"), properties(input_path=folder, eval_fraction=1e-9))
