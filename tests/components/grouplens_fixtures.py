"""Tiny hand-made archives in GroupLens's formats (never the real files).

Each release has: two movies sharing a title under different ids (like the
real ml-100k's 18 pairs), a latin-1 (or UTF-8 for csv) accented title, a
non-numeric zip code, and a movie nobody rated. ``bad_lines`` adds malformed
rating lines at known line numbers.
"""

import os
import struct
import zipfile
from typing import Dict, List

# movie id, title, genres (TFDS names)
MOVIES = [
    ("1", "Toy Story (1995)", ["Animation", "Children", "Comedy"]),
    ("2", "Chasing Amy (1997)", ["Drama", "Romance"]),
    ("3", "Chasing Amy (1997)", ["Comedy"]),
    ("4", "Misérables, Les (1995)", ["Drama", "War"]),
    ("5", "Unrated Film (1990)", ["Documentary"]),
]
# user id, age, gender, ml-100k occupation, zip
USERS = [
    ("1", 24, "M", "technician", "85711"),
    ("2", 53, "F", "other", "94043"),
    ("3", 17, "M", "student", "T8H1N"),
]
# user, movie, rating, timestamp
RATINGS = [
    ("1", "1", 5, 874965758),
    ("1", "2", 3, 876893171),
    ("2", "3", 4, 878542960),
    ("2", "4", 2, 876893119),
    ("3", "1", 1, 889751712),
    ("3", "4", 5, 875071561),
]
# Movie 5 is in no rating.
UNRATED_MOVIE_ID = "5"

_GENRES_100K = [
    "Unknown", "Action", "Adventure", "Animation", "Children", "Comedy",
    "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror",
    "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
]
_OCCUPATION_INDEX_1M = {"technician": 17, "other": 0, "student": 4}


def _write(folder: str, name: str, lines: List[str], encoding: str) -> None:
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write("".join(line + "\n" for line in lines).encode(encoding))


def write_100k(folder: str, bad_lines: Dict[int, str] = None) -> str:
    """Writes an ml-100k release into ``folder/ml-100k``; returns that path.

    Args:
      folder: Parent folder.
      bad_lines: 1-based u.data line number -> raw line inserted there.

    Returns:
      The release folder.
    """
    root = os.path.join(folder, "ml-100k")
    os.makedirs(root)
    ratings = [f"{u}\t{m}\t{r}\t{t}" for u, m, r, t in RATINGS]
    _write(root, "u.data", _insert(ratings, bad_lines), "latin-1")
    items = []
    for movie_id, title, genres in MOVIES:
        flags = ["1" if g in genres else "0" for g in _GENRES_100K]
        items.append("|".join([movie_id, title, "01-Jan-1995", "", "http://x"] + flags))
    _write(root, "u.item", items, "latin-1")
    _write(root, "u.user", [f"{u}|{a}|{g}|{o}|{z}" for u, a, g, o, z in USERS], "latin-1")
    _write(root, "u.genre", [f"{g}|{i}" for i, g in enumerate(_GENRES_100K)], "latin-1")
    return root


def write_1m(folder: str, bad_lines: Dict[int, str] = None) -> str:
    """Writes an ml-1m release into ``folder/ml-1m``; returns that path."""
    root = os.path.join(folder, "ml-1m")
    os.makedirs(root)
    ratings = [f"{u}::{m}::{r}::{t}" for u, m, r, t in RATINGS]
    _write(root, "ratings.dat", _insert(ratings, bad_lines), "latin-1")
    movies = [
        f"{m}::{t}::{'|'.join(g if g != 'Children' else 'Children' + chr(39) + 's' for g in genres)}"
        for m, t, genres in MOVIES
    ]
    _write(root, "movies.dat", movies, "latin-1")
    users = [
        f"{u}::{g}::{18 if a < 25 else 50}::{_OCCUPATION_INDEX_1M[o]}::{z}"
        for u, a, g, o, z in USERS
    ]
    _write(root, "users.dat", users, "latin-1")
    return root


def write_csv(folder: str, bad_lines: Dict[int, str] = None) -> str:
    """Writes an ml-latest-small-like release into ``folder/ml-latest-small``."""
    root = os.path.join(folder, "ml-latest-small")
    os.makedirs(root)
    ratings = ["userId,movieId,rating,timestamp"] + [
        f"{u},{m},{r}.0,{t}" for u, m, r, t in RATINGS
    ]
    _write(root, "ratings.csv", _insert(ratings, bad_lines), "utf-8")
    movies = ["movieId,title,genres"] + [
        f'{m},"{t}",{"|".join(genres)}' for m, t, genres in MOVIES
    ]
    _write(root, "movies.csv", movies, "utf-8")
    return root


def zip_folder(folder: str) -> str:
    """Zips a release folder next to it, keeping the top folder name.

    Args:
      folder: The release folder.

    Returns:
      The path of the .zip file.
    """
    path = folder + ".zip"
    parent = os.path.dirname(folder)
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(os.listdir(folder)):
            archive.write(os.path.join(folder, name), os.path.relpath(os.path.join(folder, name), parent))
    return path


def replace_line(path: str, number: int, raw: bytes) -> None:
    """Replaces a line of a file with raw bytes.

    Args:
      path: The file.
      number: The 1-based line number.
      raw: The new line, without its line ending.
    """
    with open(path, "rb") as handle:
        lines = handle.read().split(b"\n")
    lines[number - 1] = raw
    with open(path, "wb") as handle:
        handle.write(b"\n".join(lines))


def damage_member(zip_path: str, member: str) -> None:
    """Changes the first data byte of a member of ``zip_folder``'s archive.

    The archive stores its members uncompressed, so the member still reads,
    but fails its CRC check when its end is reached.

    Args:
      zip_path: An archive written by ``zip_folder``.
      member: The member's name, e.g. ``ml-100k/u.data``.
    """
    with zipfile.ZipFile(zip_path) as archive:
        offset = archive.getinfo(member).header_offset
    with open(zip_path, "r+b") as handle:
        # A local file header is 30 bytes, then the name and the extra field.
        handle.seek(offset + 26)
        name_length, extra_length = struct.unpack("<HH", handle.read(4))
        handle.seek(offset + 30 + name_length + extra_length)
        first = handle.read(1)[0]
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([first ^ 1]))


def _insert(lines: List[str], bad_lines: Dict[int, str]) -> List[str]:
    result = list(lines)
    for number in sorted(bad_lines or {}):
        result.insert(number - 1, bad_lines[number])
    return result
