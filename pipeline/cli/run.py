"""``run``: the whole pipeline with LocalDagRunner under a work directory."""

import argparse
import os

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


def local_pipeline_config(args: argparse.Namespace) -> config_lib.PipelineConfig:
    """The settings of a local run, after checking its data and work directory once.

    Args:
      args: Parsed ``run`` or ``retrain`` options.

    Returns:
      The pipeline settings.

    Raises:
      errors.RequestError: On a bad option, naming it.
      DataUnavailableError: If TFDS data is missing and cannot be downloaded.
    """
    from pipeline import preflight  # pylint: disable=import-outside-toplevel  # TensorFlow

    paths = options.WorkPaths.under(args.work_dir)
    with errors.checking_request():
        if os.path.exists(paths.work_dir) and not os.path.isdir(paths.work_dir):
            raise ValueError(f"--work-dir {args.work_dir} is a file, not a folder")
        example_gen = options.example_gen_settings(args)
        facts = preflight.inspect_data(example_gen)
        return options.pipeline_config(
            args,
            example_gen=example_gen,
            pipeline_name=PIPELINE_NAME,
            pipeline_root=paths.pipeline_root,
            push_destination=paths.serving_dir,
            schema=facts.schema if args.schema == options.SCHEMA_AUTO else args.schema,
            beam_pipeline_args=preflight.direct_runner_args(
                args.beam_mode, args.beam_workers, facts.estimated_ratings
            ),
            enable_cache=not args.no_cache,
        )


def print_summary(summary) -> None:
    """Prints a finished run's timing, evaluation and pushed model.

    Args:
      summary: The ``local_runner.RunSummary``.
    """
    from components.retrieval_evaluator import summary_lines  # pylint: disable=import-outside-toplevel

    print(f"\nPipeline finished in {summary.total_seconds:.1f}s "
          f"({len(summary.cached)} of {len(summary.seconds)} components from cache).")
    if summary.evaluation:
        for line in summary_lines(summary.evaluation):
            print(line)
    print(f"Serving model: {summary.pushed_model or 'none pushed'}")


def handle(args: argparse.Namespace) -> int:
    """Runs the pipeline.

    Args:
      args: Parsed options.

    Returns:
      0 once the pipeline finished.
    """
    from pipeline import local_runner  # pylint: disable=import-outside-toplevel  # TFX

    config = local_pipeline_config(args)
    paths = options.WorkPaths.under(args.work_dir)
    os.makedirs(paths.work_dir, exist_ok=True)
    print(f"Running {config.pipeline_name} ({config.example_gen.source} data, schema "
          f"{config.schema}, Beam {' '.join(config.beam_pipeline_args)}) in {paths.work_dir}")
    print(f"Full log: {paths.log_file}")
    print_summary(local_runner.run(config, paths.metadata_file, paths.log_file))
    return 0
