"""Synthetic data written in GroupLens's release formats, for the benchmarks.

The real MovieLens files may not be redistributed; these writers put the
synthetic generator's users, movies and ratings into the ml-100k or ml-1m
layout, so the benchmarks time the GroupLens reading path (the README's main
command reads ml-100k) on data of any size.
"""

import os
from typing import Any, Callable, Dict, Iterable, Tuple

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
RELEASES = tuple(sorted(_LAYOUTS))


def write_release(release: str, config: synthetic.SyntheticConfig, folder: str) -> str:
    """Writes synthetic data as a GroupLens ml-100k or ml-1m release folder.

    ml-100k has no flag for some TFDS genres and fewer occupations: those
    become no flag and ``other``.

    Args:
      release: ``ml-100k`` or ``ml-1m``.
      config: The synthetic data's configuration.
      folder: Parent folder.

    Returns:
      The release folder, ``<folder>/<release>``.
    """
    root = os.path.join(folder, release)
    os.makedirs(root)
    tables = (
        synthetic.generate_movies(config),
        synthetic.generate_users(config),
        synthetic.generate_ratings(config, 0, 1),
    )
    for (name, line_of), rows in zip(_LAYOUTS[release], tables):
        _write(os.path.join(root, name), map(line_of, rows))
    return root
