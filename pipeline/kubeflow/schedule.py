"""Recurring (batch retraining) runs of the compiled pipeline on Kubeflow Pipelines.

``RecurringRunRequest`` holds everything a recurring run needs: the compiled
PipelineSpec, a cron schedule, at most one run at a time, no catch-up after
downtime, the pipeline root and the run parameters. ``submit`` sends it with
the kfp client (``kfp.Client.create_recurring_run``, KFP API v2beta1);
``RecurringRunRequest.dry_run`` shows the same request without a cluster.
"""

import dataclasses
import json
import os
import tempfile
from typing import Any, Dict, Mapping, Optional, Sequence

import yaml
from google.protobuf import json_format

DEFAULT_EXPERIMENT = "movielens-retrieval"
RECURRING_RUNS_PATH = "/apis/v2beta1/recurringruns"
JOB_NAME_SUFFIX = "-retrain"
_CRON_FIELDS = ("second", "minute", "hour", "day of month", "month", "day of week")


def normalize_cron(expression: str) -> str:
    """Turns a crontab expression into KFP's six-field form.

    KFP schedules with robfig/cron, whose first field is the second; a
    five-field crontab expression gets ``0`` seconds.

    Args:
      expression: Five fields (crontab) or six (seconds first).

    Returns:
      Six space-separated fields.

    Raises:
      ValueError: On another number of fields.
    """
    fields = expression.split()
    if len(fields) == 5:
        fields = ["0"] + fields
    if len(fields) != 6:
        raise ValueError(
            f"cron expression {expression!r} has {len(fields)} fields; give 5 (minute hour "
            f"day-of-month month day-of-week) or KFP's 6 ({' '.join(_CRON_FIELDS)})"
        )
    return " ".join(fields)


def parse_parameters(pairs: Sequence[str]) -> Dict[str, Any]:
    """Parses ``KEY=VALUE`` run parameters; values are JSON when they parse.

    Args:
      pairs: As given on the command line (``span=3``, ``name=abc``).

    Returns:
      Parameter name to value (``3`` an int, ``abc`` a string).

    Raises:
      ValueError: If a pair has no ``=``.
    """
    parameters = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param takes KEY=VALUE, got {pair!r}")
        try:
            parameters[key] = json.loads(text)
        except json.JSONDecodeError:
            parameters[key] = text
    return parameters


def load_compiled(path: str) -> Dict[str, Any]:
    """Reads a compiled pipeline: JSON PipelineJob or YAML PipelineSpec.

    Args:
      path: From ``movielens-tfx compile``.

    Returns:
      ``{"pipeline_spec": dict, "pipeline_root": str or None}``; the spec in
      the normal form the kfp client sends (proto field names in camelCase).
    """
    with open(path, encoding="utf-8") as handle:
        document = yaml.safe_load(handle) if path.endswith((".yaml", ".yml")) else json.load(handle)
    spec = document.get("pipelineSpec", document)
    root = document.get("runtimeConfig", {}).get("gcsOutputDirectory") or spec.get("defaultPipelineRoot")
    # Imported here: ``kfp`` loads its whole client first (most of the command
    # line's start-up otherwise).
    from kfp.pipeline_spec import pipeline_spec_pb2  # pylint: disable=import-outside-toplevel

    normal = json_format.MessageToDict(json_format.ParseDict(spec, pipeline_spec_pb2.PipelineSpec()))
    return {"pipeline_spec": normal, "pipeline_root": root}


