"""Simple recommender baselines, scored over the whole corpus like the model.

Every baseline is fitted on the training interactions (``TrainingInteractions``:
which user rated which movie, when) and returns, for a batch of query users, a
``[batch, num_movies]`` score matrix that ``retrieval_metrics.target_ranks``
ranks exactly as it ranks the model's. A query user row of ``-1`` is a cold
user, with no training ratings.

Definitions (``X`` is the binary users x movies matrix of training ratings,
each (user, movie) pair counted once):

- **popularity**: a movie's number of training ratings; the same list for
  every user.
- **recent_popularity**: a movie's number of ratings in the last
  ``window_fraction`` of the training time range, i.e. with timestamp
  ``>= t_max - window_fraction * (t_max - t_min)``.
- **item_knn**: item-item cosine similarity of ``X``,
  ``s(i, j) = c_ij / sqrt(c_ii c_jj)`` with ``c = X^T X``, zero on the
  diagonal; each movie ``i`` keeps only its ``neighbours`` most similar others
  (and any tied with the last one kept). A user's score for movie ``j`` is the
  sum of ``s(i, j)`` over the movies ``i`` they rated that keep ``j``. Above
  ``max_movies`` movies the same pruned similarities are computed a block of
  movies at a time from the sparse ``X`` and kept sparse
  (``sparse_nearest_similarities``), so ml-25m's 62k movies get item-kNN
  without a 62k x 62k matrix.
- **ease** (Steck 2019, "Embarrassingly Shallow Autoencoders"):
  ``G = X^T X + lambda I``, ``P = G^-1``, ``B = -P / diag(P)`` (column ``j``
  divided by ``P_jj``) with zero diagonal; a user's scores are ``X_u B``. It is
  the ridge regression of each movie's column on the others' columns.

**Ties.** ``target_ranks`` counts a tie against the target, so every baseline
breaks its own ties before returning scores: by all-time popularity, then by
the lower movie row (popularity itself: by the lower row). The returned scores
are the resulting strict order turned into numbers, ``num_movies`` for the best
movie of a row down to ``1`` for the worst; ``raw_scores`` gives the values the
order is taken from. Cold users get the popularity order from every baseline.
"""

import dataclasses
from typing import Dict, List, Optional, Protocol, Tuple

import numpy as np
import scipy.sparse

COLD_USER = -1
DEFAULT_KNN_NEIGHBOURS = 100
DEFAULT_MAX_MOVIES = 20_000
# Elements of the dense users x movies block multiplied at a time (64 MiB).
_CHUNK_ELEMENTS = 1 << 24


class BaselineSkipped(Exception):
    """The corpus is too large for a baseline's exact dense computation."""


