"""RetrievalEvaluator's executor on real artifacts: hand-worked ranks, metrics, blessing.

The case (top_ks = 1, 2, 3; rank = other kept movies scoring >= the target):

  corpus (columns in order): m1 m2 m3 m4 m5 m6
  train:  u1: m1 (t=1), m2 (t=2)   u2: m1 (t=3), m3 (t=4)   u4: m1 (t=5), m4 (t=6)
  eval:   u1: m3 (t=10), m5 (t=11)   u2: m2 (t=12)   u9: m4 (t=13; cold: no train)
  -> 4 eval ratings: 3 warm (u1, u2), 1 cold (u9).

The model (``MODEL``, scores by user; u9 gets ``default``), best first:
  u1: m1 6, m2 5, m3 4, m5 3, m4 2, m6 1
  u2: m3 6, m1 5, m2 4, m4 3, m5 2, m6 1
  default: m1 6, m4 5, m2 4, m3 3, m5 2, m6 1
  timed (any query carrying a timestamp): m6 6, m5 5, m4 4, m3 3, m2 2, m1 1

Model ranks (query time model_default: no timestamp, so by user):
                 unfiltered        filtered (u1 loses m1 m2; u2 loses m1 m3)
  u1 m3          2 (m1, m2)        0
  u1 m5          3 (m1, m2, m3)    1 (m3)
  u2 m2          2 (m3, m1)        0
  u9 m4          1 (m1)            1 (m1; cold: nothing removed)
  filtered all:   accuracy @1 2/4, @2 1, @3 1; recall u1 (1/2, 1, 1), u2 1, u9 (0, 1, 1)
                  -> @1 1/2, @2 1, @3 1
  filtered warm:  accuracy @1 2/3, @2 1; recall (1/2 + 1) / 2 = 3/4 @1
  filtered cold:  accuracy @1 0, @2 1
  unfiltered all: accuracy @1 0, @2 1/4, @3 3/4; recall u1 (0, 0, 1/2), u2 (0, 0, 1),
                  u9 (0, 1, 1) -> @1 0, @2 1/3, @3 5/6
Under query time "rating" every query keeps its timestamp, so ranks by ``timed``:
  filtered: u1 m3 3 (m6 m5 m4), u1 m5 1 (m6), u2 m2 3 (m6 m5 m4), u9 m4 2 (m6 m5)
  -> accuracy @1 0, @2 1/4, @3 2/4.

Baselines (ties: all-time popularity, then corpus column):
  popularity: counts m1 3, m2 1, m3 1, m4 1, m5 0, m6 0 -> m1 m2 m3 m4 m5 m6
    filtered ranks 0, 2 (m3 m4), 0, 3 (m1 m2 m3) -> @1 2/4, @2 2/4, @3 3/4
    unfiltered     2, 4, 1, 3                    -> @1 0,   @2 1/4, @3 2/4
  recent_popularity (last 10% of t in 1..6: t >= 5.5, i.e. u4 m4) -> m4 m1 m2 m3 m5 m6
    filtered ranks 1 (m4), 2 (m4 m3), 1 (m4), 0 -> @1 1/4, @2 3/4, @3 1
  item_knn: cosine m1-m2 = m1-m3 = m1-m4 = 1/sqrt(3), no other pair; u1 (m1, m2)
    and u2 (m1, m3) both score m1..m4 equally, m5 m6 zero: popularity's order,
    so popularity's ranks.
  ease: not worked out by hand (its own tests check it); skipped in the
    blessing cases with ease_max_movies = 5 < 6 movies.
"""

import os
import shutil

import pytest
from tfx.components.util import model_utils
from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
    LatestBlessedModelStrategy,
)
from tfx.types import standard_artifacts
from tfx.utils import path_utils

from components.retrieval_evaluator import executor as evaluator_executor
from components.retrieval_evaluator import report, spec
from tests.evaluator.retrieval_evaluator_testing import (
    rating,
    run_evaluator,
    save_fake_model,
    write_candidates,
    write_examples,
)

TOP_KS = (1, 2, 3)
CORPUS = ["m1", "m2", "m3", "m4", "m5", "m6"]
TRAIN = [
    rating("u1", "m1", 1), rating("u1", "m2", 2), rating("u2", "m1", 3),
    rating("u2", "m3", 4), rating("u4", "m1", 5), rating("u4", "m4", 6),
]
EVAL = [
    rating("u1", "m3", 10), rating("u1", "m5", 11), rating("u2", "m2", 12), rating("u9", "m4", 13),
]


