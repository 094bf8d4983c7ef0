"""One writer per work directory: the lock every command that can push takes.

``run`` and ``retrain`` both go through ``local_runner.run``, which holds
``WorkDirLock`` for the whole run: a second writer on the same work directory
refuses at once (``WorkDirBusyError``) and names the holder, whose pid,
command line and start time are written into the lock file.

The lock is an ``flock`` on ``<work_dir>/writer.lock``, so it is local only:
it holds between processes of one machine on a local file system (the
work directory holds the SQLite metadata store, which is local anyway). The
kernel releases it when the holder exits, however it exits, so a killed run
never leaves a stale lock. Within one process the lock is re-entrant (for
all its threads): ``retrain`` holds it around its state check and the run it
starts.
"""

import dataclasses
import fcntl
import json
import os
import shlex
import sys
import time
from typing import Dict, Optional, TextIO

LOCK_FILE = "writer.lock"
# Longest command line written into the lock file (the error stays one line).
_MAX_COMMAND_CHARS = 200


class WorkDirBusyError(RuntimeError):
    """Another process holds the work directory's lock."""


@dataclasses.dataclass(frozen=True)
class Holder:
    """Who holds a work directory's lock.

    Attributes:
      pid: The holder's process id.
      command: Its command line.
      started: When it took the lock (local time).
    """

    pid: int
    command: str
    started: str

    def describe(self) -> str:
        """One phrase naming the holder, for error messages."""
        return f"pid {self.pid}, `{self.command}`, since {self.started}"


def this_process() -> Holder:
    """The holder record of the calling process, as of now."""
    argv = [os.path.basename(sys.argv[0])] + sys.argv[1:] if sys.argv else ["python"]
    command = shlex.join(argv)
    if len(command) > _MAX_COMMAND_CHARS:
        command = command[: _MAX_COMMAND_CHARS - 3] + "..."
    return Holder(os.getpid(), command, time.strftime("%Y-%m-%d %H:%M:%S"))


def read_holder(text: str) -> Optional[Holder]:
    """Parses a lock file's content.

    Args:
      text: What the lock file holds.

    Returns:
      The holder, or None when the file is empty or not a holder record
      (the holder has not written it yet).
    """
    try:
        record = json.loads(text)
        return Holder(int(record["pid"]), str(record["command"]), str(record["started"]))
    except (ValueError, KeyError, TypeError):
        return None


class WorkDirLock:
    """An exclusive, non-blocking lock on a work directory (see the module doc).

    Re-entrant within a process: an inner ``with`` on a directory the process
    already holds is a no-op, and the lock is released by the outermost one.
    """

    # Lock file path -> [open handle, nesting depth], for this process.
    _held: Dict[str, list] = {}

    def __init__(self, work_dir: str):
        """Names the lock.

        Args:
          work_dir: The work directory (local; created if missing).
        """
        self._work_dir = work_dir
        self._path = os.path.realpath(os.path.join(work_dir, LOCK_FILE))

    def __enter__(self) -> "WorkDirLock":
        held = self._held.get(self._path)
        if held:
            held[1] += 1
            return self
        os.makedirs(os.path.dirname(self._path), exist_ok=True)
        handle = open(self._path, "a+", encoding="utf-8")  # pylint: disable=consider-using-with
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = read_holder(handle.read())
            handle.close()
            raise WorkDirBusyError(self._busy_message(holder)) from None
        _write(handle, json.dumps(dataclasses.asdict(this_process())))
        self._held[self._path] = [handle, 1]
        return self

    def __exit__(self, *exc) -> None:
        held = self._held[self._path]
        held[1] -= 1
        if held[1]:
            return
        del self._held[self._path]
        handle = held[0]
        _write(handle, "")
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()

    def _busy_message(self, holder: Optional[Holder]) -> str:
        who = holder.describe() if holder else "a process that is just starting"
        return (
            f"work dir {self._work_dir} is in use by another run or retrain ({who}); "
            "only one may write to a work dir at a time"
        )


def _write(handle: TextIO, text: str) -> None:
    """Replaces a lock file's content."""
    handle.seek(0)
    handle.truncate()
    handle.write(text)
    handle.flush()
