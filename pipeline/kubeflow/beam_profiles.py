"""Named sets of Beam pipeline options, selectable on the command line.

The pipeline's Beam components (ExampleGen, StatisticsGen, Transform) run on
whatever engine these options name; we run no engine of our own. A profile
turns a few settings (``--beam-option KEY=VALUE``) into the Beam arguments that
``PipelineConfig.beam_pipeline_args`` hands to every Beam component:

* ``direct``: Beam's DirectRunner in memory, in the component's own process.
* ``direct-multiprocessing``: DirectRunner with worker processes (one per
  core by default); pays off from about a million ratings (docs/benchmarks.md).
* ``dataflow``: Google Cloud Dataflow.
* ``flink``: a Flink cluster through its Beam job server (PortableRunner).
* ``spark``: a Spark cluster, through a Beam Spark job server
  (PortableRunner) or Beam's SparkRunner, which starts that job server itself.
* ``portable``: any Beam job service (PortableRunner), by default with an
  external SDK worker pool (``environment_type=EXTERNAL``): the shape of a
  Flink or Spark deployment with worker-pool sidecars, and of Beam's own
  Python job server, which tests/pipeline/test_portable_runner.py runs.

Workers of the distributed engines must be able to import this project (the
``preprocessing_fn`` and our ExampleGen run there): give them this pipeline's
container image (its entry point is Beam's worker boot program, see
``Dockerfile``), or a ``setup_file`` for Dataflow.
"""

import dataclasses
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

DIRECT = "direct"
DIRECT_MULTIPROCESSING = "direct-multiprocessing"
DATAFLOW = "dataflow"
FLINK = "flink"
SPARK = "spark"
PORTABLE = "portable"

# Beam's environment types for portable runners (PortableOptions).
ENVIRONMENT_TYPES = ("DOCKER", "EXTERNAL", "PROCESS", "LOOPBACK")
# The Beam SDK's worker entry point inside this pipeline's image.
BEAM_BOOT = "/opt/apache/beam/boot"


class BeamProfileError(ValueError):
    """A profile name or setting is wrong or missing."""


@dataclasses.dataclass(frozen=True)
class Setting:
    """One setting of a profile.

    Attributes:
      name: The key given as ``--beam-option NAME=VALUE``.
      help: What it is, shown in errors and ``--help``.
      required: The profile cannot work without it.
      default: Used when not given (None: left out).
    """

    name: str
    help: str
    required: bool = False
    default: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class BeamProfile:
    """A named way to run Beam.

    Attributes:
      name: Selected with ``--beam-profile``.
      description: One line for ``--help``.
      settings: What may be set with ``--beam-option``.
      build: Turns complete settings (defaults applied, required present)
        into Beam arguments; raises ``BeamProfileError`` on bad combinations.
    """

    name: str
    description: str
    settings: Tuple[Setting, ...]
    build: Callable[[Dict[str, str]], List[str]]

    def args(self, options: Mapping[str, str]) -> List[str]:
        """The Beam arguments for these settings.

        Args:
          options: Setting name to value.

        Returns:
          Beam pipeline arguments (``--name=value``).

        Raises:
          BeamProfileError: On unknown or missing settings.
        """
        known = {setting.name: setting for setting in self.settings}
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise BeamProfileError(
                f"beam profile {self.name!r} has no setting {', '.join(map(repr, unknown))}; "
                f"its settings: {self.describe_settings()}"
            )
        values = {s.name: s.default for s in self.settings if s.default is not None}
        values.update({key: value for key, value in options.items() if value != ""})
        missing = [s for s in self.settings if s.required and not values.get(s.name)]
        if missing:
            wanted = " ".join(f"--beam-option {s.name}=..." for s in missing)
            details = "; ".join(f"{s.name}: {s.help}" for s in missing)
            raise BeamProfileError(
                f"beam profile {self.name!r} needs {wanted} ({details})"
            )
        return self.build(values)

    def describe_settings(self) -> str:
        """The settings as ``name (required)``, for messages."""
        if not self.settings:
            return "none"
        return ", ".join(
            s.name + (" (required)" if s.required else "") for s in self.settings
        )


def _flag(name: str, value: Optional[str]) -> List[str]:
    return [] if value is None else [f"--{name}={value}"]


