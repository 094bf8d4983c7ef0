"""Command line: ``movielens-tfx`` / ``python -m pipeline.cli``.

Commands:

* ``run``: the whole pipeline with LocalDagRunner under a work directory.
* ``examples``: only the ExampleGen, into a folder (rating examples and the
  movie corpus).
* ``recommend``: the pushed model's top K movies for a user.
* ``retrain``: ``run`` for schedules: newest span, rolling window, warm start,
  analyzer cache; does nothing without a new span; one at a time.
"""

import argparse
import json
import os
import sys
import warnings
from typing import List, Optional

# Google client libraries warn about Python 3.10 on import; hide the notice.
warnings.filterwarnings("ignore", category=FutureWarning)

from components.retrieval_evaluator import spec as evaluator_spec  # pylint: disable=wrong-import-position
from pipeline import config as config_lib  # pylint: disable=wrong-import-position
from pipeline import cli_kubeflow  # pylint: disable=wrong-import-position

DEFAULT_WORK_DIR = "work_dir"
PIPELINE_NAME = "movielens_retrieval"


def _work_paths(work_dir: str):
    work_dir = os.path.abspath(work_dir)
    return (
        os.path.join(work_dir, "pipeline_root"),
        os.path.join(work_dir, "serving_model"),
        os.path.join(work_dir, "metadata.sqlite"),
    )


def _add_source_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("data source")
    group.add_argument("--source", choices=["tfds", "grouplens", "synthetic"], default="tfds",
                       help="where the ratings come from (default: tfds, MovieLens 100k)")
    group.add_argument("--tfds-name", default="movielens/100k-ratings",
                       help="TFDS ratings builder (default: %(default)s)")
    group.add_argument("--tfds-data-dir", default=None, help="TFDS data dir (default: TFDS's)")
    group.add_argument("--input-path", default=None,
                       help="grouplens: a release .zip or folder; may contain {SPAN}")
    group.add_argument("--synthetic-ratings", type=int, default=100_000,
                       help="synthetic: number of ratings (default: %(default)s)")
    group.add_argument("--synthetic-seed", type=int, default=0, help="synthetic: seed")
    group.add_argument("--synthetic-spans", type=int, default=1,
                       help="synthetic: number of time windows (spans) in the data")
    group.add_argument("--no-demographics", action="store_true",
                       help="synthetic: no user demographics (like ml-20m/25m)")
    group.add_argument("--span", type=int, default=-1, help="span to read (default: newest)")
    group.add_argument("--split", choices=["random", "temporal"], default="random",
                       help="train/eval split (default: %(default)s)")
    group.add_argument("--eval-fraction", type=float, default=0.2)
    group.add_argument("--max-bad-rows", type=int, default=0,
                       help="malformed input rows tolerated (counted and reported)")


def _add_training_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("preprocessing and training")
    group.add_argument("--schema", choices=("auto",) + config_lib.SCHEMAS, default="auto",
                       help="curated schema (default: chosen from the data's features)")
    group.add_argument("--bucketing", choices=["quantile", "equal_width"], default="quantile",
                       help="timestamp/age bucket boundaries (default: %(default)s)")
    group.add_argument("--hyperparameters", default="{}",
                       help="JSON of trainer settings (trainer/config.py), e.g. "
                            "'{\"epochs\": 10, \"tower_layers\": [128]}'")
    group.add_argument("--warm-start", action="store_true",
                       help="start training from the latest blessed model")
    group.add_argument("--window-spans", type=int, default=1,
                       help="train on the newest N spans (rolling window; default: %(default)s)")
    group.add_argument("--analyzer-cache", action="store_true",
                       help="reuse tf.Transform analysis of spans analysed before")
    rules = config_lib.EvaluatorConfig()
    group.add_argument("--min-top-k-accuracy", type=float, default=rules.min_top_k_accuracy,
                       help="blessing: minimum top-100 accuracy, filtered protocol "
                            "(default: %(default)s)")
    group.add_argument("--min-margin-over-baselines", type=float,
                       default=rules.min_margin_over_baselines,
                       help="blessing: required top-100 lead over the best counted baseline "
                            "(default: " + ("none required; the gap is reported"
                                            if rules.min_margin_over_baselines is None
                                            else "%(default)s") + ")")
    group.add_argument("--blessing-baselines", type=_baseline_names,
                       default=rules.blessing_baselines, metavar="NAME[,NAME...]",
                       help="baselines that count for --min-margin-over-baselines, of "
                            f"{','.join(evaluator_spec.BASELINE_NAMES)} or 'all' (default: "
                            + ("all that ran" if rules.blessing_baselines is None
                               else ",".join(rules.blessing_baselines)) + ")")
    group.add_argument("--baseline-tolerance", type=float, default=rules.baseline_tolerance,
                       help="blessing: allowed top-100 drop vs the served model "
                            "(default: %(default)s)")


def _baseline_names(text: str):
    """``--blessing-baselines``: comma-separated names, or ``all``."""
    if text.strip() == "all":
        return None
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in evaluator_spec.BASELINE_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected names of {','.join(evaluator_spec.BASELINE_NAMES)} (or all), got {text!r}"
        )
    return names


