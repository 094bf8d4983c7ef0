"""Per-component progress of a LocalDagRunner run, from TFX's own log lines."""

import logging
import time
from typing import Callable, Dict, List, Optional

_RUNNING = "Component %s is running."
_FINISHED = "Component %s is finished."
_CACHED = "A cached execution %d is used."


class ComponentProgress(logging.Handler):
    """Prints a line as each component starts and finishes, with its time.

    TFX's LocalDagRunner logs ``Component X is running.`` and ``... is
    finished.`` and its launcher ``A cached execution N is used.``; this
    handler turns those records into progress lines and keeps the timings.
    """

    def __init__(self, total: int, emit: Callable[[str], None] = print):
        super().__init__(level=logging.INFO)
        self._total = total
        self._emit = emit
        self._current: Optional[str] = None
        self._started = 0.0
        self._cached = False
        self._previous_level = logging.NOTSET
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
        self._previous_level = logger.level
        logger.setLevel(logging.INFO)
        logger.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        logger = logging.getLogger("absl")
        logger.removeHandler(self)
        logger.setLevel(self._previous_level)
