"""The peak memory of a process tree: this process and every descendant.

Beam's multi-processing workers and the Trainer's tf.data threads do not show
in the main process's own peak RSS (``ru_maxrss``), so a benchmark that must
state what a run needs samples the resident memory of the whole tree.
"""

import os
import threading
import time
from typing import List, Optional, Tuple

import psutil


def tree_rss_bytes(pid: Optional[int] = None) -> int:
    """The resident memory of a process and all its descendants, now.

    Args:
      pid: The root process (default: this one).

    Returns:
      The sum of their RSS, in bytes; processes that end while being read
      count as 0.
    """
    root = psutil.Process(pid or os.getpid())
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


class PeakTreeMemory:
    """Samples ``tree_rss_bytes`` in a thread while the ``with`` block runs.

    Attributes:
      timeline: ``(time.perf_counter(), bytes)`` of every sample, in order.
    """

    def __init__(self, interval_seconds: float = 0.5):
        """Builds the sampler.

        Args:
          interval_seconds: Time between samples; a peak shorter than it may
            be missed.
        """
        self.timeline: List[Tuple[float, int]] = []
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> "PeakTreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_bytes(self) -> int:
        """The largest sample so far (0 before the first)."""
        return max((rss for _, rss in self.timeline), default=0)

    @property
    def samples(self) -> int:
        """How many samples were taken."""
        return len(self.timeline)

    def peak_between(self, start: float, end: float) -> int:
        """The largest sample taken from ``start`` to ``end``.

        Args:
          start: A ``time.perf_counter()`` value.
          end: A later one.

        Returns:
          The peak in bytes, or 0 if no sample fell in the interval (one
          shorter than the sampling interval may get none).
        """
        return max((rss for at, rss in self.timeline if start <= at <= end), default=0)

    def _sample(self) -> None:
        while True:
            self.timeline.append((time.perf_counter(), tree_rss_bytes()))
            if self._stop.wait(self._interval):
                return
