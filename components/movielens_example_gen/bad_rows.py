"""Bad input rows: what was wrong, where, and whether the run may go on.

Two kinds of rows are set apart from the examples:

* ``BadRow``: a row that could not become an example. Either the line is bad
  itself (its ``reason`` says why), or it is a consequence of another bad line:
  a rating of a movie or user whose line in the movies or users file was bad
  (``consequence_of`` names the group, and the bad line comes first in the
  samples). Both count under ``max_bad_rows``.
* ``DuplicateRating``: a rating line equal to an earlier one (same user, movie,
  rating and timestamp); counted and reported, not a bad row.
"""

import dataclasses
from typing import Dict, Iterable, List, Optional, Tuple, Union

# How many rows are quoted in errors and artifact properties.
SAMPLE_SIZE = 10


@dataclasses.dataclass(frozen=True)
class BadRow:
    """A row of input that could not become an example.

    Attributes:
      file: The file it came from (``archive.zip!member`` inside a zip).
      line: Its 1-based line number, or 0 when the row is not a line.
      reason: Why it was rejected.
      consequence_of: Empty when the line is bad itself; for a row rejected
        only because another line was bad, the group it is counted in, e.g.
        ``ratings of movies whose u.item line was bad``.
    """

    file: str
    line: int
    reason: str
    consequence_of: str = ""

    def describe(self) -> str:
        """Returns ``file:line: reason``."""
        return f"{self.file}:{self.line}: {self.reason}"

    def sample_order(self) -> Tuple[bool, str, int, str]:
        """Sort key of the samples: bad lines first, then consequences, by file and line."""
        return bool(self.consequence_of), self.file, self.line, self.reason


@dataclasses.dataclass(frozen=True)
class DuplicateRating:
    """A rating line with the same user, movie, rating and timestamp as an earlier one.

    Attributes:
      file: The ratings file (``archive.zip!member`` inside a zip).
      line: The repeated line's 1-based number.
      first_line: The number of the first line with the same rating.
    """

    file: str
    line: int
    first_line: int

    def describe(self) -> str:
        """Returns ``file:line: same ... as line N``."""
        return (
            f"{self.file}:{self.line}: same user, movie, rating and timestamp "
            f"as line {self.first_line}"
        )

    def sample_order(self) -> Tuple[str, int]:
        """Sort key of the samples: by file and line."""
        return self.file, self.line


@dataclasses.dataclass(frozen=True)
class BadRowsSummary:
    """How many rows were set apart, with a few of them.

    Attributes:
      count: The number of rows.
      samples: Up to ``SAMPLE_SIZE`` descriptions, in ``sample_order``.
      consequences: How many of the rows are consequences of another bad
        line, per group (``BadRow.consequence_of``).
    """

    count: int
    samples: List[str]
    consequences: Dict[str, int] = dataclasses.field(default_factory=dict)

    @classmethod
    def of(
        cls,
        count: int,
        rows: Iterable[Union[BadRow, DuplicateRating]],
        consequences: Optional[Dict[str, int]] = None,
    ) -> "BadRowsSummary":
        """Builds a summary from a count and some of the rows.

        Args:
          count: The total number of rows.
          rows: Some (or all) of them.
          consequences: Rows per ``consequence_of`` group, if any.

        Returns:
          The summary, with samples in ``sample_order``.
        """
        ordered = sorted(rows, key=lambda row: row.sample_order())
        return cls(
            count, [row.describe() for row in ordered[:SAMPLE_SIZE]], dict(consequences or {})
        )


class BadInputError(ValueError):
    """Raised when the input cannot make a data set: too many bad rows, or an empty split."""


def check_tolerance(summary: BadRowsSummary, max_bad_rows: int) -> None:
    """Fails when the input has more bad rows than allowed.

    Args:
      summary: The bad rows found.
      max_bad_rows: How many bad rows the user tolerates (0: none).

    Raises:
      BadInputError: If ``summary.count > max_bad_rows``; the message quotes
        the first bad rows with file, line and reason (bad lines before the
        rows they made unusable) and counts those consequences per group.
    """
    if summary.count <= max_bad_rows:
        return
    listing = "\n  ".join(summary.samples)
    groups = "".join(
        f"{count} of them: {group}.\n" for group, count in sorted(summary.consequences.items())
    )
    raise BadInputError(
        f"{summary.count} bad input row(s), more than max_bad_rows="
        f"{max_bad_rows}. First ones:\n  {listing}\n{groups}"
        "Fix the input, or raise max_bad_rows to skip and count them."
    )
