"""Synthetic data written in GroupLens's release formats, for the benchmarks.

The real MovieLens files may not be redistributed; these writers put the
synthetic generator's users, movies and ratings into the ml-100k, ml-1m or
ml-25m layout, so the benchmarks time the GroupLens reading path (the
README's main command reads ml-100k) on data of any size. Ratings are
streamed from the generator to the file, so a release of any size is
written in bounded memory, and by several processes at once if asked.
"""

import csv
import multiprocessing
import os
import shutil
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from components.movielens_example_gen import formats
from movielens_simulator import synthetic
from transform_fn import features

# pylint: disable=protected-access
_OCCUPATION_INDEX_1M = {text: index for index, text in enumerate(formats._OCCUPATIONS_1M)}
_OCCUPATIONS_100K = set(formats._OCCUPATION_LABEL_100K)
_GENRES_100K = formats._GENRES_100K
# pylint: enable=protected-access


def _write(path: str, lines: Iterable[str]) -> None:
    """Writes lines in latin-1, as GroupLens ships its ml-100k and ml-1m files."""
    with open(path, "w", encoding="latin-1", errors="replace") as out:
        out.writelines(line + "\n" for line in lines)


def _ml1m_movie(movie: Dict[str, Any]) -> str:
    genres = "|".join(features.GENRE_NAMES[g] for g in movie[features.MOVIE_GENRES])
    return f"{movie[features.MOVIE_ID]}::{movie[features.MOVIE_TITLE]}::{genres}"


def _ml1m_user(user: Dict[str, Any]) -> str:
    gender = "M" if user[features.USER_GENDER] else "F"
    occupation = _OCCUPATION_INDEX_1M.get(user[features.USER_OCCUPATION_TEXT], 0)
    return (
        f"{user[features.USER_ID]}::{gender}::{int(user[features.BUCKETIZED_USER_AGE])}::"
        f"{occupation}::{user[features.USER_ZIP_CODE]}"
    )


def _stars(rating: Dict[str, Any]) -> int:
    return int(round(rating[features.USER_RATING]))


def _ml100k_movie(movie: Dict[str, Any]) -> str:
    names = {features.GENRE_NAMES[g] for g in movie[features.MOVIE_GENRES]}
    flags = "|".join("1" if genre in names else "0" for genre in _GENRES_100K)
    return (
        f"{movie[features.MOVIE_ID]}|{movie[features.MOVIE_TITLE]}|01-Jan-1995||"
        f"http://example.invalid|{flags}"
    )


def _ml100k_user(user: Dict[str, Any]) -> str:
    gender = "M" if user[features.USER_GENDER] else "F"
    occupation = user[features.USER_OCCUPATION_TEXT]
    occupation = occupation if occupation in _OCCUPATIONS_100K else "other"
    return (
        f"{user[features.USER_ID]}|{int(user[features.RAW_USER_AGE])}|{gender}|"
        f"{occupation}|{user[features.USER_ZIP_CODE]}"
    )


def _ml1m_rating(rating: Dict[str, Any]) -> str:
    return (
        f"{rating[features.USER_ID]}::{rating[features.MOVIE_ID]}::{_stars(rating)}::"
        f"{rating[features.TIMESTAMP]}"
    )


def _ml100k_rating(rating: Dict[str, Any]) -> str:
    return (
        f"{rating[features.USER_ID]}\t{rating[features.MOVIE_ID]}\t{_stars(rating)}\t"
        f"{rating[features.TIMESTAMP]}"
    )


# Release -> (movies, users, ratings) files, each with its line format.
_LAYOUTS: Dict[str, Tuple[Tuple[str, Callable[[Dict[str, Any]], str]], ...]] = {
    formats.FORMAT_100K: (
        ("u.item", _ml100k_movie), ("u.user", _ml100k_user), ("u.data", _ml100k_rating)
    ),
    formats.FORMAT_1M: (
        ("movies.dat", _ml1m_movie), ("users.dat", _ml1m_user), ("ratings.dat", _ml1m_rating)
    ),
}
# ml-25m (and ml-20m, ml-latest): UTF-8 CSV with a header, titles quoted
# where they hold a comma, half-star ratings, no user file.
ML_25M = "ml-25m"
RELEASES = tuple(sorted(_LAYOUTS)) + (ML_25M,)
_NO_GENRES = "(no genres listed)"


