"""RetrievalEvaluator's settings, read and checked from execution properties."""

import dataclasses
import json
from typing import Any, Mapping, Optional, Tuple

from components.retrieval_evaluator import spec


@dataclasses.dataclass(frozen=True)
class Settings:
    """What to measure and when to bless.

    Attributes:
      top_ks: The cut-offs k of every metric, ascending.
      blessing_k: The k whose top-k accuracy the blessing checks use.
      min_top_k_accuracy: The model's top-``blessing_k`` accuracy must be at
        least this.
      min_margin_over_popularity: If set, the model's top-``blessing_k``
        accuracy must be at least the popularity baseline's plus this margin.
      baseline_tolerance: With a baseline (last blessed) model, the model's
        top-``blessing_k`` accuracy may be at most this much lower than the
        baseline's (absolute).
      max_eval_examples: Read at most this many eval examples (None: all).
      baseline_push_destination: A VersionedPusher destination; without a
        ``baseline_model`` input, the newest model pushed there (the one being
        served) is the baseline.
      batch_size: Serialized examples per call of the serving signature.
      eval_split: The split the metrics are computed on.
      train_split: The split the popularity baseline counts ratings in.
    """

    top_ks: Tuple[int, ...] = spec.DEFAULT_TOP_KS
    blessing_k: int = spec.DEFAULT_BLESSING_K
    min_top_k_accuracy: float = 0.0
    min_margin_over_popularity: Optional[float] = None
    baseline_tolerance: float = 0.0
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
        if self.baseline_tolerance < 0.0:
            raise ValueError(
                f"baseline_tolerance must be >= 0, got {self.baseline_tolerance}"
            )
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
            spec.MIN_MARGIN_OVER_POPULARITY_KEY: (
                None
                if self.min_margin_over_popularity is None
                else float(self.min_margin_over_popularity)
            ),
            spec.BASELINE_TOLERANCE_KEY: float(self.baseline_tolerance),
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

        margin = properties.get(spec.MIN_MARGIN_OVER_POPULARITY_KEY)
        cap = properties.get(spec.MAX_EVAL_EXAMPLES_KEY)
        top_ks = properties.get(spec.TOP_KS_KEY)
        return cls(
            top_ks=tuple(json.loads(top_ks)) if top_ks else defaults.top_ks,
            blessing_k=int(get(spec.BLESSING_K_KEY, defaults.blessing_k)),
            min_top_k_accuracy=float(get(spec.MIN_ACCURACY_KEY, defaults.min_top_k_accuracy)),
            min_margin_over_popularity=None if margin is None else float(margin),
            baseline_tolerance=float(
                get(spec.BASELINE_TOLERANCE_KEY, defaults.baseline_tolerance)
            ),
            # 0 (what an unset int runtime parameter may arrive as) means no cap.
            max_eval_examples=int(cap) if cap else None,
            baseline_push_destination=properties.get(spec.BASELINE_PUSH_DESTINATION_KEY) or None,
            batch_size=int(get(spec.BATCH_SIZE_KEY, defaults.batch_size)),
            eval_split=get(spec.EVAL_SPLIT_KEY, defaults.eval_split),
            train_split=get(spec.TRAIN_SPLIT_KEY, defaults.train_split),
        )
