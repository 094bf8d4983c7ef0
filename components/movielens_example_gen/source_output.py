"""What every MovieLens source transform returns."""

from typing import NamedTuple

import apache_beam as beam


class SourceOutput(NamedTuple):
    """The PCollections a source produces.

    Attributes:
      rating_batches: Rating records (``records.py``), joined with movie and
        user features, in non-empty lists (``batches.py``). The source
        shuffles them where it is cheap (within a user bucket or generation
        shard, or whole batches), so that the files, written in this order,
        do not follow one user's ratings in time.
      movies: Movie records of the whole candidate corpus, one per movie id.
      bad_rows: ``BadRow``s for input that could not become a record.
    """

    rating_batches: beam.PCollection
    movies: beam.PCollection
    bad_rows: beam.PCollection