_ARTICLES = ("The ", "A ", "An ")


def _grouplens_title(title: str) -> str:
    """``The World (1994)`` as GroupLens writes it: ``World, The (1994)`` (then quoted)."""
    for article in _ARTICLES:
        if title.startswith(article) and " (" in title:
            name, year = title[len(article):].rsplit(" (", 1)
            return f"{name}, {article.strip()} ({year}"
    return title


def _csv_movie(movie: Dict[str, Any]) -> List[Any]:
    genres = "|".join(features.GENRE_NAMES[g] for g in movie[features.MOVIE_GENRES])
    return [movie[features.MOVIE_ID], _grouplens_title(movie[features.MOVIE_TITLE]), genres or _NO_GENRES]


def _csv_rating(rating: Dict[str, Any]) -> List[Any]:
    half_stars = min(10, max(1, round(rating[features.USER_RATING] * 2)))
    return [rating[features.USER_ID], rating[features.MOVIE_ID], f"{half_stars / 2:.1f}",
            rating[features.TIMESTAMP]]


def _write_csv(path: str, header: Optional[List[str]], rows: Iterable[List[Any]]) -> None:
    """Writes a UTF-8 CSV file, with its header if given, quoting as GroupLens does (only where needed)."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        if header is not None:
            writer.writerow(header)
        writer.writerows(rows)


def _ratings_file_name(release: str) -> str:
    return "ratings.csv" if release == ML_25M else _LAYOUTS[release][2][0]


def _write_ratings_shard(
    release: str, config: synthetic.SyntheticConfig, shard: int, shards: int, path: str
) -> None:
    """Writes one generation shard's ratings; the first shard's file starts with the header."""
    ratings = synthetic.generate_ratings(config, shard, shards)
    if release == ML_25M:
        header = ["userId", "movieId", "rating", "timestamp"] if shard == 0 else None
        _write_csv(path, header, map(_csv_rating, ratings))
    else:
        _write(path, map(_LAYOUTS[release][2][1], ratings))


def _write_ratings(
    release: str, config: synthetic.SyntheticConfig, path: str, processes: int
) -> None:
    """Writes the ratings file, its generation shards in parallel processes, joined in order."""
    if processes == 1:
        _write_ratings_shard(release, config, 0, 1, path)
        return
    parts = [f"{path}.part-{shard}" for shard in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.starmap(
            _write_ratings_shard,
            [(release, config, shard, processes, part) for shard, part in enumerate(parts)],
        )
    with open(path, "wb") as out:
        for part in parts:
            with open(part, "rb") as piece:
                shutil.copyfileobj(piece, out, 16 << 20)
            os.remove(part)


def write_release(
    release: str, config: synthetic.SyntheticConfig, folder: str, processes: int = 1
) -> str:
    """Writes synthetic data as a GroupLens ml-100k, ml-1m or ml-25m release folder.

    ml-100k has no flag for some TFDS genres and fewer occupations: those
    become no flag and ``other``. ml-25m has no users file (the generated
    demographics are left out), rounds ratings to half stars and moves a
    leading article behind the title (``"World, The (1994)"``, quoted).

    Args:
      release: ``ml-100k``, ``ml-1m`` or ``ml-25m``.
      config: The synthetic data's configuration.
      folder: Parent folder.
      processes: Processes generating the ratings, each a shard of the
        users (the same ratings for any number; with more than one, the
        users of one shard come before the next's instead of in id order).

    Returns:
      The release folder, ``<folder>/<release>``.
    """
    if processes < 1:
        raise ValueError(f"processes must be >= 1, got {processes}")
    root = os.path.join(folder, release)
    os.makedirs(root)
    if release == ML_25M:
        _write_csv(os.path.join(root, "movies.csv"), ["movieId", "title", "genres"],
                   map(_csv_movie, synthetic.generate_movies(config)))
    else:
        tables = (synthetic.generate_movies(config), synthetic.generate_users(config))
        for (name, line_of), rows in zip(_LAYOUTS[release], tables):
            _write(os.path.join(root, name), map(line_of, rows))
    _write_ratings(release, config, os.path.join(root, _ratings_file_name(release)), processes)
    return root
