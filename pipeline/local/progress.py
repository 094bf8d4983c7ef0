"""Per-component progress of a LocalDagRunner run, from TFX's own log lines.

Components add their own progress through one convention
(``components/progress_log.py``): an absl INFO record whose message format
starts with ``PROGRESS_PREFIX`` (``log_progress``, ``ProgressCounter``) is
shown indented under the running component, at most
one line per ``PROGRESS_INTERVAL_SECONDS`` and always the last one. Only
records logged in this process reach the console: Beam's in-memory
DirectRunner runs the DoFns here, but the workers of its multi-processing
mode (and of any remote runner) log elsewhere, so their progress lines do not
appear.
"""

import logging
import time
from typing import Callable, Dict, List, Optional

from absl import logging as absl_logging

from components.progress_log import PROGRESS_PREFIX

_RUNNING = "Component %s is running."
_FINISHED = "Component %s is finished."
_CACHED = "A cached execution %d is used."
# A node whose Cond predicate is false (the RetrainGate said no).
_SKIPPED = "Skipping execution for %s"
# Loggers whose records go to the log file only while a run is shown.
_QUIETED_LOGGERS = ("tensorflow", "apache_beam")
# At most one progress line per component in this time (the last always shows).
PROGRESS_INTERVAL_SECONDS = 5.0


def _progress_text(record: logging.LogRecord) -> Optional[str]:
    """The text of a progress record (without the prefix), or None for another record.

    Only a record whose format starts with the prefix is formatted here, so a
    foreign record with bad arguments never fails in this handler.
    """
    if not isinstance(record.msg, str) or not record.msg.startswith(PROGRESS_PREFIX):
        return None
    return record.getMessage()[len(PROGRESS_PREFIX):]


class ComponentProgress(logging.Handler):
    """Prints a line as each component starts and finishes, with its time.

    After the run, ``seconds`` holds each component's wall time and
    ``started`` its ``time.perf_counter()`` at start, in run order.

    TFX's LocalDagRunner logs ``Component X is running.`` and ``... is
    finished.`` and its launcher ``A cached execution N is used.``; this
    handler turns those records into progress lines and keeps the timings.
    A node whose ``Cond`` is false (``Skipping execution for X``) shows as
    skipped.
    While active, TFX's full log goes to ``log_file`` instead of the terminal.
    Progress records (``PROGRESS_PREFIX``) of the running component are
    shown indented under it, rate-limited.
    """

    def __init__(
        self,
        total: int,
        log_file: str,
        emit: Callable[[str], None] = print,
        interval: float = PROGRESS_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        """Prepares the handler; ``with`` installs it.

        Args:
          total: Components in the pipeline.
          log_file: Where TFX's full log goes.
          emit: Where the lines shown go.
          interval: Least seconds between two progress lines of a component.
          clock: The time in seconds, for the rate limit.
        """
        super().__init__(level=logging.INFO)
        self._log_handler = logging.FileHandler(log_file)
        self._log_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        self._previous_propagate = True
        self._quieted: Dict[str, tuple] = {}
        self._total = total
        self._emit = emit
        self._current: Optional[str] = None
        self._started = 0.0
        self._cached = False
        self._skipped = False
        self._previous_verbosity = absl_logging.WARNING
        self._interval = interval
        self._clock = clock
        self._indent = " " * len(f"[{total}/{total}] ")
        self._shown_at: Optional[float] = None
        self._pending: Optional[str] = None
        self.seconds: Dict[str, float] = {}
        self.started: Dict[str, float] = {}
        self.cached: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Turns a log record into a line, if it is one of those shown.

        Args:
          record: Any record of the ``absl`` logger.
        """
        if record.msg == _RUNNING:
            self._current = record.args[0]
            self._started = time.perf_counter()
            self.started[self._current] = self._started
            self._cached = False
            self._skipped = False
            self._shown_at = None
            self._emit(f"[{len(self.seconds) + 1}/{self._total}] {self._current} ...")
        elif record.msg == _CACHED:
            self._cached = True
        elif record.msg == _SKIPPED and self._current:
            self._skipped = True
        elif record.msg == _FINISHED and self._current:
            self._show_pending()
            elapsed = time.perf_counter() - self._started
            self.seconds[self._current] = elapsed
            if self._cached:
                self.cached.append(self._current)
            state = "skipped" if self._skipped else "cached" if self._cached else "done"
            self._emit(f"[{len(self.seconds)}/{self._total}] {self._current} {state} in {elapsed:.1f}s")
            self._current = None
        elif self._current:
            text = _progress_text(record)
            if text is not None:
                self._progress(f"{self._indent}{self._current}: {text}")

    def _progress(self, line: str) -> None:
        """Shows a progress line, or keeps it for later if one was shown too recently."""
        now = self._clock()
        if self._shown_at is not None and now - self._shown_at < self._interval:
            self._pending = line
            return
        self._emit(line)
        self._shown_at = now
        self._pending = None

    def _show_pending(self) -> None:
        """Shows the progress line held back by the rate limit, if any."""
        if self._pending is not None:
            self._emit(self._pending)
            self._pending = None

    def __enter__(self) -> "ComponentProgress":
        logger = logging.getLogger("absl")
        self._previous_verbosity = absl_logging.get_verbosity()
        self._previous_propagate = logger.propagate
        # Through absl's verbosity flag, which TensorFlow saves and restores
        # around its own quiet sections, so INFO stays on for the whole run.
        absl_logging.set_verbosity(absl_logging.INFO)
        logger.propagate = False
        logger.addHandler(self)
        logger.addHandler(self._log_handler)
        for name in _QUIETED_LOGGERS:
            quieted = logging.getLogger(name)
            self._quieted[name] = (quieted.propagate, list(quieted.handlers))
            quieted.propagate = False
            quieted.handlers = [self._log_handler]
        return self

    def __exit__(self, *exc) -> None:
        self._show_pending()
        logger = logging.getLogger("absl")
        logger.removeHandler(self)
        logger.removeHandler(self._log_handler)
        for name, (propagate, handlers) in self._quieted.items():
            quieted = logging.getLogger(name)
            quieted.propagate = propagate
            quieted.handlers = handlers
        self._log_handler.close()
        absl_logging.set_verbosity(self._previous_verbosity)
        logger.propagate = self._previous_propagate