def direct_runner_args(multi_processing: bool, workers: int = 0) -> List[str]:
    """Beam DirectRunner's flags: the one place they are written.

    In memory, none: Beam's defaults are the DirectRunner in memory with one
    worker, and TFX, given any Beam flag without a dependency flag, packages
    its own installation into an sdist for every Beam component
    (``tfx.utils.dependency_utils.make_beam_dependency_flags``: 4-8 s per
    component on this machine, and a folder left in the temp directory),
    which a runner inside the component's process never uses.

    Args:
      multi_processing: Worker processes (else in memory, in the calling
        process).
      workers: With worker processes, how many (0: one per core, as Beam
        counts them where it runs).

    Returns:
      Beam pipeline arguments.
    """
    if not multi_processing:
        return []
    return [
        "--runner=DirectRunner",
        "--direct_running_mode=multi_processing",
        f"--direct_num_workers={workers}",
    ]


def _direct(values: Dict[str, str]) -> List[str]:
    del values
    return direct_runner_args(multi_processing=False)


def _direct_multiprocessing(values: Dict[str, str]) -> List[str]:
    workers = values["workers"]
    if not workers.isdigit():
        raise BeamProfileError(f"workers must be a whole number (0: one per core), got {workers!r}")
    return direct_runner_args(multi_processing=True, workers=int(workers))


def _dataflow(values: Dict[str, str]) -> List[str]:
    image, setup_file = values.get("worker_image"), values.get("setup_file")
    if bool(image) == bool(setup_file):
        raise BeamProfileError(
            "beam profile 'dataflow' needs exactly one of --beam-option worker_image=IMAGE "
            "(this pipeline's image; recommended) or --beam-option setup_file=PATH (setup.py "
            "inside the launching container: /opt/movielens-tfx/setup.py in this pipeline's "
            "image): Dataflow workers must import this project"
        )
    if not values["temp_location"].startswith("gs://"):
        raise BeamProfileError(
            f"dataflow temp_location must be a gs:// path, got {values['temp_location']!r}"
        )
    args = [
        "--runner=DataflowRunner",
        f"--project={values['project']}",
        f"--region={values['region']}",
        f"--temp_location={values['temp_location']}",
    ]
    args += _flag("sdk_container_image", image)
    args += _flag("setup_file", setup_file)
    args += _flag("machine_type", values.get("machine_type"))
    args += _flag("max_num_workers", values.get("max_num_workers"))
    args += _flag("service_account_email", values.get("service_account"))
    args += _flag("subnetwork", values.get("subnetwork"))
    return args


def _portable_environment(profile: str, values: Dict[str, str]) -> List[str]:
    environment = values["environment_type"].upper()
    if environment not in ENVIRONMENT_TYPES:
        raise BeamProfileError(
            f"environment_type must be one of {ENVIRONMENT_TYPES}, got {values['environment_type']!r}"
        )
    config = values.get("environment_config")
    if environment == "PROCESS" and not config:
        config = '{"command": "%s"}' % BEAM_BOOT
    if environment in ("DOCKER", "EXTERNAL") and not config:
        what = "this pipeline's image" if environment == "DOCKER" else "the worker pool address HOST:PORT"
        raise BeamProfileError(
            f"beam profile {profile!r} with environment_type={environment} needs "
            f"--beam-option environment_config=... ({what})"
        )
    if environment == "LOOPBACK" and config:
        raise BeamProfileError("environment_type=LOOPBACK takes no environment_config")
    args = [f"--environment_type={environment}"] + _flag("environment_config", config)
    return args + _flag("sdk_worker_parallelism", values.get("sdk_worker_parallelism"))


def _job_service(values: Dict[str, str]) -> List[str]:
    args = ["--runner=PortableRunner", f"--job_endpoint={values['job_endpoint']}"]
    return args + _flag("artifact_endpoint", values.get("artifact_endpoint"))


def _flink(values: Dict[str, str]) -> List[str]:
    args = _job_service(values) + _portable_environment(FLINK, values)
    return args + _flag("parallelism", values.get("parallelism"))


def _portable(values: Dict[str, str]) -> List[str]:
    return _job_service(values) + _portable_environment(PORTABLE, values)


def _spark(values: Dict[str, str]) -> List[str]:
    endpoint, master = values.get("job_endpoint"), values.get("spark_master_url")
    if bool(endpoint) == bool(master):
        raise BeamProfileError(
            "beam profile 'spark' needs exactly one of --beam-option job_endpoint=HOST:PORT "
            "(a running Beam Spark job server; PortableRunner) or --beam-option "
            "spark_master_url=spark://HOST:7077 (SparkRunner, which starts a job server itself "
            "and so needs Java and the job server jar)"
        )
    if endpoint:
        args = _job_service(values)
    else:
        args = ["--runner=SparkRunner", f"--spark_master_url={master}"]
        args += _flag("spark_job_server_jar", values.get("spark_job_server_jar"))
    return args + _portable_environment(SPARK, values)


