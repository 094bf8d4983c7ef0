"""The seeded uniform sample the Evaluator and the Trainer's report draw."""

import numpy as np
import pytest

from retrieval_metrics import uniform_sample


def test_the_uniform_sample_keeps_the_order_and_draws_evenly():
    records = np.arange(10_000).astype(object)
    batches = [records[start : start + 100] for start in range(0, len(records), 100)]
    sample, read = uniform_sample(iter(batches), 1_000, seed=3)
    values = sample.astype(np.int64)
    assert read == 10_000 and len(values) == 1_000
    assert (np.diff(values) > 0).all()  # distinct, in the records' order
    # Every tenth of the records holds ~100 of the 1,000 (binomial sd ~9.5).
    assert (np.abs(np.bincount(values // 1_000, minlength=10) - 100) < 40).all()
    again, _ = uniform_sample(iter(batches), 1_000, seed=3)
    assert (again == sample).all()
    everything, read = uniform_sample(iter(batches[:3]), 1_000, seed=3)
    assert read == 300 and everything.astype(np.int64).tolist() == list(range(300))


def test_a_sample_of_nothing_is_refused():
    with pytest.raises(ValueError, match="at least 1, got 0"):
        uniform_sample(iter([np.arange(3).astype(object)]), 0, seed=0)