def _scores(*best_first):
    """A score row: the first movie 6, the next 5, ..."""
    return {movie: float(len(best_first) - i) for i, movie in enumerate(best_first)}


MODEL = {
    "u1": _scores("m1", "m2", "m3", "m5", "m4", "m6"),
    "u2": _scores("m3", "m1", "m2", "m4", "m5", "m6"),
}
DEFAULT = _scores("m1", "m4", "m2", "m3", "m5", "m6")
TIMED = _scores("m6", "m5", "m4", "m3", "m2", "m1")
# Filtered ranks 0, 1, 0, 0: top-1 accuracy 3/4.
BETTER = {
    "u1": _scores("m3", "m5", "m1", "m2", "m4", "m6"),
    "u2": _scores("m2", "m1", "m3", "m4", "m5", "m6"),
}
BETTER_DEFAULT = _scores("m4", "m1", "m2", "m3", "m5", "m6")
# Every movie scores 0: every target ranks last (tie rule), top-1 accuracy 0.
ZEROS = {movie: 0.0 for movie in CORPUS}

MODEL_FILTERED = {
    spec.ALL: ({"1": 2 / 4, "2": 1.0, "3": 1.0}, {"1": 1 / 2, "2": 1.0, "3": 1.0}),
    spec.WARM: ({"1": 2 / 3, "2": 1.0, "3": 1.0}, {"1": 3 / 4, "2": 1.0, "3": 1.0}),
    spec.COLD: ({"1": 0.0, "2": 1.0, "3": 1.0}, {"1": 0.0, "2": 1.0, "3": 1.0}),
}
MODEL_UNFILTERED_ALL = ({"1": 0.0, "2": 1 / 4, "3": 3 / 4}, {"1": 0.0, "2": 1 / 3, "3": 5 / 6})
POPULARITY_FILTERED_ALL = {"1": 2 / 4, "2": 2 / 4, "3": 3 / 4}
POPULARITY_UNFILTERED_ALL = {"1": 0.0, "2": 1 / 4, "3": 2 / 4}
RECENT_FILTERED_ALL = {"1": 1 / 4, "2": 3 / 4, "3": 1.0}
SKIP_EASE = {"ease_max_movies": 5}


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluator")
    return {
        "examples": write_examples(str(root / "examples"), {"train": TRAIN, "eval": EVAL}),
        "candidates": write_candidates(str(root / "candidates"), CORPUS),
        "model": save_fake_model(str(root / "model"), MODEL, DEFAULT, TIMED, model_id=11),
        "better": save_fake_model(str(root / "better"), BETTER, BETTER_DEFAULT, model_id=7),
        "worse": save_fake_model(str(root / "worse"), {}, ZEROS, model_id=5),
    }


def _evaluate(
    tmp_path, artifacts, baseline=None, examples=None, candidates=None, train_examples=None,
    **settings,
):
    settings.setdefault("top_ks", TOP_KS)
    settings.setdefault("blessing_k", 2)
    evaluation, blessing = run_evaluator(
        str(tmp_path),
        artifacts["model"],
        examples or artifacts["examples"],
        candidates or artifacts["candidates"],
        baseline_model=artifacts[baseline] if baseline else None,
        train_examples=train_examples,
        **settings,
    )
    return report.load_metrics(evaluation.uri), evaluation, blessing


def _blessing_files(blessing):
    return sorted(os.listdir(blessing.uri))


def _checks(metrics):
    return {check["name"]: check for check in metrics["blessing"]["checks"]}


def test_model_metrics_by_protocol_and_group_match_the_hand_worked_case(tmp_path, artifacts):
    metrics, evaluation, _ = _evaluate(tmp_path, artifacts)

    model = metrics["metrics"][spec.FILTERED][spec.CANDIDATE]
    for group, (accuracy, recall) in MODEL_FILTERED.items():
        assert model[group][spec.ACCURACY] == pytest.approx(accuracy), group
        assert model[group][spec.RECALL] == pytest.approx(recall), group
    unfiltered = metrics["metrics"][spec.UNFILTERED][spec.CANDIDATE][spec.ALL]
    assert unfiltered[spec.ACCURACY] == pytest.approx(MODEL_UNFILTERED_ALL[0])
    assert unfiltered[spec.RECALL] == pytest.approx(MODEL_UNFILTERED_ALL[1])
    # The cold user loses nothing to filtering: the same numbers both ways.
    assert metrics["metrics"][spec.UNFILTERED][spec.CANDIDATE][spec.COLD] == model[spec.COLD]
    # The headline numbers are also on the artifact, for MLMD queries.
    assert evaluation.get_float_custom_property("model_top_1_accuracy") == pytest.approx(0.5)
    assert evaluation.get_float_custom_property("model_unfiltered_top_3_accuracy") == (
        pytest.approx(3 / 4)
    )
    assert evaluation.get_float_custom_property("model_warm_top_1_accuracy") == (
        pytest.approx(2 / 3)
    )
    assert evaluation.get_float_custom_property("popularity_top_3_accuracy") == (
        pytest.approx(3 / 4)
    )
    assert evaluation.get_int_custom_property(spec.NUM_EVAL_EXAMPLES_PROPERTY) == 4
    assert evaluation.get_int_custom_property(spec.NUM_COLD_EXAMPLES_PROPERTY) == 1


