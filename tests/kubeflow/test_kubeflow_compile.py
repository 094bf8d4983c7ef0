"""``movielens-tfx compile``: the KFP v2 spec of the pipeline, for both targets."""

import argparse
import dataclasses
import json

import pytest
import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from tfx.orchestration.kubeflow.v2 import kubeflow_v2_dag_runner

from pipeline import cli
from pipeline.kubeflow import runner as kubeflow_runner
from pipeline.cli import kubeflow_compile, run
from pipeline import config as config_lib
from tests.kubeflow import kubeflow_fixtures

PUSH_DESTINATION = kubeflow_fixtures.PIPELINE_ROOT + "/serving_model"
CONTAINER_TASKS = {
    "MovieLensExampleGen",
    "StatisticsGen",
    "ImportSchemaGen",
    "ExampleValidator",
    "ValidationGate",
    "Transform",
    "RetrievalTrainer",
    "RetrievalEvaluator",
    "VersionedPusher",
}
BEAM_TASKS = ("MovieLensExampleGen", "StatisticsGen", "Transform")


def _tasks(job):
    return job["pipelineSpec"]["root"]["dag"]["tasks"]


def _parameter(job, task, key):
    """A task's parameter value: its constant, or the run's value of the pipeline parameter."""
    source = _tasks(job)[task]["inputs"]["parameters"][key]
    if "componentInputParameter" in source:
        return job["runtimeConfig"]["parameterValues"][source["componentInputParameter"]]
    return source["runtimeValue"]["constant"]


def test_what_a_recurring_run_sets_are_pipeline_parameters_defaulting_to_the_settings(tmp_path):
    job = kubeflow_fixtures.compile_job(
        str(tmp_path / "spec.json"), "kubeflow",
        ["--source", "grouplens", "--input-path", "gs://b/drops/span-{SPAN}.zip", "--schema", "ml-100k",
         "--skip-unchanged"],
    )
    declared = job["pipelineSpec"]["root"]["inputDefinitions"]["parameters"]
    assert {name: definition["defaultValue"] for name, definition in declared.items()} == {
        "span": -1, "input_path": "gs://b/drops/span-{SPAN}.zip", "hyperparameter_overrides": "{}",
    }
    assert job["runtimeConfig"]["parameterValues"]["input_path"] == "gs://b/drops/span-{SPAN}.zip"
    wired = {
        (task, key): source["componentInputParameter"]
        for task, spec in _tasks(job).items()
        for key, source in spec.get("inputs", {}).get("parameters", {}).items()
        if "componentInputParameter" in source
    }
    assert wired == {
        ("RetrainGate", "span"): "span", ("RetrainGate", "input_path"): "input_path",
        ("MovieLensExampleGen", "span"): "span", ("MovieLensExampleGen", "input_path"): "input_path",
        ("RetrievalTrainer", "hyperparameter_overrides"): "hyperparameter_overrides",
    }


def _custom_config(job, task):
    return json.loads(_parameter(job, task, "custom_config"))


def _source(job, task, key):
    source = _tasks(job)[task]["inputs"]["artifacts"][key]["taskOutputArtifact"]
    return source["producerTask"], source["outputArtifactKey"]


def test_every_task_runs_the_image_with_tfx_v2_executor_entry_point(kubeflow_job, vertex_job):
    assert kubeflow_runner.EXECUTOR_ENTRY_POINT == tuple(kubeflow_v2_dag_runner.KUBEFLOW_TFX_CMD)
    for job in (kubeflow_job, vertex_job):
        containers = kubeflow_runner.container_tasks(job["pipelineSpec"])
        assert set(containers) == CONTAINER_TASKS
        for container in containers.values():
            assert container["image"] == kubeflow_fixtures.IMAGE
            assert container["command"] == list(kubeflow_runner.EXECUTOR_ENTRY_POINT)
            assert "{{$}}" in container["args"]


