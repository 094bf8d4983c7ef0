"""``compile`` and ``schedule``: the command line of the Kubeflow deployment.

* ``movielens-tfx compile --target kubeflow --pipeline-root gs://... --image IMAGE
  --output spec.json`` compiles the pipeline (``pipeline/kubeflow_runner.py``).
* ``movielens-tfx schedule --spec spec.json --cron '0 3 * * *' --host URL``
  creates a recurring run on Kubeflow Pipelines (``pipeline/schedule.py``);
  ``--dry-run`` prints the request instead.

The data-source and training options are the ``run`` command's own.
"""

import argparse
import dataclasses
import json
import re
import sys

from pipeline import beam_profiles
from pipeline import cli
from pipeline import config as config_lib
from pipeline import kubeflow_runner
from pipeline import schedule

DEFAULT_PIPELINE_NAME = "movielens-retrieval"
PIPELINE_NAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{0,127}")
SERVING_FOLDER = "serving_model"


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # pylint: disable=protected-access
    """Registers ``compile`` and ``schedule``.

    Args:
      subparsers: The root parser's sub-commands.
    """
    compile_parser = subparsers.add_parser(
        "compile", help="compile the pipeline for Kubeflow Pipelines / Vertex AI (KFP v2 spec)"
    )
    _add_compile_arguments(compile_parser)
    cli._add_source_arguments(compile_parser)  # pylint: disable=protected-access
    cli._add_training_arguments(compile_parser)  # pylint: disable=protected-access
    compile_parser.set_defaults(handler=_compile)

    schedule_parser = subparsers.add_parser(
        "schedule", help="create a recurring run of a compiled spec on Kubeflow Pipelines"
    )
    _add_schedule_arguments(schedule_parser)
    schedule_parser.set_defaults(handler=_schedule)


def _add_compile_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deployment")
    group.add_argument("--target", choices=kubeflow_runner.TARGETS, default=kubeflow_runner.TARGET_KUBEFLOW,
                       help="kubeflow: Kubeflow Pipelines (no resolver tasks; also runs on Vertex AI); "
                            "vertex: Vertex AI Pipelines with TFX's latest-blessed-model resolver "
                            "(default: %(default)s)")
    group.add_argument("--pipeline-root", required=True,
                       help="artifact root every task can reach: gs://bucket/path or s3://bucket/path")
    group.add_argument("--image", required=True,
                       help="container image of this project (see Dockerfile), e.g. gcr.io/P/movielens-tfx:TAG")
    group.add_argument("--output", required=True,
                       help="spec file: .json (PipelineJob; for schedule and Vertex AI) or .yaml "
                            "(PipelineSpec; for the KFP UI)")
    group.add_argument("--push-destination", default=None,
                       help=f"where blessed models are pushed (default: PIPELINE_ROOT/{SERVING_FOLDER})")
    group.add_argument("--pipeline-name", default=DEFAULT_PIPELINE_NAME,
                       help="lower-case letters, digits and hyphens (default: %(default)s)")
    group.add_argument("--schema-dir", default=kubeflow_runner.IMAGE_SCHEMA_DIR,
                       help="the curated schemas' folder as tasks see it (default: inside the image)")
    group.add_argument("--trainer-cpu", type=float, default=None, help="CPU limit of the Trainer's pod")
    group.add_argument("--trainer-memory-gb", type=float, default=None,
                       help="memory limit of the Trainer's pod, in GB")

    beam = parser.add_argument_group("beam")
    beam.add_argument("--beam-profile", choices=sorted(beam_profiles.PROFILES),
                      default=beam_profiles.DIRECT,
                      help="where ExampleGen, StatisticsGen and Transform run Beam (default: %(default)s)")
    beam.add_argument("--beam-option", action="append", default=[], metavar="KEY=VALUE",
                      help="a setting of the profile, e.g. project=my-project (repeatable)")
    beam.add_argument("--beam-arg", action="append", default=[], metavar="--FLAG=VALUE",
                      help="any further Beam flag, appended as given; write it as "
                           "--beam-arg=--experiments=X (repeatable)")


