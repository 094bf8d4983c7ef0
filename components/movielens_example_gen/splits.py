"""Train/eval splits of rating records: random by stable hash, or temporal."""

import dataclasses
import hashlib
from typing import Any, Callable, Dict, Iterator, List, Mapping, Tuple

import apache_beam as beam

from transform_fn import features

RANDOM = "random"
TEMPORAL = "temporal"
TRAIN = "train"
EVAL = "eval"
SPLIT_NAMES = (TRAIN, EVAL)
# Resolution of the temporal cut-off: the boundary is a 1/1000 quantile.
_QUANTILE_RESOLUTION = 1000


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


def _split_batch(
    batch: List[Dict[str, Any]], goes_to_eval: Callable[[Mapping[str, Any]], bool]
) -> Iterator[Any]:
    """Yields the batch's train and eval records as tagged lists."""
    train, evaluation = [], []
    for record in batch:
        (evaluation if goes_to_eval(record) else train).append(record)
    if train:
        yield beam.pvalue.TaggedOutput(TRAIN, train)
    if evaluation:
        yield beam.pvalue.TaggedOutput(EVAL, evaluation)


@beam.ptransform_fn
def SplitRatings(  # pylint: disable=invalid-name
    rating_batches: beam.PCollection, config: SplitConfig
) -> Tuple[beam.PCollection, beam.PCollection]:
    """Splits batches of rating records into train and eval.

    Args:
      rating_batches: Lists of rating records (``batches.py``).
      config: The split settings.

    Returns:
      ``(train, eval)`` collections of record lists.
    """
    if config.mode == RANDOM:
        fraction = config.eval_fraction
        parts = rating_batches | "RandomSplit" >> beam.FlatMap(
            _split_batch, lambda record: hash_fraction(rating_key(record)) < fraction
        ).with_outputs(TRAIN, EVAL)
        return parts[TRAIN], parts[EVAL]
    index = round((1.0 - config.eval_fraction) * _QUANTILE_RESOLUTION)
    cutoff = (
        rating_batches
        | "Timestamps" >> beam.Map(lambda batch: [r[features.TIMESTAMP] for r in batch])
        | "Quantiles"
        >> beam.transforms.stats.ApproximateQuantiles.Globally(
            _QUANTILE_RESOLUTION + 1, input_batched=True
        )
        | "Cutoff" >> beam.Map(lambda quantiles: quantiles[index])
    )
    parts = rating_batches | "TemporalSplit" >> beam.FlatMap(
        lambda batch, boundary: _split_batch(
            batch, lambda record: record[features.TIMESTAMP] > boundary
        ),
        beam.pvalue.AsSingleton(cutoff),
    ).with_outputs(TRAIN, EVAL)
    return parts[TRAIN], parts[EVAL]
