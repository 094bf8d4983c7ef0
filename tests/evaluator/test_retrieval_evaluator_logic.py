"""Settings, rank collection, blessing and summary logic on hand-built arrays (no model)."""

import numpy as np
import pytest

from components.retrieval_evaluator import blessing, report, spec
from components.retrieval_evaluator.metrics import GroupResult, RankCollector
from components.retrieval_evaluator.settings import Settings
from retrieval_metrics import exclusion_mask


def test_collector_ranks_both_protocols_and_splits_warm_from_cold():
    collector = RankCollector(["r"], top_ks=[1, 2])
    # Three queries over 3 movies; user 0 (warm) trained on movie 0, user 1
    # (warm) on nothing kept here, user 2 is cold.
    scores = np.array([[3.0, 2.0, 1.0], [3.0, 2.0, 1.0], [1.0, 2.0, 3.0]])
    targets = np.array([1, 2, 0])
    excluded = exclusion_mask(3, 3, [[0], [], []])
    collector.add_queries(np.array([0, 1, 2]), np.array([True, True, False]))
    collector.add_scores("r", scores, targets, excluded, positions=[0, 1, 2])
    results = collector.results()
    # Unfiltered ranks 1, 2, 2; filtered 0 (movie 0 removed), 2, 2.
    assert results[spec.UNFILTERED]["r"][spec.ALL].top_k_accuracy == {1: 0.0, 2: 1 / 3}
    assert results[spec.FILTERED]["r"][spec.ALL].top_k_accuracy == {1: 1 / 3, 2: 1 / 3}
    assert results[spec.FILTERED]["r"][spec.WARM].top_k_accuracy == {1: 0.5, 2: 0.5}
    assert results[spec.FILTERED]["r"][spec.COLD].top_k_accuracy == {1: 0.0, 2: 0.0}
    assert collector.counts() == {
        "eval": 3, "warm": 2, "cold": 1, "eval_users": 3, "warm_users": 2, "cold_users": 1,
    }


def test_a_group_without_ratings_has_no_metrics():
    collector = RankCollector(["r"], top_ks=[1])
    collector.add_queries(np.array([0, 0]), np.array([True, True]))
    # Added in two parts, out of order: positions put them in place.
    collector.add_scores("r", np.array([[0.0, 1.0]]), np.array([0]), np.zeros((1, 2), bool), [1])
    collector.add_scores("r", np.array([[1.0, 0.0]]), np.array([0]), np.zeros((1, 2), bool), [0])
    results = collector.results()
    assert results[spec.FILTERED]["r"][spec.COLD] is None
    # One user, ranks 0 and 1: recall@1 is that user's 1/2.
    assert results[spec.FILTERED]["r"][spec.ALL].recall_at_k == {1: 0.5}


def test_no_eval_examples_is_an_error_and_so_is_an_unranked_one():
    with pytest.raises(ValueError, match="No eval examples"):
        RankCollector(["r"], [1]).results()
    collector = RankCollector(["r"], top_ks=[1])
    collector.add_queries(np.array([0, 1]), np.array([True, False]))
    collector.add_scores("r", np.array([[1.0, 0.0]]), np.array([0]), np.zeros((1, 2), bool), [1])
    with pytest.raises(ValueError, match="r: 1 eval ratings were not ranked"):
        collector.results()


# MovieLens 100K's corpus: every default cut-off is measured.
LARGE_CORPUS = 1682


def _results(model, baselines=None, baseline_model=None, k=100):
    def entry(value):
        group = GroupResult({k: value}, {k: 0.0})
        return {spec.ALL: group, spec.WARM: group, spec.COLD: None}

    rankers = {spec.CANDIDATE: entry(model)}
    rankers.update({name: entry(value) for name, value in (baselines or {}).items()})
    if baseline_model is not None:
        rankers[spec.BASELINE] = entry(baseline_model)
    return {spec.FILTERED: rankers, spec.UNFILTERED: rankers}


def _decide(settings, results, corpus_size=LARGE_CORPUS):
    return blessing.decide(settings, settings.cutoffs(corpus_size), results)