def test_kubeflow_target_has_no_resolver_and_wires_every_artifact(kubeflow_job):
    spec = kubeflow_job["pipelineSpec"]
    assert set(_tasks(kubeflow_job)) == CONTAINER_TASKS
    assert not [e for e in spec["deploymentSpec"]["executors"].values() if "resolver" in e]
    assert _source(kubeflow_job, "RetrievalTrainer", "examples") == ("MovieLensExampleGen", "examples")
    assert _source(kubeflow_job, "RetrievalTrainer", "transform_graph") == ("Transform", "transform_graph")
    assert _source(kubeflow_job, "RetrievalTrainer", "candidates") == ("MovieLensExampleGen", "candidates")
    assert _source(kubeflow_job, "RetrievalEvaluator", "model") == ("RetrievalTrainer", "model")
    assert _source(kubeflow_job, "RetrievalEvaluator", "candidates") == ("MovieLensExampleGen", "candidates")
    assert "train_examples" not in _tasks(kubeflow_job)["RetrievalEvaluator"]["inputs"]["artifacts"]
    assert "baseline_model" not in _tasks(kubeflow_job)["RetrievalEvaluator"]["inputs"]["artifacts"]
    assert _source(kubeflow_job, "VersionedPusher", "model_blessing") == ("RetrievalEvaluator", "blessing")
    # The ValidationGate stops Transform: an explicit dependency without an artifact.
    assert "ValidationGate" in _tasks(kubeflow_job)["Transform"]["dependentTasks"]


@pytest.mark.parametrize("target", ["kubeflow", "vertex"])
def test_spec_is_consistent(target, kubeflow_job, vertex_job):
    job = {"kubeflow": kubeflow_job, "vertex": vertex_job}[target]
    spec = job["pipelineSpec"]
    tasks = _tasks(job)
    for name, task in tasks.items():
        component = spec["components"][task["componentRef"]["name"]]
        definitions = component.get("inputDefinitions", {})
        wired = task.get("inputs", {}).get("artifacts", {})
        assert set(wired) == set(definitions.get("artifacts", {})), name
        for source in wired.values():
            producer = source["taskOutputArtifact"]["producerTask"]
            produced = spec["components"][tasks[producer]["componentRef"]["name"]]
            assert source["taskOutputArtifact"]["outputArtifactKey"] in produced["outputDefinitions"]["artifacts"]
            # KFP orders a consumer after its producers with or without dependentTasks.
            assert producer in tasks, (name, producer)
        assert set(task.get("dependentTasks", [])) <= set(tasks), name
        assert set(task.get("inputs", {}).get("parameters", {})) == set(definitions.get("parameters", {})), name
    for name, container in kubeflow_runner.container_tasks(spec).items():
        component = spec["components"][tasks[name]["componentRef"]["name"]]
        args = container["args"]
        inputs_spec = args[args.index(kubeflow_runner.INPUTS_SPEC_FLAG) + 1]
        expected = json_format.MessageToJson(
            json_format.ParseDict(component["inputDefinitions"], pipeline_spec_pb2.ComponentInputsSpec()),
            sort_keys=True,
        )
        assert inputs_spec == expected, name


def test_cluster_adjustments_and_user_code_by_dotted_path(kubeflow_job):
    spec = kubeflow_job["pipelineSpec"]
    assert kubeflow_job["runtimeConfig"]["gcsOutputDirectory"] == kubeflow_fixtures.PIPELINE_ROOT
    assert spec["defaultPipelineRoot"] == kubeflow_fixtures.PIPELINE_ROOT
    assert spec["pipelineInfo"]["name"] == kubeflow_compile.DEFAULT_PIPELINE_NAME
    assert spec["schemaVersion"] == "2.1.0"
    assert _parameter(kubeflow_job, "ImportSchemaGen", "schema_file") == (
        kubeflow_runner.IMAGE_SCHEMA_DIR + "/ml-100k.pbtxt"
    )
    assert _parameter(kubeflow_job, "RetrievalEvaluator", "baseline_push_destination") == PUSH_DESTINATION
    # A random split (the default): queries carry no time, the model uses its default.
    assert _parameter(kubeflow_job, "RetrievalEvaluator", "query_time") == "model_default"
    push = json.loads(_parameter(kubeflow_job, "VersionedPusher", "push_destination"))
    assert push["filesystem"]["base_directory"] == PUSH_DESTINATION
    # The ExampleGen must never come from KFP's cache, and all else reads its output.
    assert not [name for name, task in _tasks(kubeflow_job).items() if task.get("cachingOptions")]
    assert _parameter(kubeflow_job, "Transform", "preprocessing_fn") == config_lib.PREPROCESSING_FN
    assert _parameter(kubeflow_job, "RetrievalTrainer", "run_fn") == config_lib.RUN_FN
    assert "module_file" not in json.dumps(spec)


