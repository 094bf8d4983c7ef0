"""Reading a GroupLens MovieLens archive: a .zip file or an extracted folder.

Every read goes through ``tf.io.gfile`` so that archives on ``gs://`` or
``s3://`` work as well as local ones. Files are streamed line by line with
their line numbers, so nothing is loaded whole into memory and errors can name
the exact line.
"""

import contextlib
import dataclasses
import posixpath
import zipfile
import zlib
from typing import BinaryIO, Iterable, Iterator, List, Optional, Tuple

import tensorflow as tf

from components.movielens_example_gen.bad_rows import BadInputError

# Bytes of a zip file's end-of-central-directory record, its smallest part.
_ZIP_END_RECORD_BYTES = 22
# Bytes read at a time when checking a member or cutting a file into line ranges.
_CHUNK_BYTES = 1 << 20
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
            with _opened(file) as member:
                while member.read(_CHUNK_BYTES):
                    pass
        except _DAMAGE_ERRORS as error:
            raise DamagedArchiveError(
                f"MovieLens archive {file.archive} is damaged: member {file.path} "
                f"cannot be read ({error})"
            ) from None


@dataclasses.dataclass(frozen=True)
class LineRange:
    """A stretch of whole lines of a file, to be read on its own.

    Offsets count the file's bytes, a zip member's once decompressed.

    Attributes:
      start: Offset of the stretch's first byte (the start of a line).
      end: Offset just after its last byte (after a line ending, or the
        file's end).
      first_line: The 1-based line number of its first line.
    """

    start: int
    end: int
    first_line: int


@contextlib.contextmanager
def _opened(source: ArchiveFile) -> Iterator[BinaryIO]:
    """Opens a file, or a zip member decompressed, for reading bytes."""
    if source.archive is None:
        with tf.io.gfile.GFile(source.path, "rb") as handle:
            yield handle
        return
    with tf.io.gfile.GFile(source.archive, "rb") as handle:
        with zipfile.ZipFile(handle) as archive:
            with archive.open(source.path) as member:
                yield member


def _size(source: ArchiveFile) -> int:
    """The file's size in bytes, a zip member's once decompressed."""
    if source.archive is None:
        return tf.io.gfile.stat(source.path).length
    with tf.io.gfile.GFile(source.archive, "rb") as handle:
        with zipfile.ZipFile(handle) as archive:
            return archive.getinfo(source.path).file_size


def line_ranges(
    source: ArchiveFile, max_ranges: int, min_range_bytes: int
) -> List[LineRange]:
    """Cuts a file into stretches of whole lines of about equal size, in one pass.

    The pass only counts line endings (no parsing), so that each stretch
    knows its first line's number and can be read by a different worker.

    Args:
      source: The file.
      max_ranges: At most this many stretches.
      min_range_bytes: Stretches are at least this long (except the last).

    Returns:
      The stretches in file order, covering the whole file; one, empty, for
      an empty file.
    """
    target = max(min_range_bytes, -(-_size(source) // max_ranges), 1)
    ranges: List[LineRange] = []
    start, first_line = 0, 1
    offset, newlines = 0, 0
    with _opened(source) as handle:
        while True:
            chunk = handle.read(_CHUNK_BYTES)
            if not chunk:
                break
            scanned = 0
            while True:
                # A stretch ends at the first line ending at or after its target end.
                look_from = start + target - 1 - offset
                if look_from >= len(chunk):
                    break
                ending = chunk.find(b"\n", max(look_from, scanned))
                if ending < 0:
                    break
                newlines += chunk.count(b"\n", scanned, ending + 1)
                scanned = ending + 1
                ranges.append(LineRange(start, offset + scanned, first_line))
                start, first_line = offset + scanned, newlines + 1
            newlines += chunk.count(b"\n", scanned)
            offset += len(chunk)
    if offset > start or not ranges:
        ranges.append(LineRange(start, offset, first_line))
    return ranges


def read_lines(
    source: ArchiveFile, line_range: Optional[LineRange] = None
) -> Iterator[Tuple[int, bytes]]:
    """Streams the lines of a file, or of one stretch of it, with their 1-based line numbers.

    Args:
      source: The file to read.
      line_range: A stretch from ``line_ranges``; None reads the whole file.
        In a zip member, reaching a stretch's start decompresses what comes
        before it.

    Yields:
      ``(line_number, line)`` with the line ending removed; empty lines are
      skipped (they carry no record).
    """
    with _opened(source) as handle:
        if line_range is None:
            yield from _numbered(_lines_of(handle, None), 1)
            return
        handle.seek(line_range.start)
        yield from _numbered(
            _lines_of(handle, line_range.end - line_range.start), line_range.first_line
        )


def _lines_of(handle: BinaryIO, length: Optional[int]) -> Iterator[bytes]:
    """Splits the next ``length`` bytes of a handle (None: all) into lines, read in chunks.

    Lines come without their ``\\n`` (a ``\\r`` before it stays). Chunks,
    not ``readline``: ``GFile.readline`` cost ~4 us a line, as much as
    parsing it.
    """
    left = length
    partial = b""
    while left is None or left > 0:
        chunk = handle.read(_CHUNK_BYTES if left is None else min(_CHUNK_BYTES, left))
        if not chunk:
            break
        if left is not None:
            left -= len(chunk)
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop()
        yield from lines
    if partial:
        yield partial


def _numbered(lines: Iterable[bytes], first_line: int) -> Iterator[Tuple[int, bytes]]:
    """Numbers lines from ``first_line``, without their endings and without the empty ones."""
    for number, line in enumerate(lines, start=first_line):
        line = line.rstrip(b"\r\n")
        if line.strip():
            yield number, line
