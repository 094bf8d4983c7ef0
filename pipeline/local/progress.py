"""Per-component progress of a LocalDagRunner run, from TFX's own log lines."""

import logging
import time
from typing import Callable, Dict, List, Optional

from absl import logging as absl_logging

_RUNNING = "Component %s is running."
_FINISHED = "Component %s is finished."
_CACHED = "A cached execution %d is used."
# Loggers whose records go to the log file only while a run is shown.
_QUIETED_LOGGERS = ("tensorflow", "apache_beam")


class ComponentProgress(logging.Handler):
    """Prints a line as each component starts and finishes, with its time.

    TFX's LocalDagRunner logs ``Component X is running.`` and ``... is
    finished.`` and its launcher ``A cached execution N is used.``; this
    handler turns those records into progress lines and keeps the timings.
    While active, TFX's full log goes to ``log_file`` instead of the terminal.
    """

    def __init__(self, total: int, log_file: str, emit: Callable[[str], None] = print):
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
        self._previous_verbosity = absl_logging.WARNING
        self.seconds: Dict[str, float] = {}
        self.cached: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == _RUNNING:
            self._current = record.args[0]
            self._started = time.perf_counter()
            self._cached = False
            self._emit(f"[{len(self.seconds) + 1}/{self._total}] {self._current} ...")
        elif record.msg == _CACHED:
            self._cached = True
        elif record.msg == _FINISHED and self._current:
            elapsed = time.perf_counter() - self._started
            self.seconds[self._current] = elapsed
            if self._cached:
                self.cached.append(self._current)
            state = "cached" if self._cached else "done"
            self._emit(f"[{len(self.seconds)}/{self._total}] {self._current} {state} in {elapsed:.1f}s")
            self._current = None

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
