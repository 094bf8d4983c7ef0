"""The train/eval split's rules: the modes, the split names, a rating's key and its stable hash.

Free of Beam, so settings and readers can use them; ``splits`` applies them
to a PCollection.
"""

import dataclasses
import hashlib
from typing import Any, Mapping

from transform_fn import features

RANDOM = "random"
TEMPORAL = "temporal"
TRAIN = "train"
EVAL = "eval"
SPLIT_NAMES = (TRAIN, EVAL)


@dataclasses.dataclass(frozen=True)
class SplitConfig:
    """How ratings are split into train and eval.

    Attributes:
      mode: ``random`` (a stable hash of user, movie and timestamp decides) or
        ``temporal`` (eval holds the most recent ratings, so no future
        interaction leaks into training).
      eval_fraction: The share of ratings in eval, in (0, 1).
    """

    mode: str = RANDOM
    eval_fraction: float = 0.2

    def __post_init__(self):
        if self.mode not in (RANDOM, TEMPORAL):
            raise ValueError(
                f"split mode must be {RANDOM!r} or {TEMPORAL!r}, got {self.mode!r}"
            )
        if not 0.0 < self.eval_fraction < 1.0:
            raise ValueError(
                f"eval_fraction must be in (0, 1), got {self.eval_fraction}"
            )


def rating_key(record: Mapping[str, Any]) -> str:
    """The identity of a rating: who rated what, when.

    Args:
      record: A rating record.

    Returns:
      ``user_id/movie_id/timestamp``.
    """
    return (
        f"{record[features.USER_ID]}/{record[features.MOVIE_ID]}/"
        f"{record[features.TIMESTAMP]}"
    )


def hash_fraction(key: str) -> float:
    """Maps a key to [0, 1) with a hash that is stable across processes.

    Args:
      key: Any string.

    Returns:
      A number that is the same for the same key on every machine.
    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64