def _add_schedule_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", required=True, help="compiled spec (.json or .yaml) from `compile`")
    parser.add_argument("--cron", required=True,
                        help="when to run: 5 fields (min hour day month weekday) or KFP's 6 "
                             "(seconds first), e.g. '0 3 * * *' for 03:00 daily")
    parser.add_argument("--host", default=None,
                        help="KFP API endpoint, e.g. http://ml-pipeline-ui.kubeflow:80 "
                             "(default: $KF_PIPELINES_ENDPOINT, else what the kfp client "
                             "finds from the Kubernetes configuration)")
    parser.add_argument("--namespace", default=None, help="user namespace (multi-user Kubeflow)")
    experiment = parser.add_mutually_exclusive_group()
    experiment.add_argument("--experiment", default=schedule.DEFAULT_EXPERIMENT,
                            help="experiment name, found or created (default: %(default)s)")
    experiment.add_argument("--experiment-id", default=None, help="an existing experiment's id")
    parser.add_argument("--job-name", default=None,
                        help="recurring run name (default: the spec's pipeline name + '-retrain')")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a pipeline parameter declared in the spec (repeatable)")
    parser.add_argument("--pipeline-root", default=None,
                        help="override the spec's pipeline root")
    parser.add_argument("--service-account", default=None, help="Kubernetes service account of the runs")
    parser.add_argument("--start-time", default=None, help="RFC 3339 time of the first run")
    parser.add_argument("--description", default=None)
    parser.add_argument("--disabled", action="store_true", help="create it paused")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the request that would be sent, and send nothing")


def compile_config(args: argparse.Namespace) -> config_lib.PipelineConfig:
    """Turns ``compile`` arguments into pipeline settings without touching data.

    ``cli.build_config`` maps the training options, but it also checks the
    data on this machine (TFDS prepared or GroupLens reachable, GroupLens file
    sizes and layout), which for a cluster run is wrong: the data is read in
    the cluster, from object storage. So it is given the same options with a
    synthetic source (for which it reads nothing), and the real source, the
    schema, the roots and the Beam options are put in afterwards.

    Args:
      args: Parsed ``compile`` arguments.

    Returns:
      The pipeline settings.

    Raises:
      ValueError: On settings that cannot be compiled.
    """
    from components.movielens_example_gen import spec as example_gen_spec  # pylint: disable=import-outside-toplevel

    offline = argparse.Namespace(**{
        **vars(args),
        "source": example_gen_spec.SOURCE_SYNTHETIC,
        "input_path": None,
        "schema": config_lib.SCHEMAS[0],
        "work_dir": cli.DEFAULT_WORK_DIR,
        "beam_mode": "in_memory",
        "beam_workers": 1,
        "no_cache": False,
    })
    if not PIPELINE_NAME_PATTERN.fullmatch(args.pipeline_name):
        raise ValueError(
            f"--pipeline-name {args.pipeline_name!r}: use lower-case letters, digits and "
            "hyphens, starting with a letter or digit (Vertex AI's rule; Kubeflow accepts it too)"
        )
    root = args.pipeline_root.rstrip("/")
    return dataclasses.replace(
        cli.build_config(offline),
        pipeline_name=args.pipeline_name,
        pipeline_root=root,
        push_destination=args.push_destination or f"{root}/{SERVING_FOLDER}",
        example_gen=cli._example_gen_config(args),  # pylint: disable=protected-access
        schema=_schema(args),
        beam_pipeline_args=beam_profiles.beam_args(
            args.beam_profile, beam_profiles.parse_options(args.beam_option), args.beam_arg
        ),
    )


