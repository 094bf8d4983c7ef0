"""Finding exact duplicate rating lines without holding the ratings anywhere.

A rating line is a duplicate when an earlier line has the same user, movie,
rating and timestamp, wherever it is in the file. The check takes a first
pass over the ratings file before the records are read:

1. Each stretch of the file is parsed and every good rating reduced to a
   128-bit digest of its parsed fields (``rating_digest``) and its line
   number: 24 bytes a rating, sent in NumPy arrays cut by a bucket of the
   digest.
2. Each bucket's arrays are grouped and sorted; a digest that occurs more
   than once is a repeated rating, and its smallest line number is the
   rating's first line.
3. The repeated digests with their first lines, usually none, are gathered
   into one dict (``FindRepeats``): the side input of the second pass, which
   reads the records and marks every line that repeats an earlier one
   (``first_line_of_repeat``).

The first pass itself is the GroupLens reader's (``grouplens_source.py``),
which also takes the timestamps for a temporal split there.

So the ratings themselves stream through both passes; what a process holds
is the digests (the runner's grouping, ml-25m: ~600 MB) and one bucket's
arrays at a time. Two different ratings would be taken for duplicates only
if their BLAKE2b digests met in all 128 bits.
"""

import hashlib
from typing import Dict, Iterable, Iterator, Optional, Tuple

import apache_beam as beam
import numpy as np

Rating = Tuple[str, str, float, int]
# First line of each repeated rating, by the rating's digest.
Repeats = Dict[bytes, int]

_DIGEST_BYTES = 16
# Digests and line numbers of one stretch, as NumPy sorts them.
_DIGESTS = np.dtype([("high", "<u8"), ("low", "<u8"), ("line", "<i8")])
# The digests are grouped in this many buckets (by their value), so that one
# worker sorts a bucket of them at a time (ml-25m: ~400k digests, ~9 MB).
_DIGEST_BUCKETS = 64


def rating_digest(rating: Rating) -> bytes:
    """A 128-bit digest of a parsed rating, the same in every process.

    Args:
      rating: ``(user_id, movie_id, rating, timestamp)``, as parsed: two
        lines that differ only in how a number is written (``4`` and
        ``4.0``) give the same digest.

    Returns:
      16 bytes.
    """
    return hashlib.blake2b(repr(rating).encode("utf-8"), digest_size=_DIGEST_BYTES).digest()


def digest_arrays(
    numbered_ratings: Iterable[Tuple[int, Rating]], buckets: int = _DIGEST_BUCKETS
) -> Iterator[Tuple[int, np.ndarray]]:
    """Reduces ratings to their digests and line numbers, cut by bucket.

    Args:
      numbered_ratings: ``(line_number, rating)`` pairs.
      buckets: How many buckets the digests are cut into.

    Yields:
      ``(bucket, array)`` for each non-empty bucket: a structured array of
      ``high``, ``low`` (the digest's two halves) and ``line``.
    """
    digests, lines = bytearray(), []
    for number, rating in numbered_ratings:
        digests += rating_digest(rating)
        lines.append(number)
    if not lines:
        return
    halves = np.frombuffer(bytes(digests), dtype="<u8").reshape(-1, 2)
    table = np.empty(len(lines), dtype=_DIGESTS)
    table["high"], table["low"], table["line"] = halves[:, 0], halves[:, 1], lines
    bucket_of = table["high"] % np.uint64(buckets)
    for bucket in np.unique(bucket_of):
        yield int(bucket), table[bucket_of == bucket]


def repeats_among(arrays: Iterable[np.ndarray]) -> Repeats:
    """Finds the digests that occur more than once, with their first lines.

    Args:
      arrays: Arrays from ``digest_arrays``, of one bucket (a digest's every
        occurrence must be among them).

    Returns:
      The smallest line number of each repeated digest, by digest.
    """
    table = np.concatenate(list(arrays))
    table = table[np.lexsort((table["line"], table["low"], table["high"]))]
    # next_is_same[i]: row i + 1 has row i's digest.
    next_is_same = (table["high"][1:] == table["high"][:-1]) & (
        table["low"][1:] == table["low"][:-1]
    )
    # A repeat's first row (its smallest line) starts a run of rows with the
    # same digest, a run longer than one.
    previous_is_same = np.concatenate(([False], next_is_same))[:-1]
    first = table[np.flatnonzero(next_is_same & ~previous_is_same)]
    return {
        np.array([high, low], dtype="<u8").tobytes(): int(line)
        for high, low, line in zip(first["high"], first["low"], first["line"])
    }


def first_line_of_repeat(
    repeats: Repeats, number: int, rating: Rating
) -> Optional[int]:
    """Tells whether a rating line repeats an earlier one.

    Args:
      repeats: From ``FindRepeatedRatings``.
      number: The line's number.
      rating: Its parsed rating.

    Returns:
      The number of the first line with the same rating when this line comes
      after it, else None (the line is the first, or its rating is unique).
    """
    if not repeats:
        return None
    first = repeats.get(rating_digest(rating))
    return first if first is not None and first != number else None


def _merged(dicts: Iterable[Repeats]) -> Repeats:
    merged: Repeats = {}
    for repeats in dicts:
        merged.update(repeats)
    return merged


@beam.ptransform_fn
def FindRepeats(  # pylint: disable=invalid-name
    bucketed_digests: beam.PCollection,
) -> beam.PCollection:
    """Which ratings occur more than once, and their first lines.

    Args:
      bucketed_digests: ``(bucket, array)`` pairs from ``digest_arrays``, of
        every good line of the ratings file.

    Returns:
      A one-element collection: the ``Repeats`` dict, empty when no rating
      repeats.
    """
    return (
        bucketed_digests
        | "GroupByBucket" >> beam.GroupByKey()
        | "RepeatsOfBucket" >> beam.MapTuple(lambda _, arrays: repeats_among(arrays))
        | "AllRepeats" >> beam.CombineGlobally(_merged)
    )
