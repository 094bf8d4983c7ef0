"""Beam transform reading TFDS's ``movielens/*-ratings`` into records.

The ratings come from the ratings builder, the corpus from the matching
``-movies`` builder, completed with every movie the ratings mention (so that a
partial corpus never leaves a rating without its candidate).
"""

from typing import Any, Dict, Iterable, Iterator, List, Optional

import apache_beam as beam
import numpy as np

from components.movielens_example_gen import batches
from components.movielens_example_gen.source_output import SourceOutput
from components.progress_log import ProgressCounter
from transform_fn import features

_MOVIE_FEATURES = tuple(features.MOVIE_FEATURE_KINDS)


class TfdsUnavailableError(RuntimeError):
    """TFDS data is neither prepared locally nor downloadable."""


def movies_builder_name(ratings_builder_name: str) -> str:
    """Returns the ``-movies`` builder matching a ``-ratings`` builder.

    Args:
      ratings_builder_name: e.g. ``movielens/100k-ratings``.

    Returns:
      e.g. ``movielens/100k-movies``.
    """
    return ratings_builder_name[: -len("-ratings")] + "-movies"


def read_tfds(name: str, data_dir: Optional[str], download: bool) -> Iterator[Dict[str, Any]]:
    """Yields the records of a TFDS movielens builder's ``train`` split.

    Args:
      name: The builder, e.g. ``movielens/100k-ratings``.
      data_dir: TFDS data dir, or None for TFDS's default.
      download: Whether to download and prepare the data when it is missing.

    Yields:
      Records with ``records.py`` value types.

    Raises:
      TfdsUnavailableError: If the data is not prepared and cannot be
        downloaded.
    """
    import tensorflow_datasets as tfds  # pylint: disable=import-outside-toplevel

    builder = tfds.builder(name, data_dir=data_dir)
    if not builder.is_prepared():
        if not download:
            raise TfdsUnavailableError(
                f"TFDS dataset {name} is not prepared in {builder.data_dir} and "
                "downloading is off"
            )
        try:
            builder.download_and_prepare()
        except Exception as error:  # TFDS raises many kinds on network failure.
            raise TfdsUnavailableError(
                f"TFDS could not download {name} ({type(error).__name__}: {error}). "
                "Offline, prepare the data dir elsewhere and pass it as "
                "tfds_data_dir, or use the grouplens source with a local archive, "
                "or the synthetic source."
            ) from error
    for example in tfds.as_numpy(builder.as_dataset(split="train")):
        yield {key: _to_python(value) for key, value in example.items()}


def _to_python(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray):
        return [int(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _movie_of(record: Dict[str, Any]) -> Dict[str, Any]:
    return {key: record[key] for key in _MOVIE_FEATURES}


def _first_movie_per_id(movie_lists: Iterable[List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """One movie record per id: the first seen, from records carrying movie features."""
    movies: Dict[str, Dict[str, Any]] = {}
    for records in movie_lists:
        for record in records:
            if record[features.MOVIE_ID] not in movies:
                movies[record[features.MOVIE_ID]] = _movie_of(record)
    return list(movies.values())


@beam.ptransform_fn
def ReadTfds(  # pylint: disable=invalid-name
    pipeline: beam.Pipeline, name: str, data_dir: Optional[str], download: bool
) -> SourceOutput:
    """Reads a TFDS movielens ratings builder and its movies builder.

    Args:
      pipeline: The Beam pipeline.
      name: The ratings builder, e.g. ``movielens/100k-ratings``.
      data_dir: TFDS data dir, or None.
      download: Whether TFDS may download missing data.

    Returns:
      Batches of rating records, the movie corpus (one record per movie id),
      and an empty bad-rows collection (TFDS data is already parsed).
    """
    rating_batches = (
        pipeline
        | "StartRatings" >> beam.Create([name])
        | "ReadRatings"
        >> beam.FlatMap(
            lambda ratings: batches.batched(
                ProgressCounter("ratings read").counted(read_tfds(ratings, data_dir, download))
            )
        )
        | "Distribute" >> beam.Reshuffle()
    )
    corpus = (
        pipeline
        | "StartMovies" >> beam.Create([movies_builder_name(name)])
        | "ReadMovies" >> beam.FlatMap(read_tfds, data_dir, download)
        | "CorpusList" >> beam.combiners.ToList()
    )
    movies = (
        (corpus, rating_batches)
        | "AllMovies" >> beam.Flatten()
        | "OnePerId" >> beam.CombineGlobally(_first_movie_per_id)
        | "MovieRecords" >> batches.Unbatch()
    )
    return SourceOutput(
        rating_batches=rating_batches,
        movies=movies,
        bad_rows=pipeline | "NoBadRows" >> beam.Create([]),
    )
