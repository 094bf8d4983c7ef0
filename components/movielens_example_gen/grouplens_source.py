"""Beam transform reading a GroupLens archive into rating and movie records.

The ratings file is streamed line by line (so ml-25m never sits in one
process's memory), in stretches of whole lines that Beam's workers parse at
once, in batches of parsed lines (``batches.py``), and joined
with the movies and users tables, which are small enough to be side inputs.
Every line that cannot become a record comes out as a ``BadRow`` naming the
file, line and reason. A rating of a movie or user whose own line was bad is
a ``BadRow`` too, marked as a consequence of that line, so that the line
itself is reported first. Exact duplicate rating lines come out as
``DuplicateRating``s, dropped from the ratings unless kept on request; a
first pass over the file finds them (``duplicate_check.py``), so that no
step groups the ratings themselves and the runner never holds them.

The ratings leave in random order within windows of the file
(``_SHUFFLE_WINDOW`` lines), so that no batch follows the file's order of
users and time; the ExampleGen writes them as they come, without a shuffle
of its own that would hold every example in memory.
"""

import tempfile
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Tuple

import apache_beam as beam

from components.movielens_example_gen import archive, batches, duplicate_check, formats
from components.movielens_example_gen.bad_rows import BadRow, DuplicateRating
from components.movielens_example_gen.source_output import SourceOutput
from components.progress_log import ProgressCounter
from transform_fn import features

_BAD = "bad_rows"
_BAD_LINE_IDS = "bad_line_ids"
_TIMESTAMPS = "timestamps"
# Parsed ratings are shuffled in windows of this many, in a worker's memory
# (at 25M ratings each worker peaked at ~1 GiB in this pass, TensorFlow
# included); ml-25m's are sorted by user, so a window holds ~3,000 users'
# ratings.
_SHUFFLE_WINDOW = 500_000
# The ratings file is parsed in up to this many stretches of whole lines, in
# parallel (one pass first counts the line endings; ml-25m: ~40 MiB each).
# In a zip member, each stretch decompresses everything before it: 16
# stretches of ml-25m decompress ~5 GB more than one would (zipfile read
# 123 MB/s here on a busy machine: ~40 s of CPU, spread over the workers).
_RATING_STRETCHES = 16
# A stretch is never shorter than this (ml-1m's ratings: 6 stretches).
_MIN_STRETCH_BYTES = 4 << 20

Rating = Tuple[str, str, float, int]


class _Table(NamedTuple):
    """A movies or users file read into Beam.

    Attributes:
      rows: ``(id, row)``, one per id.
      bad_rows: Collections of ``BadRow``s of the file's lines.
      bad_line_ids: ``(id, line_number)`` of the first bad line meant for each
        id (``formats.leading_id``).
    """

    rows: beam.PCollection
    bad_rows: List[beam.PCollection]
    bad_line_ids: beam.PCollection


def _record_lines(
    file: archive.ArchiveFile, format_name: str, line_range: Optional[archive.LineRange] = None
) -> Iterator[Tuple[int, bytes]]:
    """Yields ``(line_number, line)`` for the lines that carry records (no CSV header).

    Args:
      file: The file.
      format_name: Its release format.
      line_range: The stretch of the file to read; None reads all of it.
    """
    for number, line in archive.read_lines(file, line_range):
        if number == 1 and formats.is_header(format_name, line):
            continue
        yield number, line


def _bad(file: archive.ArchiveFile, number: int, error: formats.BadLine) -> beam.pvalue.TaggedOutput:
    return beam.pvalue.TaggedOutput(_BAD, BadRow(file.display_name(), number, str(error)))


def _parse_lines(
    file: archive.ArchiveFile, format_name: str, parse, line_range: archive.LineRange
) -> Iterator[Any]:
    """Yields ``(line_number, parsed)`` for the good lines of a stretch, bad rows tagged."""
    for number, line in _record_lines(file, format_name, line_range):
        try:
            yield number, parse(format_name, line)
        except formats.BadLine as error:
            yield _bad(file, number, error)


def _is_tagged(item: Any) -> bool:
    return isinstance(item, beam.pvalue.TaggedOutput)


class _FirstPass(beam.DoFn):
    """Reduces a stretch's good lines to digests for the duplicate check, and timestamps.

    The bad lines are left to the second pass, which reports them.
    """

    def __init__(self, file: archive.ArchiveFile, format_name: str, with_timestamps: bool):
        self._file = file
        self._format_name = format_name
        self._with_timestamps = with_timestamps
        self._counter = ProgressCounter("rating lines checked for duplicates")

    def process(self, line_range: archive.LineRange) -> Iterator[Any]:
        """Reads one stretch.

        Args:
          line_range: The stretch of the ratings file.

        Yields:
          ``(bucket, array)`` pairs (``duplicate_check.digest_arrays``) and,
          when asked for, the stretch's timestamps as one tagged list.
        """
        timestamps: List[int] = []

        def good(parsed: Iterator[Any]) -> Iterator[Tuple[int, Rating]]:
            for item in parsed:
                if not _is_tagged(item):
                    timestamps.append(item[1][3])
                    yield item

        parsed = _parse_lines(self._file, self._format_name, formats.parse_rating, line_range)
        yield from duplicate_check.digest_arrays(good(self._counter.counted(parsed)))
        if self._with_timestamps and timestamps:
            yield beam.pvalue.TaggedOutput(_TIMESTAMPS, timestamps)


