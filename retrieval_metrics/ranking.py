"""Ranks of held-out movies in score matrices, and top-k metrics from them.

**The tie rule** (the only one in this project): a candidate that scores the
same as the target counts as ranked before it. So the rank of the target is
the number of other, not excluded, candidates scoring at least as high; a
scorer that gives every movie the same score ranks every target last. A
ranker that wants its ties broken (popularity by all-time counts, say) adds
the tie-break to its scores.

**Filtering**: candidates in a query's exclusion set (the movies the user
rated in training, which a served model leaves out) are removed before
ranking. The target itself is never excluded.
"""

from typing import Dict, Iterable, Optional, Sequence

import numpy as np


def exclusion_mask(
    num_queries: int, num_candidates: int, excluded_rows: Sequence[Iterable[int]]
) -> np.ndarray:
    """A boolean ``[num_queries, num_candidates]`` mask of excluded candidates.

    Args:
      num_queries: Rows of the score matrix.
      num_candidates: Columns of the score matrix (corpus size).
      excluded_rows: For each query, the candidate columns to leave out.

    Returns:
      True where a candidate is excluded.

    Raises:
      ValueError: If the number of exclusion sets is not ``num_queries``.
    """
    if len(excluded_rows) != num_queries:
        raise ValueError(
            f"Expected {num_queries} exclusion sets, got {len(excluded_rows)}"
        )
    mask = np.zeros((num_queries, num_candidates), dtype=bool)
    for query, columns in enumerate(excluded_rows):
        mask[query, np.fromiter(columns, dtype=np.int64)] = True
    return mask


def target_ranks(
    scores: np.ndarray, targets: np.ndarray, excluded: Optional[np.ndarray] = None
) -> np.ndarray:
    """0-based rank of each query's target among its candidates.

    Args:
      scores: ``[batch, N]`` scores, higher is better; NaN is refused.
      targets: ``[batch]`` column of each query's target, in ``[0, N)``.
      excluded: Optional ``[batch, N]`` boolean mask of candidates to leave
        out (``exclusion_mask``); the target is kept even when masked.

    Returns:
      ``[batch]`` int64 ranks: other kept candidates scoring >= the target.

    Raises:
      ValueError: On mismatched shapes, targets out of range or NaN scores.
    """
    scores = np.asarray(scores)
    targets = np.asarray(targets, dtype=np.int64)
    if scores.ndim != 2 or targets.shape != (scores.shape[0],):
        raise ValueError(
            f"Need scores [batch, N] and targets [batch]; got {scores.shape} "
            f"and {targets.shape}"
        )
    if targets.size and (targets.min() < 0 or targets.max() >= scores.shape[1]):
        raise ValueError(f"Targets must be columns in [0, {scores.shape[1]})")
    if np.isnan(scores).any():
        raise ValueError("Scores contain NaN")
    rows = np.arange(len(targets))
    target_scores = scores[rows, targets]
    at_least = scores >= target_scores[:, None]
    if excluded is not None:
        if excluded.shape != scores.shape:
            raise ValueError(
                f"Exclusion mask {excluded.shape} does not match scores {scores.shape}"
            )
        at_least &= ~excluded
    at_least[rows, targets] = False
    return at_least.sum(axis=1).astype(np.int64)


def accuracy_at_k(ranks: np.ndarray, ks: Iterable[int]) -> Dict[int, float]:
    """Share of targets ranked within the top k (TFRS ``FactorizedTopK``).

    Args:
      ranks: ``[n]`` ranks from ``target_ranks``.
      ks: The cut-offs.

    Returns:
      k -> share of ranks below k.

    Raises:
      ValueError: If ``ranks`` is empty.
    """
    ranks = np.asarray(ranks)
    if not ranks.size:
        raise ValueError("No ranks: nothing to measure")
    return {int(k): float(np.mean(ranks < k)) for k in ks}


def user_recall_at_k(
    ranks: np.ndarray, users: np.ndarray, ks: Iterable[int]
) -> Dict[int, float]:
    """Recall@k averaged over users, each user counting once.

    For each user, the share of their held-out movies ranked within the top k;
    then the mean over users. Where every query of a user is the same (the
    served protocol of a random split), this is the recall of that user's one
    top-k list.

    Args:
      ranks: ``[n]`` ranks from ``target_ranks``.
      users: ``[n]`` the user of each rank.
      ks: The cut-offs.

    Returns:
      k -> mean over users of their recall at k.

    Raises:
      ValueError: If ``ranks`` is empty or the lengths differ.
    """
    ranks = np.asarray(ranks)
    if not ranks.size:
        raise ValueError("No ranks: nothing to measure")
    if len(users) != len(ranks):
        raise ValueError(f"{len(users)} users for {len(ranks)} ranks")
    _, user_index = np.unique(np.asarray(users), return_inverse=True)
    per_user = np.bincount(user_index).astype(np.float64)
    return {
        int(k): float(np.mean(np.bincount(user_index, weights=ranks < k) / per_user))
        for k in ks
    }
