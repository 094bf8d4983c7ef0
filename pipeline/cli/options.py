"""The options shared by commands, and their mapping to settings (no I/O).

Every default shown in ``--help`` is read from the settings types
(``movielens_example_gen.Settings``, ``retrieval_evaluator.Settings`` through
the pipeline's ``PIPELINE_EVALUATOR_SETTINGS``), so it is declared once.
"""

import argparse
import dataclasses
import json
import os
from typing import Any, Dict, List, Optional, Tuple

from components import movielens_example_gen, retrieval_evaluator
from components.retrieval_evaluator import spec as evaluator_spec
from pipeline import config as config_lib

DEFAULT_WORK_DIR = "work_dir"
DEFAULT_TFDS_NAME = "movielens/100k-ratings"
DEFAULT_SYNTHETIC_RATINGS = 100_000
SCHEMA_AUTO = "auto"


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each option's default, and descriptions and examples as written."""


@dataclasses.dataclass(frozen=True)
class WorkPaths:
    """Where a local run keeps its artifacts, metadata and pushed models.

    Attributes:
      work_dir: The work directory (absolute).
      pipeline_root: TFX's pipeline root.
      serving_dir: The push destination.
      metadata_file: The ML Metadata SQLite file.
      log_file: TFX's full log of the last run.
    """

    work_dir: str
    pipeline_root: str
    serving_dir: str
    metadata_file: str
    log_file: str

    @classmethod
    def under(cls, work_dir: str) -> "WorkPaths":
        """The layout under a work directory.

        Args:
          work_dir: The work directory (relative paths are made absolute).

        Returns:
          The paths.
        """
        root = os.path.abspath(work_dir)
        return cls(
            work_dir=root,
            pipeline_root=os.path.join(root, "pipeline_root"),
            serving_dir=os.path.join(root, "serving_model"),
            metadata_file=os.path.join(root, "metadata.sqlite"),
            log_file=os.path.join(root, "last_run.log"),
        )


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """The data source and split options (``examples``, ``run``, ``retrain``, ``compile``).

    Args:
      parser: A command's parser.
    """
    defaults = movielens_example_gen.Settings()
    group = parser.add_argument_group("data source")
    group.add_argument("--source", choices=list(movielens_example_gen.spec.SOURCES), default=None,
                       help="where the ratings come from: TFDS's MovieLens, a GroupLens "
                            "release file, or generated MovieLens-shaped data (None: tfds; "
                            "for run, retrain and examples, synthetic when TFDS's data is "
                            "neither prepared nor downloadable, said so)")
    group.add_argument("--tfds-name", default=DEFAULT_TFDS_NAME, help="TFDS ratings builder")
    group.add_argument("--tfds-data-dir", default=None, help="TFDS data dir (None: TFDS's)")
    group.add_argument("--input-path", default=None,
                       help="grouplens: a release .zip or folder; may contain {SPAN}")
    group.add_argument("--synthetic-ratings", type=int, default=DEFAULT_SYNTHETIC_RATINGS,
                       help="synthetic: number of ratings")
    group.add_argument("--synthetic-seed", type=int, default=0, help="synthetic: seed")
    group.add_argument("--synthetic-spans", type=int, default=1,
                       help="synthetic: number of time windows (spans) in the data")
    group.add_argument("--no-demographics", action="store_true",
                       help="synthetic: no user demographics (like ml-20m/25m)")
    group.add_argument("--span", type=int, default=defaults.span,
                       help="span to read (-1: the newest)")
    group.add_argument("--split", choices=[movielens_example_gen.RANDOM, movielens_example_gen.TEMPORAL],
                       default=defaults.split_mode, help="train/eval split")
    group.add_argument("--eval-fraction", type=float, default=defaults.eval_fraction,
                       help="share of ratings in the eval split")
    group.add_argument("--max-bad-rows", type=int, default=defaults.max_bad_rows,
                       help="malformed input rows tolerated (counted and reported)")
    group.add_argument("--window-spans", type=int, default=defaults.window_spans,
                       help="read a rolling window of the newest N spans: train on all of "
                            "their train splits, measure on the newest span's eval split")
    group.add_argument("--keep-duplicate-ratings", action="store_true",
                       help="keep exact duplicate rating lines of GroupLens files instead "
                            "of dropping them (counted and reported either way)")


