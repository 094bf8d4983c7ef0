"""Rating records travel through the ExampleGen's Beam pipeline in batches.

On Beam's DirectRunner every element pays for each step it crosses (a
``Reshuffle`` of 100k single records alone takes ~3 s here), so the sources
emit lists of records and every per-rating step works on a whole list. A
batch is a plain ``list`` of records (``records.py``); sources and splits
never emit an empty one.
"""

import random
from typing import Callable, Iterable, Iterator, List, TypeVar, Union

import apache_beam as beam

# Records per batch: large enough that per-element costs vanish, small enough
# that a batch is a cheap unit of work to move between workers.
BATCH_SIZE = 1000

T = TypeVar("T")


def batched(
    items: Iterable[T],
    size: int = BATCH_SIZE,
    passes_through: Callable[[T], bool] = lambda item: False,
) -> Iterator[Union[List[T], T]]:
    """Groups items into lists of ``size`` (the last one may be shorter).

    Args:
      items: Any iterable.
      size: Items per list, at least 1.
      passes_through: Items for which this is true are yielded on their own,
        at once, not batched (e.g. a DoFn's tagged bad rows).

    Yields:
      Non-empty lists, in the items' order, and the passed-through items.
    """
    if size < 1:
        raise ValueError(f"batch size must be >= 1, got {size}")
    batch: List[T] = []
    for item in items:
        if passes_through(item):
            yield item
            continue
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def shuffled_batches(items: Iterable[T], seed: int, size: int = BATCH_SIZE) -> Iterator[List[T]]:
    """Shuffles items in memory and groups them into lists of ``size``.

    Args:
      items: A finite iterable, small enough to hold as a list.
      seed: Seed of the shuffle: the same items and seed give the same lists.
      size: Items per list, at least 1.

    Yields:
      Non-empty lists of the shuffled items.
    """
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    yield from batched(shuffled, size)


@beam.ptransform_fn
def CountBatched(batches: beam.PCollection) -> beam.PCollection:  # pylint: disable=invalid-name
    """Counts the records in a collection of batches (0 when empty).

    Args:
      batches: Lists of records.

    Returns:
      A one-element collection with the number of records.
    """
    return batches | "Sizes" >> beam.Map(len) | "Sum" >> beam.CombineGlobally(sum)


@beam.ptransform_fn
def Unbatch(batches: beam.PCollection) -> beam.PCollection:  # pylint: disable=invalid-name
    """Turns a collection of batches back into one of single records.

    Args:
      batches: Lists of records.

    Returns:
      The records.
    """
    return batches | "Unbatch" >> beam.FlatMap(lambda batch: batch)
