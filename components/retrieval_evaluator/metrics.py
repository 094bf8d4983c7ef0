"""Collects each ranker's target ranks and summarizes them by protocol and group.

The ranking and the metrics themselves are ``retrieval_metrics``'s (one tie
rule for the whole project): ``target_ranks`` of a score matrix, optionally
with the user's training movies excluded (the filtered protocol), then
``accuracy_at_k`` and ``user_recall_at_k``.

Groups: ``all`` eval ratings, ``warm`` (of users with training ratings) and
``cold`` (of users without). A group without ratings has no metrics (None).
"""

import collections
import dataclasses
from typing import Dict, List, Optional, Sequence

import numpy as np

from components.retrieval_evaluator import spec
from retrieval_metrics import accuracy_at_k, target_ranks, user_recall_at_k


@dataclasses.dataclass(frozen=True)
class GroupResult:
    """One ranker's metrics on one group of eval ratings, keyed by k."""

    top_k_accuracy: Dict[int, float]
    recall_at_k: Dict[int, float]


# protocol -> ranker -> group -> metrics (None: the group has no ratings).
Results = Dict[str, Dict[str, Dict[str, Optional[GroupResult]]]]


class RankCollector:
    """Keeps, per ranker and protocol, every eval rating's rank (capped at max k)."""

    def __init__(self, rankers: Sequence[str], top_ks: Sequence[int]):
        """Starts empty.

        Args:
          rankers: Ranker names, in report order.
          top_ks: The cut-offs measured (``Cutoffs.top_ks``), ascending.
        """
        self.rankers = list(rankers)
        self._top_ks = list(top_ks)
        # Ranks at or beyond max k all count as misses: keep them small.
        self._cap = self._top_ks[-1]
        # (ranker, protocol) -> [(positions, ranks)].
        self._ranks: Dict[tuple, List[tuple]] = collections.defaultdict(list)
        self._users: List[np.ndarray] = []
        self._warm: List[np.ndarray] = []

    def add_queries(self, user_codes: np.ndarray, warm: np.ndarray) -> None:
        """Records a batch of eval ratings: their user and whether it is warm."""
        self._users.append(np.asarray(user_codes, dtype=np.int64))
        self._warm.append(np.asarray(warm, dtype=bool))

    def add_scores(
        self,
        ranker: str,
        scores: np.ndarray,
        targets: np.ndarray,
        excluded: np.ndarray,
        positions: np.ndarray,
    ) -> None:
        """Ranks one ranker's scores of some eval ratings under both protocols.

        Args:
          ranker: Its name.
          scores: ``[batch, N]`` scores.
          targets: ``[batch]`` corpus column of each eval rating's movie.
          excluded: ``[batch, N]`` the user's training movies (filtered
            protocol's exclusions; the target itself stays).
          positions: ``[batch]`` which eval ratings (their order in
            ``add_queries``) these are; every ranker must cover each once.
        """
        positions = np.asarray(positions, dtype=np.int64)
        for protocol, mask in ((spec.FILTERED, excluded), (spec.UNFILTERED, None)):
            ranks = target_ranks(scores, targets, mask)
            self._ranks[(ranker, protocol)].append(
                (positions, np.minimum(ranks, self._cap).astype(np.int32))
            )

    def _ranks_of(self, ranker: str, protocol: str, count: int) -> np.ndarray:
        ranks = np.full(count, -1, dtype=np.int32)
        for positions, values in self._ranks[(ranker, protocol)]:
            ranks[positions] = values
        if (ranks < 0).any():
            raise ValueError(f"{ranker}: {int((ranks < 0).sum())} eval ratings were not ranked")
        return ranks

    @property
    def num_examples(self) -> int:
        """Eval ratings recorded."""
        return int(sum(len(users) for users in self._users))

    def counts(self) -> Dict[str, int]:
        """Eval ratings and users, in all and by group."""
        users, warm = self._joined()
        return {
            "eval": len(users),
            "warm": int(warm.sum()),
            "cold": int((~warm).sum()),
            "eval_users": len(np.unique(users)),
            "warm_users": len(np.unique(users[warm])),
            "cold_users": len(np.unique(users[~warm])),
        }

    def _joined(self):
        if not self._users:
            return np.zeros([0], np.int64), np.zeros([0], bool)
        return np.concatenate(self._users), np.concatenate(self._warm)

    def results(self) -> Results:
        """Each protocol's, ranker's and group's metrics.

        Raises:
          ValueError: If no eval rating was recorded.
        """
        users, warm = self._joined()
        if not len(users):
            raise ValueError("No eval examples: nothing to evaluate")
        groups = {spec.ALL: np.ones_like(warm), spec.WARM: warm, spec.COLD: ~warm}
        results: Results = {}
        for protocol in spec.PROTOCOLS:
            results[protocol] = {}
            for ranker in self.rankers:
                ranks = self._ranks_of(ranker, protocol, len(users))
                results[protocol][ranker] = {
                    group: (
                        GroupResult(
                            top_k_accuracy=accuracy_at_k(ranks[members], self._top_ks),
                            recall_at_k=user_recall_at_k(
                                ranks[members], users[members], self._top_ks
                            ),
                        )
                        if members.any()
                        else None
                    )
                    for group, members in groups.items()
                }
        return results