def test_beam_profile_trainer_resources_and_yaml_output(tmp_path):
    output = tmp_path / "spec.yaml"
    status = cli.main([
        "compile", "--pipeline-root", "s3://bucket/root", "--image", kubeflow_fixtures.IMAGE,
        "--output", str(output), *kubeflow_fixtures.SOURCE_ARGS,
        "--beam-profile", "dataflow", "--beam-option", "project=p", "--beam-option", "region=europe-west4",
        "--beam-option", "temp_location=gs://b/tmp", "--beam-option", "worker_image=" + kubeflow_fixtures.IMAGE,
        "--beam-arg=--experiments=use_runner_v2", "--trainer-cpu", "4", "--trainer-memory-gb", "16",
    ])
    assert status == 0
    with open(output, encoding="utf-8") as handle:
        spec = json_format.MessageToDict(
            json_format.ParseDict(yaml.safe_load(handle), pipeline_spec_pb2.PipelineSpec())
        )
    beam_args = [
        "--runner=DataflowRunner", "--project=p", "--region=europe-west4", "--temp_location=gs://b/tmp",
        "--sdk_container_image=" + kubeflow_fixtures.IMAGE, "--experiments=use_runner_v2",
    ]
    containers = kubeflow_runner.container_tasks(spec)
    for name in BEAM_TASKS:
        assert containers[name]["args"][-len(beam_args):] == beam_args, name
    assert containers["RetrievalTrainer"]["resources"] == {"cpuLimit": 4.0, "memoryLimit": 16.0}
    assert spec["defaultPipelineRoot"] == "s3://bucket/root"


def test_warm_start_compiles_alike_on_both_targets_without_a_resolver(kubeflow_job, vertex_job, tmp_path):
    warm = kubeflow_fixtures.compile_job(str(tmp_path / "k.json"), "kubeflow", ["--warm-start"])
    assert vertex_job["pipelineSpec"] == warm["pipelineSpec"]
    assert set(_tasks(warm)) == CONTAINER_TASKS
    assert not [e for e in warm["pipelineSpec"]["deploymentSpec"]["executors"].values() if "resolver" in e]
    # The Trainer finds the served model under the push destination itself.
    for job in (warm, vertex_job):
        assert "base_model" not in _tasks(job)["RetrievalTrainer"]["inputs"]["artifacts"]
        assert _custom_config(job, "RetrievalTrainer")["warm_start_push_destination"] == PUSH_DESTINATION
    assert "warm_start_push_destination" not in _custom_config(kubeflow_job, "RetrievalTrainer")


def test_compile_reads_no_data(tmp_path, capsys):
    missing = str(tmp_path / "nowhere" / "ml-100k.zip")
    args = ["compile", "--pipeline-root", kubeflow_fixtures.PIPELINE_ROOT, "--image", kubeflow_fixtures.IMAGE,
            "--output", str(tmp_path / "spec.json"), "--source", "grouplens", "--input-path", missing]
    assert cli.main(args) == 2
    assert "--schema auto would read" in capsys.readouterr().err
    assert cli.main([*args, "--schema", "ml-100k"]) == 0
    with open(tmp_path / "spec.json", encoding="utf-8") as handle:
        job = json.load(handle)
    assert _parameter(job, "MovieLensExampleGen", "input_path") == missing


