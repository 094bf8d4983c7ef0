"""The report page, built from a small hand-written run (``report_fixtures``)."""

import html
import json
import os

import pytest

from pipeline.report import HISTORY_FILE, REPORT_FILE, REPORTS_DIR, artifacts, samples_section
from pipeline.report import write_report
from pipeline.local.runner import metadata_path
from tests.report import report_fixtures

SECTIONS = ("data", "evaluation", "training", "samples", "history")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    run = report_fixtures.write_run(str(tmp_path_factory.mktemp("report")), with_anomaly=True)
    path = write_report(run.work_dir, run.summary, "run")
    with open(path, encoding="utf-8") as handle:
        return run, path, handle.read()


def test_the_page_is_written_and_kept_per_run_with_a_history_entry(written):
    run, path, page = written
    assert path == os.path.join(run.work_dir, REPORT_FILE)
    [kept] = os.listdir(os.path.join(run.work_dir, REPORTS_DIR))
    assert kept.startswith("0001-") and kept.endswith("-run.html")
    with open(os.path.join(run.work_dir, REPORTS_DIR, kept), encoding="utf-8") as handle:
        assert handle.read() == page
    with open(os.path.join(run.work_dir, HISTORY_FILE), encoding="utf-8") as handle:
        [entry] = json.load(handle)["runs"]
    assert entry["page"] == os.path.join(REPORTS_DIR, kept)
    assert entry["pushed"] is True and entry["source"] == "synthetic"
    assert entry["model"] == {
        family: run.evaluation["metrics"]["filtered"]["model"]["all"][family]
        for family in ("top_k_accuracy", "recall_at_k")
    }


def test_every_section_is_there_in_order(written):
    _, _, page = written
    positions = [page.index(f'<section id="{anchor}">') for anchor in SECTIONS]
    assert positions == sorted(positions)
    for anchor in SECTIONS:
        assert f'href="#{anchor}"' in page


def test_the_page_loads_nothing(written):
    _, _, page = written
    assert "<script" not in page and "<link" not in page and "<iframe" not in page
    assert "<!DOCTYPE svg" not in page
    urls = report_fixtures.referenced_urls(page)
    assert urls and all(value.startswith("#") for _, value in urls), urls


def test_data_section_shows_both_splits_and_the_anomaly(written):
    _, _, page = written
    data = page[page.index('<section id="data">'):page.index('<section id="evaluation">')]
    for text in ("user_rating", "movie_title", "train<br>eval", report_fixtures.ANOMALY,
                 "astronaut", "Numeric features (1)", "Categorical features (1)"):
        assert text in data, text
    assert data.count("<svg") == 2


def test_evaluation_section_shows_blessing_every_ranker_and_the_served_model(written):
    run, _, page = written
    evaluation = page[page.index('<section id="evaluation">'):page.index('<section id="training">')]
    blessing = run.evaluation["blessing"]
    assert ("Blessed:" if blessing["blessed"] else "Not blessed:") in evaluation
    for reason in blessing["reasons"]:
        assert html.escape(reason) in evaluation
    for label in ("popularity", "recent_popularity", "item_knn", "served model"):
        assert label in evaluation, label
    assert "new - served" in evaluation
    for protocol in ("filtered", "unfiltered"):
        for group in ("all", "warm", "cold"):
            assert f"{protocol}, {group}" in evaluation
    assert evaluation.count("<svg") == 2


def test_training_section_shows_loss_per_epoch_and_time_per_component(written):
    _, _, page = written
    training = page[page.index('<section id="training">'):page.index('<section id="samples">')]
    for loss in report_fixtures.LOSSES:
        assert f"{loss:.4f}" in training
    for component in report_fixtures.SECONDS:
        assert component in training
    assert "exact_softmax" in training
    assert "a uniform sample of 4 of the 6 eval ratings" in training
    assert training.count("<svg") == 2


def test_samples_show_rated_held_out_and_recommended_titles(written):
    _, _, page = written
    samples = page[page.index('<section id="samples">'):page.index('<section id="history">')]
    for heading in ("User u1 (most rated)", "User u2 (median)", "User u9 (cold)"):
        assert heading in samples
    assert report_fixtures.TITLES["m6"] in samples and '<tr class="hit">' in samples


def test_samples_leave_out_training_movies_and_mark_eval_ones(written):
    run, _, _ = written
    found = artifacts.latest_run(metadata_path(run.work_dir))
    samples = samples_section.samples(
        os.path.join(found.model.uri, "Format-Serving"), found.train_examples, found.eval_examples
    )
    by_user = {sample.user_id: sample for sample in samples}
    assert {user: sample.kind for user, sample in by_user.items()} == {
        "u1": "most rated", "u2": "median", "u9": "cold"
    }
    u1 = by_user["u1"]
    assert [movie for movie, _, _ in u1.recommendations.movies][:2] == ["m6", "m7"]
    assert [rating.movie_id for rating in u1.rated] == list(reversed(report_fixtures.TRAIN_RATED["u1"]))
    assert {rating.movie_id for rating in u1.held_out} == {"m6", "m7"}
    assert not by_user["u9"].rated and not by_user["u9"].recommendations.known_user


def test_history_grows_per_run_and_a_run_from_cache_pushed_nothing(tmp_path):
    work_dir = str(tmp_path)
    first = report_fixtures.write_run(work_dir)
    write_report(work_dir, first.summary, "run")
    second = report_fixtures.rerun_from_cache(first, "run-2")
    path = write_report(work_dir, second.summary, "retrain")
    with open(os.path.join(work_dir, HISTORY_FILE), encoding="utf-8") as handle:
        runs = json.load(handle)["runs"]
    assert [run["command"] for run in runs] == ["run", "retrain"]
    assert [run["pushed"] for run in runs] == [True, False]
    assert [run["cached"] for run in runs] == [0, len(report_fixtures.SECONDS)]
    assert len(os.listdir(os.path.join(work_dir, REPORTS_DIR))) == 2
    with open(path, encoding="utf-8") as handle:
        page = handle.read()
    assert "2 runs in this work directory" in page and "retrain" in page
    found = artifacts.latest_run(metadata_path(work_dir))
    assert found.model.uri == first.artifacts["model"].uri and not found.pushed_now