@dataclasses.dataclass(frozen=True, eq=False)
class TrainingInteractions:
    """Training ratings as row indices: deduplicated, sorted by user then movie.

    Constructing validates the arrays and keeps one interaction per
    (user, movie) pair, the latest (largest timestamp). The stored arrays are
    read-only int64.

    Attributes:
      user_rows: ``[n]`` user rows in ``[0, num_users)``.
      movie_rows: ``[n]`` movie rows in ``[0, num_movies)``, columns of the
        candidate corpus.
      timestamps: ``[n]`` rating times.
      num_users: Number of user rows.
      num_movies: Number of movies in the corpus.
    """

    user_rows: np.ndarray
    movie_rows: np.ndarray
    timestamps: np.ndarray
    num_users: int
    num_movies: int

    def __post_init__(self):
        """Validates and deduplicates.

        Raises:
          ValueError: If the arrays are not 1-D integer arrays of one length,
            the sizes are invalid or a row is out of range.
        """
        _check_size("num_users", self.num_users, minimum=0)
        _check_size("num_movies", self.num_movies, minimum=1)
        users = _integer_vector("user_rows", self.user_rows)
        movies = _integer_vector("movie_rows", self.movie_rows)
        times = _integer_vector("timestamps", self.timestamps)
        if not len(users) == len(movies) == len(times):
            raise ValueError(
                "user_rows, movie_rows and timestamps must have one length; got "
                f"{len(users)}, {len(movies)} and {len(times)}"
            )
        _check_range("user_rows", users, self.num_users)
        _check_range("movie_rows", movies, self.num_movies)
        keys = users * self.num_movies + movies
        order = np.lexsort((times, keys))
        keys, times = keys[order], times[order]
        last_of_pair = np.append(keys[1:] != keys[:-1], True)
        keys, times = keys[last_of_pair], times[last_of_pair]
        for name, values in (
            ("user_rows", keys // self.num_movies),
            ("movie_rows", keys % self.num_movies),
            ("timestamps", times),
        ):
            values.setflags(write=False)
            object.__setattr__(self, name, values)

    def __len__(self) -> int:
        """The number of distinct (user, movie) pairs."""
        return len(self.user_rows)


class Baseline(Protocol):
    """Scores the whole corpus for a batch of query users."""

    name: str

    def scores(self, query_user_rows: np.ndarray) -> np.ndarray:
        """Returns ``[batch, num_movies]`` float32 scores without ties."""


def user_training_movies(
    interactions: TrainingInteractions, query_user_rows: np.ndarray
) -> List[np.ndarray]:
    """Each query user's training movie rows (the filtered protocol's exclusions).

    Args:
      interactions: The training interactions.
      query_user_rows: ``[batch]`` user rows; ``-1`` for a cold user.

    Returns:
      For each query, its user's movie rows, ascending; empty for a cold user.

    Raises:
      ValueError: If a query row is not ``-1`` or a user row.
    """
    rows = _check_queries(interactions, query_user_rows)
    starts = np.searchsorted(interactions.user_rows, rows, side="left")
    ends = np.searchsorted(interactions.user_rows, rows, side="right")
    # A cold row, -1, sorts before every user row: its range is empty.
    return [interactions.movie_rows[start:end] for start, end in zip(starts, ends)]


def cooccurrence(interactions: TrainingInteractions) -> np.ndarray:
    """``X^T X`` of the binary users x movies matrix ``X``.

    ``X`` is never built whole: dense blocks of users are multiplied and
    summed, so memory stays at one block plus the result, and the cost is
    ``num_users * num_movies^2`` multiply-adds done by BLAS.

    Args:
      interactions: The training interactions.

    Returns:
      ``[num_movies, num_movies]`` float32; entry ``(i, j)`` is the number of
      users who rated both ``i`` and ``j`` (exact below 2^24).
    """
    n = interactions.num_movies
    block_users = max(1, _CHUNK_ELEMENTS // n)
    result = np.zeros((n, n), dtype=np.float32)
    users, movies = interactions.user_rows, interactions.movie_rows
    for first in range(0, interactions.num_users, block_users):
        lo, hi = np.searchsorted(users, [first, first + block_users])
        if lo == hi:
            continue
        block = np.zeros((min(block_users, interactions.num_users - first), n), np.float32)
        block[users[lo:hi] - first, movies[lo:hi]] = 1.0
        result += block.T @ block
    return result


class _CountBaseline:
    """A baseline ranking every user alike by counts of ratings.

    Subclasses set ``counts`` (``[num_movies]``), ``_scores`` (the strict
    order as scores) and ``_interactions``.
    """

    def raw_scores(self, query_user_rows: np.ndarray) -> np.ndarray:
        """The counts, one row per query.

        Args:
          query_user_rows: ``[batch]`` user rows; ``-1`` for a cold user.

        Returns:
          ``[batch, num_movies]`` counts.

        Raises:
          ValueError: If a query row is not ``-1`` or a user row.
        """
        rows = _check_queries(self._interactions, query_user_rows)
        return np.repeat(self.counts[None, :], len(rows), axis=0)

    def scores(self, query_user_rows: np.ndarray) -> np.ndarray:
        """The same ranking for every query: most counted first, ties broken.

        Args:
          query_user_rows: ``[batch]`` user rows; ``-1`` for a cold user.

        Returns:
          ``[batch, num_movies]`` float32, ``num_movies`` (best) down to 1.

        Raises:
          ValueError: If a query row is not ``-1`` or a user row.
        """
        rows = _check_queries(self._interactions, query_user_rows)
        return np.repeat(self._scores[None, :], len(rows), axis=0)


class PopularityBaseline(_CountBaseline):
    """All-time popularity: the same ranking for every user."""

    name = "popularity"

    def __init__(self, interactions: TrainingInteractions):
        """Counts the ratings of each movie.

        Args:
          interactions: The training interactions.
        """
        self.counts = _counts(interactions.movie_rows, interactions.num_movies)
        self.order = strict_order(self.counts[None, :], np.arange(interactions.num_movies))[0]
        self._interactions = interactions
        self._scores = _scores_from_order(self.order[None, :])[0]


class RecentPopularityBaseline(_CountBaseline):
    """Popularity over the last part of the training time range."""

    name = "recent_popularity"

    def __init__(
        self,
        interactions: TrainingInteractions,
        window_fraction: float = 0.1,
        popularity: Optional[PopularityBaseline] = None,
    ):
        """Counts each movie's ratings in the recent window.

        Args:
          interactions: The training interactions.
          window_fraction: The window's share of ``t_max - t_min``, in (0, 1].
          popularity: All-time popularity of the same interactions (the
            tie-break); fitted here if not given.

        Raises:
          ValueError: If ``window_fraction`` is outside (0, 1].
        """
        if not 0.0 < window_fraction <= 1.0:
            raise ValueError(f"window_fraction must be in (0, 1]; got {window_fraction}")
        popularity = _fitted(popularity, interactions)
        recent = interactions.timestamps >= recent_window_start(
            interactions.timestamps, window_fraction
        )
        self.counts = _counts(interactions.movie_rows[recent], interactions.num_movies)
        self._interactions = interactions
        self._scores = _scores_from_order(
            strict_order(self.counts[None, :], popularity.order)
        )[0]


def recent_window_start(timestamps: np.ndarray, window_fraction: float) -> float:
    """Start of the recent window: ``t_max - window_fraction * (t_max - t_min)``.

    Args:
      timestamps: The training rating times.
      window_fraction: The window's share of the time range.

    Returns:
      The earliest time in the window; ratings at or after it are recent.
      ``-inf`` when there are no ratings.
    """
    if not len(timestamps):
        return -np.inf
    latest = float(timestamps.max())
    return latest - window_fraction * (latest - float(timestamps.min()))


class _ItemToItemBaseline:
    """Scores ``X_u W`` for an item-item matrix ``W``; cold users get popularity."""

    def __init__(
        self,
        interactions: TrainingInteractions,
        popularity: PopularityBaseline,
        weights: np.ndarray,
    ):
        self._interactions = interactions
        self._popularity = popularity
        self.weights = weights

    def raw_scores(self, query_user_rows: np.ndarray) -> np.ndarray:
        """``X_u W`` for warm users, all-time rating counts for cold ones.

        Args:
          query_user_rows: ``[batch]`` user rows; ``-1`` for a cold user.

        Returns:
          ``[batch, num_movies]`` float64.

        Raises:
          ValueError: If a query row is not ``-1`` or a user row.
        """
        rows = _check_queries(self._interactions, query_user_rows)
        rated_movies = user_training_movies(self._interactions, rows)
        if scipy.sparse.issparse(self.weights):
            rated = _sparse_rows(rated_movies, self._interactions.num_movies)
            raw = (rated @ self.weights).toarray().astype(np.float64)
        else:
            rated = np.zeros((len(rows), self._interactions.num_movies), dtype=np.float32)
            for query, movies in enumerate(rated_movies):
                rated[query, movies] = 1.0
            raw = (rated @ self.weights).astype(np.float64)
        raw[rows == COLD_USER] = self._popularity.counts
        return raw

    def scores(self, query_user_rows: np.ndarray) -> np.ndarray:
        """The raw scores in strict order; ties by popularity, then movie row.

        Args:
          query_user_rows: ``[batch]`` user rows; ``-1`` for a cold user.

        Returns:
          ``[batch, num_movies]`` float32, ``num_movies`` (best) down to 1.

        Raises:
          ValueError: If a query row is not ``-1`` or a user row.
        """
        raw = self.raw_scores(query_user_rows)
        return _scores_from_order(strict_order(raw, self._popularity.order))


class ItemKnnBaseline(_ItemToItemBaseline):
    """Item-kNN on cosine similarity; cold users fall back to popularity.

    ``weights[i, j]`` is the cosine similarity of movies ``i`` and ``j`` if
    ``j`` is among ``i``'s kept neighbours, else 0: a dense array up to
    ``max_movies`` movies, a sparse matrix of the same entries above. A warm
    user whose rated movies have no similar movies scores all zeros and so
    also gets the popularity order.
    """

    name = "item_knn"

    def __init__(
        self,
        interactions: TrainingInteractions,
        neighbours: Optional[int] = DEFAULT_KNN_NEIGHBOURS,
        max_movies: int = DEFAULT_MAX_MOVIES,
        popularity: Optional[PopularityBaseline] = None,
        cooccurrence_matrix: Optional[np.ndarray] = None,
    ):
        """Computes the pruned similarity matrix.

        Args:
          interactions: The training interactions.
          neighbours: Similar movies kept per movie; None keeps all.
          max_movies: Largest corpus for the dense similarity matrix; above
            it the kept neighbours are found block by block
            (``sparse_nearest_similarities``).
          popularity: All-time popularity of the same interactions (the
            tie-break and cold-user fallback); fitted here if not given.
          cooccurrence_matrix: ``cooccurrence(interactions)`` if already
            computed; not modified.

        Raises:
          BaselineSkipped: If the corpus has more than ``max_movies`` movies
            and ``neighbours`` is None (nothing to prune: the matrix is dense).
          ValueError: If ``neighbours`` is not None or a positive int.
        """
        if neighbours is not None:
            _check_size("neighbours", neighbours, minimum=1)
        if neighbours is not None and interactions.num_movies > max_movies:
            super().__init__(
                interactions,
                _fitted(popularity, interactions),
                sparse_nearest_similarities(interactions, neighbours),
            )
            return
        _check_dense_fits(self.name, interactions.num_movies, max_movies)
        if cooccurrence_matrix is None:
            cooccurrence_matrix = cooccurrence(interactions)
        similarity = cosine_similarity(cooccurrence_matrix)
        if neighbours is not None:
            _keep_nearest(similarity, neighbours)
        super().__init__(interactions, _fitted(popularity, interactions), similarity)


class EaseBaseline(_ItemToItemBaseline):
    """EASE (Steck 2019) in closed form; cold users fall back to popularity.

    Fitting inverts one dense ``N x N`` float64 matrix: ``O(N^3)`` time (about
    3 s for N = 3,706 and 12 s for N = 5,000 on 2 cores) and about
    ``25 * N^2`` bytes at the peak besides ``X^T X`` (10 GB for N = 20,000).
    """

    name = "ease"

    def __init__(
        self,
        interactions: TrainingInteractions,
        l2: float = 300.0,
        max_movies: int = DEFAULT_MAX_MOVIES,
        popularity: Optional[PopularityBaseline] = None,
        cooccurrence_matrix: Optional[np.ndarray] = None,
    ):
        """Solves for the item-item weights ``B``.

        Args:
          interactions: The training interactions.
          l2: The ridge penalty lambda, > 0.
          max_movies: Largest corpus for the dense inverse.
          popularity: All-time popularity of the same interactions (the
            tie-break and cold-user fallback); fitted here if not given.
          cooccurrence_matrix: ``cooccurrence(interactions)`` if already
            computed; not modified.

        Raises:
          BaselineSkipped: If the corpus has more than ``max_movies`` movies.
          ValueError: If ``l2`` is not positive.
        """
        if not l2 > 0:
            raise ValueError(f"EASE needs l2 > 0; got {l2}")
        _check_dense_fits(self.name, interactions.num_movies, max_movies)
        if cooccurrence_matrix is None:
            cooccurrence_matrix = cooccurrence(interactions)
        super().__init__(
            interactions,
            _fitted(popularity, interactions),
            ease_weights(cooccurrence_matrix, l2),
        )


def cosine_similarity(cooccurrence_matrix: np.ndarray) -> np.ndarray:
    """Cosine similarity of the binary movie columns, zero diagonal.

    Args:
      cooccurrence_matrix: ``X^T X``, ``[N, N]``.

    Returns:
      ``[N, N]`` float32 ``c_ij / sqrt(c_ii c_jj)``, exactly symmetric (so
      equal sums tie exactly); 0 where a movie has no ratings, and on the
      diagonal.
    """
    inverse_norms = _inverse_norms(np.diag(cooccurrence_matrix).astype(np.float64))
    similarity = np.outer(inverse_norms, inverse_norms)
    similarity *= cooccurrence_matrix
    np.fill_diagonal(similarity, 0.0)
    return similarity


def sparse_nearest_similarities(
    interactions: TrainingInteractions, neighbours: int
) -> scipy.sparse.csr_matrix:
    """Item-kNN's pruned cosine similarities, without an ``N x N`` matrix.

    ``X^T X`` is computed for a block of movies at a time from the sparse
    ``X`` (the cost grows with the sum over users of their movies squared,
    not with ``N^2``), each block's similarities made dense
    (``block x N``), pruned to each movie's ``neighbours`` most similar
    others and kept sparse.

    Args:
      interactions: The training interactions.
      neighbours: Similar movies kept per movie (and any tied with the last).

    Returns:
      ``[N, N]`` float32 CSR: entry for entry what ``cosine_similarity`` of
      ``cooccurrence`` pruned to ``neighbours`` holds, zeros left out.
    """
    n = interactions.num_movies
    ones = np.ones(len(interactions), dtype=np.float32)
    users_by_movies = scipy.sparse.csr_matrix(
        (ones, (interactions.user_rows, interactions.movie_rows)),
        shape=(interactions.num_users, n),
    )
    movies_by_users = users_by_movies.T.tocsr()
    inverse_norms = _inverse_norms(_counts(interactions.movie_rows, n))
    block_movies = max(1, 4 * _CHUNK_ELEMENTS // n)
    blocks = []
    for first in range(0, n, block_movies):
        last = min(n, first + block_movies)
        similarity = np.outer(inverse_norms[first:last], inverse_norms)
        similarity *= (movies_by_users[first:last] @ users_by_movies).toarray()
        similarity[np.arange(last - first), np.arange(first, last)] = 0.0
        _keep_nearest(similarity, neighbours)
        blocks.append(scipy.sparse.csr_matrix(similarity))
    return scipy.sparse.vstack(blocks, format="csr")


def ease_weights(cooccurrence_matrix: np.ndarray, l2: float) -> np.ndarray:
    """EASE's ``B``: ``P = (X^T X + l2 I)^-1``, ``B = -P / diag(P)``, zero diagonal.

    Args:
      cooccurrence_matrix: ``X^T X``, ``[N, N]``.
      l2: The ridge penalty lambda, > 0.

    Returns:
      ``[N, N]`` float32 ``B``, computed in float64.
    """
    gram = cooccurrence_matrix.astype(np.float64)
    gram[np.diag_indices_from(gram)] += l2
    inverse = np.linalg.inv(gram)
    del gram  # Frees one N x N float64 matrix before the float32 copy.
    inverse /= -np.diag(inverse)[None, :]
    np.fill_diagonal(inverse, 0.0)
    return inverse.astype(np.float32)


def strict_order(raw: np.ndarray, tie_order: np.ndarray) -> np.ndarray:
    """Columns of each row by descending score; ties follow ``tie_order``.

    Args:
      raw: ``[batch, N]`` scores, higher is better.
      tie_order: A permutation of ``range(N)``; of two tied columns, the one
        earlier in it comes first.

    Returns:
      ``[batch, N]`` int64 column indices, best first.

    Raises:
      ValueError: If ``raw`` contains NaN.
    """
    if np.isnan(raw).any():
        raise ValueError("Scores contain NaN")
    by_tie_order = np.argsort(-raw[:, tie_order], axis=1, kind="stable")
    return tie_order[by_tie_order]


def fit_baselines(
    interactions: TrainingInteractions,
    recent_window_fraction: float = 0.1,
    ease_lambda: float = 300.0,
    ease_max_movies: int = DEFAULT_MAX_MOVIES,
    knn_neighbours: Optional[int] = DEFAULT_KNN_NEIGHBOURS,
    knn_max_movies: int = DEFAULT_MAX_MOVIES,
) -> Tuple[Dict[str, Baseline], Dict[str, str]]:
    """Fits every baseline the corpus size allows.

    Args:
      interactions: The training interactions.
      recent_window_fraction: ``recent_popularity``'s window share, in (0, 1].
      ease_lambda: EASE's ridge penalty, > 0.
      ease_max_movies: Largest corpus for EASE's dense inverse.
      knn_neighbours: Similar movies kept per movie by ``item_knn``; None
        keeps all.
      knn_max_movies: Largest corpus for ``item_knn``'s dense similarities
        (above it: sparse).

    Returns:
      The fitted baselines by name (``popularity``, ``recent_popularity``,
      ``item_knn``, ``ease``, in that order), and for each skipped one the
      reason.

    Raises:
      ValueError: On an invalid parameter.
    """
    popularity = PopularityBaseline(interactions)
    baselines: Dict[str, Baseline] = {
        popularity.name: popularity,
        RecentPopularityBaseline.name: RecentPopularityBaseline(
            interactions, recent_window_fraction, popularity
        ),
    }
    skipped: Dict[str, str] = {}
    shared = None
    if interactions.num_movies <= max(ease_max_movies, knn_max_movies):
        shared = cooccurrence(interactions)
    try:
        baselines[ItemKnnBaseline.name] = ItemKnnBaseline(
            interactions, knn_neighbours, knn_max_movies, popularity, shared
        )
    except BaselineSkipped as skip:
        skipped[ItemKnnBaseline.name] = str(skip)
    try:
        baselines[EaseBaseline.name] = EaseBaseline(
            interactions, ease_lambda, ease_max_movies, popularity, shared
        )
    except BaselineSkipped as skip:
        skipped[EaseBaseline.name] = str(skip)
    return baselines, skipped


def _scores_from_order(order: np.ndarray) -> np.ndarray:
    """Turns each row's strict order into float32 scores ``N`` (best) .. ``1``."""
    batch, n = order.shape
    scores = np.empty((batch, n), dtype=np.float32)
    scores[np.arange(batch)[:, None], order] = np.arange(n, 0, -1, dtype=np.float32)
    return scores


def _keep_nearest(similarity: np.ndarray, neighbours: int) -> None:
    """Zeroes, in place, each row's entries below its ``neighbours``-th largest."""
    n = similarity.shape[1]
    if neighbours >= n - 1:
        return
    kth_largest = np.partition(similarity, n - neighbours, axis=1)[:, n - neighbours]
    similarity[similarity < kth_largest[:, None]] = 0.0


def _inverse_norms(counts: np.ndarray) -> np.ndarray:
    """``1 / sqrt(count)`` of each movie's column as float32, 0 for no ratings."""
    return np.divide(
        1.0, np.sqrt(counts), out=np.zeros_like(counts), where=counts > 0
    ).astype(np.float32)


def _sparse_rows(movie_lists: List[np.ndarray], num_movies: int) -> scipy.sparse.csr_matrix:
    """The binary ``[len(movie_lists), num_movies]`` rows of the listed movies."""
    lengths = np.array([len(movies) for movies in movie_lists], dtype=np.int64)
    indices = np.concatenate(movie_lists) if movie_lists else np.zeros(0, np.int64)
    return scipy.sparse.csr_matrix(
        (np.ones(len(indices), np.float32), indices, np.concatenate([[0], np.cumsum(lengths)])),
        shape=(len(movie_lists), num_movies),
    )


def _fitted(
    popularity: Optional[PopularityBaseline], interactions: TrainingInteractions
) -> PopularityBaseline:
    return popularity if popularity is not None else PopularityBaseline(interactions)


def _counts(movie_rows: np.ndarray, num_movies: int) -> np.ndarray:
    return np.bincount(movie_rows, minlength=num_movies).astype(np.float64)


def _check_dense_fits(name: str, num_movies: int, max_movies: int) -> None:
    if num_movies > max_movies:
        raise BaselineSkipped(
            f"{name}: the corpus has {num_movies} movies, more than the "
            f"max_movies = {max_movies} its dense {num_movies} x {num_movies} "
            "matrix is limited to"
        )


def _check_queries(
    interactions: TrainingInteractions, query_user_rows: np.ndarray
) -> np.ndarray:
    rows = _integer_vector("query_user_rows", query_user_rows)
    if rows.size and (rows.min() < COLD_USER or rows.max() >= interactions.num_users):
        raise ValueError(
            f"query_user_rows must be {COLD_USER} (cold) or in "
            f"[0, {interactions.num_users}); got values in [{rows.min()}, {rows.max()}]"
        )
    return rows


def _integer_vector(name: str, values: np.ndarray) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D; got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integers; got dtype {array.dtype}")
    return array.astype(np.int64)


def _check_range(name: str, rows: np.ndarray, size: int) -> None:
    if rows.size and (rows.min() < 0 or rows.max() >= size):
        raise ValueError(
            f"{name} must be in [0, {size}); got values in [{rows.min()}, {rows.max()}]"
        )


def _check_size(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