def _add_runtime_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("runtime")
    group.add_argument("--work-dir", default=DEFAULT_WORK_DIR,
                       help="artifacts, metadata and pushed models (default: %(default)s)")
    group.add_argument("--beam-mode", choices=["auto", "in_memory", "multi_processing"],
                       default="auto",
                       help="Beam DirectRunner mode (auto: multi-processing from 1M ratings)")
    group.add_argument("--beam-workers", type=int, default=0,
                       help="multi-processing workers (default: one per core)")
    group.add_argument("--no-cache", action="store_true", help="re-execute every component")


def _example_gen_config(args: argparse.Namespace) -> config_lib.ExampleGenConfig:
    synthetic = {
        "num_ratings": args.synthetic_ratings,
        "seed": args.synthetic_seed,
        "num_spans": args.synthetic_spans,
        "with_demographics": not args.no_demographics,
    }
    return config_lib.ExampleGenConfig(
        source=args.source,
        input_path=args.input_path,
        tfds_name=args.tfds_name if args.source == "tfds" else None,
        tfds_data_dir=args.tfds_data_dir,
        synthetic_config=synthetic if args.source == "synthetic" else {},
        split_mode=args.split,
        eval_fraction=args.eval_fraction,
        max_bad_rows=args.max_bad_rows,
        span=args.span,
    )


