"""Tests of the ExampleGen's record batches."""

import apache_beam as beam
import pytest
from apache_beam.testing.util import assert_that, equal_to

from components.movielens_example_gen import batches


def test_batched_keeps_order_and_every_item():
    assert list(batches.batched(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batches.batched([], 3)) == []


def test_passed_through_items_come_out_alone_and_at_once():
    got = list(batches.batched([1, "bad", 2, 3, "worse"], 2, passes_through=lambda x: isinstance(x, str)))
    assert got == ["bad", [1, 2], "worse", [3]]


def test_batched_rejects_empty_batches():
    with pytest.raises(ValueError, match="batch size"):
        list(batches.batched(range(3), 0))


def test_count_and_unbatch_see_every_record():
    with beam.Pipeline() as pipeline:
        full = pipeline | "Full" >> beam.Create([[1, 2, 3], [4], [5, 6]])
        empty = pipeline | "Empty" >> beam.Create([])
        assert_that(full | "CountFull" >> batches.CountBatched(), equal_to([6]), label="count")
        assert_that(empty | "CountEmpty" >> batches.CountBatched(), equal_to([0]), label="zero")
        assert_that(full | batches.Unbatch(), equal_to([1, 2, 3, 4, 5, 6]), label="records")


def test_shuffled_batches_keep_every_item_in_an_order_fixed_by_the_seed():
    items = list(range(100))
    got = list(batches.shuffled_batches(iter(items), seed=3, size=30))
    assert [len(batch) for batch in got] == [30, 30, 30, 10]
    flat = [item for batch in got for item in batch]
    assert sorted(flat) == items and flat != items
    assert list(batches.shuffled_batches(items, seed=3, size=30)) == got
    assert list(batches.shuffled_batches(items, seed=4, size=30)) != got
