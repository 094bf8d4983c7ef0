"""Command line: ``movielens-tfx`` / ``python -m pipeline.cli``.

One module per command (``run``, ``retrain``, ``examples``, ``recommend``,
``compile``, ``schedule``), each a thin layer: parse (``options``), check
the data once where a local run needs it (``pipeline.preflight``), build
the pure settings (``pipeline.config``), call the pipeline's own code.
Known errors end in one line and an exit status (``errors``).
"""

from pipeline.cli.main import main, parser

__all__ = ["main", "parser"]
