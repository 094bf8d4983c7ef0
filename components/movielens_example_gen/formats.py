"""GroupLens MovieLens file formats: detection and line parsers.

Three families of formats exist:

* ``ml-100k``: ``u.data`` (tab separated), ``u.item`` and ``u.user`` (pipe
  separated, latin-1).
* ``ml-1m``: ``ratings.dat``, ``movies.dat``, ``users.dat`` (``::`` separated,
  latin-1).
* ``csv`` (ml-latest-small, ml-20m, ml-25m): ``ratings.csv`` and ``movies.csv``
  (UTF-8, quoted titles), no user demographics.

Parsers turn one line into a record (see ``records.py``) and raise ``BadLine``
with the reason when the line is malformed; the caller adds file and line.
Values that cannot become an example (a timestamp beyond int64, an age no
person has) are malformed too, so that they are bad rows like any other.
The conversions (genre and occupation labels, age buckets) follow TFDS's
``movielens`` builder so that the examples match ``movielens/*-ratings``.
"""

import codecs
import csv
import dataclasses
from typing import Any, Dict, List, Optional, Tuple

from components.movielens_example_gen import archive
from transform_fn import features

FORMAT_100K = "ml-100k"
FORMAT_1M = "ml-1m"
FORMAT_CSV = "csv"

_REQUIRED_FILES = {
    FORMAT_100K: ("u.data", "u.item", "u.user"),
    FORMAT_1M: ("ratings.dat", "movies.dat", "users.dat"),
    FORMAT_CSV: ("ratings.csv", "movies.csv", None),
}