class _ParseRatings(beam.DoFn):
    """Parses stretches of the ratings file into shuffled batches, duplicates set apart.

    Each stretch (``archive.LineRange``) is one element, so that Beam's
    workers parse different parts of the file at once; the lines are
    counted across all the stretches a worker parses.
    """

    def __init__(self, file: archive.ArchiveFile, format_name: str, keep_duplicates: bool):
        self._file = file
        self._format_name = format_name
        self._keep_duplicates = keep_duplicates
        self._counter = ProgressCounter("rating lines read")

    def process(
        self, line_range: archive.LineRange, repeats: duplicate_check.Repeats
    ) -> Iterator[Any]:
        """Parses one stretch.

        Each window of ``_SHUFFLE_WINDOW`` good lines is shuffled, seeded by
        its first line's number, so that a rerun writes the same batches.

        Args:
          line_range: The stretch of the ratings file.
          repeats: The ratings that occur more than once, from the first pass.

        Yields:
          Batches of ``(line_number, rating)`` in random order, and tagged
          bad rows and ``DuplicateRating``s.
        """
        windows = batches.batched(
            self._without_duplicates(
                self._counter.counted(
                    _parse_lines(self._file, self._format_name, formats.parse_rating, line_range)
                ),
                repeats,
            ),
            _SHUFFLE_WINDOW,
            passes_through=_is_tagged,
        )
        for window in windows:
            if _is_tagged(window):
                yield window
            else:
                yield from batches.shuffled_batches(window, window[0][0], batches.BATCH_SIZE)

    def _without_duplicates(
        self, parsed: Iterator[Any], repeats: duplicate_check.Repeats
    ) -> Iterator[Any]:
        """Tags each line that repeats an earlier one, and drops it unless duplicates are kept."""
        for item in parsed:
            if not _is_tagged(item):
                first = repeats.get(item[0])
                if first is not None:
                    yield beam.pvalue.TaggedOutput(
                        _BAD, DuplicateRating(self._file.display_name(), item[0], first)
                    )
                    if not self._keep_duplicates:
                        continue
            yield item


def _keyed_by_id(file: archive.ArchiveFile, format_name: str, parse_fn):
    """Returns a FlatMap body yielding ``(id, (line_number, row))``.

    Bad lines come out as tagged bad rows, and, when their id can be read
    anyway, the first one of each id as a tagged ``(id, line_number)``.
    """

    def run(_) -> Iterator[Any]:
        bad_ids = set()
        for number, line in _record_lines(file, format_name):
            try:
                key, value = parse_fn(format_name, line)
            except formats.BadLine as error:
                yield _bad(file, number, error)
                key = formats.leading_id(format_name, line)
                if key is not None and key not in bad_ids:
                    bad_ids.add(key)
                    yield beam.pvalue.TaggedOutput(_BAD_LINE_IDS, (key, number))
                continue
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
) -> _Table:
    parsed = (
        pipeline
        | f"Start{label}" >> beam.Create([None])
        | f"Parse{label}" >> beam.FlatMap(_keyed_by_id(file, format_name, parse_fn)).with_outputs(
            _BAD, _BAD_LINE_IDS, main="rows"
        )
    )
    unique = (
        parsed.rows
        | f"Group{label}" >> beam.GroupByKey()
        | f"Dedupe{label}" >> beam.FlatMap(_unique(file.display_name())).with_outputs(
            _BAD, main="rows"
        )
    )
    return _Table(unique.rows, [parsed[_BAD], unique[_BAD]], parsed[_BAD_LINE_IDS])


def _movie_parser(fmt: str, line: bytes) -> Tuple[str, Dict[str, Any]]:
    movie = formats.parse_movie(fmt, line)
    return movie[features.MOVIE_ID], movie


