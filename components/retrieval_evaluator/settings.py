"""RetrievalEvaluator's settings: declared once, read back from execution properties.

``Settings`` is the one declaration: the component takes an instance, its
spec's parameters derive from the fields (``components.settings_codec``),
the executor reads the same type back, and the pipeline and the command
line build it.
"""

import dataclasses
from typing import Any, Dict, Mapping, Optional, Tuple

from components import settings_codec
from components.retrieval_evaluator import baselines, spec


@dataclasses.dataclass(frozen=True)
class Cutoffs:
    """The cut-offs measured on one corpus, and those left out.

    A cut-off k at or above the corpus size puts the whole corpus in every
    ranker's top k, so every ranker scores 1.0 there: such a k cannot tell
    rankers apart and is left out of the measurement.

    Attributes:
      top_ks: The cut-offs measured (those of ``Settings.top_ks`` below the
        corpus size), ascending; never empty.
      left_out: The cut-offs of ``Settings.top_ks`` left out, ascending.
      blessing_k: The k the blessing uses: ``Settings.blessing_k``, or the
        largest measured cut-off when that one is left out.
      configured_blessing_k: ``Settings.blessing_k``.
      corpus_size: Movies in the corpus.
    """

    top_ks: Tuple[int, ...]
    left_out: Tuple[int, ...]
    blessing_k: int
    configured_blessing_k: int
    corpus_size: int

    @property
    def max_k(self) -> int:
        """The largest measured cut-off: how many results each ranker must return."""
        return self.top_ks[-1]

    @property
    def left_out_reason(self) -> Optional[str]:
        """Why cut-offs were left out; None when none were."""
        if not self.left_out:
            return None
        return (
            f"top_ks {list(self.left_out)} >= the corpus of {self.corpus_size} movies: "
            "every ranker's top k holds the whole corpus, so they cannot tell rankers apart"
        )

    @property
    def blessing_note(self) -> Optional[str]:
        """What the blessing uses instead of ``blessing_k``; None when it is kept."""
        if self.blessing_k == self.configured_blessing_k:
            return None
        return (
            f"blessing_k {self.configured_blessing_k} >= corpus of {self.corpus_size} "
            f"movies: the blessing uses top-{self.blessing_k}"
        )


