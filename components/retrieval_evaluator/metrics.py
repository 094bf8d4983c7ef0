"""Top-k accuracy and recall@k of rankers over the eval ratings.

Definitions (k in ``top_ks``):

- **top-k accuracy**: the share of eval ratings whose ``movie_id`` is among
  the ranker's top k for that rating's query (the rating's own example, its
  features as served). TFRS ``FactorizedTopK``'s definition.
- **recall@k**: for each user with eval ratings, the share of their distinct
  eval movies found in the top k for one query: their latest eval rating
  (largest ``timestamp``; on ties, the one read last). Averaged over users,
  each user counting once.

All rankers see the same examples in the same order, so their numbers compare.
"""

import dataclasses
from typing import Dict, Iterable, Mapping, Sequence, Set, Tuple

import numpy as np

from components.retrieval_evaluator.rankers import Ranker


def ranks(targets: np.ndarray, ranked: np.ndarray) -> np.ndarray:
    """Finds where each target sits in its row's ranking.

    Args:
      targets: ``[batch]`` ids.
      ranked: ``[batch, K]`` ids, best first.

    Returns:
      ``[batch]`` 0-based positions; ``K`` where the target is absent.
    """
    found = ranked == targets[:, None]
    return np.where(found.any(axis=1), found.argmax(axis=1), ranked.shape[1])


@dataclasses.dataclass
class RankerResult:
    """One ranker's metrics, keyed by k."""

    top_k_accuracy: Dict[int, float]
    recall_at_k: Dict[int, float]


class _Vocabulary:
    """Maps movie ids to small ints, so rankings kept per user stay compact."""

    def __init__(self):
        self._codes: Dict[bytes, int] = {}

    def code(self, movie: bytes) -> int:
        return self._codes.setdefault(movie, len(self._codes))

    def codes(self, movies: Sequence[bytes]) -> np.ndarray:
        return np.fromiter((self.code(m) for m in movies), dtype=np.int32, count=len(movies))


class RetrievalMetrics:
    """Accumulates the metrics of several rankers over batches of eval ratings."""

    def __init__(self, rankers: Mapping[str, Ranker], top_ks: Sequence[int]):
        """Starts empty.

        Args:
          rankers: Name to ranker; every ranker must return at least max(top_ks)
            ids per query.
          top_ks: The cut-offs, ascending.
        """
        self._rankers = dict(rankers)
        self._top_ks = list(top_ks)
        self._max_k = self._top_ks[-1]
        self._vocabulary = _Vocabulary()
        self.num_examples = 0
        self._hits = {name: np.zeros(len(self._top_ks), dtype=np.int64) for name in rankers}
        # Per user: their distinct eval movies, and (timestamp) of the latest
        # rating with each ranker's top-k codes for its query.
        self._user_movies: Dict[bytes, Set[int]] = {}
        self._latest_time: Dict[bytes, int] = {}
        self._latest_ranked: Dict[str, Dict[bytes, np.ndarray]] = {name: {} for name in rankers}

    def add(
        self,
        serialized: np.ndarray,
        user_ids: np.ndarray,
        movie_ids: np.ndarray,
        timestamps: np.ndarray,
    ) -> None:
        """Ranks a batch with every ranker and counts it.

        Args:
          serialized: ``[batch]`` serialized rating examples (the queries).
          user_ids: ``[batch]`` their user ids.
          movie_ids: ``[batch]`` the rated movie ids (the targets).
          timestamps: ``[batch]`` rating times.
        """
        latest_rows = self._update_users(user_ids, movie_ids, timestamps)
        self.num_examples += len(serialized)
        for name, ranker in self._rankers.items():
            ranked = ranker.rank(serialized)[:, : self._max_k]
            positions = ranks(movie_ids, ranked)
            self._hits[name] += [(positions < k).sum() for k in self._top_ks]
            kept = self._latest_ranked[name]
            for user, row in latest_rows.items():
                kept[user] = self._vocabulary.codes(ranked[row])

    def _update_users(
        self, user_ids: np.ndarray, movie_ids: np.ndarray, timestamps: np.ndarray
    ) -> Dict[bytes, int]:
        """Records eval movies; returns user -> batch row of a new latest rating."""
        latest_rows: Dict[bytes, int] = {}
        for row, (user, movie, time) in enumerate(zip(user_ids, movie_ids, timestamps)):
            self._user_movies.setdefault(user, set()).add(self._vocabulary.code(movie))
            if time >= self._latest_time.get(user, time):
                self._latest_time[user] = int(time)
                latest_rows[user] = row
        return latest_rows

    @property
    def num_users(self) -> int:
        """Users with at least one eval rating."""
        return len(self._user_movies)

    def results(self) -> Dict[str, RankerResult]:
        """Returns each ranker's metrics.

        Raises:
          ValueError: If no example was added.
        """
        if not self.num_examples:
            raise ValueError("No eval examples: nothing to evaluate")
        return {name: self._result(name) for name in self._rankers}

    def _result(self, name: str) -> RankerResult:
        accuracy = {
            k: float(hits) / self.num_examples for k, hits in zip(self._top_ks, self._hits[name])
        }
        recall_sums = np.zeros(len(self._top_ks))
        for user, movies in self._user_movies.items():
            ranked = self._latest_ranked[name][user]
            recall_sums += [
                len(movies.intersection(ranked[:k].tolist())) / len(movies)
                for k in self._top_ks
            ]
        recall = {k: float(total) / self.num_users for k, total in zip(self._top_ks, recall_sums)}
        return RankerResult(top_k_accuracy=accuracy, recall_at_k=recall)


def evaluate(
    rankers: Mapping[str, Ranker],
    top_ks: Sequence[int],
    batches: Iterable[Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
) -> Tuple[Dict[str, RankerResult], int, int]:
    """Evaluates rankers on batches of (serialized, user_ids, movie_ids, timestamps).

    Returns:
      The results by ranker, the number of eval ratings and of eval users.
    """
    accumulator = RetrievalMetrics(rankers, top_ks)
    for batch in batches:
        accumulator.add(*batch)
    return accumulator.results(), accumulator.num_examples, accumulator.num_users
