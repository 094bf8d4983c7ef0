"""The one tie rule and the filtered ranking, on hand-built score matrices."""

import numpy as np
import pytest

from retrieval_metrics import accuracy_at_k, exclusion_mask, target_ranks, user_recall_at_k


def test_rank_counts_other_candidates_scoring_at_least_the_target():
    scores = np.array([[0.9, 0.5, 0.5, 0.1], [0.2, 0.2, 0.2, 0.2]])
    # Query 0, target column 1 (0.5): column 0 beats it, column 2 ties -> 2.
    # Query 1, every score equal: all three others count against -> 3.
    assert target_ranks(scores, np.array([1, 3])).tolist() == [2, 3]


def test_excluded_candidates_leave_the_ranking_but_the_target_stays():
    scores = np.array([[0.9, 0.8, 0.7, 0.6]])
    mask = exclusion_mask(1, 4, [[0, 1, 3]])
    # Target 2 would rank 2 unfiltered; 0 and 1 are excluded -> rank 0.
    assert target_ranks(scores, np.array([2])).tolist() == [2]
    assert target_ranks(scores, np.array([2]), mask).tolist() == [0]
    # Excluding the target itself does not remove it.
    assert target_ranks(scores, np.array([3]), mask).tolist() == [1]


def test_accuracy_is_the_share_of_ranks_below_k():
    assert accuracy_at_k(np.array([0, 1, 5, 9]), [1, 2, 10]) == pytest.approx(
        {1: 0.25, 2: 0.5, 10: 1.0}
    )


def test_recall_counts_each_user_once():
    # u1 has 3 targets (ranks 0, 4, 7), u2 one (rank 0): @5 u1 2/3, u2 1.
    ranks = np.array([0, 4, 7, 0])
    users = np.array([b"u1", b"u1", b"u1", b"u2"], dtype=object)
    assert user_recall_at_k(ranks, users, [1, 5]) == pytest.approx(
        {1: (1 / 3 + 1) / 2, 5: (2 / 3 + 1) / 2}
    )


@pytest.mark.parametrize(
    "scores, targets, message",
    [
        (np.zeros((2, 3)), np.array([0]), "Need scores"),
        (np.zeros((1, 3)), np.array([3]), "Targets must be"),
        (np.array([[np.nan, 0.0]]), np.array([1]), "NaN"),
    ],
)
def test_bad_inputs_are_refused(scores, targets, message):
    with pytest.raises(ValueError, match=message):
        target_ranks(scores, targets)


def test_empty_ranks_are_refused():
    with pytest.raises(ValueError, match="No ranks"):
        accuracy_at_k(np.array([]), [1])
