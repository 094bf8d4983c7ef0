"""Bad input rows: what was wrong, where, and whether the run may go on."""

import dataclasses
from typing import Iterable, List

# How many bad rows are quoted in errors and artifact properties.
SAMPLE_SIZE = 10


@dataclasses.dataclass(frozen=True)
class BadRow:
    """A row of input that could not become an example.

    Attributes:
      file: The file it came from (``archive.zip!member`` inside a zip).
      line: Its 1-based line number, or 0 when the row is not a line.
      reason: Why it was rejected.
    """

    file: str
    line: int
    reason: str

    def describe(self) -> str:
        """Returns ``file:line: reason``."""
        return f"{self.file}:{self.line}: {self.reason}"


@dataclasses.dataclass(frozen=True)
class BadRowsSummary:
    """How many rows were rejected, with a few of them.

    Attributes:
      count: The number of rejected rows.
      samples: Up to ``SAMPLE_SIZE`` descriptions, ordered by file and line.
    """

    count: int
    samples: List[str]

    @classmethod
    def of(cls, count: int, rows: Iterable[BadRow]) -> "BadRowsSummary":
        """Builds a summary from a count and some of the rows.

        Args:
          count: The total number of bad rows.
          rows: Some (or all) of them.

        Returns:
          The summary, with samples sorted by file and line.
        """
        ordered = sorted(rows, key=lambda r: (r.file, r.line, r.reason))
        return cls(count, [r.describe() for r in ordered[:SAMPLE_SIZE]])


class BadInputError(ValueError):
    """Raised when the input cannot make a data set: too many bad rows, or an empty split."""


def check_tolerance(summary: BadRowsSummary, max_bad_rows: int) -> None:
    """Fails when the input has more bad rows than allowed.

    Args:
      summary: The bad rows found.
      max_bad_rows: How many bad rows the user tolerates (0: none).

    Raises:
      BadInputError: If ``summary.count > max_bad_rows``; the message quotes
        the first bad rows with file, line and reason.
    """
    if summary.count <= max_bad_rows:
        return
    listing = "\n  ".join(summary.samples)
    raise BadInputError(
        f"{summary.count} bad input row(s), more than max_bad_rows="
        f"{max_bad_rows}. First ones:\n  {listing}\n"
        "Fix the input, or raise max_bad_rows to skip and count them."
    )
