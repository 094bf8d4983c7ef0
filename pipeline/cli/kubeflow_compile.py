"""``compile``: the pipeline as a Kubeflow Pipelines / Vertex AI spec (``pipeline/kubeflow/runner.py``).

The data-source and training options are ``run``'s own; nothing is read from
the data at compile time (the cluster reads it, from object storage).
"""

import argparse
import dataclasses
import re
import sys

from pipeline.kubeflow import beam_profiles
from pipeline import config as config_lib
from pipeline.kubeflow import runner as kubeflow_runner
from pipeline.cli import errors, options

DEFAULT_PIPELINE_NAME = "movielens-retrieval"
PIPELINE_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")
SERVING_FOLDER = "serving_model"
EXAMPLE = """\
example:
  movielens-tfx compile --pipeline-root gs://BUCKET/movielens \\
      --image gcr.io/PROJECT/movielens-tfx:TAG --output spec.json \\
      --source grouplens --input-path gs://BUCKET/ml-100k.zip --schema ml-100k
"""


def register(commands: argparse._SubParsersAction) -> None:  # pylint: disable=protected-access
    """Adds the command to the root parser.

    Args:
      commands: The root parser's sub-commands.
    """
    parser = commands.add_parser(
        "compile", help="compile the pipeline for Kubeflow Pipelines / Vertex AI (KFP v2 spec)",
        description="Compiles the pipeline with TFX's KubeflowV2DagRunner into a PipelineJob "
                    "(.json) or PipelineSpec (.yaml); reads no data.",
        epilog=EXAMPLE, formatter_class=options.HelpFormatter,
    )
    _add_deployment_arguments(parser)
    options.add_source_arguments(parser)
    options.add_training_arguments(parser)
    parser.set_defaults(handler=handle)


def _add_deployment_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deployment")
    group.add_argument("--target", choices=kubeflow_runner.TARGETS, default=kubeflow_runner.TARGET_KUBEFLOW,
                       help="kubeflow: Kubeflow Pipelines; vertex: Vertex AI Pipelines (the same "
                            "spec: the pipeline has no resolver task)")
    group.add_argument("--pipeline-root", required=True,
                       help="artifact root every task can reach: gs://bucket/path or s3://bucket/path")
    group.add_argument("--image", required=True,
                       help="container image of this project (see Dockerfile), e.g. gcr.io/P/movielens-tfx:TAG")
    group.add_argument("--output", required=True,
                       help="spec file: .json (PipelineJob; for schedule and Vertex AI) or .yaml "
                            "(PipelineSpec; for the KFP UI)")
    group.add_argument("--push-destination", default=None,
                       help=f"where blessed models are pushed (None: PIPELINE_ROOT/{SERVING_FOLDER})")
    group.add_argument("--pipeline-name", default=DEFAULT_PIPELINE_NAME,
                       help="lower-case letters, digits and hyphens")
    group.add_argument("--schema-dir", default=kubeflow_runner.IMAGE_SCHEMA_DIR,
                       help="the curated schemas' folder as tasks see it (default: inside the image)")
    group.add_argument("--skip-unchanged", action="store_true",
                       help="for scheduled runs: a RetrainGate task runs first and the rest only "
                            "when the newest span, its data, the settings or the code changed "
                            "since the last completed run (recorded under the pipeline root)")
    group.add_argument("--trainer-cpu", type=float, default=None, help="CPU limit of the Trainer's pod")
    group.add_argument("--trainer-memory-gb", type=float, default=None,
                       help="memory limit of the Trainer's pod, in GB")

    beam = parser.add_argument_group("beam")
    beam.add_argument("--beam-profile", choices=sorted(beam_profiles.PROFILES),
                      default=beam_profiles.DIRECT,
                      help="where ExampleGen, StatisticsGen and Transform run Beam")
    beam.add_argument("--beam-option", action="append", default=[], metavar="KEY=VALUE",
                      help="a setting of the profile, e.g. project=my-project (repeatable)")
    beam.add_argument("--beam-arg", action="append", default=[], metavar="--FLAG=VALUE",
                      help="any further Beam flag, appended as given; write it as "
                           "--beam-arg=--experiments=X (repeatable)")


def compile_config(args: argparse.Namespace) -> config_lib.PipelineConfig:
    """The pipeline settings of a ``compile``, without touching data.

    Args:
      args: Parsed ``compile`` options.

    Returns:
      The pipeline settings.

    Raises:
      errors.RequestError: On settings that cannot be compiled.
    """
    from pipeline import preflight  # pylint: disable=import-outside-toplevel  # TensorFlow

    with errors.checking_request():
        if not PIPELINE_NAME_PATTERN.fullmatch(args.pipeline_name):
            raise ValueError(
                f"--pipeline-name {args.pipeline_name!r}: use lower-case letters, digits and "
                "hyphens, starting with a letter or digit (Vertex AI's rule; Kubeflow accepts it too)"
            )
        example_gen = options.example_gen_settings(args)
        schema = args.schema
        if schema == options.SCHEMA_AUTO:
            schema = preflight.schema_from_settings(example_gen)
        if schema is None:
            raise ValueError(
                "--schema auto would read the GroupLens files at compile time; name the "
                f"schema: --schema {{{','.join(config_lib.SCHEMAS)}}}"
            )
        root = args.pipeline_root.rstrip("/")
        config = options.pipeline_config(
            args,
            example_gen=example_gen,
            pipeline_name=args.pipeline_name,
            pipeline_root=root,
            push_destination=args.push_destination or f"{root}/{SERVING_FOLDER}",
            schema=schema,
            beam_pipeline_args=beam_profiles.beam_args(
                args.beam_profile, beam_profiles.parse_options(args.beam_option), args.beam_arg
            ),
            # A compiled pipeline runs with KFP's cache off (kubeflow_runner).
            enable_cache=False,
        )
        return dataclasses.replace(config, skip_unchanged=args.skip_unchanged)


def handle(args: argparse.Namespace) -> int:
    """Compiles and writes the spec.

    Args:
      args: Parsed options.

    Returns:
      0 once written.
    """
    config = compile_config(args)
    with errors.checking_request():
        settings = kubeflow_runner.KubeflowSettings(
            image=args.image,
            target=args.target,
            schema_dir=args.schema_dir,
            trainer_cpu=args.trainer_cpu,
            trainer_memory_gb=args.trainer_memory_gb,
        )
        job = kubeflow_runner.compile_pipeline(config, settings)
    _print_notes(config)
    kubeflow_runner.write_spec(job, args.output)
    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]
    print(f"Compiled {config.pipeline_name} for {args.target} ({len(tasks)} tasks, image "
          f"{args.image}, Beam {' '.join(config.beam_pipeline_args) or 'defaults: DirectRunner in memory'}) into {args.output}")
    return 0


def _print_notes(config: config_lib.PipelineConfig) -> None:
    """Warns about settings that compile but do less on the cluster than locally."""
    for uri, what in ((config.pipeline_root, "--pipeline-root"), (config.push_destination, "push destination")):
        if uri.startswith("s3://"):
            print(f"note: {what} {uri}: s3:// (and MinIO) needs tensorflow-io and apache-beam[aws] "
                  "in the image, which the pinned set lacks (docs/kubeflow.md)", file=sys.stderr)
        elif not kubeflow_runner.is_object_storage(uri):
            print(f"note: {what} {uri} is not on object storage (gs://, s3://); tasks in "
                  "other pods see it only through a shared volume", file=sys.stderr)
