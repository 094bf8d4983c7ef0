"""What every MovieLens source transform returns."""

from typing import NamedTuple, Optional

import apache_beam as beam


class SourceOutput(NamedTuple):
    """The PCollections a source produces.

    Attributes:
      rating_batches: Rating records (``records.py``), joined with movie and
        user features, in non-empty lists (``batches.py``). The source
        shuffles them where it is cheap (within a window of the ratings
        file or a generation shard, or whole batches), so that the files, written in this order,
        do not follow one user's ratings in time.
      movies: Movie records of the whole candidate corpus, one per movie id.
      bad_rows: ``BadRow``s for input that could not become a record.
      timestamps: Lists of the ratings' timestamps read apart from
        ``rating_batches``, for a temporal split's cut-off; None when the
        split takes them from the batches. The cut-off is a side input of
        the step that splits the batches, so taken from the batches it makes
        Beam's DirectRunner hold every batch until it is known.
    """

    rating_batches: beam.PCollection
    movies: beam.PCollection
    bad_rows: beam.PCollection
    timestamps: Optional[beam.PCollection] = None
