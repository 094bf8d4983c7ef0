"""Metric and blessing logic on tiny hand-built arrays (no TensorFlow model)."""

import numpy as np
import pytest

from components.retrieval_evaluator import blessing, spec
from components.retrieval_evaluator.metrics import RankerResult, RetrievalMetrics, ranks
from components.retrieval_evaluator.rankers import FixedRanker, most_popular
from components.retrieval_evaluator.settings import Settings


def _array(*values):
    return np.array(values, dtype=object)


class _ByQuery:
    """Ranks by the query string itself (the 'serialized example')."""

    def __init__(self, rankings):
        self._rankings = rankings

    def rank(self, serialized):
        return np.array([self._rankings[q] for q in serialized], dtype=object)


def test_ranks_finds_the_first_position_or_k_when_absent():
    ranked = np.array([[b"a", b"b", b"c"], [b"c", b"b", b"a"], [b"x", b"y", b"z"]], dtype=object)
    assert ranks(_array(b"b", b"a", b"a"), ranked).tolist() == [1, 2, 3]


def test_recall_uses_each_users_latest_eval_rating_as_the_query():
    # u1 rates m1 at t=5 and m2 at t=9 (latest), across two batches; u2 rates m3
    # twice at the same time: the one read last is the query (ties -> last read).
    ranker = _ByQuery({
        b"u1@5": [b"m9", b"m8"],
        b"u1@9": [b"m2", b"m1"],
        b"u2@3a": [b"m7", b"m6"],
        b"u2@3b": [b"m3", b"m6"],
    })
    metrics = RetrievalMetrics({"r": ranker}, top_ks=[1, 2])
    users = _array(b"u1", b"u2")
    metrics.add(_array(b"u1@9", b"u2@3a"), users, _array(b"m2", b"m3"), np.array([9, 3]))
    metrics.add(_array(b"u1@5", b"u2@3b"), users, _array(b"m1", b"m3"), np.array([5, 3]))
    result = metrics.results()["r"]
    # Accuracy, per rating: u1 m2 at 0; u2 m3 absent; u1 m1 absent; u2 m3 at 0.
    assert result.top_k_accuracy == pytest.approx({1: 2 / 4, 2: 2 / 4})
    # Recall: u1 {m1, m2} by the t=9 query [m2, m1]: @1 1/2, @2 1;
    # u2 {m3} by the last-read "u2@3b" [m3, m6]: @1 1, @2 1.
    assert result.recall_at_k == pytest.approx({1: 3 / 4, 2: 1.0})
    assert (metrics.num_examples, metrics.num_users) == (4, 2)


def test_no_eval_examples_is_an_error():
    with pytest.raises(ValueError, match="No eval examples"):
        RetrievalMetrics({"r": FixedRanker([b"m1"], 1)}, [1]).results()


def test_popularity_counts_ratings_and_breaks_ties_by_id():
    batches = [_array(b"m2", b"m3", b"m2"), _array(b"m1", b"m3", b"m4")]
    ranked, total = most_popular(batches, k=3)
    # m2: 2, m3: 2, m1: 1, m4: 1 -> m2 before m3 (tie, smaller id), then m1.
    assert ranked == [b"m2", b"m3", b"m1"]
    assert total == 6


def test_fixed_ranker_pads_short_corpora_with_ids_that_match_nothing():
    ranked = FixedRanker([b"m1"], 3).rank(_array(b"q1", b"q2"))
    assert ranked.tolist() == [[b"m1", b"", b""], [b"m1", b"", b""]]


def _results(model, popularity, baseline=None):
    results = {
        spec.CANDIDATE: RankerResult({100: model}, {100: 0.0}),
        spec.POPULARITY: RankerResult({100: popularity}, {100: 0.0}),
    }
    if baseline is not None:
        results[spec.BASELINE] = RankerResult({100: baseline}, {100: 0.0})
    return results


def test_decision_lists_failed_checks_first_and_notes_a_loss_to_popularity():
    settings = Settings(min_top_k_accuracy=0.3, baseline_tolerance=0.01)
    decision = blessing.decide(settings, _results(model=0.25, popularity=0.29, baseline=0.2))
    assert not decision.blessed
    assert [(c.name, c.passed) for c in decision.checks] == [
        ("min_top_k_accuracy", False),
        ("baseline_tolerance", True),
    ]
    assert decision.reasons[0].startswith("FAILED: model top-100 accuracy")
    assert "below popularity's 0.2900" in decision.reasons[-1]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"top_ks": (5, 1)}, "ascending"),
        ({"top_ks": (0, 5)}, "positive integers"),
        ({"top_ks": (1, 5), "blessing_k": 10}, "blessing_k=10 must be one of"),
        ({"min_top_k_accuracy": 1.5}, r"min_top_k_accuracy must be in \[0, 1\]"),
        ({"baseline_tolerance": -0.1}, "baseline_tolerance must be >= 0"),
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
        min_margin_over_popularity=0.05, baseline_tolerance=0.01,
        max_eval_examples=500, batch_size=64, eval_split="test", train_split="fit",
    )
    assert Settings.from_exec_properties(settings.to_exec_properties()) == settings
    assert Settings.from_exec_properties({}) == Settings()