def add_training_arguments(parser: argparse.ArgumentParser) -> None:
    """Schema, preprocessing, training and blessing options (``run``, ``retrain``, ``compile``).

    Args:
      parser: A command's parser.
    """
    rules = config_lib.PIPELINE_EVALUATOR_SETTINGS
    group = parser.add_argument_group("preprocessing, training and blessing")
    group.add_argument("--schema", choices=(SCHEMA_AUTO,) + config_lib.SCHEMAS, default=SCHEMA_AUTO,
                       help="curated schema (auto: chosen from the data's features)")
    group.add_argument("--bucketing", choices=["quantile", "equal_width"], default="quantile",
                       help="timestamp/age bucket boundaries")
    group.add_argument("--hyperparameters", default="{}",
                       help="JSON of trainer settings (trainer/config.py), e.g. "
                            "'{\"epochs\": 10, \"tower_layers\": [128]}'")
    group.add_argument("--warm-start", action="store_true",
                       help="start training from the model being served (the newest pushed version)")
    group.add_argument("--analyzer-cache", action=argparse.BooleanOptionalAction, default=False,
                       help="reuse tf.Transform's analysis of spans an earlier run analysed, so a "
                            "window of spans costs the analysis of the new ones; pays from about "
                            "150k ratings per span (docs/retraining.md)")
    group.add_argument("--top-ks", type=cutoffs, default=",".join(map(str, rules.top_ks)),
                       metavar="K[,K...]",
                       help="evaluation cut-offs, ascending; those at or above the corpus "
                            "size are left out (and said so)")
    group.add_argument("--blessing-k", type=int, default=rules.blessing_k,
                       help="the cut-off the blessing checks, one of --top-ks (the largest "
                            "measured one when the corpus is smaller)")
    group.add_argument("--min-top-k-accuracy", type=float, default=rules.min_top_k_accuracy,
                       help=f"blessing: minimum top-{rules.blessing_k} accuracy, filtered protocol")
    group.add_argument("--min-margin-over-baselines", type=float,
                       default=rules.min_margin_over_baselines,
                       help=f"blessing: required top-{rules.blessing_k} lead over the best "
                            "counted baseline (None: not required; the gap is reported)")
    group.add_argument("--blessing-baselines", type=baseline_names,
                       default=_names_text(rules.blessing_baselines), metavar="NAME[,NAME...]",
                       help="baselines that count for --min-margin-over-baselines, of "
                            f"{','.join(evaluator_spec.BASELINE_NAMES)}, or 'all'")
    group.add_argument("--baseline-tolerance", type=float, default=rules.baseline_tolerance,
                       help=f"blessing: allowed top-{rules.blessing_k} drop vs the served model")
    group.add_argument("--max-eval-examples", type=int, default=rules.max_eval_examples,
                       help="evaluate a uniform random sample of this many eval ratings "
                            "(seeded; metrics.json says so) instead of all: ranking costs eval "
                            "ratings x movies, ~20 minutes for all 1M at 5M ratings here")


def add_runtime_arguments(parser: argparse.ArgumentParser) -> None:
    """Where and how a local run executes (``run``, ``retrain``).

    Args:
      parser: A command's parser.
    """
    group = parser.add_argument_group("runtime")
    group.add_argument("--work-dir", default=DEFAULT_WORK_DIR,
                       help="artifacts, metadata and pushed models")
    group.add_argument("--beam-mode", choices=["auto", "in_memory", "multi_processing"],
                       default="auto",
                       help="Beam DirectRunner mode (auto: multi-processing from 1M ratings)")
    group.add_argument("--beam-workers", type=int, default=0,
                       help="multi-processing workers (0: one per core)")
    group.add_argument("--no-cache", action="store_true", help="re-execute every component")


def baseline_names(text: str) -> Optional[Tuple[str, ...]]:
    """Reads ``--blessing-baselines``: comma-separated names, or ``all``.

    Args:
      text: The option's value.

    Returns:
      The names, or None for all.

    Raises:
      argparse.ArgumentTypeError: On an unknown name.
    """
    if text.strip() == "all":
        return None
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in evaluator_spec.BASELINE_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected names of {','.join(evaluator_spec.BASELINE_NAMES)} (or all), got {text!r}"
        )
    return names


