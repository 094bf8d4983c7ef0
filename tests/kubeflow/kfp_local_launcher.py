"""Runs a compiled KFP v2 pipeline spec task by task on this machine (tests only).

For each task, in dependency order, it does what a KFP v2 backend does around
a container: builds the ExecutorInput (parameters from the spec, input
artifacts from the producers' executor outputs, output artifacts provisioned
under the pipeline root), substitutes it for ``{{$}}`` in the container's
arguments, runs the container's command in a subprocess (``python`` being the
interpreter that plays the image's), and reads back the ``executor_output.json``
the TFX entry point writes. A task's trigger condition is evaluated as KFP does for the
one form TFX's ``Cond`` compiles ours to (an input artifact's metadata value
compared for equality); a task whose condition is false, or whose producer
was skipped, is skipped. It is a test of our spec, not an orchestrator: no
caching, no retries, no resolver or importer tasks (our spec has none).
"""

import dataclasses
import json
import os
import re
import subprocess
import sys
import time
from typing import Any, Dict, List

EXECUTOR_INPUT_PLACEHOLDER = "{{$}}"
OUTPUT_FILE = "executor_output.json"
SKIPPED = "skipped"
# The CEL TFX compiles ``Cond(channel.future()[0].custom_property(P) == V)`` to.
_CONDITION = re.compile(
    r"\(?inputs\.artifacts\['(?P<key>[^']+)'\]\.artifacts\[0\]\.metadata\['(?P<property>[^']+)'\]"
    r" == (?P<value>[-0-9.]+)\)?"
)


class TaskFailedError(RuntimeError):
    """A task's container command exited non-zero."""


@dataclasses.dataclass
class TaskRun:
    """One executed task.

    Attributes:
      kind: ``container`` or ``skipped``.
      seconds: Wall time.
      outputs: Output key to the runtime artifacts it produced.
      executor_input: What the container got (None when skipped).
    """

    kind: str
    seconds: float
    outputs: Dict[str, List[Dict[str, Any]]]
    executor_input: Any = None


def topological_order(tasks: Dict[str, Dict[str, Any]]) -> List[str]:
    """Task names so that every task follows the ones it depends on."""
    order, done = [], set()

    def visit(name: str, path: tuple) -> None:
        if name in done:
            return
        if name in path:
            raise ValueError(f"dependency cycle through {name}")
        task = tasks[name]
        producers = set(task.get("dependentTasks", []))
        for source in task.get("inputs", {}).get("artifacts", {}).values():
            producers.add(source["taskOutputArtifact"]["producerTask"])
        for producer in sorted(producers):
            visit(producer, path + (name,))
        done.add(name)
        order.append(name)

    for name in sorted(tasks):
        visit(name, ())
    return order


def run_pipeline_job(
    job: Dict[str, Any], run_id: str, env: Dict[str, str], log_dir: str, timeout: float = 600
) -> Dict[str, TaskRun]:
    """Executes every task of a compiled PipelineJob.

    Args:
      job: The PipelineJob dict (``pipelineSpec`` and ``runtimeConfig``).
      run_id: Names this run's folder under the pipeline root.
      env: Environment of the task subprocesses.
      log_dir: Where each task's output goes (``TASK.log``).
      timeout: Seconds allowed per task.

    Returns:
      Task name to what it did, in execution order.

    Raises:
      TaskFailedError: Naming the task and quoting the end of its log.
    """
    spec = job["pipelineSpec"]
    root = job["runtimeConfig"]["gcsOutputDirectory"]
    tasks = spec["root"]["dag"]["tasks"]
    runs: Dict[str, TaskRun] = {}
    for name in topological_order(tasks):
        task = tasks[name]
        if _skipped(task, runs):
            runs[name] = TaskRun(SKIPPED, 0.0, {})
            continue
        component = spec["components"][task["componentRef"]["name"]]
        executor = spec["deploymentSpec"]["executors"][component["executorLabel"]]
        started = time.perf_counter()
        if "container" not in executor:
            raise NotImplementedError(f"{name}: executor kind {sorted(executor)} is not supported here")
        task_dir = os.path.join(root, spec["pipelineInfo"]["name"], run_id, name)
        executor_input = executor_input_for(task, component, runs, job, task_dir, name)
        _run_container(name, executor["container"], executor_input, env, log_dir, timeout)
        runs[name] = TaskRun(
            "container",
            time.perf_counter() - started,
            _read_outputs(executor_input, component),
            executor_input,
        )
    return runs