def _schema(args: argparse.Namespace) -> str:
    """The curated schema; ``auto`` only where the settings alone decide it."""
    from components.movielens_example_gen import spec as example_gen_spec  # pylint: disable=import-outside-toplevel
    from components.movielens_example_gen.settings import Settings  # pylint: disable=import-outside-toplevel
    from pipeline import preflight  # pylint: disable=import-outside-toplevel

    if args.schema != "auto":
        return args.schema
    if args.source == example_gen_spec.SOURCE_GROUPLENS:
        raise ValueError(
            "--schema auto would read the GroupLens files at compile time; name the "
            f"schema: --schema {{{','.join(config_lib.SCHEMAS)}}}"
        )
    gen = cli._example_gen_config(args)  # pylint: disable=protected-access
    settings = Settings.from_exec_properties(
        {
            example_gen_spec.SOURCE_KEY: gen.source,
            example_gen_spec.TFDS_NAME_KEY: gen.tfds_name,
            example_gen_spec.SYNTHETIC_CONFIG_KEY: json.dumps(gen.synthetic_config),
            example_gen_spec.SPLIT_MODE_KEY: gen.split_mode,
            example_gen_spec.EVAL_FRACTION_KEY: gen.eval_fraction,
            example_gen_spec.MAX_BAD_ROWS_KEY: gen.max_bad_rows,
            example_gen_spec.SPAN_KEY: gen.span,
        }
    )
    return preflight.auto_schema(settings)


def _compile(args: argparse.Namespace) -> int:
    try:
        config = compile_config(args)
        settings = kubeflow_runner.KubeflowSettings(
            image=args.image,
            target=args.target,
            schema_dir=args.schema_dir,
            trainer_cpu=args.trainer_cpu,
            trainer_memory_gb=args.trainer_memory_gb,
        )
        job = kubeflow_runner.compile_pipeline(config, settings)
    except (ValueError, TypeError) as error:  # TypeError: a resolver TFX cannot compile
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.target == kubeflow_runner.TARGET_KUBEFLOW and config.analyzer_cache:
        print("note: the analyzer cache comes through a resolver, which the Kubeflow Pipelines "
              "backend does not run: each run analyses its data afresh (--target vertex keeps it)",
              file=sys.stderr)
    for uri, what in ((config.pipeline_root, "--pipeline-root"), (config.push_destination, "push destination")):
        if uri.startswith("s3://"):
            print(f"note: {what} {uri}: s3:// (and MinIO) needs tensorflow-io and apache-beam[aws] "
                  "in the image, which the pinned set lacks (docs/kubeflow.md)", file=sys.stderr)
        elif not kubeflow_runner.is_object_storage(uri):
            print(f"note: {what} {uri} is not on object storage (gs://, s3://); tasks in "
                  "other pods see it only through a shared volume", file=sys.stderr)
    kubeflow_runner.write_spec(job, args.output)
    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]
    print(f"Compiled {config.pipeline_name} for {args.target} ({len(tasks)} tasks, image "
          f"{args.image}, Beam {' '.join(config.beam_pipeline_args)}) into {args.output}")
    return 0


def _schedule(args: argparse.Namespace) -> int:
    try:
        request = schedule.RecurringRunRequest.from_spec_file(
            args.spec,
            cron=args.cron,
            job_name=args.job_name,
            experiment=args.experiment,
            experiment_id=args.experiment_id,
            parameters=schedule.parse_parameters(args.param),
            pipeline_root=args.pipeline_root,
            service_account=args.service_account,
            start_time=args.start_time,
            description=args.description,
            enabled=not args.disabled,
        )
    except (ValueError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(json.dumps(request.dry_run(args.host), indent=2, sort_keys=True))
        return 0
    import kfp_server_api  # pylint: disable=import-outside-toplevel
    import urllib3  # pylint: disable=import-outside-toplevel

    try:
        run = schedule.submit(request, host=args.host, namespace=args.namespace)
    except (urllib3.exceptions.HTTPError, kfp_server_api.ApiException) as error:
        where = args.host or "the kfp client's default endpoint"
        print(f"error: Kubeflow Pipelines at {where} refused the request: {error}", file=sys.stderr)
        return 1
    print(f"Recurring run {run.recurring_run_id} ({request.job_name}): {request.cron}, "
          f"at most {request.max_concurrency} at a time, no catch-up")
    return 0