def cutoffs(text: str) -> Tuple[int, ...]:
    """Reads ``--top-ks``: comma-separated positive integers.

    Args:
      text: The option's value.

    Returns:
      The cut-offs (their order is checked with the other evaluator settings).

    Raises:
      argparse.ArgumentTypeError: On anything but positive integers.
    """
    try:
        values = tuple(int(value) for value in text.split(","))
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers such as 10,50,100, got {text!r}")
    return values


def _names_text(names: Optional[Tuple[str, ...]]) -> str:
    return "all" if names is None else ",".join(names)


def example_gen_settings(
    args: argparse.Namespace, source: Optional[str] = None
) -> movielens_example_gen.Settings:
    """The ExampleGen's settings from the data source options.

    Args:
      args: Parsed options of ``add_source_arguments``.
      source: The source to read, when the caller chose it for an unset
        ``--source`` (default: ``--source``, else tfds).

    Returns:
      The checked settings.

    Raises:
      ValueError: On a bad setting, naming it.
    """
    synthetic = {
        "num_ratings": args.synthetic_ratings,
        "seed": args.synthetic_seed,
        "num_spans": args.synthetic_spans,
        "with_demographics": not args.no_demographics,
    }
    source = source or args.source or movielens_example_gen.spec.SOURCE_TFDS
    return movielens_example_gen.Settings(
        source=source,
        input_path=args.input_path,
        tfds_name=args.tfds_name if source == movielens_example_gen.spec.SOURCE_TFDS else None,
        tfds_data_dir=args.tfds_data_dir,
        synthetic_config=synthetic if source == movielens_example_gen.spec.SOURCE_SYNTHETIC else {},
        split_mode=args.split,
        eval_fraction=args.eval_fraction,
        max_bad_rows=args.max_bad_rows,
        span=args.span,
        keep_duplicate_ratings=args.keep_duplicate_ratings,
        window_spans=args.window_spans,
    )


def evaluator_settings(args: argparse.Namespace) -> retrieval_evaluator.Settings:
    """The Evaluator's blessing rules from the training options.

    Args:
      args: Parsed options of ``add_training_arguments``.

    Returns:
      The pipeline's evaluator settings with the options applied.
    """
    return dataclasses.replace(
        config_lib.PIPELINE_EVALUATOR_SETTINGS,
        top_ks=args.top_ks,
        blessing_k=args.blessing_k,
        min_top_k_accuracy=args.min_top_k_accuracy,
        min_margin_over_baselines=args.min_margin_over_baselines,
        blessing_baselines=args.blessing_baselines,
        baseline_tolerance=args.baseline_tolerance,
        max_eval_examples=args.max_eval_examples,
    )


def hyperparameters(text: str) -> Dict[str, Any]:
    """Reads ``--hyperparameters``.

    Args:
      text: The option's JSON.

    Returns:
      The decoded value (its fields are checked by ``PipelineConfig``).

    Raises:
      ValueError: If it is not JSON, naming the option.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--hyperparameters is not JSON ({error}): {text!r}") from None


def pipeline_config(
    args: argparse.Namespace,
    *,
    example_gen: movielens_example_gen.Settings,
    pipeline_name: str,
    pipeline_root: str,
    push_destination: str,
    schema: str,
    beam_pipeline_args: List[str],
    enable_cache: bool,
) -> config_lib.PipelineConfig:
    """The whole pipeline's settings from the training options and what the caller decided.

    Args:
      args: Parsed options of ``add_training_arguments``.
      example_gen: The ExampleGen's settings.
      pipeline_name: The pipeline's name.
      pipeline_root: Its artifact root.
      push_destination: Where blessed models go.
      schema: The curated schema's name.
      beam_pipeline_args: Beam options.
      enable_cache: Reuse results of unchanged components.

    Returns:
      The checked settings.

    Raises:
      ValueError: On a bad setting, naming it.
    """
    return config_lib.PipelineConfig(
        pipeline_name=pipeline_name,
        pipeline_root=pipeline_root,
        push_destination=push_destination,
        example_gen=example_gen,
        schema=schema,
        bucketing=args.bucketing,
        hyperparameters=hyperparameters(args.hyperparameters),
        evaluator=evaluator_settings(args),
        warm_start=args.warm_start,
        analyzer_cache=args.analyzer_cache,
        beam_pipeline_args=beam_pipeline_args,
        enable_cache=enable_cache,
    )