def _producers(task: Dict[str, Any]) -> List[str]:
    return [
        source["taskOutputArtifact"]["producerTask"]
        for source in task.get("inputs", {}).get("artifacts", {}).values()
    ]


def _skipped(task: Dict[str, Any], runs: Dict[str, TaskRun]) -> bool:
    """Whether KFP would skip the task: a producer skipped, or its condition false."""
    if any(runs[producer].kind == SKIPPED for producer in _producers(task)):
        return True
    condition = task.get("triggerPolicy", {}).get("condition")
    if not condition:
        return False
    for clause in condition.split(" && "):
        match = _CONDITION.fullmatch(clause.strip())
        if not match:
            raise NotImplementedError(f"condition {clause!r} is not supported here")
        source = task["inputs"]["artifacts"][match["key"]]["taskOutputArtifact"]
        artifact = runs[source["producerTask"]].outputs[source["outputArtifactKey"]][0]
        if float(artifact["metadata"].get(match["property"], "nan")) != float(match["value"]):
            return True
    return False


def executor_input_for(task, component, runs, job, task_dir, name) -> Dict[str, Any]:
    """The ExecutorInput a KFP backend gives a container task (the ``{{$}}`` value)."""
    parameters = {}
    for key, source in task.get("inputs", {}).get("parameters", {}).items():
        if "runtimeValue" in source:
            parameters[key] = source["runtimeValue"]["constant"]
        elif "componentInputParameter" in source:
            parameters[key] = job["runtimeConfig"]["parameterValues"][source["componentInputParameter"]]
        else:
            raise NotImplementedError(f"{name}: parameter {key} from {sorted(source)}")
    artifacts = {}
    for key, source in task.get("inputs", {}).get("artifacts", {}).items():
        producer = source["taskOutputArtifact"]
        artifacts[key] = {
            "artifacts": runs[producer["producerTask"]].outputs[producer["outputArtifactKey"]]
        }
    outputs = {}
    for key, definition in component.get("outputDefinitions", {}).get("artifacts", {}).items():
        outputs[key] = {
            "artifacts": [
                {
                    "name": f"{task_dir}/{key}",
                    "type": definition["artifactType"],
                    "uri": os.path.join(task_dir, key),
                    "metadata": {},
                }
            ]
        }
    return {
        "inputs": {"parameterValues": parameters, "artifacts": artifacts},
        "outputs": {"artifacts": outputs, "outputFile": os.path.join(task_dir, OUTPUT_FILE)},
    }


def _run_container(name, container, executor_input, env, log_dir, timeout) -> None:
    args = [
        json.dumps(executor_input) if arg == EXECUTOR_INPUT_PLACEHOLDER else arg
        for arg in container.get("args", [])
    ]
    unresolved = [arg for arg in args if "{{$" in arg]
    if unresolved:
        raise NotImplementedError(f"{name}: placeholders {unresolved} are not supported here")
    command = list(container["command"])
    if command[0] == "python":
        command[0] = sys.executable
    log_path = os.path.join(log_dir, f"{name}.log")
    with open(log_path, "w", encoding="utf-8") as log:
        result = subprocess.run(
            command + args, env=env, cwd=log_dir, stdout=log, stderr=subprocess.STDOUT,
            timeout=timeout, check=False,
        )
    if result.returncode != 0:
        with open(log_path, encoding="utf-8") as log:
            tail = "".join(log.readlines()[-40:])
        raise TaskFailedError(f"task {name} exited with {result.returncode}; end of {log_path}:\n{tail}")


def _read_outputs(executor_input, component) -> Dict[str, List[Dict[str, Any]]]:
    """The output artifacts as KFP records them: the executor's report, typed
    by the component's output definitions."""
    with open(executor_input["outputs"]["outputFile"], encoding="utf-8") as handle:
        reported = json.load(handle).get("artifacts", {})
    outputs = {}
    for key, provisioned in executor_input["outputs"]["artifacts"].items():
        artifacts = reported.get(key, provisioned)["artifacts"]
        artifact_type = component["outputDefinitions"]["artifacts"][key]["artifactType"]
        outputs[key] = [{**artifact, "type": artifact_type} for artifact in artifacts]
    return outputs
