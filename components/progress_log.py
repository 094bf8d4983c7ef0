"""Progress lines of a running component: the convention components and the Trainer log by.

An absl INFO record whose message format starts with ``PROGRESS_PREFIX`` is a
progress line of the component that logs it. The local runner
(``pipeline/local/progress.py``) shows such lines under the running
component; anywhere else they are ordinary log lines. Kept apart from the
runner so that components and the Trainer depend on nothing in ``pipeline``.
"""

from typing import Any, Iterable, Iterator, TypeVar

from absl import logging as absl_logging

# A log message format starting with this is a progress line of the running component.
PROGRESS_PREFIX = "progress: "
# Items between two progress lines of a ``ProgressCounter``.
PROGRESS_EVERY = 100_000

T = TypeVar("T")


def log_progress(message: str, *args: Any) -> None:
    """Logs a progress line of the running component.

    Args:
      message: A %-style format, without ``PROGRESS_PREFIX``.
      *args: Its arguments.
    """
    absl_logging.info(PROGRESS_PREFIX + message, *args)


class ProgressCounter:
    """Counts items as they pass and logs the count as progress lines.

    Picklable: a Beam DoFn holding one counts everything that DoFn instance
    processes, across elements.
    """

    def __init__(self, what: str, every: int = PROGRESS_EVERY):
        """Starts at zero.

        Args:
          what: What is counted, after the number (``ratings read``).
          every: Items between two progress lines.
        """
        self._what = what
        self._every = every
        self._count = 0

    def counted(self, items: Iterable[T]) -> Iterator[T]:
        """Yields the items, logging the count every ``every`` items and at their end.

        Args:
          items: Any iterable.

        Yields:
          The items, unchanged.
        """
        for item in items:
            yield item
            self._count += 1
            if self._count % self._every == 0:
                self._log()
        if self._count % self._every:
            self._log()

    def _log(self) -> None:
        log_progress("%s %s", f"{self._count:,}", self._what)