# ml-100k's 19 genre flags, in file order (TFDS movielens_parsing.py).
_GENRES_100K = [
    "Unknown", "Action", "Adventure", "Animation", "Children", "Comedy",
    "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]
# ml-100k occupation text -> TFDS's label shared with ml-1m.
_OCCUPATION_LABEL_100K = {
    "administrator": "clerical/admin", "artist": "artist",
    "doctor": "doctor/health care", "educator": "academic/educator",
    "engineer": "technician/engineer", "entertainment": "entertainment",
    "executive": "executive/managerial", "healthcare": "doctor/health care",
    "homemaker": "homemaker", "lawyer": "lawyer", "librarian": "librarian",
    "marketing": "sales/marketing", "none": "other/not specified",
    "other": "other/not specified", "programmer": "programmer",
    "retired": "retired", "salesman": "sales/marketing",
    "scientist": "scientist", "student": "student",
    "technician": "technician/engineer", "writer": "writer",
}
# ml-1m occupation index -> text (users.dat README).
_OCCUPATIONS_1M = [
    "other/not specified", "academic/educator", "artist", "clerical/admin",
    "college/grad student", "customer service", "doctor/health care",
    "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer",
    "programmer", "retired", "sales/marketing", "scientist", "self-employed",
    "technician/engineer", "tradesman/craftsman", "unemployed", "writer",
]
_AGE_THRESHOLDS = (18, 25, 35, 45, 50, 56)
_MAX_AGE = 150
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
# What separates a movies or users line's first field, the id, from the rest.
_ID_SEPARATORS = {FORMAT_100K: b"|", FORMAT_1M: b"::", FORMAT_CSV: b","}
_CSV_RATINGS_HEADER = ["userId", "movieId", "rating", "timestamp"]
_CSV_MOVIES_HEADER = ["movieId", "title", "genres"]


class BadLine(ValueError):
    """A line that cannot be parsed; the message is the reason."""


@dataclasses.dataclass(frozen=True)
class Layout:
    """Where the tables of one MovieLens release are.

    Attributes:
      format_name: One of ``FORMAT_100K``, ``FORMAT_1M``, ``FORMAT_CSV``.
      ratings: The ratings file.
      movies: The movies file.
      users: The users file, or None for releases without demographics.
    """

    format_name: str
    ratings: archive.ArchiveFile
    movies: archive.ArchiveFile
    users: Optional[archive.ArchiveFile]

    def files(self) -> List[archive.ArchiveFile]:
        """Returns the files the release is read from."""
        return [f for f in (self.ratings, self.movies, self.users) if f is not None]


def detect_layout(location: str) -> Layout:
    """Finds which MovieLens release an archive or folder holds.

    Args:
      location: A .zip archive or a folder of a GroupLens release.

    Returns:
      The layout of its files.

    Raises:
      FileNotFoundError: If the location does not exist.
      ValueError: If it is empty, holds no MovieLens release, lacks one of the
        release's files, or holds several releases.
    """
    files = archive.list_files(location)
    if not files:
        raise ValueError(f"MovieLens archive {location} is empty")
    by_name: Dict[str, List[archive.ArchiveFile]] = {}
    for file in files:
        by_name.setdefault(file.basename, []).append(file)
    candidates = []
    for format_name, (ratings, movies, users) in _REQUIRED_FILES.items():
        if ratings in by_name:
            candidates.append(format_name)
    if not candidates:
        expected = ", ".join(names[0] for names in _REQUIRED_FILES.values())
        raise ValueError(
            f"No MovieLens ratings file in {location}: expected one of "
            f"{expected} (GroupLens ml-100k, ml-1m, ml-latest-small, ml-20m "
            "or ml-25m)"
        )
    if len(candidates) > 1:
        raise ValueError(
            f"{location} holds several MovieLens releases ({candidates}); "
            "point at one of them"
        )
    format_name = candidates[0]
    chosen = {}
    for name in _REQUIRED_FILES[format_name]:
        if name is None:
            continue
        matches = by_name.get(name, [])
        if not matches:
            raise ValueError(
                f"MovieLens {format_name} archive {location} has no {name}"
            )
        if len(matches) > 1:
            paths = ", ".join(m.display_name() for m in matches)
            raise ValueError(f"{location} holds several {name}: {paths}")
        chosen[name] = matches[0]
    ratings, movies, users = _REQUIRED_FILES[format_name]
    return Layout(
        format_name=format_name,
        ratings=chosen[ratings],
        movies=chosen[movies],
        users=chosen[users] if users else None,
    )


def has_raw_age(format_name: str) -> bool:
    """Whether a release has exact user ages (only ml-100k).

    Args:
      format_name: A format constant.

    Returns:
      True for ml-100k.
    """
    return format_name == FORMAT_100K


def is_header(format_name: str, line: bytes) -> bool:
    """Whether a line is a CSV header that carries no record.

    Args:
      format_name: A format constant.
      line: The raw line.

    Returns:
      True for the header line of a ``csv`` release file.
    """
    return format_name == FORMAT_CSV and line.startswith((b"userId,", b"movieId,"))


def parse_rating(format_name: str, line: bytes) -> Tuple[str, str, float, int]:
    """Parses one line of the ratings file.

    Args:
      format_name: A format constant.
      line: The raw line, without its line ending.

    Returns:
      ``(user_id, movie_id, rating, timestamp)``.

    Raises:
      BadLine: If the line is malformed.
    """
    fields = _split(format_name, line, {FORMAT_100K: "\t", FORMAT_1M: "::"}, 4)
    user_id = _numeric_id(fields[0], "user id")
    movie_id = _numeric_id(fields[1], "movie id")
    try:
        rating = float(fields[2])
    except ValueError:
        raise BadLine(f"rating {fields[2]!r} is not a number") from None
    if not 0.0 < rating <= 5.0:
        raise BadLine(f"rating {rating} is outside (0, 5]")
    try:
        timestamp = int(fields[3])
    except ValueError:
        raise BadLine(f"timestamp {fields[3]!r} is not an integer") from None
    if not _INT64_MIN <= timestamp <= _INT64_MAX:
        raise BadLine(f"timestamp {fields[3]} is outside the int64 range")
    return user_id, movie_id, rating, timestamp


def parse_movie(format_name: str, line: bytes) -> Dict[str, Any]:
    """Parses one line of the movies file into a movie record.

    Args:
      format_name: A format constant.
      line: The raw line, without its line ending.

    Returns:
      ``{movie_id, movie_title, movie_genres}`` with TFDS genre label ids.

    Raises:
      BadLine: If the line is malformed.
    """
    if format_name == FORMAT_100K:
        fields = _split(format_name, line, {FORMAT_100K: "|"}, 5 + len(_GENRES_100K))
        flags = fields[5:]
        if any(flag not in ("0", "1") for flag in flags):
            raise BadLine("genre flags must be 0 or 1")
        genres = [g for g, flag in zip(_GENRES_100K, flags) if flag == "1"]
    else:
        fields = _split(format_name, line, {FORMAT_1M: "::"}, 3)
        genres = fields[2].split("|") if fields[2] else []
    movie_id = _numeric_id(fields[0], "movie id")
    if not fields[1]:
        raise BadLine("empty movie title")
    return {
        features.MOVIE_ID: movie_id,
        features.MOVIE_TITLE: fields[1],
        features.MOVIE_GENRES: [_genre_label(g) for g in genres],
    }


def parse_user(format_name: str, line: bytes) -> Tuple[str, Dict[str, Any]]:
    """Parses one line of the users file (ml-100k and ml-1m only).

    Args:
      format_name: ``FORMAT_100K`` or ``FORMAT_1M``.
      line: The raw line, without its line ending.

    Returns:
      ``(user_id, demographic features)``.

    Raises:
      BadLine: If the line is malformed.
    """
    if format_name == FORMAT_100K:
        user_id, age_text, gender, occupation, zip_code = _split(
            format_name, line, {FORMAT_100K: "|"}, 5
        )
        if occupation not in _OCCUPATION_LABEL_100K:
            raise BadLine(f"unknown occupation {occupation!r}")
        occupation_text = occupation
        occupation_label = _OCCUPATION_LABEL_100K[occupation]
    else:
        user_id, gender, age_text, occupation, zip_code = _split(
            format_name, line, {FORMAT_1M: "::"}, 5
        )
        try:
            occupation_text = _OCCUPATIONS_1M[int(occupation)]
        except (ValueError, IndexError):
            raise BadLine(f"occupation {occupation!r} is not an index 0-20") from None
        occupation_label = (
            "student" if occupation_text.endswith("student") else occupation_text
        )
    user_id = _numeric_id(user_id, "user id")
    try:
        age = int(age_text)
    except ValueError:
        raise BadLine(f"age {age_text!r} is not an integer") from None
    if not 0 <= age <= _MAX_AGE:
        raise BadLine(f"age {age} is outside 0-{_MAX_AGE}")
    if gender not in ("M", "F"):
        raise BadLine(f"gender {gender!r} is not M or F")
    demographics: Dict[str, Any] = {
        features.BUCKETIZED_USER_AGE: float(_age_bucket(age)),
        features.USER_GENDER: int(gender == "M"),
        features.USER_OCCUPATION_LABEL: features.OCCUPATION_LABELS.index(
            occupation_label
        ),
        features.USER_OCCUPATION_TEXT: occupation_text,
        features.USER_ZIP_CODE: zip_code,
    }
    if has_raw_age(format_name):
        demographics[features.RAW_USER_AGE] = float(age)
    return user_id, demographics


def leading_id(format_name: str, line: bytes) -> Optional[str]:
    """Reads the id of a movies or users line that failed to parse, if it can.

    The id is the first field; a byte order mark, spaces and quotes around it
    are dropped. It tells which movie or user a bad line was meant to be, so
    that their ratings are reported as consequences of that line.

    Args:
      format_name: A format constant.
      line: The raw line.

    Returns:
      The id, or None when the first field is not a number.
    """
    first = line.split(_ID_SEPARATORS[format_name], 1)[0]
    if first.startswith(codecs.BOM_UTF8):
        first = first[len(codecs.BOM_UTF8):]
    text = first.decode("latin-1").strip().strip('"')
    return text if _is_ascii_number(text) else None


def _split(
    format_name: str, line: bytes, separators: Dict[str, str], count: int
) -> List[str]:
    text = _decode(format_name, line)
    if format_name == FORMAT_CSV:
        fields = next(csv.reader([text]))
    else:
        fields = text.split(separators[format_name])
    if len(fields) != count:
        raise BadLine(f"expected {count} fields, found {len(fields)}")
    return fields


def _decode(format_name: str, line: bytes) -> str:
    if line.startswith(codecs.BOM_UTF8):
        raise BadLine("starts with a UTF-8 byte order mark")
    if format_name == FORMAT_CSV:
        try:
            return line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BadLine(f"not valid UTF-8 ({error.reason} at byte {error.start})") from None
    return line.decode("latin-1")


def _numeric_id(text: str, what: str) -> str:
    if not _is_ascii_number(text):
        raise BadLine(f"{what} {text!r} is not a number")
    return text


def _is_ascii_number(text: str) -> bool:
    # str.isdigit alone accepts digits of other scripts, e.g. latin-1's "²".
    return text.isascii() and text.isdigit()


def _genre_label(name: str) -> int:
    name = "Children" if name == "Children's" else name
    try:
        return features.GENRE_NAMES.index(name)
    except ValueError:
        raise BadLine(f"unknown genre {name!r}") from None


def _age_bucket(age: int) -> int:
    bucket = 1
    for threshold in _AGE_THRESHOLDS:
        if age < threshold:
            break
        bucket = threshold
    return bucket
