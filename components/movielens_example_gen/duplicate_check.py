"""Finding exact duplicate rating lines without holding the ratings anywhere.

A rating line is a duplicate when an earlier line has the same user, movie,
rating and timestamp, wherever it is in the file. The check takes a first
pass over the ratings file before the records are read:

1. Each stretch of the file is parsed and every good rating reduced to a
   128-bit digest of its parsed fields (``rating_digest``) and its line
   number: 24 bytes a rating, in NumPy arrays cut by a bucket of the
   digest.
2. The workers write each array to a file of its bucket, in a temporary
   folder (``FindRepeats``); then each bucket's files are read and sorted
   in one worker: a digest that occurs more than once is a repeated
   rating, and its smallest line number is the rating's first line.
3. Every line that repeats an earlier one, with that first line, usually
   none, is gathered into one dict by line number: the side input of the
   second pass, which reads the records and sets those lines apart
   without hashing anything again.

The first pass itself is the GroupLens reader's (``grouplens_source.py``),
which also takes the timestamps for a temporal split there.

The digests go through files, not a Beam grouping, because Beam's
DirectRunner holds a grouping's data in its own process: at 25M ratings
the grouped digests (~600 MB) took it to 3.8 GiB while it regrouped them.
So the ratings stream through both passes, and a process holds one
stretch's digests or one bucket's at a time (ml-25m, by arithmetic: ~37
MB, ~9 MB). Two different ratings would be taken for duplicates only if
their BLAKE2b digests met in all 128 bits.
"""

import hashlib
import os
import uuid
from typing import Dict, Iterable, Iterator, List, Tuple

import apache_beam as beam
import numpy as np
import tensorflow as tf

Rating = Tuple[str, str, float, int]
# The first line with the same rating, by the number of each line that repeats it.
Repeats = Dict[int, int]

_DIGEST_BYTES = 16
# Digests and line numbers of one stretch, as NumPy sorts them.
_DIGESTS = np.dtype([("high", "<u8"), ("low", "<u8"), ("line", "<i8")])
# The digests are grouped in this many buckets (by their value), so that one
# worker sorts a bucket of them at a time (ml-25m: ~390k digests, ~9 MB).
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
    """Finds the lines whose digest occurred on an earlier line.

    Args:
      arrays: Arrays from ``digest_arrays``, of one bucket (a digest's every
        occurrence must be among them).

    Returns:
      For each such line, the smallest line number with its digest.
    """
    table = np.concatenate(list(arrays))
    table = table[np.lexsort((table["line"], table["low"], table["high"]))]
    # previous_is_same[i]: row i has row i - 1's digest. Sorted by line within
    # a digest, a run of equal digests starts at its first line.
    previous_is_same = np.concatenate(
        ([False], (table["high"][1:] == table["high"][:-1]) & (table["low"][1:] == table["low"][:-1]))
    )
    run_starts = np.flatnonzero(~previous_is_same)
    first_lines = table["line"][run_starts][np.cumsum(~previous_is_same) - 1]
    return dict(
        zip(table["line"][previous_is_same].tolist(), first_lines[previous_is_same].tolist())
    )


def _merged(dicts: Iterable[Repeats]) -> Repeats:
    merged: Repeats = {}
    for repeats in dicts:
        merged.update(repeats)
    return merged


def _bucket_folder(temp_dir: str, bucket: int) -> str:
    return os.path.join(temp_dir, f"bucket-{bucket:05d}")


def _write_array(bucket_array: Tuple[int, np.ndarray], temp_dir: str) -> str:
    """Writes one array of digests to a new file of its bucket; returns the file's path."""
    bucket, array = bucket_array
    folder = _bucket_folder(temp_dir, bucket)
    tf.io.gfile.makedirs(folder)
    path = os.path.join(folder, f"{uuid.uuid4().hex}.digests")
    with tf.io.gfile.GFile(path, "wb") as handle:
        handle.write(array.tobytes())
    return path


def _repeats_of_bucket(bucket: int, written: List[str], temp_dir: str) -> Repeats:
    """Reads the files written for one bucket, finds its repeats, and removes the files.

    Only the files named in ``written`` (the outputs of committed bundles)
    are read, so a file left by a failed, retried bundle is not counted
    twice.
    """
    prefix = _bucket_folder(temp_dir, bucket) + os.sep
    paths = [path for path in written if path.startswith(prefix)]
    if not paths:
        return {}
    arrays = []
    for path in paths:
        with tf.io.gfile.GFile(path, "rb") as handle:
            arrays.append(np.frombuffer(handle.read(), dtype=_DIGESTS))
    repeats = repeats_among(arrays)
    tf.io.gfile.rmtree(os.path.dirname(prefix))
    return repeats


def _removing_folder(repeats: Repeats, temp_dir: str) -> Repeats:
    if tf.io.gfile.exists(temp_dir):
        tf.io.gfile.rmtree(temp_dir)
    return repeats


@beam.ptransform_fn
def FindRepeats(  # pylint: disable=invalid-name
    bucketed_digests: beam.PCollection,
    temp_parent: str,
    buckets: int = _DIGEST_BUCKETS,
) -> beam.PCollection:
    """Which ratings occur more than once, and their first lines.

    Args:
      bucketed_digests: ``(bucket, array)`` pairs from ``digest_arrays``, of
        every good line of the ratings file.
      temp_parent: A folder every worker can write to (local, ``gs://`` or
        ``s3://``); the arrays go to a hidden folder in it for the time of
        the check, removed after it.
      buckets: The ``buckets`` the arrays were cut into.

    Returns:
      A one-element collection: the ``Repeats`` dict, empty when no rating
      repeats.
    """
    temp_dir = os.path.join(temp_parent, f".duplicate-check-{uuid.uuid4().hex}")
    written = (
        bucketed_digests
        | "WriteDigests" >> beam.Map(_write_array, temp_dir)
        | "WrittenFiles" >> beam.combiners.ToList()
    )
    return (
        bucketed_digests.pipeline
        | "Buckets" >> beam.Create(range(buckets))
        | "RepeatsOfBucket"
        >> beam.Map(_repeats_of_bucket, beam.pvalue.AsSingleton(written), temp_dir)
        | "AllRepeats" >> beam.CombineGlobally(_merged)
        | "RemoveTempFolder" >> beam.Map(_removing_folder, temp_dir)
    )
