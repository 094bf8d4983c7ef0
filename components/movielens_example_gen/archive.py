"""Reading a GroupLens MovieLens archive: a .zip file or an extracted folder.

Every read goes through ``tf.io.gfile`` so that archives on ``gs://`` or
``s3://`` work as well as local ones. Files are streamed line by line with
their line numbers, so nothing is loaded whole into memory and errors can name
the exact line.
"""

import dataclasses
import posixpath
import zipfile
import zlib
from typing import Iterable, Iterator, List, Optional, Tuple

import tensorflow as tf

from components.movielens_example_gen.bad_rows import BadInputError

# Bytes of a zip file's end-of-central-directory record, its smallest part.
_ZIP_END_RECORD_BYTES = 22
# Bytes read at a time when checking a member.
_CHECK_CHUNK_BYTES = 1 << 20
# What zipfile raises on damaged data: a bad CRC or header, a corrupt or
# truncated compressed stream.
_DAMAGE_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError)


class DamagedArchiveError(BadInputError):
    """A zip archive whose directory or one of whose members is damaged."""


@dataclasses.dataclass(frozen=True)
class ArchiveFile:
    """A file inside an archive.

    Attributes:
      archive: Path of the .zip file, or None when ``path`` is a plain file.
      path: The member name inside the zip, or the file's full path.
    """

    archive: Optional[str]
    path: str

    @property
    def basename(self) -> str:
        """The file's name without folders."""
        return posixpath.basename(self.path)

    def display_name(self) -> str:
        """A name for messages: ``archive.zip!member`` or the file path."""
        return f"{self.archive}!{self.path}" if self.archive else self.path


def list_files(location: str) -> List[ArchiveFile]:
    """Lists the files of an archive or folder.

    Args:
      location: A .zip file or a folder (local, ``gs://`` or ``s3://``).

    Returns:
      Every file in it, recursively.

    Raises:
      FileNotFoundError: If ``location`` does not exist.
      ValueError: If ``location`` is a file that is not a zip archive.
      DamagedArchiveError: If the zip archive's directory is damaged.
    """
    if not tf.io.gfile.exists(location):
        raise FileNotFoundError(f"MovieLens archive not found: {location}")
    if not tf.io.gfile.isdir(location):
        # A zip file ends with a 22-byte directory record; is_zipfile would
        # seek before the start of a shorter file, which GFile refuses.
        too_short = tf.io.gfile.stat(location).length < _ZIP_END_RECORD_BYTES
        with tf.io.gfile.GFile(location, "rb") as handle:
            if too_short or not zipfile.is_zipfile(handle):
                raise ValueError(
                    f"{location} is not a MovieLens archive: neither a folder nor a .zip archive"
                )
            try:
                with zipfile.ZipFile(handle) as archive:
                    names = archive.namelist()
            except _DAMAGE_ERRORS as error:
                raise DamagedArchiveError(
                    f"MovieLens archive {location} is damaged: {error}"
                ) from None
            return [ArchiveFile(location, name) for name in names if not name.endswith("/")]
    found = []
    for folder, _, names in tf.io.gfile.walk(location):
        found.extend(ArchiveFile(None, posixpath.join(folder, n)) for n in names)
    return found


def check_intact(files: Iterable[ArchiveFile]) -> None:
    """Reads zip members whole, so that damage stops the run before Beam starts.

    ``zipfile`` checks a member's CRC only when its end is read: inside a Beam
    pipeline that is a traceback from the middle of the reading, after part
    of the member was used. Reading the members once first costs a fraction
    of parsing them (the driver already reads the archive to fingerprint it).

    Args:
      files: Files to check; those outside a zip (plain files) are skipped.

    Raises:
      DamagedArchiveError: Naming the archive and the member, if a member
        fails its CRC check or its data cannot be decompressed.
    """
    for file in files:
        if file.archive is None:
            continue
        try:
            with tf.io.gfile.GFile(file.archive, "rb") as handle:
                with zipfile.ZipFile(handle) as archive, archive.open(file.path) as member:
                    while member.read(_CHECK_CHUNK_BYTES):
                        pass
        except _DAMAGE_ERRORS as error:
            raise DamagedArchiveError(
                f"MovieLens archive {file.archive} is damaged: member {file.path} "
                f"cannot be read ({error})"
            ) from None


def read_lines(source: ArchiveFile) -> Iterator[Tuple[int, bytes]]:
    """Streams the lines of a file with their 1-based line numbers.

    Args:
      source: The file to read.

    Yields:
      ``(line_number, line)`` with the line ending removed; empty lines are
      skipped (they carry no record).
    """
    if source.archive is None:
        with tf.io.gfile.GFile(source.path, "rb") as handle:
            yield from _numbered(handle)
        return
    with tf.io.gfile.GFile(source.archive, "rb") as handle:
        with zipfile.ZipFile(handle) as archive:
            with archive.open(source.path) as member:
                yield from _numbered(member)


def _numbered(handle) -> Iterator[Tuple[int, bytes]]:
    for number, line in enumerate(handle, start=1):
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield number, line
