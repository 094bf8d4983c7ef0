"""Beam profiles: the arguments each yields, clear errors, and Beam accepting them."""

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions
from apache_beam.testing.util import assert_that, equal_to
from tfx.dsl.components.base import base_beam_executor
from tfx.utils import dependency_utils

from pipeline import cli
from pipeline.kubeflow import beam_profiles
from pipeline.kubeflow.beam_profiles import BeamProfileError, beam_args

IMAGE = "registry.example/movielens-tfx:1"

EXPECTED = [
    (beam_profiles.DIRECT, {}, []),
    (beam_profiles.DIRECT_MULTIPROCESSING, {}, [
        "--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=0",
    ]),
    (beam_profiles.DIRECT_MULTIPROCESSING, {"workers": "2"}, [
        "--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2",
    ]),
    (beam_profiles.DATAFLOW,
     {"project": "p", "region": "us-central1", "temp_location": "gs://b/tmp", "worker_image": IMAGE,
      "machine_type": "n2-standard-4", "max_num_workers": "10"}, [
        "--runner=DataflowRunner", "--project=p", "--region=us-central1", "--temp_location=gs://b/tmp",
        f"--sdk_container_image={IMAGE}", "--machine_type=n2-standard-4", "--max_num_workers=10",
    ]),
    (beam_profiles.DATAFLOW,
     {"project": "p", "region": "us-central1", "temp_location": "gs://b/tmp",
      "setup_file": "/opt/movielens-tfx/setup.py"}, [
        "--runner=DataflowRunner", "--project=p", "--region=us-central1", "--temp_location=gs://b/tmp",
        "--setup_file=/opt/movielens-tfx/setup.py",
    ]),
    (beam_profiles.FLINK, {"job_endpoint": "flink-jobserver:8099", "environment_config": IMAGE}, [
        "--runner=PortableRunner", "--job_endpoint=flink-jobserver:8099",
        "--environment_type=DOCKER", f"--environment_config={IMAGE}",
    ]),
    (beam_profiles.FLINK,
     {"job_endpoint": "flink-jobserver:8099", "environment_type": "external",
      "environment_config": "localhost:50000", "parallelism": "8"}, [
        "--runner=PortableRunner", "--job_endpoint=flink-jobserver:8099",
        "--environment_type=EXTERNAL", "--environment_config=localhost:50000", "--parallelism=8",
    ]),
    (beam_profiles.FLINK, {"job_endpoint": "localhost:8099", "environment_type": "PROCESS"}, [
        "--runner=PortableRunner", "--job_endpoint=localhost:8099",
        "--environment_type=PROCESS", '--environment_config={"command": "/opt/apache/beam/boot"}',
    ]),
    (beam_profiles.SPARK, {"job_endpoint": "spark-jobserver:8099", "environment_type": "LOOPBACK"}, [
        "--runner=PortableRunner", "--job_endpoint=spark-jobserver:8099", "--environment_type=LOOPBACK",
    ]),
    (beam_profiles.SPARK, {"spark_master_url": "spark://master:7077", "environment_config": IMAGE}, [
        "--runner=SparkRunner", "--spark_master_url=spark://master:7077",
        "--environment_type=DOCKER", f"--environment_config={IMAGE}",
    ]),
    (beam_profiles.PORTABLE, {"job_endpoint": "localhost:8099", "environment_config": "localhost:50000"}, [
        "--runner=PortableRunner", "--job_endpoint=localhost:8099",
        "--environment_type=EXTERNAL", "--environment_config=localhost:50000",
    ]),
    (beam_profiles.PORTABLE,
     {"job_endpoint": "jobs:8099", "artifact_endpoint": "jobs:8098", "environment_type": "docker",
      "environment_config": IMAGE, "sdk_worker_parallelism": "2"}, [
        "--runner=PortableRunner", "--job_endpoint=jobs:8099", "--artifact_endpoint=jobs:8098",
        "--environment_type=DOCKER", f"--environment_config={IMAGE}", "--sdk_worker_parallelism=2",
    ]),
]


@pytest.mark.parametrize("profile,options,expected", EXPECTED)
def test_profile_yields_the_expected_args(profile, options, expected):
    assert beam_args(profile, options) == expected


@pytest.mark.parametrize("profile,options,expected", EXPECTED)
def test_beam_knows_every_flag_and_reads_the_values(profile, options, expected):
    parsed = PipelineOptions(expected).get_all_options(retain_unknown_options=True)
    for arg in expected:
        key, value = arg[2:].split("=", 1)
        assert key in parsed, arg
        assert str(parsed[key]) == value, arg
    assert PipelineOptions(expected).get_all_options(retain_unknown_options=True) == (
        PipelineOptions(expected).get_all_options()
    ), "an argument Beam does not know"