def test_decision_lists_failed_checks_first_and_notes_a_loss_to_the_best_baseline():
    settings = Settings(min_top_k_accuracy=0.3, baseline_tolerance=0.01)
    decision = _decide(
        settings,
        _results(model=0.25, baselines={spec.POPULARITY: 0.29, spec.ITEM_KNN: 0.31},
                 baseline_model=0.2),
    )
    assert not decision.blessed
    assert [(c.name, c.passed) for c in decision.checks] == [
        ("min_top_k_accuracy", False),
        ("baseline_tolerance", True),
    ]
    assert decision.reasons[0].startswith("FAILED: model top-100 accuracy (filtered)")
    assert decision.best_baseline["name"] == spec.ITEM_KNN
    assert "BEHIND the best baseline item_knn (0.3100) by 0.0600" in decision.reasons[-1]
    assert "set min_margin_over_baselines" in decision.reasons[-1]


def test_a_model_level_with_the_best_baseline_is_said_so():
    decision = _decide(Settings(), _results(model=0.3, baselines={spec.POPULARITY: 0.3}))
    assert decision.blessed
    assert "0.3000 is level with the best baseline popularity (0.3000) (not a" in (
        decision.reasons[-1]
    )


def test_a_margin_over_baselines_is_checked_against_the_best_counted_one():
    results = _results(model=0.4, baselines={spec.POPULARITY: 0.3, spec.EASE: 0.38})
    everything = _decide(Settings(min_margin_over_baselines=0.05), results)
    assert not everything.blessed  # 0.4 < 0.38 + 0.05
    assert everything.counted_baselines == [spec.POPULARITY, spec.EASE]
    only_popularity = _decide(
        Settings(min_margin_over_baselines=0.05, blessing_baselines=(spec.POPULARITY,)), results
    )
    assert only_popularity.blessed  # 0.4 >= 0.3 + 0.05
    assert only_popularity.best_baseline["name"] == spec.POPULARITY


def test_on_a_small_corpus_the_decision_uses_the_largest_measured_cut_off():
    decision = _decide(
        Settings(min_top_k_accuracy=0.3),
        _results(model=0.25, baselines={spec.POPULARITY: 0.2}, k=50),
        corpus_size=60,
    )
    assert not decision.blessed and decision.k == 50
    assert decision.reasons[0] == (
        "FAILED: model top-50 accuracy (filtered) vs min_top_k_accuracy: 0.2500 < 0.3000"
    )
    assert "blessing_k 100 >= corpus of 60 movies: the blessing uses top-50" in decision.reasons
    assert decision.to_json(has_baseline=False)["k"] == 50


def test_cutoffs_keep_every_k_below_the_corpus_size():
    large = Settings().cutoffs(LARGE_CORPUS)
    assert (large.top_ks, large.left_out, large.blessing_k, large.max_k) == (
        (1, 5, 10, 50, 100), (), 100, 100
    )
    assert large.left_out_reason is None and large.blessing_note is None

    small = Settings().cutoffs(60)
    assert (small.top_ks, small.left_out, small.blessing_k, small.max_k) == (
        (1, 5, 10, 50), (100,), 50, 50
    )
    assert small.configured_blessing_k == 100
    assert small.left_out_reason.startswith("top_ks [100] >= the corpus of 60 movies: ")
    assert small.blessing_note == (
        "blessing_k 100 >= corpus of 60 movies: the blessing uses top-50"
    )


def test_cutoffs_leave_out_k_equal_to_the_corpus_size_and_keep_a_measured_blessing_k():
    cutoffs = Settings(top_ks=(1, 10, 50, 100), blessing_k=10).cutoffs(50)
    assert (cutoffs.top_ks, cutoffs.left_out, cutoffs.blessing_k) == ((1, 10), (50, 100), 10)
    assert cutoffs.blessing_note is None


