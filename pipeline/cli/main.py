"""The root parser, and the one place errors become exit statuses."""

import argparse
import sys
import warnings
from typing import List, Optional

# Google client libraries warn about Python 3.10 on import; hide the notice.
warnings.filterwarnings("ignore", category=FutureWarning)

# pylint: disable=wrong-import-position
from pipeline.cli import (
    errors,
    examples,
    kubeflow_compile,
    kubeflow_schedule,
    recommend,
    retrain,
    run,
)

COMMANDS = (run, retrain, examples, recommend, kubeflow_compile, kubeflow_schedule)
DESCRIPTION = """\
MovieLens two-tower retrieval with TFX: ExampleGen, tf.Transform, Trainer,
Evaluator and Pusher, run locally (LocalDagRunner) or compiled for Kubeflow.

exit status: 0 done; 1 the data failed its checks or a service refused;
2 a bad option or missing data; 3 another writer holds the work directory.
"""


def parser() -> argparse.ArgumentParser:
    """The command-line parser.

    Returns:
      The parser with its sub-commands.
    """
    root = argparse.ArgumentParser(
        prog="movielens-tfx",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(commands)
    return root


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command line.

    Args:
      argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
      The exit status (``errors``).
    """
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except Exception as error:  # pylint: disable=broad-except
        status = errors.exit_status(error)
        if status is None:
            raise
        print(f"error: {error}", file=sys.stderr)
        return status