def _environment_settings(default_type: str) -> Tuple[Setting, ...]:
    """The settings of where a portable runner's user code runs."""
    return (
        Setting("environment_type", "where user code runs: " + ", ".join(ENVIRONMENT_TYPES),
                default=default_type),
        Setting("environment_config", "DOCKER: this pipeline's image; EXTERNAL: worker pool HOST:PORT; "
                f"PROCESS: JSON command (default {BEAM_BOOT})"),
        Setting("sdk_worker_parallelism", "SDK worker processes per engine worker"),
    )


PROFILES: Dict[str, BeamProfile] = {
    profile.name: profile
    for profile in (
        BeamProfile(DIRECT, "DirectRunner in memory, in the component's process (small data)",
                    (), _direct),
        BeamProfile(
            DIRECT_MULTIPROCESSING,
            "DirectRunner with worker processes (about 1M ratings and more)",
            (Setting("workers", "worker processes; 0: one per core the process sees", default="0"),),
            _direct_multiprocessing,
        ),
        BeamProfile(
            DATAFLOW,
            "Google Cloud Dataflow",
            (
                Setting("project", "Google Cloud project", required=True),
                Setting("region", "Dataflow region, e.g. us-central1", required=True),
                Setting("temp_location", "gs:// folder for temporary files", required=True),
                Setting("worker_image", "worker container image (this pipeline's image)"),
                Setting("setup_file", "setup.py in the launching container (instead of worker_image)"),
                Setting("machine_type", "worker machine type, e.g. n2-standard-4"),
                Setting("max_num_workers", "autoscaling limit"),
                Setting("service_account", "worker service account e-mail"),
                Setting("subnetwork", "worker subnetwork (regions/R/subnetworks/S)"),
            ),
            _dataflow,
        ),
        BeamProfile(
            FLINK,
            "Flink cluster through a Beam Flink job server (PortableRunner)",
            (
                Setting("job_endpoint", "the Beam Flink job server, HOST:PORT (port 8099)", required=True),
                Setting("artifact_endpoint", "artifact staging HOST:PORT (default: the job server's)"),
                Setting("parallelism", "Flink parallelism (default: the cluster's)"),
            )
            + _environment_settings("DOCKER"),
            _flink,
        ),
        BeamProfile(
            SPARK,
            "Spark cluster: Beam Spark job server (PortableRunner) or SparkRunner",
            (
                Setting("job_endpoint", "a running Beam Spark job server, HOST:PORT"),
                Setting("spark_master_url", "spark://HOST:7077, for SparkRunner"),
                Setting("spark_job_server_jar", "SparkRunner: local path or URL of the job server jar"),
            )
            + _environment_settings("DOCKER"),
            _spark,
        ),
        BeamProfile(
            PORTABLE,
            "any Beam job service (PortableRunner), by default with an external SDK worker pool",
            (
                Setting("job_endpoint", "the Beam job service, HOST:PORT", required=True),
                Setting("artifact_endpoint", "artifact staging HOST:PORT (default: the job service's)"),
            )
            + _environment_settings("EXTERNAL"),
            _portable,
        ),
    )
}


def parse_options(pairs: Sequence[str]) -> Dict[str, str]:
    """Parses ``KEY=VALUE`` strings.

    Args:
      pairs: As given on the command line.

    Returns:
      Key to value (later keys win).

    Raises:
      BeamProfileError: If a pair has no ``=`` or an empty key.
    """
    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BeamProfileError(f"--beam-option takes KEY=VALUE, got {pair!r}")
        options[key.strip()] = value.strip()
    return options


def beam_args(
    profile: str,
    options: Optional[Mapping[str, str]] = None,
    extra_args: Sequence[str] = (),
) -> List[str]:
    """The Beam pipeline arguments of a named profile.

    Args:
      profile: One of ``PROFILES``.
      options: The profile's settings.
      extra_args: Further Beam arguments, appended as given.

    Returns:
      Beam pipeline arguments.

    Raises:
      BeamProfileError: On an unknown profile or wrong settings.
    """
    if profile not in PROFILES:
        raise BeamProfileError(f"unknown beam profile {profile!r}; choose one of {sorted(PROFILES)}")
    bad = [arg for arg in extra_args if not arg.startswith("--")]
    if bad:
        raise BeamProfileError(f"--beam-arg takes Beam flags such as --experiments=X, got {bad}")
    return PROFILES[profile].args(dict(options or {})) + list(extra_args)
