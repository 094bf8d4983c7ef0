"""One error ladder for every command: known errors to one line and an exit status.

Exit status:

* 0: done (or, for ``retrain``, nothing new to do);
* 1: the work started and stopped on what it found: the data failed its
  checks (bad rows beyond ``--max-bad-rows``, schema anomalies), or a remote
  service refused the request;
* 2: the request cannot run as asked: a bad option or setting, data that
  is missing or unreachable;
* 3: another writer holds the work directory.

Any other error is a bug or an environment failure, and keeps its traceback.
"""

import contextlib
import sys
from typing import Iterator, Optional, Tuple

EXIT_FAILED = 1
EXIT_REQUEST = 2
EXIT_BUSY = 3

# (module, class, exit status), checked in order. An error can only be of a
# class whose module was imported, so the ladder imports nothing itself: the
# command line stays quick to start.
_KNOWN_ERRORS: Tuple[Tuple[str, str, int], ...] = (
    ("pipeline.local.work_dir_lock", "WorkDirBusyError", EXIT_BUSY),
    ("components.movielens_example_gen.bad_rows", "BadInputError", EXIT_FAILED),
    ("components.validation_gate.component", "DataValidationError", EXIT_FAILED),
    (__name__, "ServiceError", EXIT_FAILED),
    (__name__, "RequestError", EXIT_REQUEST),
    ("pipeline.preflight", "DataUnavailableError", EXIT_REQUEST),
    ("builtins", "FileNotFoundError", EXIT_REQUEST),
)


class RequestError(ValueError):
    """The command cannot run as asked (an option, a setting, the data)."""


class ServiceError(RuntimeError):
    """A remote service (Kubeflow Pipelines) refused the request."""


@contextlib.contextmanager
def checking_request() -> Iterator[None]:
    """Reports a ``ValueError`` raised while a request is checked as a ``RequestError``.

    Wrap the parsing and checking of settings in it, and only that: a
    ``ValueError`` raised later, inside a run, is not the user's option and
    keeps its traceback.

    Yields:
      Nothing.

    Raises:
      RequestError: With the original message.
    """
    try:
        yield
    except RequestError:
        raise
    except ValueError as error:
        raise RequestError(str(error)) from error


def exit_status(error: BaseException) -> Optional[int]:
    """The exit status of a known error.

    Args:
      error: What a command raised.

    Returns:
      Its exit status, or None for an unknown error.
    """
    for module_name, class_name, status in _KNOWN_ERRORS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(error, getattr(module, class_name)):
            return status
    return None