def test_compile_config_maps_the_run_options_as_a_local_run_does():
    argv = [*kubeflow_fixtures.SOURCE_ARGS, "--bucketing", "equal_width", "--min-top-k-accuracy", "0.1",
            "--min-margin-over-baselines", "0.02", "--blessing-baselines", "popularity,ease",
            "--baseline-tolerance", "0.05", "--no-demographics"]
    run_args = cli.parser().parse_args(["run", *argv])
    compile_args = cli.parser().parse_args(
        ["compile", "--pipeline-root", "gs://b/r/", "--image", "i", "--output", "o.json", *argv]
    )
    expected = dataclasses.replace(
        run.local_pipeline_config(run_args).config,
        pipeline_name=kubeflow_compile.DEFAULT_PIPELINE_NAME,
        pipeline_root="gs://b/r",
        push_destination="gs://b/r/serving_model",
        beam_pipeline_args=[],
        enable_cache=False,
    )
    assert kubeflow_compile.compile_config(compile_args) == expected
    assert expected.schema == config_lib.SCHEMA_RATINGS_ONLY
    assert expected.evaluator == dataclasses.replace(
        config_lib.PIPELINE_EVALUATOR_SETTINGS, min_top_k_accuracy=0.1, min_margin_over_baselines=0.02,
        blessing_baselines=("popularity", "ease"), baseline_tolerance=0.05,
    )


def test_settings_are_checked():
    with pytest.raises(ValueError, match="target"):
        kubeflow_runner.KubeflowSettings(image="i", target="argo")
    with pytest.raises(ValueError, match="image"):
        kubeflow_runner.KubeflowSettings(image="")
    with pytest.raises(ValueError, match="trainer_cpu"):
        config_lib.Deployment(trainer_cpu=0)
    bad_name = cli.parser().parse_args(
        ["compile", "--pipeline-root", "gs://b", "--image", "i", "--output", "o.json",
         "--pipeline-name", "movielens_retrieval"]
    )
    with pytest.raises(ValueError, match="lower-case letters, digits and hyphens"):
        kubeflow_compile.compile_config(bad_name)
    assert isinstance(cli.parser().parse_args(
        ["compile", "--pipeline-root", "gs://b", "--image", "i", "--output", "o.json"]
    ), argparse.Namespace)


def test_a_span_window_compiles_with_no_resolver_task(tmp_path):
    args = ["compile", "--pipeline-root", kubeflow_fixtures.PIPELINE_ROOT, "--image", kubeflow_fixtures.IMAGE,
            "--output", str(tmp_path / "spec.json"), *kubeflow_fixtures.SOURCE_ARGS]
    assert cli.main([*args, "--window-spans", "3"]) == 0
    with open(tmp_path / "spec.json", encoding="utf-8") as handle:
        tasks = json.load(handle)["pipelineSpec"]["root"]["dag"]["tasks"]
    # The ExampleGen reads the window itself: no resolver task.
    assert set(tasks) == CONTAINER_TASKS
    window = tasks["MovieLensExampleGen"]["inputs"]["parameters"]["window_spans"]
    assert window["runtimeValue"]["constant"] == 3
    assert set(tasks["Transform"]["inputs"]["artifacts"]) == {"examples", "schema"}


def test_the_analyzer_cache_compiles_as_a_pointer_under_the_pipeline_root(tmp_path):
    job = kubeflow_fixtures.compile_job(
        str(tmp_path / "spec.json"), "kubeflow", ["--analyzer-cache"]
    )
    # The Transform finds the previous cache itself: still no resolver task.
    assert set(_tasks(job)) == CONTAINER_TASKS
    assert set(_tasks(job)["Transform"]["inputs"]["artifacts"]) == {"examples", "schema"}
    assert _parameter(job, "Transform", "analyzer_cache_pointer") == (
        kubeflow_fixtures.PIPELINE_ROOT + "/transform_analyzer_cache.json"
    )
    outputs = job["pipelineSpec"]["components"]["Transform"]["outputDefinitions"]["artifacts"]
    assert set(outputs) == {"transform_graph", "updated_analyzer_cache"}
    plain = kubeflow_fixtures.compile_job(str(tmp_path / "plain.json"), "kubeflow")
    assert "analyzer_cache_pointer" not in _tasks(plain)["Transform"]["inputs"]["parameters"]
    assert set(plain["pipelineSpec"]["components"]["Transform"]["outputDefinitions"]["artifacts"]) == {
        "transform_graph"
    }