@dataclasses.dataclass(frozen=True)
class Settings:
    """What to measure and when to bless.

    Attributes:
      top_ks: The cut-offs k of every metric, ascending. Those at or above
        the corpus size are left out (see ``cutoffs``).
      blessing_k: The k whose top-k accuracy (filtered protocol, all eval
        ratings) the blessing checks use; the largest measured cut-off when
        it is left out.
      min_top_k_accuracy: The model's top-``blessing_k`` accuracy must be at
        least this.
      min_margin_over_baselines: If set, the model's top-``blessing_k``
        accuracy must be at least the best counted baseline's plus this
        margin. None: not required (the best baseline and the gap are still
        reported).
      blessing_baselines: The baselines that count for
        ``min_margin_over_baselines`` (names of ``spec.BASELINE_NAMES``).
        None: every baseline that ran. A named one that was skipped does not
        count, and the blessing says so.
      baseline_tolerance: With a baseline (served) model, the model's
        top-``blessing_k`` accuracy may be at most this much lower than the
        baseline model's (absolute).
      query_time: ``model_default`` (the query example has no timestamp; the
        model uses its own default) or ``rating`` (each eval rating's own
        time). See ``spec.QUERY_TIMES``.
      recent_window_fraction: The ``recent_popularity`` window, as a share of
        the training time range, in (0, 1].
      ease_lambda: EASE's ridge penalty, > 0.
      ease_max_movies: Largest corpus for EASE's exact dense inverse; above
        it EASE is skipped and metrics.json says so.
      knn_neighbours: Similar movies kept per movie by ``item_knn``.
      knn_max_movies: Largest corpus for ``item_knn``'s dense similarities;
        above it the same neighbours are found block by block and kept
        sparse (``baselines.sparse_nearest_similarities``).
      max_eval_examples: Evaluate a uniform random sample of this many
        eval ratings (seeded; metrics.json says it sampled) when the split
        is larger; None evaluates all. The ranking's cost is eval ratings x
        movies: at 5M ratings (1M eval, 15k movies) all of them took ~20
        minutes here.
      baseline_push_destination: A VersionedPusher destination; without a
        ``baseline_model`` input, the newest model pushed there (the one being
        served) is the baseline, read when the evaluator runs. Unlike a
        resolver channel, it leaves the evaluator's cache key unchanged after
        a push, so a rerun on unchanged inputs executes nothing.
      batch_size: Eval ratings scored at a time (memory: ``batch_size`` x
        corpus size floats per ranker), and examples per signature call.
      eval_split: The split the metrics are computed on.
      train_split: The split the baselines are fitted on and the filtered
        protocol's exclusions come from.
    """

    top_ks: Tuple[int, ...] = (1, 5, 10, 50, 100)
    blessing_k: int = 100
    min_top_k_accuracy: float = 0.0
    min_margin_over_baselines: Optional[float] = None
    blessing_baselines: Optional[Tuple[str, ...]] = None
    baseline_tolerance: float = 0.01
    query_time: str = spec.QUERY_TIME_MODEL_DEFAULT
    recent_window_fraction: float = 0.1
    ease_lambda: float = 300.0
    ease_max_movies: int = 20_000
    knn_neighbours: int = baselines.DEFAULT_KNN_NEIGHBOURS
    knn_max_movies: int = baselines.DEFAULT_MAX_MOVIES
    max_eval_examples: Optional[int] = None
    baseline_push_destination: Optional[str] = None
    batch_size: int = 1024
    eval_split: str = "eval"
    train_split: str = "train"

    def __post_init__(self):
        """Checks the settings.

        Raises:
          ValueError: Naming the setting and what it must be.
        """
        object.__setattr__(self, "top_ks", tuple(self.top_ks))
        if not self.top_ks or any(
            not isinstance(k, int) or isinstance(k, bool) or k < 1 for k in self.top_ks
        ):
            raise ValueError(f"top_ks must be positive integers, got {list(self.top_ks)}")
        if list(self.top_ks) != sorted(set(self.top_ks)):
            raise ValueError(
                f"top_ks must be ascending without repeats, got {list(self.top_ks)}"
            )
        if self.blessing_k not in self.top_ks:
            raise ValueError(
                f"blessing_k={self.blessing_k} must be one of top_ks {list(self.top_ks)}"
            )
        if not 0.0 <= self.min_top_k_accuracy <= 1.0:
            raise ValueError(
                f"min_top_k_accuracy must be in [0, 1], got {self.min_top_k_accuracy}"
            )
        if self.min_margin_over_baselines is not None and not (
            -1.0 <= self.min_margin_over_baselines <= 1.0
        ):
            raise ValueError(
                "min_margin_over_baselines must be in [-1, 1] or None, got "
                f"{self.min_margin_over_baselines}"
            )
        if self.blessing_baselines is not None:
            if isinstance(self.blessing_baselines, str):
                raise ValueError(
                    "blessing_baselines must be a sequence of names, got the string "
                    f"{self.blessing_baselines!r}"
                )
            object.__setattr__(self, "blessing_baselines", tuple(self.blessing_baselines))
            unknown = sorted(set(self.blessing_baselines) - set(spec.BASELINE_NAMES))
            if unknown or not self.blessing_baselines:
                raise ValueError(
                    f"blessing_baselines must name some of {list(spec.BASELINE_NAMES)} "
                    f"(or be None for all that ran), got {list(self.blessing_baselines)}"
                )
        if self.baseline_tolerance < 0.0:
            raise ValueError(
                f"baseline_tolerance must be >= 0, got {self.baseline_tolerance}"
            )
        if self.query_time not in spec.QUERY_TIMES:
            raise ValueError(
                f"query_time must be one of {list(spec.QUERY_TIMES)}, got {self.query_time!r}"
            )
        if not 0.0 < self.recent_window_fraction <= 1.0:
            raise ValueError(
                "recent_window_fraction must be in (0, 1], got "
                f"{self.recent_window_fraction}"
            )
        if not self.ease_lambda > 0.0:
            raise ValueError(f"ease_lambda must be > 0, got {self.ease_lambda}")
        for name in ("ease_max_movies", "knn_neighbours", "knn_max_movies"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.max_eval_examples is not None and self.max_eval_examples < 1:
            raise ValueError(
                f"max_eval_examples must be >= 1 or None, got {self.max_eval_examples}"
            )
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {self.batch_size}")
        if not self.eval_split or not self.train_split:
            raise ValueError("eval_split and train_split must be split names")

    def cutoffs(self, corpus_size: int) -> Cutoffs:
        """The cut-offs measured on a corpus: those of ``top_ks`` below its size.

        Args:
          corpus_size: Movies in the corpus every ranker ranks.

        Returns:
          The measured and the left-out cut-offs, and the blessing's k.

        Raises:
          ValueError: If no cut-off is below the corpus size.
        """
        measured = tuple(k for k in self.top_ks if k < corpus_size)
        if not measured:
            raise ValueError(
                f"The corpus has {corpus_size} movies, no more than the smallest of "
                f"top_ks {list(self.top_ks)}: every ranker's top k would hold the whole "
                "corpus; set top_ks below the corpus size"
            )
        return Cutoffs(
            top_ks=measured,
            left_out=self.top_ks[len(measured):],
            blessing_k=self.blessing_k if self.blessing_k in measured else measured[-1],
            configured_blessing_k=self.blessing_k,
            corpus_size=corpus_size,
        )

    def to_exec_properties(self) -> Dict[str, Any]:
        """Returns the execution properties holding these settings."""
        return settings_codec.to_exec_properties(self)

    @classmethod
    def from_exec_properties(cls, properties: Mapping[str, Any]) -> "Settings":
        """Reads the settings from the component's execution properties.

        Args:
          properties: Execution properties (``component.RetrievalEvaluatorSpec``).
            Missing keys take the defaults.

        Returns:
          The checked settings.

        Raises:
          ValueError: If a setting is invalid.
        """
        return settings_codec.from_exec_properties(cls, properties)