@dataclasses.dataclass(frozen=True)
class RecurringRunRequest:
    """A recurring run of a compiled pipeline.

    Attributes:
      pipeline_spec: The PipelineSpec dict.
      cron: Six-field cron schedule (KFP's form).
      job_name: The recurring run's display name.
      pipeline_root: Where the runs' artifacts go.
      parameters: Run parameters (declared in the spec's root inputs).
      experiment: Experiment name, found or created before submitting.
      experiment_id: An existing experiment's id (skips the lookup).
      max_concurrency: Runs at once; 1, so a slow run never overlaps the next.
      no_catchup: After downtime start one run, not one per missed slot.
      enabled: Start scheduling at once.
      service_account: Kubernetes service account of the runs.
      start_time: RFC 3339 time of the first run (None: now).
      description: Free text.
    """

    pipeline_spec: Dict[str, Any]
    cron: str
    job_name: str
    pipeline_root: str
    parameters: Dict[str, Any] = dataclasses.field(default_factory=dict)
    experiment: str = DEFAULT_EXPERIMENT
    experiment_id: Optional[str] = None
    max_concurrency: int = 1
    no_catchup: bool = True
    enabled: bool = True
    service_account: Optional[str] = None
    start_time: Optional[str] = None
    description: Optional[str] = None

    @classmethod
    def from_spec_file(
        cls,
        path: str,
        cron: str,
        job_name: Optional[str] = None,
        parameters: Optional[Mapping[str, Any]] = None,
        pipeline_root: Optional[str] = None,
        **kwargs: Any,
    ) -> "RecurringRunRequest":
        """Builds the request for a compiled spec file, checking it.

        Args:
          path: The compiled spec (``.json`` or ``.yaml``).
          cron: Five- or six-field cron expression.
          job_name: Default: the pipeline's name + ``-retrain``.
          parameters: Run parameters; each must be declared by the spec.
          pipeline_root: Overrides the spec's pipeline root.
          **kwargs: Further fields (experiment, service_account, ...); None
            values keep the defaults.

        Returns:
          The request.

        Raises:
          ValueError: On an undeclared parameter, a missing pipeline root or
            a bad cron expression.
        """
        compiled = load_compiled(path)
        spec = compiled["pipeline_spec"]
        declared = spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
        unknown = sorted(set(parameters or {}) - set(declared))
        if unknown:
            raise ValueError(
                f"the pipeline declares no parameter {', '.join(unknown)}; "
                f"it declares: {', '.join(sorted(declared)) or 'none'}"
            )
        root = pipeline_root or compiled["pipeline_root"]
        if not root:
            raise ValueError(f"{path} names no pipeline root; pass --pipeline-root")
        return cls(
            pipeline_spec=spec,
            cron=normalize_cron(cron),
            job_name=job_name or spec["pipelineInfo"]["name"] + JOB_NAME_SUFFIX,
            pipeline_root=root,
            parameters=dict(parameters or {}),
            **{key: value for key, value in kwargs.items() if value is not None},
        )

    def body(self, experiment_id: str):
        """The request body, as kfp's ``create_recurring_run`` builds it.

        Args:
          experiment_id: The experiment the recurring run belongs to.

        Returns:
          A ``kfp_server_api.V2beta1RecurringRun``.
        """
        import kfp_server_api  # pylint: disable=import-outside-toplevel

        return kfp_server_api.V2beta1RecurringRun(
            experiment_id=experiment_id,
            mode=(
                kfp_server_api.RecurringRunMode.ENABLE
                if self.enabled
                else kfp_server_api.RecurringRunMode.DISABLE
            ),
            pipeline_spec=self.pipeline_spec,
            pipeline_version_reference=None,
            runtime_config=kfp_server_api.V2beta1RuntimeConfig(
                pipeline_root=self.pipeline_root, parameters=self.parameters
            ),
            display_name=self.job_name,
            description=self.description,
            no_catchup=self.no_catchup,
            trigger=kfp_server_api.V2beta1Trigger(
                cron_schedule=kfp_server_api.V2beta1CronSchedule(
                    start_time=self.start_time, end_time=None, cron=self.cron
                )
            ),
            max_concurrency=self.max_concurrency,
            service_account=self.service_account,
        )

    def dry_run(self, host: Optional[str] = None) -> Dict[str, Any]:
        """The HTTP request ``submit`` would send, as JSON-ready data.

        Args:
          host: The KFP endpoint (shown in the URL).

        Returns:
          ``method``, ``url``, ``experiment`` (how its id is obtained) and
          ``body``: the exact JSON body of the POST.
        """
        import kfp_server_api  # pylint: disable=import-outside-toplevel

        experiment_id = self.experiment_id or f"<id of experiment {self.experiment!r}>"
        body = kfp_server_api.ApiClient().sanitize_for_serialization(self.body(experiment_id))
        return {
            "method": "POST",
            "url": (host or "$KF_PIPELINES_ENDPOINT").rstrip("/") + RECURRING_RUNS_PATH,
            "experiment": (
                {"id": self.experiment_id}
                if self.experiment_id
                else {"name": self.experiment, "id": "found or created before the POST"}
            ),
            "body": body,
        }


def submit(request: RecurringRunRequest, host: Optional[str] = None, namespace: Optional[str] = None):
    """Creates the recurring run with the kfp client.

    Args:
      request: What to schedule.
      host: The KFP endpoint (None: ``$KF_PIPELINES_ENDPOINT``, else the kfp
        client's default from the Kubernetes configuration).
      namespace: The user namespace of multi-user Kubeflow.

    Returns:
      The created ``V2beta1RecurringRun``.
    """
    import kfp  # pylint: disable=import-outside-toplevel

    client = kfp.Client(host=host, namespace=namespace or "kubeflow")
    experiment_id = request.experiment_id or client.create_experiment(
        request.experiment, namespace=namespace
    ).experiment_id
    with tempfile.TemporaryDirectory() as folder:
        package = os.path.join(folder, "pipeline.yaml")
        with open(package, "w", encoding="utf-8") as handle:
            yaml.safe_dump(request.pipeline_spec, handle, sort_keys=True)
        return client.create_recurring_run(
            experiment_id=experiment_id,
            job_name=request.job_name,
            description=request.description,
            start_time=request.start_time,
            cron_expression=request.cron,
            max_concurrency=request.max_concurrency,
            no_catchup=request.no_catchup,
            params=request.parameters,
            pipeline_package_path=package,
            enabled=request.enabled,
            pipeline_root=request.pipeline_root,
            service_account=request.service_account,
        )
