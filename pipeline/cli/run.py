"""``run``: the whole pipeline with LocalDagRunner under a work directory."""

import argparse
import dataclasses
import functools
import os
import sys
from typing import Optional

from pipeline import config as config_lib
from pipeline.cli import errors, options

PIPELINE_NAME = "movielens_retrieval"
EXAMPLE = """\
example:
  movielens-tfx run --source synthetic --synthetic-ratings 100000 --work-dir work_dir
"""


def register(commands: argparse._SubParsersAction) -> None:  # pylint: disable=protected-access
    """Adds the command to the root parser.

    Args:
      commands: The root parser's sub-commands.
    """
    parser = commands.add_parser(
        "run", help="run the pipeline locally (LocalDagRunner)",
        description="Runs the whole pipeline locally: ExampleGen, StatisticsGen, schema "
                    "validation, Transform, Trainer, Evaluator and Pusher.",
        epilog=EXAMPLE, formatter_class=options.HelpFormatter,
    )
    options.add_source_arguments(parser)
    options.add_training_arguments(parser)
    options.add_runtime_arguments(parser)
    parser.set_defaults(handler=handle)


@dataclasses.dataclass(frozen=True)
class LocalRun:
    """What a local run was given.

    Attributes:
      config: The pipeline settings.
      paths: The work directory's layout.
      data_note: Why the data is not what the user may expect (the synthetic
        fallback), or None.
    """

    config: config_lib.PipelineConfig
    paths: options.WorkPaths
    data_note: Optional[str]


def local_pipeline_config(args: argparse.Namespace) -> LocalRun:
    """The settings of a local run, after checking its data and work directory once.

    Args:
      args: Parsed ``run`` or ``retrain`` options.

    Returns:
      The settings, the work paths and the data note.

    Raises:
      errors.RequestError: On a bad option, naming it.
      DataUnavailableError: If TFDS data is missing and cannot be downloaded.
    """
    paths = options.WorkPaths.under(args.work_dir)
    with errors.checking_request():
        if os.path.exists(paths.work_dir) and not os.path.isdir(paths.work_dir):
            raise ValueError(f"--work-dir {args.work_dir} is a file, not a folder")
        options.example_gen_settings(args)
        config_lib.check_trainer_settings(
            options.hyperparameters(args.hyperparameters), options.evaluator_settings(args)
        )
    # Only once the options are sound: the checks of the data load TensorFlow.
    from pipeline import preflight  # pylint: disable=import-outside-toplevel

    with errors.checking_request():
        example_gen, facts, data_note = preflight.inspect_source(
            args.source, functools.partial(options.example_gen_settings, args)
        )
        config = options.pipeline_config(
            args,
            example_gen=example_gen,
            pipeline_name=PIPELINE_NAME,
            pipeline_root=paths.pipeline_root,
            push_destination=paths.serving_dir,
            schema=facts.schema if args.schema == options.SCHEMA_AUTO else args.schema,
            beam_pipeline_args=preflight.local_beam_args(
                args.beam_mode, args.beam_workers, facts.estimated_ratings
            ),
            enable_cache=not args.no_cache,
        )
    return LocalRun(config, paths, data_note)


def print_summary(summary, data_note: Optional[str]) -> None:
    """Prints a finished run's timing, evaluation and pushed model.

    Args:
      summary: The ``local_runner.RunSummary``.
      data_note: The note on the data (the synthetic fallback), or None.
    """
    from components.retrieval_evaluator import summary_lines  # pylint: disable=import-outside-toplevel

    print(f"\nPipeline finished in {summary.total_seconds:.1f}s "
          f"({len(summary.cached)} of {len(summary.seconds)} components from cache).")
    if summary.evaluation:
        for line in summary_lines(summary.evaluation):
            print(line)
    print(f"Serving model: {summary.pushed_model or 'none pushed'}")
    if data_note:
        print(f"Data: {data_note}")


def write_report_page(work_dir: str, summary, command: str) -> None:
    """Writes the run's report page and names it.

    The pipeline's work is done when this runs (the model is pushed or not),
    so a failure to draw the page is a warning, not the command's failure.

    Args:
      work_dir: The work directory.
      summary: The ``local_runner.RunSummary``.
      command: ``run`` or ``retrain``.
    """
    from pipeline.report import write_report  # pylint: disable=import-outside-toplevel  # matplotlib

    try:
        print(f"Report: {write_report(work_dir, summary, command)}")
    except Exception as error:  # pylint: disable=broad-except  # the run itself succeeded
        print(f"warning: the report page could not be written ({type(error).__name__}: {error})",
              file=sys.stderr)


def handle(args: argparse.Namespace) -> int:
    """Runs the pipeline.

    Args:
      args: Parsed options.

    Returns:
      0 once the pipeline finished.
    """
    local = local_pipeline_config(args)
    # TFX loads in seconds: only once the options and the data checked out.
    from pipeline.local import runner as local_runner  # pylint: disable=import-outside-toplevel

    config, paths = local.config, local.paths
    os.makedirs(paths.work_dir, exist_ok=True)
    if local.data_note:
        print(f"note: {local.data_note}")
    print(f"Running {config.pipeline_name} ({config.example_gen.source} data, schema "
          f"{config.schema}, Beam {' '.join(config.beam_pipeline_args) or 'defaults: DirectRunner in memory'}) in {paths.work_dir}")
    print(f"Full log: {paths.log_file}")
    summary = local_runner.run(config, paths.metadata_file, paths.log_file)
    print_summary(summary, local.data_note)
    write_report_page(paths.work_dir, summary, "run")
    return 0
