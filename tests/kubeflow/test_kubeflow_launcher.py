"""The local launcher of the spec-execution test: order, executor input, resolvers."""

import json
import os

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_entrypoint_utils

from pipeline.kubeflow import runner as kubeflow_runner
from tests.kubeflow import kfp_local_launcher


def _component(spec, task):
    return spec["components"][spec["root"]["dag"]["tasks"][task]["componentRef"]["name"]]


def test_tasks_follow_their_producers(vertex_job):
    tasks = vertex_job["pipelineSpec"]["root"]["dag"]["tasks"]
    order = kfp_local_launcher.topological_order(tasks)
    assert sorted(order) == sorted(tasks)
    for position, name in enumerate(order):
        before = set(order[:position])
        assert set(tasks[name].get("dependentTasks", [])) <= before, name
        for source in tasks[name].get("inputs", {}).get("artifacts", {}).values():
            assert source["taskOutputArtifact"]["producerTask"] in before, name


def test_executor_input_is_what_the_tfx_entry_point_parses(kubeflow_job, tmp_path):
    spec = kubeflow_job["pipelineSpec"]
    task = spec["root"]["dag"]["tasks"]["MovieLensExampleGen"]
    component = _component(spec, "MovieLensExampleGen")
    task_dir = str(tmp_path / "MovieLensExampleGen")
    executor_input = kfp_local_launcher.executor_input_for(
        task, component, {}, kubeflow_job, task_dir, "MovieLensExampleGen"
    )
    parsed = json_format.Parse(json.dumps(executor_input), pipeline_spec_pb2.ExecutorInput())
    container = kubeflow_runner.container_tasks(spec)["MovieLensExampleGen"]
    inputs_spec = json_format.Parse(
        container["args"][container["args"].index(kubeflow_runner.INPUTS_SPEC_FLAG) + 1],
        pipeline_spec_pb2.ComponentInputsSpec(),
    )
    properties = kubeflow_v2_entrypoint_utils.parse_execution_properties(
        parsed.inputs.parameter_values, parsed.inputs.parameters, inputs_spec
    )
    assert properties["span"] == -1 and isinstance(properties["span"], int)
    assert properties["source"] == "synthetic"
    assert properties["eval_fraction"] == 0.2
    outputs = kubeflow_v2_entrypoint_utils.parse_raw_artifact_dict(parsed.outputs.artifacts)
    assert {key: [a.uri for a in artifacts] for key, artifacts in outputs.items()} == {
        "examples": [os.path.join(task_dir, "examples")],
        "candidates": [os.path.join(task_dir, "candidates")],
    }
    assert outputs["examples"][0].type_name == "Examples"
    assert parsed.outputs.output_file == os.path.join(task_dir, kfp_local_launcher.OUTPUT_FILE)


def test_resolvers_yield_nothing_and_consumers_get_an_empty_input(vertex_job, tmp_path):
    job = vertex_job  # Its one resolver task: the analyzer cache's.
    spec = job["pipelineSpec"]
    tasks = spec["root"]["dag"]["tasks"]
    resolvers = {name: task for name, task in tasks.items() if "resolver" in name}
    only_resolvers = {**job, "pipelineSpec": {**spec, "root": {"dag": {"tasks": resolvers}}}}
    runs = kfp_local_launcher.run_pipeline_job(only_resolvers, "run", {}, str(tmp_path))
    assert {name: run.outputs for name, run in runs.items()} == {"analyzer_cache_resolver": {"cache": []}}
    produced = {
        "ImportSchemaGen": {"schema": []},
        "MovieLensExampleGen": {"examples": [], "candidates": []},
    }
    for name, outputs in produced.items():
        runs[name] = kfp_local_launcher.TaskRun("container", 0.0, outputs)
    transform_input = kfp_local_launcher.executor_input_for(
        tasks["Transform"], _component(spec, "Transform"), runs, job,
        str(tmp_path / "Transform"), "Transform",
    )
    parsed = json_format.Parse(json.dumps(transform_input), pipeline_spec_pb2.ExecutorInput())
    inputs = kubeflow_v2_entrypoint_utils.parse_raw_artifact_dict(parsed.inputs.artifacts)
    assert inputs["analyzer_cache"] == []