@pytest.mark.parametrize("corpus_size", [1, 5])
def test_a_corpus_no_larger_than_the_smallest_k_is_refused(corpus_size):
    message = (
        rf"The corpus has {corpus_size} movies, no more than the smallest of top_ks "
        r"\[5, 100\]"
    )
    with pytest.raises(ValueError, match=message):
        Settings(top_ks=(5, 100)).cutoffs(corpus_size)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"top_ks": (5, 1)}, "ascending"),
        ({"top_ks": (0, 5)}, "positive integers"),
        ({"top_ks": (1, 5), "blessing_k": 10}, "blessing_k=10 must be one of"),
        ({"min_top_k_accuracy": 1.5}, r"min_top_k_accuracy must be in \[0, 1\]"),
        ({"min_margin_over_baselines": 2.0}, "min_margin_over_baselines must be in"),
        ({"blessing_baselines": ("popularity", "svd")}, "blessing_baselines must name"),
        ({"blessing_baselines": ()}, "blessing_baselines must name"),
        ({"blessing_baselines": "popularity"}, "sequence of names"),
        ({"baseline_tolerance": -0.1}, "baseline_tolerance must be >= 0"),
        ({"query_time": "now"}, "query_time must be one of"),
        ({"recent_window_fraction": 0.0}, r"recent_window_fraction must be in \(0, 1\]"),
        ({"ease_lambda": 0.0}, "ease_lambda must be > 0"),
        ({"ease_max_movies": 0}, "ease_max_movies must be >= 1"),
        ({"knn_neighbours": 0}, "knn_neighbours must be >= 1"),
        ({"max_eval_examples": 0}, "max_eval_examples must be >= 1"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
    ],
)
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Settings(**kwargs)


def test_settings_round_trip_through_exec_properties():
    settings = Settings(
        top_ks=(1, 10), blessing_k=10, min_top_k_accuracy=0.2,
        min_margin_over_baselines=0.05, blessing_baselines=(spec.POPULARITY, spec.EASE),
        baseline_tolerance=0.02, query_time=spec.QUERY_TIME_RATING,
        recent_window_fraction=0.25, ease_lambda=50.0, ease_max_movies=100,
        knn_neighbours=7, knn_max_movies=200,
        max_eval_examples=500, batch_size=64, eval_split="test", train_split="fit",
    )
    assert Settings.from_exec_properties(settings.to_exec_properties()) == settings
    assert Settings.from_exec_properties({}) == Settings()


def test_defaults_are_declared_once():
    defaults = Settings()
    assert defaults.baseline_tolerance == 0.01
    assert defaults.min_margin_over_baselines is None
    assert defaults.blessing_baselines is None
    assert defaults.query_time == spec.QUERY_TIME_MODEL_DEFAULT
    assert (defaults.recent_window_fraction, defaults.ease_lambda, defaults.ease_max_movies) == (
        0.1, 300.0, 20_000
    )


def test_summary_shows_every_ranker_and_group_and_the_unfiltered_model():
    group = {spec.ACCURACY: {"1": 0.5, "10": 0.75}, spec.RECALL: {"1": 0.5, "10": 0.75}}
    content = {
        "protocol": {
            "primary": spec.FILTERED, "protocols": list(spec.PROTOCOLS), "top_ks": [1, 10],
            "blessing_k": 10, "query_time": spec.QUERY_TIME_MODEL_DEFAULT, "sampled": False,
        },
        "counts": {"eval": 4, "eval_users": 3, "warm": 4, "cold": 0, "corpus": 6},
        "rankers": [spec.CANDIDATE, spec.POPULARITY],
        "metrics": {
            protocol: {
                name: {spec.ALL: group, spec.WARM: group, spec.COLD: None}
                for name in (spec.CANDIDATE, spec.POPULARITY)
            }
            for protocol in spec.PROTOCOLS
        },
        "skipped_baselines": {spec.EASE: "too big"},
        "blessing": {"blessed": True, "reasons": ["passed: something"]},
    }
    lines = report.summary_lines(content)
    text = "\n".join(lines)
    assert "4 eval ratings of 3 users (warm 4, cold 0), 6 movies" in lines[0]
    assert "query time: model_default" in lines[0]
    assert "k=1" in lines[2] and "k=10" in lines[2]
    assert "  model all" in text and "  popularity all" in text
    assert text.count("no ratings") == 2  # cold, for both rankers
    assert "model all, unfiltered" in text
    assert "Skipped baseline ease: too big" in text
    assert "Left out" not in text
    assert lines[-2:] == ["Blessed: yes", "  - passed: something"]
    content["protocol"]["left_out_reason"] = "top_ks [100] >= the corpus of 60 movies: ..."
    assert "Left out: top_ks [100] >= the corpus of 60 movies: ..." in (
        report.summary_lines(content)
    )