def test_counts_protocol_and_layout(tmp_path, artifacts):
    metrics, _, _ = _evaluate(tmp_path, artifacts)

    assert metrics["counts"] == {
        "eval": 4, "warm": 3, "cold": 1,
        "eval_users": 3, "warm_users": 2, "cold_users": 1,
        "train": 6, "train_interactions": 6, "train_users": 3, "corpus": 6,
    }
    protocol = metrics["protocol"]
    assert protocol["primary"] == spec.FILTERED
    assert protocol["query_time"] == spec.QUERY_TIME_MODEL_DEFAULT
    assert protocol["top_ks"] == [1, 2, 3]
    # Every cut-off is below the corpus of 6 movies: all measured, none left out.
    assert protocol["configured_top_ks"] == [1, 2, 3]
    assert protocol["blessing_k"] == protocol["configured_blessing_k"] == 2
    assert protocol["left_out_top_ks"] == [] and protocol["left_out_reason"] is None
    assert metrics["blessing"]["k"] == 2
    assert not any("the blessing uses" in reason for reason in metrics["blessing"]["reasons"])
    assert not any(line.startswith("Left out") for line in report.summary_lines(metrics))
    assert protocol["sampled"] is False and protocol["sample"] is None
    assert protocol["train_examples"] == [artifacts["examples"].uri]
    assert set(protocol["definitions"]) >= {spec.ACCURACY, spec.RECALL, spec.FILTERED, spec.EASE}
    assert metrics["models"] == {spec.CANDIDATE: artifacts["model"].uri, spec.BASELINE: None}
    assert metrics["rankers"] == [spec.CANDIDATE, *spec.BASELINE_NAMES]
    assert metrics["skipped_baselines"] == {}
    for protocol_name in spec.PROTOCOLS:
        assert set(metrics["metrics"][protocol_name]) == {spec.CANDIDATE, *spec.BASELINE_NAMES}
        for groups in metrics["metrics"][protocol_name].values():
            assert set(groups) == set(spec.GROUPS)
            assert set(groups[spec.ALL][spec.ACCURACY]) == {"1", "2", "3"}


def test_baselines_are_ranked_by_the_same_code(tmp_path, artifacts):
    metrics, _, _ = _evaluate(tmp_path, artifacts)

    filtered, unfiltered = metrics["metrics"][spec.FILTERED], metrics["metrics"][spec.UNFILTERED]
    assert filtered[spec.POPULARITY][spec.ALL][spec.ACCURACY] == pytest.approx(
        POPULARITY_FILTERED_ALL
    )
    assert unfiltered[spec.POPULARITY][spec.ALL][spec.ACCURACY] == pytest.approx(
        POPULARITY_UNFILTERED_ALL
    )
    assert filtered[spec.RECENT_POPULARITY][spec.ALL][spec.ACCURACY] == pytest.approx(
        RECENT_FILTERED_ALL
    )
    assert filtered[spec.ITEM_KNN] == filtered[spec.POPULARITY]
    # Cold users get popularity from every baseline: rank 3 (m1 m2 m3 ahead of m4).
    assert filtered[spec.EASE][spec.COLD][spec.ACCURACY] == pytest.approx(
        {"1": 0.0, "2": 0.0, "3": 0.0}
    )


def test_ease_above_its_corpus_bound_is_skipped_and_said_so(tmp_path, artifacts):
    metrics, _, _ = _evaluate(tmp_path, artifacts, **SKIP_EASE)

    reason = metrics["skipped_baselines"][spec.EASE]
    assert "6 movies" in reason and "max_movies = 5" in reason
    assert spec.EASE not in metrics["metrics"][spec.FILTERED]
    assert spec.EASE not in metrics["rankers"]
    assert metrics["baselines"]["ease_max_movies"] == 5
    lines = report.summary_lines(metrics)
    assert any(line.startswith("Skipped baseline ease: ") for line in lines)


