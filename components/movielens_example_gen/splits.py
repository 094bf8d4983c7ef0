"""Train/eval splits of rating records in Beam: random by stable hash, or temporal (``split_rules``)."""

from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Tuple

import apache_beam as beam

from components.movielens_example_gen.split_rules import (
    EVAL,
    RANDOM,
    TRAIN,
    SplitConfig,
    hash_fraction,
    rating_key,
)
from transform_fn import features

# Resolution of the temporal cut-off: the boundary is a 1/1000 quantile.
_QUANTILE_RESOLUTION = 1000


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
    rating_batches: beam.PCollection,
    config: SplitConfig,
    timestamps: Optional[beam.PCollection] = None,
) -> Tuple[beam.PCollection, beam.PCollection]:
    """Splits batches of rating records into train and eval.

    Args:
      rating_batches: Lists of rating records (``batches.py``).
      config: The split settings.
      timestamps: Lists of the ratings' timestamps, read apart from the
        batches (``SourceOutput.timestamps``), for the temporal cut-off;
        None takes them from the batches.

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
    if timestamps is None:
        timestamps = rating_batches | "Timestamps" >> beam.Map(
            lambda batch: [r[features.TIMESTAMP] for r in batch]
        )
    cutoff = (
        timestamps
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
