"""RetrievalEvaluator's settings, read and checked from execution properties.

The defaults are declared here once; the component, the pipeline's
``EvaluatorConfig`` and the command line all take them from this module.
"""

import dataclasses
import json
from typing import Any, Mapping, Optional, Tuple

from components.retrieval_evaluator import baselines, spec

DEFAULT_MIN_TOP_K_ACCURACY = 0.0
# None: beating the baselines is reported, not required.
DEFAULT_MIN_MARGIN_OVER_BASELINES: Optional[float] = None
# None: every baseline that ran counts.
DEFAULT_BLESSING_BASELINES: Optional[Tuple[str, ...]] = None
DEFAULT_BASELINE_TOLERANCE = 0.01
DEFAULT_QUERY_TIME = spec.QUERY_TIME_MODEL_DEFAULT
DEFAULT_RECENT_WINDOW_FRACTION = 0.1
DEFAULT_EASE_LAMBDA = 300.0
DEFAULT_EASE_MAX_MOVIES = 20_000
DEFAULT_KNN_NEIGHBOURS = baselines.DEFAULT_KNN_NEIGHBOURS
DEFAULT_KNN_MAX_MOVIES = baselines.DEFAULT_MAX_MOVIES


@dataclasses.dataclass(frozen=True)
class Settings:
    """What to measure and when to bless.

    Attributes:
      top_ks: The cut-offs k of every metric, ascending.
      blessing_k: The k whose top-k accuracy (filtered protocol, all eval
        ratings) the blessing checks use.
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
      knn_max_movies: Largest corpus for ``item_knn``'s dense similarities.
      max_eval_examples: Read at most this many eval examples (None: all).
      baseline_push_destination: A VersionedPusher destination; without a
        ``baseline_model`` input, the newest model pushed there (the one being
        served) is the baseline.
      batch_size: Eval ratings scored at a time (memory: ``batch_size`` x
        corpus size floats per ranker), and examples per signature call.
      eval_split: The split the metrics are computed on.
      train_split: The split the baselines are fitted on and the filtered
        protocol's exclusions come from.
    """

    top_ks: Tuple[int, ...] = spec.DEFAULT_TOP_KS
    blessing_k: int = spec.DEFAULT_BLESSING_K
    min_top_k_accuracy: float = DEFAULT_MIN_TOP_K_ACCURACY
    min_margin_over_baselines: Optional[float] = DEFAULT_MIN_MARGIN_OVER_BASELINES
    blessing_baselines: Optional[Tuple[str, ...]] = DEFAULT_BLESSING_BASELINES
    baseline_tolerance: float = DEFAULT_BASELINE_TOLERANCE
    query_time: str = DEFAULT_QUERY_TIME
    recent_window_fraction: float = DEFAULT_RECENT_WINDOW_FRACTION
    ease_lambda: float = DEFAULT_EASE_LAMBDA
    ease_max_movies: int = DEFAULT_EASE_MAX_MOVIES
    knn_neighbours: int = DEFAULT_KNN_NEIGHBOURS
    knn_max_movies: int = DEFAULT_KNN_MAX_MOVIES
    max_eval_examples: Optional[int] = None
    baseline_push_destination: Optional[str] = None
    batch_size: int = spec.DEFAULT_BATCH_SIZE
    eval_split: str = spec.DEFAULT_EVAL_SPLIT
    train_split: str = spec.DEFAULT_TRAIN_SPLIT

    def __post_init__(self):
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

    @property
    def max_k(self) -> int:
        """The largest cut-off: how many results each ranker must return."""
        return self.top_ks[-1]

    def to_exec_properties(self) -> dict:
        """Returns the execution properties holding these settings."""
        return {
            spec.TOP_KS_KEY: json.dumps(list(self.top_ks)),
            spec.BLESSING_K_KEY: self.blessing_k,
            spec.MIN_ACCURACY_KEY: float(self.min_top_k_accuracy),
            spec.MIN_MARGIN_OVER_BASELINES_KEY: (
                None
                if self.min_margin_over_baselines is None
                else float(self.min_margin_over_baselines)
            ),
            spec.BLESSING_BASELINES_KEY: (
                None
                if self.blessing_baselines is None
                else json.dumps(list(self.blessing_baselines))
            ),
            spec.BASELINE_TOLERANCE_KEY: float(self.baseline_tolerance),
            spec.QUERY_TIME_KEY: self.query_time,
            spec.RECENT_WINDOW_FRACTION_KEY: float(self.recent_window_fraction),
            spec.EASE_LAMBDA_KEY: float(self.ease_lambda),
            spec.EASE_MAX_MOVIES_KEY: int(self.ease_max_movies),
            spec.KNN_NEIGHBOURS_KEY: int(self.knn_neighbours),
            spec.KNN_MAX_MOVIES_KEY: int(self.knn_max_movies),
            spec.MAX_EVAL_EXAMPLES_KEY: self.max_eval_examples,
            spec.BASELINE_PUSH_DESTINATION_KEY: self.baseline_push_destination,
            spec.BATCH_SIZE_KEY: self.batch_size,
            spec.EVAL_SPLIT_KEY: self.eval_split,
            spec.TRAIN_SPLIT_KEY: self.train_split,
        }

    @classmethod
    def from_exec_properties(cls, properties: Mapping[str, Any]) -> "Settings":
        """Reads the settings from the component's execution properties.

        Args:
          properties: Execution properties (``spec.RetrievalEvaluatorSpec``).
            Missing keys take the defaults.

        Returns:
          The checked settings.

        Raises:
          ValueError: If a setting is invalid.
        """
        defaults = cls()

        def get(key: str, default: Any) -> Any:
            value = properties.get(key)
            return default if value is None else value

        margin = properties.get(spec.MIN_MARGIN_OVER_BASELINES_KEY)
        counted = properties.get(spec.BLESSING_BASELINES_KEY)
        cap = properties.get(spec.MAX_EVAL_EXAMPLES_KEY)
        top_ks = properties.get(spec.TOP_KS_KEY)
        return cls(
            top_ks=tuple(json.loads(top_ks)) if top_ks else defaults.top_ks,
            blessing_k=int(get(spec.BLESSING_K_KEY, defaults.blessing_k)),
            min_top_k_accuracy=float(get(spec.MIN_ACCURACY_KEY, defaults.min_top_k_accuracy)),
            min_margin_over_baselines=None if margin is None else float(margin),
            # "" (what an unset string runtime parameter may arrive as): all.
            blessing_baselines=tuple(json.loads(counted)) if counted else None,
            baseline_tolerance=float(
                get(spec.BASELINE_TOLERANCE_KEY, defaults.baseline_tolerance)
            ),
            query_time=get(spec.QUERY_TIME_KEY, defaults.query_time),
            recent_window_fraction=float(
                get(spec.RECENT_WINDOW_FRACTION_KEY, defaults.recent_window_fraction)
            ),
            ease_lambda=float(get(spec.EASE_LAMBDA_KEY, defaults.ease_lambda)),
            ease_max_movies=int(get(spec.EASE_MAX_MOVIES_KEY, defaults.ease_max_movies)),
            knn_neighbours=int(get(spec.KNN_NEIGHBOURS_KEY, defaults.knn_neighbours)),
            knn_max_movies=int(get(spec.KNN_MAX_MOVIES_KEY, defaults.knn_max_movies)),
            # 0 (what an unset int runtime parameter may arrive as) means no cap.
            max_eval_examples=int(cap) if cap else None,
            baseline_push_destination=properties.get(spec.BASELINE_PUSH_DESTINATION_KEY) or None,
            batch_size=int(get(spec.BATCH_SIZE_KEY, defaults.batch_size)),
            eval_split=get(spec.EVAL_SPLIT_KEY, defaults.eval_split),
            train_split=get(spec.TRAIN_SPLIT_KEY, defaults.train_split),
        )