def _hyperparameters(text: str) -> dict:
    """Reads ``--hyperparameters``; a JSON error names the option."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--hyperparameters is not JSON ({error}): {text!r}") from None


def build_config(args: argparse.Namespace) -> config_lib.PipelineConfig:
    """Turns ``run`` arguments into pipeline settings, checking the data first.

    Args:
      args: Parsed ``run`` arguments.

    Returns:
      The pipeline settings.

    Raises:
      DataUnavailableError: If TFDS data is missing and cannot be downloaded.
    """
    from pipeline import preflight  # pylint: disable=import-outside-toplevel
    from pipeline.pipeline import example_gen_settings  # pylint: disable=import-outside-toplevel

    gen = _example_gen_config(args)
    settings = example_gen_settings(gen)
    if gen.source == "tfds":
        preflight.check_tfds_available(gen.tfds_name, gen.tfds_data_dir)
    pipeline_root, serving_dir, _ = _work_paths(args.work_dir)
    return config_lib.PipelineConfig(
        pipeline_name=PIPELINE_NAME,
        pipeline_root=pipeline_root,
        push_destination=serving_dir,
        example_gen=gen,
        schema=preflight.auto_schema(settings) if args.schema == "auto" else args.schema,
        bucketing=args.bucketing,
        hyperparameters=_hyperparameters(args.hyperparameters),
        evaluator=config_lib.EvaluatorConfig(
            min_top_k_accuracy=args.min_top_k_accuracy,
            min_margin_over_baselines=args.min_margin_over_baselines,
            blessing_baselines=args.blessing_baselines,
            baseline_tolerance=args.baseline_tolerance,
        ),
        warm_start=args.warm_start,
        window_spans=args.window_spans,
        analyzer_cache=args.analyzer_cache,
        beam_pipeline_args=preflight.direct_runner_args(
            args.beam_mode, args.beam_workers, preflight.estimated_ratings(settings)
        ),
        enable_cache=not args.no_cache,
    )


def _print_summary(summary) -> None:
    from components.retrieval_evaluator.report import summary_lines  # pylint: disable=import-outside-toplevel

    print(f"\nPipeline finished in {summary.total_seconds:.1f}s "
          f"({len(summary.cached)} of {len(summary.seconds)} components from cache).")
    if summary.evaluation:
        for line in summary_lines(summary.evaluation):
            print(line)
    print(f"Serving model: {summary.pushed_model or 'none pushed'}")


def _run(args: argparse.Namespace) -> int:
    from pipeline import local_runner  # pylint: disable=import-outside-toplevel
    from components.movielens_example_gen.bad_rows import BadInputError  # pylint: disable=import-outside-toplevel
    from pipeline.preflight import DataUnavailableError  # pylint: disable=import-outside-toplevel
    from pipeline.validation_gate import DataValidationError  # pylint: disable=import-outside-toplevel

    try:
        config = build_config(args)
    except (DataUnavailableError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if os.path.exists(args.work_dir) and not os.path.isdir(args.work_dir):
        print(f"error: --work-dir {args.work_dir} is a file, not a folder", file=sys.stderr)
        return 2
    os.makedirs(os.path.abspath(args.work_dir), exist_ok=True)
    print(f"Running {config.pipeline_name} ({config.example_gen.source} data, schema "
          f"{config.schema}, Beam {' '.join(config.beam_pipeline_args)}) in {os.path.abspath(args.work_dir)}")
    _, _, metadata_file = _work_paths(args.work_dir)
    log_file = os.path.join(os.path.abspath(args.work_dir), "last_run.log")
    print(f"Full log: {log_file}")
    try:
        summary = local_runner.run(config, metadata_file, log_file)
    except (DataValidationError, BadInputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    _print_summary(summary)
    return 0


def _retrain(args: argparse.Namespace) -> int:
    from components.movielens_example_gen.bad_rows import BadInputError  # pylint: disable=import-outside-toplevel
    from pipeline import retrain  # pylint: disable=import-outside-toplevel
    from pipeline.preflight import DataUnavailableError  # pylint: disable=import-outside-toplevel
    from pipeline.validation_gate import DataValidationError  # pylint: disable=import-outside-toplevel

    try:
        config = build_config(args)
        summary = retrain.retrain(config, os.path.abspath(args.work_dir))
    except retrain.RetrainRunningError as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    except (DataUnavailableError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (DataValidationError, BadInputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if summary is not None:
        _print_summary(summary)
    return 0


def _examples(args: argparse.Namespace) -> int:
    from components.movielens_example_gen import spec as example_gen_spec  # pylint: disable=import-outside-toplevel
    from pipeline import preflight  # pylint: disable=import-outside-toplevel
    from pipeline.examples_command import generate_examples  # pylint: disable=import-outside-toplevel

    gen = _example_gen_config(args)
    try:
        if gen.source == "tfds":
            preflight.check_tfds_available(gen.tfds_name, gen.tfds_data_dir)
        examples, candidates = generate_examples(
            gen, os.path.abspath(args.output_dir), preflight.direct_runner_args("in_memory", 1, 0)
        )
    except (preflight.DataUnavailableError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    prefix = example_gen_spec.NUM_EXAMPLES_PROPERTY_PREFIX
    print(f"span {examples.span}, fingerprint {examples.get_string_custom_property(example_gen_spec.FINGERPRINT_KEY)}")
    for split in ("train", "eval"):
        print(f"ratings {split}: {examples.get_int_custom_property(prefix + split)} examples "
              f"in {examples.uri}/Split-{split}")
    corpus = example_gen_spec.CANDIDATES_SPLIT
    print(f"movie corpus: {candidates.get_int_custom_property(prefix + corpus)} examples "
          f"in {candidates.uri}/Split-{corpus}")
    print(f"bad rows: {examples.get_int_custom_property(example_gen_spec.BAD_ROWS_COUNT_PROPERTY)}")
    quality = examples.get_string_custom_property(example_gen_spec.SYNTHETIC_QUALITY_PROPERTY)
    if quality:
        print(f"synthetic quality bounds on eval: {quality}")
    return 0


def _recommend(args: argparse.Namespace) -> int:
    from components.versioned_pusher import latest_pushed_model  # pylint: disable=import-outside-toplevel
    from pipeline import recommend  # pylint: disable=import-outside-toplevel

    model_dir = args.model_dir or latest_pushed_model(_work_paths(args.work_dir)[1])
    if model_dir is None:
        print(f"error: no pushed model under {args.work_dir}; run the pipeline first", file=sys.stderr)
        return 2
    try:
        timestamp = None if args.timestamp is None else recommend.parse_timestamp(args.timestamp)
        answer = recommend.recommend(model_dir, args.user, args.k, timestamp, args.include_rated)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Top {len(answer.movies)} movies for user {args.user} ({model_dir}):")
    print(f"  {answer.basis()}")
    for rank, (movie_id, title, score) in enumerate(answer.movies, start=1):
        print(f"{rank:3d}. {title}  [movie {movie_id}, score {score:.3f}]")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line parser.

    Returns:
      The parser with its sub-commands.
    """
    root = argparse.ArgumentParser(prog="movielens-tfx", description=__doc__.split("\n")[0])
    commands = root.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run the pipeline locally (LocalDagRunner)")
    _add_source_arguments(run)
    _add_training_arguments(run)
    _add_runtime_arguments(run)
    run.set_defaults(handler=_run)
    retrain = commands.add_parser(
        "retrain", help="scheduled retraining: run only when a new span arrived"
    )
    _add_source_arguments(retrain)
    _add_training_arguments(retrain)
    _add_runtime_arguments(retrain)
    retrain.set_defaults(
        handler=_retrain, warm_start=True, window_spans=3, analyzer_cache=True, split="temporal"
    )
    examples = commands.add_parser("examples", help="run only the ExampleGen into a folder")
    _add_source_arguments(examples)
    examples.add_argument("--output-dir", required=True, help="where examples/ and candidates/ go")
    examples.set_defaults(handler=_examples)
    rec = commands.add_parser("recommend", help="top K movies for a user from the pushed model")
    rec.add_argument("--user", required=True, help="user id")
    rec.add_argument("--k", type=int, default=10,
                     help="number of movies, 1 to the model's K (default: %(default)s)")
    rec.add_argument("--timestamp", default=None,
                     help="query time: unix seconds or 'now' (default: the model's latest "
                          "training time)")
    rec.add_argument("--include-rated", action="store_true",
                     help="keep the movies the user rated in training (default: left out)")
    rec.add_argument("--work-dir", default=DEFAULT_WORK_DIR)
    rec.add_argument("--model-dir", default=None, help="a pushed model version directory")
    rec.set_defaults(handler=_recommend)
    cli_kubeflow.add_commands(commands)
    return root


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the command line.

    Args:
      argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
      The exit status.
    """
    args = parser().parse_args(argv)
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