def test_query_time_model_default_removes_the_timestamp_and_rating_keeps_it(
    tmp_path, artifacts
):
    default, _, _ = _evaluate(tmp_path / "default", artifacts)
    timed, _, _ = _evaluate(tmp_path / "timed", artifacts, query_time=spec.QUERY_TIME_RATING)

    # The fake model answers by TIMED whenever the query has a timestamp.
    assert default["metrics"][spec.FILTERED][spec.CANDIDATE][spec.ALL][spec.ACCURACY] == (
        pytest.approx(MODEL_FILTERED[spec.ALL][0])
    )
    assert timed["protocol"]["query_time"] == spec.QUERY_TIME_RATING
    assert timed["metrics"][spec.FILTERED][spec.CANDIDATE][spec.ALL][spec.ACCURACY] == (
        pytest.approx({"1": 0.0, "2": 1 / 4, "3": 2 / 4})
    )
    # Baselines do not read the query example: the same either way.
    assert (
        timed["metrics"][spec.FILTERED][spec.POPULARITY]
        == default["metrics"][spec.FILTERED][spec.POPULARITY]
    )


def test_first_run_without_a_baseline_model_is_blessed_on_thresholds_alone(tmp_path, artifacts):
    metrics, _, blessing = _evaluate(tmp_path, artifacts, min_top_k_accuracy=0.9, **SKIP_EASE)

    assert metrics["blessing"]["blessed"] is True
    assert metrics["blessing"]["baseline_model_present"] is False
    assert metrics["blessing"]["protocol"] == spec.FILTERED
    assert [c["name"] for c in metrics["blessing"]["checks"]] == ["min_top_k_accuracy"]
    assert any("no baseline model" in reason for reason in metrics["blessing"]["reasons"])
    # Not required, but reported: the best baseline at k = 2 and the gap.
    assert metrics["blessing"]["best_baseline"] == {
        "name": spec.RECENT_POPULARITY, "top_k_accuracy": 0.75, "gap": 0.25,
    }
    assert metrics["blessing"]["counted_baselines"] == [
        spec.POPULARITY, spec.RECENT_POPULARITY, spec.ITEM_KNN,
    ]
    assert any(
        "ahead of the best baseline recent_popularity (0.7500) by 0.2500" in reason
        for reason in metrics["blessing"]["reasons"]
    )
    assert _blessing_files(blessing) == [spec.BLESSED_FILE]
    assert blessing.get_int_custom_property(spec.BLESSED_PROPERTY) == 1
    model_uri = blessing.get_string_custom_property(spec.CURRENT_MODEL_PROPERTY)
    assert model_uri == artifacts["model"].uri
    assert blessing.get_int_custom_property(spec.CURRENT_MODEL_ID_PROPERTY) == 11
    assert not blessing.has_custom_property(spec.BASELINE_MODEL_ID_PROPERTY)
    assert "passed" in blessing.get_string_custom_property(spec.BLESSING_MESSAGE_PROPERTY)


def test_an_empty_baseline_channel_counts_as_no_baseline(tmp_path, artifacts):
    evaluation, _ = run_evaluator(
        str(tmp_path), artifacts["model"], artifacts["examples"], artifacts["candidates"],
        empty_baseline_channel=True, top_ks=TOP_KS, blessing_k=2,
    )
    metrics = report.load_metrics(evaluation.uri)
    assert metrics["blessing"]["blessed"] is True
    assert spec.BASELINE not in metrics["metrics"][spec.FILTERED]


def test_below_the_minimum_accuracy_is_not_blessed(tmp_path, artifacts):
    metrics, _, blessing = _evaluate(tmp_path, artifacts, blessing_k=1, min_top_k_accuracy=0.6)

    assert metrics["blessing"]["blessed"] is False
    assert _checks(metrics)["min_top_k_accuracy"] == {
        "name": "min_top_k_accuracy",
        "passed": False,
        "value": pytest.approx(0.5),
        "threshold": 0.6,
        "message": "FAILED: model top-1 accuracy (filtered) vs min_top_k_accuracy: "
                   "0.5000 < 0.6000",
    }
    assert metrics["blessing"]["reasons"][0].startswith("FAILED")
    assert _blessing_files(blessing) == [spec.NOT_BLESSED_FILE]
    assert blessing.get_int_custom_property(spec.BLESSED_PROPERTY) == 0
    assert not model_utils.is_model_blessed(blessing)