@pytest.mark.parametrize("profile,options,missing", [
    (beam_profiles.DATAFLOW, {"region": "r", "temp_location": "gs://b/t", "worker_image": IMAGE}, "project"),
    (beam_profiles.DATAFLOW, {"project": "p", "worker_image": IMAGE}, "region=...--beam-option temp_location"),
    (beam_profiles.FLINK, {}, "job_endpoint"),
    (beam_profiles.PORTABLE, {"environment_config": "localhost:50000"}, "job_endpoint"),
])
def test_missing_required_settings_name_them(profile, options, missing):
    with pytest.raises(BeamProfileError, match=f"needs --beam-option {missing}".replace("...", r"\.\.\. ")):
        beam_args(profile, options)


@pytest.mark.parametrize("profile,options,message", [
    ("dataflw", {}, "unknown beam profile 'dataflw'"),
    (beam_profiles.DIRECT, {"workers": "2"}, "has no setting 'workers'; its settings: none"),
    (beam_profiles.DIRECT_MULTIPROCESSING, {"workers": "two"}, "whole number"),
    (beam_profiles.DATAFLOW, {"project": "p", "region": "r", "temp_location": "gs://b/t"}, "exactly one of"),
    (beam_profiles.DATAFLOW, {"project": "p", "region": "r", "temp_location": "/tmp", "worker_image": IMAGE},
     "gs:// path"),
    (beam_profiles.FLINK, {"job_endpoint": "h:8099"}, "environment_type=DOCKER needs"),
    (beam_profiles.FLINK, {"job_endpoint": "h:8099", "environment_type": "EXTERNAL"}, "worker pool"),
    (beam_profiles.FLINK, {"job_endpoint": "h:8099", "environment_type": "KUBERNETES"}, "must be one of"),
    (beam_profiles.PORTABLE, {"job_endpoint": "h:8099"},
     r"'portable' with environment_type=EXTERNAL needs --beam-option environment_config=\.\.\. "
     r"\(the worker pool address"),
    (beam_profiles.SPARK, {"environment_type": "LOOPBACK"}, "exactly one of"),
    (beam_profiles.SPARK, {"job_endpoint": "h:1", "environment_type": "LOOPBACK", "environment_config": "x"},
     "LOOPBACK takes no"),
])
def test_bad_settings_fail_clearly(profile, options, message):
    with pytest.raises(BeamProfileError, match=message):
        beam_args(profile, options)


def test_options_parse_and_extra_args_are_appended():
    assert beam_profiles.parse_options(["workers=2", " project = p "]) == {"workers": "2", "project": "p"}
    with pytest.raises(BeamProfileError, match="KEY=VALUE"):
        beam_profiles.parse_options(["workers"])
    assert beam_args(beam_profiles.DIRECT, extra_args=["--experiments=a"])[-1] == "--experiments=a"
    with pytest.raises(BeamProfileError, match="Beam flags"):
        beam_args(beam_profiles.DIRECT, extra_args=["experiments=a"])


def test_compile_command_reports_a_missing_setting(capsys, tmp_path):
    status = cli.main(["compile", "--pipeline-root", "gs://b/r", "--image", IMAGE,
                       "--output", str(tmp_path / "s.json"), "--source", "synthetic",
                       "--beam-profile", "dataflow", "--beam-option", "project=p"])
    assert status == 2
    assert "needs --beam-option region=... --beam-option temp_location=..." in capsys.readouterr().err
    assert not (tmp_path / "s.json").exists()


@pytest.mark.parametrize("profile,options", [
    (beam_profiles.DIRECT, {}),
    # Starting the worker processes takes about 15 s here.
    pytest.param(beam_profiles.DIRECT_MULTIPROCESSING, {"workers": "2"}, marks=pytest.mark.slow),
])
def test_direct_profiles_run_a_pipeline(profile, options):
    with beam.Pipeline(options=PipelineOptions(beam_args(profile, options))) as pipeline:
        squares = pipeline | beam.Create(range(10)) | beam.Map(lambda x: x * x)
        assert_that(squares, equal_to([x * x for x in range(10)]))


class NoOpBeamExecutor(base_beam_executor.BaseBeamExecutor):
    """A Beam executor that does nothing: what TFX does to the Beam flags shows."""

    def Do(self, input_dict, output_dict, exec_properties):  # pylint: disable=invalid-name
        del input_dict, output_dict, exec_properties


def test_the_in_memory_profile_is_beams_defaults_so_tfx_packages_nothing(monkeypatch):
    options = PipelineOptions(beam_args(beam_profiles.DIRECT, {}))
    assert options.view_as(DirectOptions).direct_running_mode == "in_memory"
    assert options.view_as(DirectOptions).direct_num_workers == 1
    assert type(beam.Pipeline(options=options).runner).__name__ == "SwitchingDirectRunner"

    built = []
    monkeypatch.setattr(dependency_utils, "build_ephemeral_package", lambda: built.append(1) or "/x.tar.gz")

    def executor(args):
        return NoOpBeamExecutor(base_beam_executor.BaseBeamExecutor.Context(beam_pipeline_args=args))

    executor(beam_args(beam_profiles.DIRECT, {}))
    assert built == []
    # Any flag without a dependency flag would make TFX package itself.
    executor(beam_args(beam_profiles.DIRECT_MULTIPROCESSING, {"workers": "2"}))
    assert built == [1]
