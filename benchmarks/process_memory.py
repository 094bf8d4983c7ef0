"""The peak memory of a process tree: this process and every descendant.

Beam's multi-processing workers and the Trainer's tf.data threads do not show
in the main process's own peak RSS (``ru_maxrss``), so a benchmark that must
state what a run needs samples the resident memory of the whole tree.
"""

import os
import threading
import time
from typing import Dict, List, Optional, Tuple

import psutil


def process_rss_bytes(pid: Optional[int] = None) -> Dict[int, int]:
    """The resident memory of a process and of each of its descendants, now.

    Args:
      pid: The root process (default: this one).

    Returns:
      RSS in bytes by process id; processes that end while being read are
      left out.
    """
    root = psutil.Process(pid or os.getpid())
    sizes = {}
    for process in [root, *root.children(recursive=True)]:
        try:
            sizes[process.pid] = process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return sizes


def tree_rss_bytes(pid: Optional[int] = None) -> int:
    """The resident memory of a process and all its descendants, now.

    Args:
      pid: The root process (default: this one).

    Returns:
      The sum of their RSS, in bytes.
    """
    return sum(process_rss_bytes(pid).values())


class PeakTreeMemory:
    """Samples ``tree_rss_bytes`` in a thread while the ``with`` block runs.

    Attributes:
      timeline: ``(time.perf_counter(), bytes)`` of every sample, in order.
      largest_process_timeline: ``(time.perf_counter(), bytes)`` of the
        largest single process (the main one or a worker) in every sample.
    """

    def __init__(self, interval_seconds: float = 0.5):
        """Builds the sampler.

        Args:
          interval_seconds: Time between samples; a peak shorter than it may
            be missed.
        """
        self.timeline: List[Tuple[float, int]] = []
        self.largest_process_timeline: List[Tuple[float, int]] = []
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
    def largest_process_bytes(self) -> int:
        """The largest RSS of any one process of the tree in any sample so far (0 before the first)."""
        return max((rss for _, rss in self.largest_process_timeline), default=0)

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
        return _peak_between(self.timeline, start, end)

    def largest_process_between(self, start: float, end: float) -> int:
        """The largest RSS of one process in the samples taken from ``start`` to ``end``.

        Args:
          start: A ``time.perf_counter()`` value.
          end: A later one.

        Returns:
          The peak in bytes, or 0 if no sample fell in the interval.
        """
        return _peak_between(self.largest_process_timeline, start, end)

    def _sample(self) -> None:
        while True:
            sizes = process_rss_bytes().values()
            now = time.perf_counter()
            self.timeline.append((now, sum(sizes)))
            self.largest_process_timeline.append((now, max(sizes, default=0)))
            if self._stop.wait(self._interval):
                return


def _peak_between(timeline: List[Tuple[float, int]], start: float, end: float) -> int:
    return max((rss for at, rss in timeline if start <= at <= end), default=0)