@pytest.mark.parametrize(
    "counted, margin, best, threshold, blessed",
    [
        # Model 1.0 at k = 2; best of all that ran: recent_popularity 0.75.
        (None, 0.2, spec.RECENT_POPULARITY, 0.95, True),
        (None, 0.25, spec.RECENT_POPULARITY, 1.0, True),  # exactly: no float noise
        (None, 0.3, spec.RECENT_POPULARITY, 1.05, False),
        # Only popularity counts (0.5).
        ((spec.POPULARITY,), 0.5, spec.POPULARITY, 1.0, True),
        ((spec.POPULARITY, spec.ITEM_KNN), 0.6, spec.POPULARITY, 1.1, False),
    ],
)
def test_blessing_against_the_best_counted_baseline(
    tmp_path, artifacts, counted, margin, best, threshold, blessed
):
    metrics, _, blessing = _evaluate(
        tmp_path, artifacts, min_margin_over_baselines=margin, blessing_baselines=counted,
        **SKIP_EASE,
    )

    check = _checks(metrics)["min_margin_over_baselines"]
    assert check["threshold"] == pytest.approx(threshold)
    assert check["passed"] is blessed
    assert f"best baseline {best} " in check["message"]
    assert metrics["blessing"]["best_baseline"]["name"] == best
    assert metrics["blessing"]["blessed"] is blessed
    assert model_utils.is_model_blessed(blessing) is blessed


def test_a_counted_baseline_that_was_skipped_does_not_count_and_is_named(tmp_path, artifacts):
    metrics, _, _ = _evaluate(
        tmp_path, artifacts, min_margin_over_baselines=0.1, blessing_baselines=[spec.EASE],
        **SKIP_EASE,
    )
    assert "min_margin_over_baselines" not in _checks(metrics)
    assert metrics["blessing"]["best_baseline"] is None
    reasons = " | ".join(metrics["blessing"]["reasons"])
    assert "baseline ease does not count: skipped (ease: the corpus has 6 movies" in reasons
    assert "min_margin_over_baselines not checked" in reasons


def test_a_model_behind_a_baseline_is_noted_even_when_not_required(tmp_path, artifacts):
    metrics, _, _ = _evaluate(
        tmp_path, artifacts, query_time=spec.QUERY_TIME_RATING, **SKIP_EASE
    )
    # Timed model 1/4 at k = 2, recent_popularity 3/4.
    assert metrics["blessing"]["blessed"] is True
    assert metrics["blessing"]["best_baseline"]["gap"] == pytest.approx(-0.5)
    assert any(
        "BEHIND the best baseline recent_popularity (0.7500) by 0.5000" in reason
        for reason in metrics["blessing"]["reasons"]
    )


@pytest.mark.parametrize(
    "baseline, tolerance, blessed",
    [
        ("worse", 0.0, True),  # 2/4 >= 0
        ("better", 0.25, True),  # 2/4 >= 3/4 - 0.25: within tolerance
        ("better", 0.2, False),  # 2/4 < 3/4 - 0.2
        ("better", 0.0, False),
    ],
)
def test_blessing_against_the_baseline_model(tmp_path, artifacts, baseline, tolerance, blessed):
    metrics, _, blessing = _evaluate(
        tmp_path, artifacts, baseline=baseline, baseline_tolerance=tolerance, blessing_k=1
    )

    baseline_accuracy = 3 / 4 if baseline == "better" else 0.0
    baseline_metrics = metrics["metrics"][spec.FILTERED][spec.BASELINE][spec.ALL]
    assert baseline_metrics[spec.ACCURACY]["1"] == pytest.approx(baseline_accuracy)
    assert metrics["models"][spec.BASELINE] == artifacts[baseline].uri
    threshold = _checks(metrics)["baseline_tolerance"]["threshold"]
    assert threshold == pytest.approx(baseline_accuracy - tolerance)
    assert metrics["blessing"]["blessed"] is blessed
    assert metrics["blessing"]["baseline_model_present"] is True
    assert _blessing_files(blessing) == [spec.BLESSED_FILE if blessed else spec.NOT_BLESSED_FILE]
    assert blessing.get_int_custom_property(spec.BASELINE_MODEL_ID_PROPERTY) == (
        artifacts[baseline].id
    )
    assert blessing.get_string_custom_property(spec.BASELINE_MODEL_PROPERTY) == (
        artifacts[baseline].uri
    )


