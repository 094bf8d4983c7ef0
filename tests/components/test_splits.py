"""The train/eval split: its share, its key, and the temporal cut."""

from typing import Callable, Iterable, Set

import apache_beam as beam
from apache_beam.testing.util import BeamAssertException, assert_that, equal_to

from components.movielens_example_gen import split_rules, splits
from transform_fn import features


def _ratings(count: int):
    return [
        {features.USER_ID: str(i % 37), features.MOVIE_ID: str(i), features.TIMESTAMP: 1_000 + i}
        for i in range(count)
    ]


def _check_split(records, config, check_train, check_eval, timestamps=None) -> None:
    """Splits ``records`` in batches of 100 and checks each side's rating keys.

    ``timestamps``, if given, are the lists handed to the split apart from the batches.
    """
    with beam.Pipeline() as pipeline:
        batches = pipeline | beam.Create([records[i : i + 100] for i in range(0, len(records), 100)])
        apart = None if timestamps is None else pipeline | "Apart" >> beam.Create(timestamps)
        train, evaluation = batches | splits.SplitRatings(config, apart)  # pylint: disable=no-value-for-parameter
        for name, part, check in (("train", train, check_train), ("eval", evaluation, check_eval)):
            keys = (
                part
                | f"Flatten{name}" >> beam.FlatMap(lambda batch: batch)
                | f"Keys{name}" >> beam.Map(split_rules.rating_key)
            )
            assert_that(keys, check, label=f"Check{name}")


def _keys_within(allowed: Set[str], low: int, high: int) -> Callable[[Iterable[str]], None]:
    def check(keys):
        keys = list(keys)
        if not low <= len(keys) <= high or not set(keys) <= allowed:
            raise BeamAssertException(f"{len(keys)} keys, wanted {low}-{high} of the allowed")

    return check


def test_random_split_sends_the_hash_selected_fifth_to_eval():
    records = _ratings(5_000)
    keys = [split_rules.rating_key(r) for r in records]
    expected_eval = [k for k in keys if split_rules.hash_fraction(k) < 0.2]
    expected_train = [k for k in keys if split_rules.hash_fraction(k) >= 0.2]
    # A fair hash: the eval share is within 3 standard deviations of 20%.
    assert abs(len(expected_eval) / len(records) - 0.2) < 3 * (0.2 * 0.8 / len(records)) ** 0.5
    _check_split(
        records, split_rules.SplitConfig(split_rules.RANDOM, 0.2), equal_to(expected_train), equal_to(expected_eval)
    )


def test_the_key_is_user_movie_and_time():
    record = {features.USER_ID: "7", features.MOVIE_ID: "42", features.TIMESTAMP: 99}
    assert split_rules.rating_key(record) == "7/42/99"
    assert split_rules.hash_fraction("7/42/99") != split_rules.hash_fraction("7/42/100")


def test_temporal_split_puts_the_latest_fifth_in_eval():
    records = _ratings(1_000)
    keys = [split_rules.rating_key(r) for r in records]
    # Timestamps 1000..1999; the cut is the 800/1000 quantile (1800, give or
    # take one): eval holds the ~200 newest ratings, train the rest.
    _check_split(
        records,
        split_rules.SplitConfig(split_rules.TEMPORAL, 0.2),
        _keys_within(set(keys[:802]), 798, 802),
        _keys_within(set(keys[798:]), 198, 202),
    )


def test_a_temporal_cut_from_timestamps_read_apart_follows_them_not_the_batches():
    records = _ratings(1_000)
    keys = [split_rules.rating_key(r) for r in records]
    # Handed only 1000..1499, the cut is their 800/1000 quantile (~1400), not
    # the batches' (~1800): eval holds the ~599 ratings after 1400.
    apart = [[1_000 + i for i in range(start, start + 100)] for start in range(0, 500, 100)]
    _check_split(
        records,
        split_rules.SplitConfig(split_rules.TEMPORAL, 0.2),
        _keys_within(set(keys[:403]), 399, 403),
        _keys_within(set(keys[399:]), 597, 601),
        timestamps=apart,
    )
