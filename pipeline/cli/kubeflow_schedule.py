"""``schedule``: a recurring run of a compiled spec on Kubeflow Pipelines (``pipeline/kubeflow/schedule.py``)."""

import argparse
import json

from pipeline.kubeflow import schedule
from pipeline.cli import errors, options

EXAMPLE = """\
examples:
  movielens-tfx schedule --spec spec.json --cron '0 3 * * *' --dry-run
  movielens-tfx schedule --spec spec.json --cron '0 3 * * *' --host http://ml-pipeline-ui.kubeflow:80
"""


def register(commands: argparse._SubParsersAction) -> None:  # pylint: disable=protected-access
    """Adds the command to the root parser.

    Args:
      commands: The root parser's sub-commands.
    """
    parser = commands.add_parser(
        "schedule", help="create a recurring run of a compiled spec on Kubeflow Pipelines",
        description="Creates a recurring run (at most one at a time, no catch-up) of a spec "
                    "written by compile.",
        epilog=EXAMPLE, formatter_class=options.HelpFormatter,
    )
    parser.add_argument("--spec", required=True, help="compiled spec (.json or .yaml) from compile")
    parser.add_argument("--cron", required=True,
                        help="when to run: 5 fields (min hour day month weekday) or KFP's 6 "
                             "(seconds first), e.g. '0 3 * * *' for 03:00 daily")
    parser.add_argument("--host", default=None,
                        help="KFP API endpoint, e.g. http://ml-pipeline-ui.kubeflow:80 "
                             "(None: $KF_PIPELINES_ENDPOINT, else what the kfp client "
                             "finds from the Kubernetes configuration)")
    parser.add_argument("--namespace", default=None, help="user namespace (multi-user Kubeflow)")
    experiment = parser.add_mutually_exclusive_group()
    experiment.add_argument("--experiment", default=schedule.DEFAULT_EXPERIMENT,
                            help="experiment name, found or created")
    experiment.add_argument("--experiment-id", default=None, help="an existing experiment's id")
    parser.add_argument("--job-name", default=None,
                        help="recurring run name (None: the spec's pipeline name + '-retrain')")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a pipeline parameter declared in the spec (repeatable)")
    parser.add_argument("--pipeline-root", default=None, help="override the spec's pipeline root")
    parser.add_argument("--service-account", default=None, help="Kubernetes service account of the runs")
    parser.add_argument("--start-time", default=None, help="RFC 3339 time of the first run")
    parser.add_argument("--description", default=None, help="the recurring run's description")
    parser.add_argument("--disabled", action="store_true", help="create it paused")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the request that would be sent, and send nothing")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Creates the recurring run (or prints it, with ``--dry-run``).

    Args:
      args: Parsed options.

    Returns:
      0 once created or printed.

    Raises:
      errors.ServiceError: If Kubeflow Pipelines refused the request.
    """
    with errors.checking_request():
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
        except OSError as error:
            raise ValueError(f"cannot read --spec {args.spec}: {error}") from error
    if args.dry_run:
        print(json.dumps(request.dry_run(args.host), indent=2, sort_keys=True))
        return 0
    # pylint: disable=import-outside-toplevel  # the KFP client, only when sending
    import kfp_server_api
    import urllib3

    try:
        run = schedule.submit(request, host=args.host, namespace=args.namespace)
    except (urllib3.exceptions.HTTPError, kfp_server_api.ApiException) as error:
        where = args.host or "the kfp client's default endpoint"
        raise errors.ServiceError(
            f"Kubeflow Pipelines at {where} refused the request: {error}"
        ) from error
    print(f"Recurring run {run.recurring_run_id} ({request.job_name}): {request.cron}, "
          f"at most {request.max_concurrency} at a time, no catch-up")
    return 0