def test_the_baseline_model_gets_every_protocol_and_group(tmp_path, artifacts):
    metrics, _, _ = _evaluate(tmp_path, artifacts, baseline="better")
    better = metrics["metrics"][spec.FILTERED][spec.BASELINE]
    # Filtered ranks 0, 1, 0, 0.
    assert better[spec.ALL][spec.ACCURACY] == pytest.approx({"1": 3 / 4, "2": 1.0, "3": 1.0})
    assert better[spec.WARM][spec.ACCURACY] == pytest.approx({"1": 2 / 3, "2": 1.0, "3": 1.0})
    assert better[spec.COLD][spec.ACCURACY] == pytest.approx({"1": 1.0, "2": 1.0, "3": 1.0})
    # Unfiltered: u1 m3 0, u1 m5 1, u2 m2 0, u9 m4 0: the same here.
    unfiltered = metrics["metrics"][spec.UNFILTERED][spec.BASELINE][spec.ALL]
    assert unfiltered[spec.ACCURACY] == pytest.approx({"1": 3 / 4, "2": 1.0, "3": 1.0})
    lines = report.summary_lines(metrics)
    assert any(line.strip().startswith("baseline_model all") for line in lines)


def test_latest_blessed_model_strategy_resolves_a_blessed_model(tmp_path, artifacts):
    _, _, blessed = _evaluate(tmp_path / "a", artifacts)
    _, _, rejected = _evaluate(tmp_path / "b", artifacts, min_top_k_accuracy=1.0, blessing_k=1)
    newer = standard_artifacts.Model()
    newer.id = 12  # Newer than the model, but its blessing is NOT_BLESSED.
    rejected.set_int_custom_property(spec.CURRENT_MODEL_ID_PROPERTY, newer.id)

    resolved = LatestBlessedModelStrategy()._resolve(  # pylint: disable=protected-access
        {"model": [artifacts["model"], newer], "blessing": [blessed, rejected]},
        "model",
        "blessing",
    )
    assert [m.id for m in resolved["model"]] == [11]
    assert resolved["blessing"] == [blessed]


def test_max_eval_examples_evaluates_a_sample_and_says_so(tmp_path, artifacts):
    metrics, _, _ = _evaluate(tmp_path / "three", artifacts, max_eval_examples=3)
    assert metrics["counts"]["eval"] == 3
    assert metrics["counts"]["warm"] + metrics["counts"]["cold"] == 3
    assert metrics["protocol"]["sampled"] is True
    assert "a uniform random sample of 3 eval ratings" in metrics["protocol"]["sample"]
    # Seeded: the same split gives the same sample, and so the same numbers.
    again, _, _ = _evaluate(tmp_path / "again", artifacts, max_eval_examples=3)
    assert again["metrics"] == metrics["metrics"] and again["counts"] == metrics["counts"]
    # The baselines still fit on the whole train split.
    assert metrics["counts"]["train"] == 6
    # A cap at the split's size evaluates everything: not a sample.
    whole, _, _ = _evaluate(tmp_path / "four", artifacts, max_eval_examples=4)
    assert whole["protocol"]["sampled"] is False and whole["counts"]["eval"] == 4


def test_batches_smaller_than_the_split_give_the_same_numbers(tmp_path, artifacts):
    metrics, _, _ = _evaluate(tmp_path, artifacts, batch_size=1)
    model = metrics["metrics"][spec.FILTERED][spec.CANDIDATE]
    assert model[spec.ALL][spec.ACCURACY] == pytest.approx(MODEL_FILTERED[spec.ALL][0])
    assert model[spec.ALL][spec.RECALL] == pytest.approx(MODEL_FILTERED[spec.ALL][1])


def test_uncompressed_record_files_are_read_too(tmp_path, artifacts):
    examples = write_examples(
        str(tmp_path / "plain"), {"train": TRAIN, "eval": EVAL}, gzip=False
    )
    metrics, _, _ = _evaluate(tmp_path / "out", artifacts, examples=examples)
    model = metrics["metrics"][spec.FILTERED][spec.CANDIDATE]
    assert model[spec.ALL][spec.ACCURACY] == pytest.approx(MODEL_FILTERED[spec.ALL][0])


def test_a_model_without_the_embedding_signatures_fails_clearly(tmp_path, artifacts):
    served_only = save_fake_model(
        str(tmp_path / "served_only"), MODEL, DEFAULT, signatures=[spec.SIGNATURE_NAME]
    )
    with pytest.raises(ValueError, match=r"has no 'query_embedding' signature .*contract"):
        run_evaluator(
            str(tmp_path / "out"), served_only, artifacts["examples"], artifacts["candidates"],
            top_ks=TOP_KS, blessing_k=2,
        )


