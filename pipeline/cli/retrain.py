"""``retrain``: ``run`` for schedules, only when something it depends on changed.

Newest span, rolling window, warm start, analyzer cache; skips when the span, its
window's data, the settings and the code are those of the last completed
run (``pipeline/local/retrain.py``); one writer per work directory.
"""

import argparse

from pipeline.cli import options, run

EXAMPLE = """\
example (e.g. from cron, once a day):
  movielens-tfx retrain --source grouplens --input-path '/data/drops/span-{SPAN}.zip' \\
      --schema ml-100k --work-dir /srv/movielens
"""


def register(commands: argparse._SubParsersAction) -> None:  # pylint: disable=protected-access
    """Adds the command to the root parser.

    Args:
      commands: The root parser's sub-commands.
    """
    parser = commands.add_parser(
        "retrain", help="scheduled retraining: run only when the data, settings or code changed",
        description="Runs the pipeline on the newest span with a rolling window of spans, "
                    "warm start and the analyzer cache, unless nothing changed since the last "
                    "completed run.",
        epilog=EXAMPLE, formatter_class=options.HelpFormatter,
    )
    options.add_source_arguments(parser)
    options.add_training_arguments(parser)
    options.add_runtime_arguments(parser)
    parser.set_defaults(
        handler=handle, warm_start=True, window_spans=3, analyzer_cache=True, split="temporal"
    )


def handle(args: argparse.Namespace) -> int:
    """Retrains, or says why not.

    Args:
      args: Parsed options.

    Returns:
      0 once retrained, or when there was nothing new.
    """
    local = run.local_pipeline_config(args)
    # TFX loads in seconds: only once the options and the data checked out.
    from pipeline.local import retrain  # pylint: disable=import-outside-toplevel

    if local.data_note:
        print(f"note: {local.data_note}")
    summary = retrain.retrain(local.config, local.paths.work_dir)
    if summary is not None:
        run.print_summary(summary, local.data_note)
        run.write_report_page(local.paths.work_dir, summary, "retrain")
    return 0
