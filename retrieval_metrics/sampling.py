"""A seeded uniform sample of eval records, for splits too big to rank whole.

The Evaluator (``max_eval_examples``) and the Trainer's own report
(``TrainerConfig.max_eval_examples``) draw their samples here: one method
in both. The draw depends on how the records are batched (the random draws
are made per batch), so the two, which read in batches of different sizes,
need not pick the same records.
"""

from typing import Iterable, Tuple

import numpy as np

# Seed of the eval samples drawn under ``max_eval_examples`` by the Trainer's
# report and the Evaluator: fixed, so that runs with different training seeds
# rank the same ratings.
EVAL_SAMPLE_SEED = 0


def uniform_sample(
    batches: Iterable[np.ndarray], size: int, seed: int
) -> Tuple[np.ndarray, int]:
    """A uniform random sample of records, in their order, by reservoir sampling.

    Holds at most ``size`` records, so a split of any length streams through.

    Args:
      batches: 1-D arrays of records (e.g. serialized examples).
      size: Records to keep (all of them when there are fewer).
      seed: Seed of the draw: the same records give the same sample.

    Returns:
      The sample in the records' order, and the number of records read.

    Raises:
      ValueError: If ``size`` is below 1.
    """
    if size < 1:
        raise ValueError(f"A sample needs a size of at least 1, got {size}")
    rng = np.random.default_rng(seed)
    kept = np.empty(size, dtype=object)
    positions = np.empty(size, dtype=np.int64)
    read = 0
    for batch in batches:
        index = np.arange(read, read + len(batch))
        filling = index < size
        kept[index[filling]] = batch[filling]
        positions[index[filling]] = index[filling]
        rest = np.flatnonzero(~filling)
        if len(rest):
            slots = rng.integers(0, index[rest] + 1)
            for record, slot in zip(rest[slots < size], slots[slots < size]):
                kept[slot], positions[slot] = batch[record], read + record
        read += len(batch)
    count = min(read, size)
    return kept[:count][np.argsort(positions[:count])], read
