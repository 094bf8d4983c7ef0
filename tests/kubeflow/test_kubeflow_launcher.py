"""The local launcher of the spec-execution tests: order, executor input, conditions."""

import json
import os

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2
from tfx.orchestration.kubeflow.v2.container import kubeflow_v2_entrypoint_utils

from pipeline.kubeflow import runner as kubeflow_runner
from tests.kubeflow import kfp_local_launcher, kubeflow_fixtures


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


def test_a_false_condition_skips_the_task_and_its_consumers(tmp_path):
    job = kubeflow_fixtures.compile_job(str(tmp_path / "spec.json"), "kubeflow", ["--skip-unchanged"])
    tasks = job["pipelineSpec"]["root"]["dag"]["tasks"]

    def skipped_when_the_gate_says(run):
        decision = {"name": "gate", "uri": "u", "metadata": {"run": run, "reason": "r"}}
        runs = {"RetrainGate": kfp_local_launcher.TaskRun("container", 0.0, {"decision": [decision]})}
        for name in kfp_local_launcher.topological_order(tasks):
            if name != "RetrainGate":
                skipped = kfp_local_launcher._skipped(tasks[name], runs)  # pylint: disable=protected-access
                runs[name] = kfp_local_launcher.TaskRun(
                    kfp_local_launcher.SKIPPED if skipped else "container", 0.0, {}
                )
        return {name for name, run in runs.items() if run.kind == kfp_local_launcher.SKIPPED}

    assert skipped_when_the_gate_says(0) == set(tasks) - {"RetrainGate"}
    assert skipped_when_the_gate_says(1) == set()
    # A consumer of a skipped task is skipped too, whatever its own condition.
    runs = {
        "RetrainGate": kfp_local_launcher.TaskRun(
            "container", 0.0, {"decision": [{"name": "g", "uri": "u", "metadata": {"run": 1}}]}
        ),
        "MovieLensExampleGen": kfp_local_launcher.TaskRun(kfp_local_launcher.SKIPPED, 0.0, {}),
    }
    assert kfp_local_launcher._skipped(tasks["StatisticsGen"], runs)  # pylint: disable=protected-access