def test_a_model_serving_fewer_movies_than_the_largest_k_fails_clearly(tmp_path, artifacts):
    short = save_fake_model(str(tmp_path / "short"), MODEL, DEFAULT, serving_k=2)
    message = (
        r"short/Format-Serving returns the top 2 movies through 'serving_default', "
        r"fewer than the largest k = 3"
    )
    with pytest.raises(ValueError, match=message):
        run_evaluator(
            str(tmp_path / "out"), short, artifacts["examples"], artifacts["candidates"],
            top_ks=TOP_KS, blessing_k=2,
        )


def test_cut_offs_at_or_above_the_corpus_size_are_left_out_and_said_so(tmp_path, artifacts):
    # 6 movies: at k = 6 and k = 100 every ranker's top k is the whole corpus.
    metrics, evaluation, _ = _evaluate(
        tmp_path, artifacts, top_ks=(1, 2, 6, 100), blessing_k=2, **SKIP_EASE
    )

    protocol = metrics["protocol"]
    assert protocol["top_ks"] == [1, 2]
    assert protocol["configured_top_ks"] == [1, 2, 6, 100]
    assert protocol["left_out_top_ks"] == [6, 100]
    assert protocol["left_out_reason"] == (
        "top_ks [6, 100] >= the corpus of 6 movies: every ranker's top k holds the "
        "whole corpus, so they cannot tell rankers apart"
    )
    for by_ranker in metrics["metrics"].values():
        for groups in by_ranker.values():
            for result in filter(None, groups.values()):
                assert set(result[spec.ACCURACY]) == set(result[spec.RECALL]) == {"1", "2"}
    model = metrics["metrics"][spec.FILTERED][spec.CANDIDATE][spec.ALL]
    assert model[spec.ACCURACY] == pytest.approx({"1": 2 / 4, "2": 1.0})
    assert evaluation.has_custom_property("model_top_2_accuracy")
    assert not evaluation.has_custom_property("model_top_6_accuracy")
    assert not evaluation.has_custom_property("popularity_top_100_accuracy")
    lines = report.summary_lines(metrics)
    assert "k=2" in lines[2] and "k=6" not in lines[2]
    assert f"Left out: {protocol['left_out_reason']}" in lines
    # blessing_k = 2 is measured: the blessing is unchanged and says nothing.
    assert (protocol["blessing_k"], metrics["blessing"]["k"]) == (2, 2)
    assert not any("the blessing uses" in reason for reason in metrics["blessing"]["reasons"])


def test_a_left_out_blessing_k_gives_way_to_the_largest_measured_cut_off(tmp_path, artifacts):
    metrics, _, blessing = _evaluate(
        tmp_path, artifacts, top_ks=(1, 2, 6, 100), blessing_k=100,
        min_margin_over_baselines=0.2, **SKIP_EASE,
    )

    assert (metrics["protocol"]["blessing_k"], metrics["protocol"]["configured_blessing_k"]) == (
        2, 100
    )
    assert metrics["blessing"]["k"] == 2
    note = "blessing_k 100 >= corpus of 6 movies: the blessing uses top-2"
    assert note in metrics["blessing"]["reasons"]
    assert note in blessing.get_string_custom_property(spec.BLESSING_MESSAGE_PROPERTY)
    # Judged at k = 2 (model 1.0, recent_popularity 0.75), not vacuously at 1.0 = 1.0.
    assert _checks(metrics)["min_margin_over_baselines"]["message"] == (
        "passed: model top-2 accuracy (filtered) vs best baseline recent_popularity "
        "(0.7500) + margin 0.2000: 1.0000 >= 0.9500"
    )
    assert metrics["blessing"]["best_baseline"] == {
        "name": spec.RECENT_POPULARITY, "top_k_accuracy": 0.75, "gap": 0.25,
    }
    assert "blessing uses all, k=2" in report.summary_lines(metrics)[1]


def test_a_corpus_no_larger_than_every_cut_off_fails_clearly(tmp_path, artifacts):
    message = (
        r"The corpus has 6 movies, no more than the smallest of top_ks \[6, 100\]: "
        r".*set top_ks below the corpus size"
    )
    with pytest.raises(ValueError, match=message):
        _evaluate(tmp_path, artifacts, top_ks=(6, 100), blessing_k=100)
    assert not os.path.exists(tmp_path / "evaluation")