class _JoinRatings(beam.DoFn):
    """Joins a batch of parsed rating lines with their movies and users."""

    def __init__(
        self,
        ratings_file: str,
        movies_file: archive.ArchiveFile,
        users_file: Optional[archive.ArchiveFile],
    ):
        self._ratings_file = ratings_file
        self._movies_file = movies_file.basename
        self._users_file = users_file.basename if users_file else None

    def process(
        self,
        numbered_batch: List[Tuple[int, Rating]],
        movies: Dict[str, Dict[str, Any]],
        users: Optional[Dict[str, Dict[str, Any]]],
        bad_movie_lines: Dict[str, int],
        bad_user_lines: Optional[Dict[str, int]],
    ) -> Iterator[Any]:
        """Yields the batch's joined records as one list, and tagged bad rows.

        Args:
          numbered_batch: ``(line_number, rating)`` pairs.
          movies: Movie records by id.
          users: Demographics by user id, or None without a users file.
          bad_movie_lines: Line of the movies file by id, for ids whose line
            was bad.
          bad_user_lines: The same for the users file, or None.

        Yields:
          A non-empty list of records, and a tagged ``BadRow`` per rating
          whose movie or user is unknown.
        """
        joined = []
        for number, (user_id, movie_id, rating, timestamp) in numbered_batch:
            movie = movies.get(movie_id)
            if movie is None:
                yield self._missing(number, "movie", movie_id, self._movies_file, bad_movie_lines)
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
                    yield self._missing(number, "user", user_id, self._users_file, bad_user_lines)
                    continue
                record.update(demographics)
            joined.append(record)
        if joined:
            yield joined

    def _missing(
        self, number: int, what: str, key: str, table_file: str, bad_lines: Dict[str, int]
    ) -> beam.pvalue.TaggedOutput:
        """A bad row for a rating of an unknown movie or user, tied to its bad line if any."""
        bad_line = bad_lines.get(key)
        if bad_line is None:
            row = BadRow(self._ratings_file, number, f"unknown {what} id {key}")
        else:
            row = BadRow(
                self._ratings_file,
                number,
                f"{what} id {key} has no record: its line {bad_line} in {table_file} is bad",
                consequence_of=f"ratings of {what}s whose {table_file} line was bad",
            )
        return beam.pvalue.TaggedOutput(_BAD, row)


@beam.ptransform_fn
def ReadGroupLens(  # pylint: disable=invalid-name
    pipeline: beam.Pipeline,
    layout: formats.Layout,
    keep_duplicates: bool = False,
    with_timestamps: bool = False,
    temp_parent: Optional[str] = None,
) -> SourceOutput:
    """Reads a GroupLens release into records.

    Args:
      pipeline: The Beam pipeline.
      layout: The release's files, from ``formats.detect_layout``.
      keep_duplicates: Whether a rating line equal to an earlier one (same
        user, movie, rating and timestamp) stays among the ratings; it is
        reported as a ``DuplicateRating`` either way.
      with_timestamps: Whether to take the timestamps of the ratings file's
        good lines in the first pass, for a temporal split.
      temp_parent: A folder every Beam worker can write to, for the
        duplicate check's files (``duplicate_check.FindRepeats``); None uses
        this machine's temporary folder, which only a local runner's
        workers share.

    Returns:
      Batches of rating records joined with movie and user features, the movie corpus
      (every movie of the movies file, rated or not), the bad rows with the
      duplicate ratings, and, if asked for, the timestamps.
    """
    fmt = layout.format_name
    movies = _table(pipeline, "Movies", layout.movies, fmt, _movie_parser)
    bad = list(movies.bad_rows)
    users = bad_user_lines = None
    if layout.users is not None:
        users_table = _table(pipeline, "Users", layout.users, fmt, formats.parse_user)
        users = beam.pvalue.AsDict(users_table.rows)
        bad_user_lines = beam.pvalue.AsDict(users_table.bad_line_ids)
        bad += users_table.bad_rows

    ratings_file = layout.ratings
    stretches = pipeline | "RatingsStretches" >> beam.Create(
        archive.line_ranges(ratings_file, _RATING_STRETCHES, _MIN_STRETCH_BYTES)
    )
    first_pass = stretches | "FirstPass" >> beam.ParDo(
        _FirstPass(ratings_file, fmt, with_timestamps)
    ).with_outputs(_TIMESTAMPS, main="digests")
    repeats = first_pass.digests | "FindRepeats" >> duplicate_check.FindRepeats(
        temp_parent or tempfile.gettempdir()
    )
    parsed = stretches | "ParseRatings" >> beam.ParDo(
        _ParseRatings(ratings_file, fmt, keep_duplicates), beam.pvalue.AsSingleton(repeats)
    ).with_outputs(_BAD, main="rows")
    joined = parsed.rows | "JoinRatings" >> beam.ParDo(
        _JoinRatings(ratings_file.display_name(), layout.movies, layout.users),
        beam.pvalue.AsDict(movies.rows),
        users,
        beam.pvalue.AsDict(movies.bad_line_ids),
        bad_user_lines,
    ).with_outputs(_BAD, main="rows")
    bad += [parsed[_BAD], joined[_BAD]]
    return SourceOutput(
        rating_batches=joined.rows,
        movies=movies.rows | "MovieRecords" >> beam.Values(),
        bad_rows=tuple(bad) | "FlattenBadRows" >> beam.Flatten(),
        timestamps=first_pass[_TIMESTAMPS] if with_timestamps else None,
    )
