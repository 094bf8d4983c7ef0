"""Beam transform reading a GroupLens archive into rating and movie records.

The ratings file is streamed line by line (so ml-25m never sits in one
process's memory), in batches of parsed lines (``batches.py``), and joined
with the movies and users tables, which are small enough to be side inputs.
Every line that cannot become a record comes out as a ``BadRow`` naming the
file, line and reason.
"""

from typing import Any, Dict, Iterator, List, Optional, Tuple

import apache_beam as beam

from components.movielens_example_gen import archive, batches, formats
from components.movielens_example_gen.bad_rows import BadRow
from components.movielens_example_gen.source_output import SourceOutput
from transform_fn import features

_BAD = "bad_rows"


def _parse_lines(
    file: archive.ArchiveFile, format_name: str, parse
) -> Iterator[Any]:
    """Yields ``(line_number, parsed)`` for good lines, bad rows tagged."""
    for number, line in archive.read_lines(file):
        if number == 1 and formats.is_header(format_name, line):
            continue
        try:
            yield number, parse(format_name, line)
        except formats.BadLine as error:
            yield beam.pvalue.TaggedOutput(
                _BAD, BadRow(file.display_name(), number, str(error))
            )


def _parsed_batches(file: archive.ArchiveFile, format_name: str, parse) -> Iterator[Any]:
    """Yields lists of ``(line_number, parsed)`` for good lines, bad rows tagged."""
    return batches.batched(
        _parse_lines(file, format_name, parse),
        batches.BATCH_SIZE,
        passes_through=lambda item: isinstance(item, beam.pvalue.TaggedOutput),
    )


def _keyed_by_id(file: archive.ArchiveFile, format_name: str, parse_fn):
    """Returns a FlatMap body yielding ``(id, (line_number, row))``."""

    def run(_) -> Iterator[Any]:
        for item in _parse_lines(file, format_name, parse_fn):
            if isinstance(item, beam.pvalue.TaggedOutput):
                yield item
            else:
                number, (key, value) = item
                yield key, (number, value)

    return run


def _unique(file_name: str):
    """Keeps the first row of each id; later duplicates become bad rows."""

    def run(keyed: Tuple[str, Any]) -> Iterator[Any]:
        key, rows = keyed
        rows = sorted(rows, key=lambda row: row[0])
        yield key, rows[0][1]
        for number, _ in rows[1:]:
            yield beam.pvalue.TaggedOutput(
                _BAD,
                BadRow(file_name, number, f"duplicate id {key} (first on line {rows[0][0]})"),
            )

    return run


def _table(
    pipeline: beam.Pipeline, label: str, file: archive.ArchiveFile, format_name: str, parse_fn
) -> Tuple[beam.PCollection, beam.PCollection, beam.PCollection]:
    parsed = (
        pipeline
        | f"Start{label}" >> beam.Create([None])
        | f"Parse{label}" >> beam.FlatMap(_keyed_by_id(file, format_name, parse_fn)).with_outputs(
            _BAD, main="rows"
        )
    )
    unique = (
        parsed.rows
        | f"Group{label}" >> beam.GroupByKey()
        | f"Dedupe{label}" >> beam.FlatMap(_unique(file.display_name())).with_outputs(
            _BAD, main="rows"
        )
    )
    return unique.rows, parsed[_BAD], unique[_BAD]


def _movie_parser(fmt: str, line: bytes) -> Tuple[str, Dict[str, Any]]:
    movie = formats.parse_movie(fmt, line)
    return movie[features.MOVIE_ID], movie


class _JoinRatings(beam.DoFn):
    """Joins a batch of parsed rating lines with their movies and users."""

    def __init__(self, ratings_file: str):
        self._ratings_file = ratings_file

    def process(
        self,
        numbered_batch: List[Tuple[int, Tuple[str, str, float, int]]],
        movies: Dict[str, Dict[str, Any]],
        users: Optional[Dict[str, Dict[str, Any]]],
    ) -> Iterator[Any]:
        joined = []
        for number, (user_id, movie_id, rating, timestamp) in numbered_batch:
            movie = movies.get(movie_id)
            if movie is None:
                yield self._bad(number, f"unknown movie id {movie_id}")
                continue
            record = dict(movie)
            record.update(
                {
                    features.USER_ID: user_id,
                    features.USER_RATING: rating,
                    features.TIMESTAMP: timestamp,
                }
            )
            if users is not None:
                demographics = users.get(user_id)
                if demographics is None:
                    yield self._bad(number, f"unknown user id {user_id}")
                    continue
                record.update(demographics)
            joined.append(record)
        if joined:
            yield joined

    def _bad(self, number: int, reason: str) -> beam.pvalue.TaggedOutput:
        return beam.pvalue.TaggedOutput(_BAD, BadRow(self._ratings_file, number, reason))


@beam.ptransform_fn
def ReadGroupLens(  # pylint: disable=invalid-name
    pipeline: beam.Pipeline, layout: formats.Layout
) -> SourceOutput:
    """Reads a GroupLens release into records.

    Args:
      pipeline: The Beam pipeline.
      layout: The release's files, from ``formats.detect_layout``.

    Returns:
      Batches of rating records joined with movie and user features, the movie corpus
      (every movie of the movies file, rated or not) and the bad rows.
    """
    fmt = layout.format_name
    movies, bad_movie_lines, duplicate_movies = _table(
        pipeline, "Movies", layout.movies, fmt, _movie_parser
    )
    bad = [bad_movie_lines, duplicate_movies]
    users = None
    if layout.users is not None:
        users_table, bad_user_lines, duplicate_users = _table(
            pipeline, "Users", layout.users, fmt, formats.parse_user
        )
        users = beam.pvalue.AsDict(users_table)
        bad += [bad_user_lines, duplicate_users]

    ratings_file = layout.ratings
    parsed = (
        pipeline
        | "StartRatings" >> beam.Create([None])
        | "ParseRatings"
        >> beam.FlatMap(
            lambda _: _parsed_batches(ratings_file, fmt, formats.parse_rating)
        ).with_outputs(_BAD, main="rows")
    )
    joined = (
        parsed.rows
        | "Distribute" >> beam.Reshuffle()
        | "JoinRatings"
        >> beam.ParDo(
            _JoinRatings(ratings_file.display_name()), beam.pvalue.AsDict(movies), users
        ).with_outputs(_BAD, main="rows")
    )
    bad += [parsed[_BAD], joined[_BAD]]
    return SourceOutput(
        rating_batches=joined.rows,
        movies=movies | "MovieRecords" >> beam.Values(),
        bad_rows=tuple(bad) | "FlattenBadRows" >> beam.Flatten(),
    )