def test_a_rated_movie_missing_from_the_corpus_is_named(tmp_path, artifacts):
    examples = write_examples(
        str(tmp_path / "train_m7"), {"train": [*TRAIN, rating("u4", "m7", 7)], "eval": EVAL}
    )
    with pytest.raises(ValueError, match=r"'train' split .* movie 'm7', which is not in"):
        _evaluate(tmp_path / "a", artifacts, examples=examples)
    examples = write_examples(
        str(tmp_path / "eval_m8"), {"train": TRAIN, "eval": [*EVAL, rating("u1", "m8", 20)]}
    )
    with pytest.raises(ValueError, match=r"'eval' split .* movie 'm8', which is not in"):
        _evaluate(tmp_path / "b", artifacts, examples=examples)


def test_train_examples_of_several_spans_are_the_training_data(tmp_path, artifacts):
    # The newest span trains on u1's ratings only; an older span holds the rest.
    newest = write_examples(str(tmp_path / "newest"), {"train": TRAIN[:2], "eval": EVAL})
    older = write_examples(str(tmp_path / "older"), {"train": TRAIN[2:], "eval": []})

    alone, _, _ = _evaluate(tmp_path / "alone", artifacts, examples=newest)
    # Without the older span u2 is cold too, and nothing of u2's is removed.
    assert (alone["counts"]["warm"], alone["counts"]["cold"]) == (2, 2)
    window, _, _ = _evaluate(
        tmp_path / "window", artifacts, examples=newest, train_examples=[newest, older]
    )
    assert (window["counts"]["warm"], window["counts"]["cold"], window["counts"]["train"]) == (
        3, 1, 6
    )
    assert sorted(window["protocol"]["train_examples"]) == sorted([newest.uri, older.uri])
    model = window["metrics"][spec.FILTERED][spec.CANDIDATE]
    for group, (accuracy, recall) in MODEL_FILTERED.items():
        assert model[group][spec.ACCURACY] == pytest.approx(accuracy), group
        assert model[group][spec.RECALL] == pytest.approx(recall), group


def test_a_missing_split_is_named(tmp_path, artifacts):
    examples = write_examples(str(tmp_path / "only_train"), {"train": TRAIN})
    with pytest.raises(ValueError, match=r"no split 'eval'; splits: \['train'\]"):
        _evaluate(tmp_path / "out", artifacts, examples=examples)


def test_the_served_model_is_the_baseline_when_given_a_push_destination(tmp_path, artifacts):
    push_destination = tmp_path / "serving"
    served = push_destination / "1700000000"
    shutil.copytree(path_utils.serving_model_path(artifacts["better"].uri), served)
    metrics, _, _ = _evaluate(
        tmp_path / "run", artifacts, baseline_push_destination=str(push_destination),
        blessing_k=1, baseline_tolerance=0.0,
    )
    assert metrics["models"][spec.BASELINE] == str(served)
    baseline = metrics["metrics"][spec.FILTERED][spec.BASELINE][spec.ALL]
    assert baseline[spec.ACCURACY]["1"] == pytest.approx(3 / 4)
    assert metrics["blessing"]["blessed"] is False  # 2/4 < served 3/4 with no tolerance


def test_an_empty_push_destination_means_no_baseline(tmp_path, artifacts):
    metrics, _, _ = _evaluate(
        tmp_path, artifacts, baseline_push_destination=str(tmp_path / "nothing_pushed")
    )
    assert spec.BASELINE not in metrics["metrics"][spec.FILTERED]
    assert metrics["blessing"]["blessed"] is True


def test_the_evaluator_logs_progress_lines(tmp_path, artifacts, monkeypatch):
    lines = []
    monkeypatch.setattr(
        evaluator_executor, "log_progress", lambda message, *args: lines.append(message % args)
    )
    _evaluate(tmp_path, artifacts)
    assert lines[0].startswith("6 training ratings read (")
    assert lines[1].startswith("baselines fitted (") and lines[1].endswith(
        "popularity, recent_popularity, item_knn, ease"
    )
    assert lines[2:] == ["4/4 eval ratings ranked by popularity, recent_popularity, item_knn, ease"]


def test_ranking_progress_is_logged_each_hundred_thousand_ratings_and_at_the_end(monkeypatch):
    lines = []
    monkeypatch.setattr(
        evaluator_executor, "log_progress", lambda message, *args: lines.append(message % args)
    )
    for before, done, total in [(0, 99_999, None), (99_999, 100_500, None), (100_500, 150_000, 150_000)]:
        evaluator_executor._log_ranked(before, done, total, "model")  # pylint: disable=protected-access
    assert lines == [
        "100,500 eval ratings ranked by model",
        "150,000/150,000 eval ratings ranked by model",
    ]
