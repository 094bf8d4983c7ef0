"""What a killed run leaves is removed by the next run, and nothing completed is.

A two-component pipeline stands in for the real one (same LocalDagRunner,
MLMD and output layout, seconds instead of minutes): ``Produce`` writes an
Examples artifact, ``Consume`` writes a Model and kills its own process, as a
SIGKILL during the Trainer would, when a flag file exists.
"""

import os
import signal
import subprocess
import sys

from ml_metadata.proto import metadata_store_pb2
from tfx.dsl.component.experimental.annotations import InputArtifact, OutputArtifact, Parameter
from tfx.dsl.component.experimental.decorators import component
from tfx.orchestration import metadata
from tfx.orchestration.local.local_dag_runner import LocalDagRunner
from tfx.orchestration.pipeline import Pipeline
from tfx.types import standard_artifacts

from pipeline import config as config_lib
from pipeline.local import runner as local_runner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KILL_FLAG = "kill"


@component
def Produce(examples: OutputArtifact[standard_artifacts.Examples]):  # pylint: disable=invalid-name
    with open(os.path.join(examples.uri, "data"), "w", encoding="utf-8") as handle:
        handle.write("ratings")


@component
def Consume(  # pylint: disable=invalid-name
    examples: InputArtifact[standard_artifacts.Examples],
    model: OutputArtifact[standard_artifacts.Model],
    kill_flag: Parameter[str],
):
    del examples
    with open(os.path.join(model.uri, "partial"), "w", encoding="utf-8") as handle:
        handle.write("half a model")
    if os.path.exists(kill_flag):
        os.kill(os.getpid(), signal.SIGKILL)
    with open(os.path.join(model.uri, "done"), "w", encoding="utf-8") as handle:
        handle.write("the whole model")


def tiny_pipeline(work_dir: str, connection=None) -> Pipeline:
    """The stand-in pipeline of a work dir (root, metadata and kill flag in it)."""
    produce = Produce()
    consume = Consume(
        examples=produce.outputs["examples"], kill_flag=os.path.join(work_dir, KILL_FLAG)
    )
    return Pipeline(
        pipeline_name="tiny",
        pipeline_root=os.path.join(work_dir, "root"),
        components=[produce, consume],
        metadata_connection_config=connection
        or metadata.sqlite_metadata_connection_config(local_runner.metadata_path(work_dir)),
        enable_cache=True,
    )


def run_tiny(work_dir: str) -> None:
    """Runs the stand-in pipeline (the killed process's entry point)."""
    LocalDagRunner().run(tiny_pipeline(work_dir))


def _config(work_dir: str) -> config_lib.PipelineConfig:
    return config_lib.PipelineConfig(
        pipeline_name="tiny",
        pipeline_root=os.path.join(work_dir, "root"),
        push_destination=os.path.join(work_dir, "serving"),
    )


def _run(work_dir: str, monkeypatch) -> tuple:
    """``local_runner.run`` on the stand-in pipeline; returns the summary and the lines."""
    monkeypatch.setattr(
        local_runner, "create_pipeline",
        lambda config, connection: tiny_pipeline(work_dir, connection),
    )
    lines = []
    summary = local_runner.run(
        _config(work_dir),
        local_runner.metadata_path(work_dir),
        os.path.join(work_dir, "last_run.log"),
        lines.append,
    )
    return summary, lines


def _files(folder) -> list:
    return sorted(
        os.path.relpath(os.path.join(root, name), folder)
        for root, dirs, files in os.walk(folder)
        for name in files + [d for d in dirs if not os.listdir(os.path.join(root, d))]
    )


def _executions(work_dir: str) -> dict:
    """Execution id -> state name, from the work dir's MLMD."""
    connection = metadata.sqlite_metadata_connection_config(local_runner.metadata_path(work_dir))
    with metadata.Metadata(connection) as store:
        return {
            execution.id: metadata_store_pb2.Execution.State.Name(execution.last_known_state)
            for execution in store.store.get_executions()
        }


def test_the_next_run_removes_a_killed_components_leftovers_and_keeps_all_else(
    tmp_path, monkeypatch
):
    work_dir = str(tmp_path)
    (tmp_path / KILL_FLAG).touch()
    killed = subprocess.run(
        [sys.executable, "-c", "import sys; from tests.pipeline.test_work_dir_cleanup import "
         "run_tiny; run_tiny(sys.argv[1])", work_dir],
        cwd=ROOT, capture_output=True, timeout=300, check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    (killed_id,) = [i for i, state in _executions(work_dir).items() if state == "RUNNING"]
    root = tmp_path / "root"
    partial = root / "Consume" / "model" / str(killed_id)
    scratch = root / "Consume" / ".system" / "executor_execution" / str(killed_id) / ".temp"
    (stateful,) = (root / "Consume" / ".system" / "stateful_working_dir").iterdir()
    assert (partial / "partial").exists() and scratch.exists()
    # A push killed mid-copy, a served version, and a folder MLMD does not name.
    (tmp_path / "serving" / ".tmp-7-deadbeef" / "variables").mkdir(parents=True)
    (tmp_path / "serving" / "6").mkdir()
    (root / "Consume" / "model" / "999").mkdir()
    produced = _files(root / "Produce")
    os.remove(tmp_path / KILL_FLAG)

    summary, lines = _run(work_dir, monkeypatch)

    staging = tmp_path / "serving" / ".tmp-7-deadbeef"
    removed = [str(partial), str(scratch), str(stateful), str(staging)]
    assert lines[0] == f"Removed leftovers of interrupted runs: {', '.join(removed)}"
    assert summary.cached == ["Produce"]  # Resumed from the finished component.
    assert not partial.exists() and not scratch.exists() and not stateful.exists()
    assert os.listdir(tmp_path / "serving") == ["6"]
    assert (root / "Consume" / "model" / "999").exists()
    assert _files(root / "Produce") == produced
    (done_id,) = [
        i for i, state in _executions(work_dir).items() if state == "COMPLETE" and i > killed_id
    ]
    assert _files(root / "Consume" / "model" / str(done_id)) == ["done", "partial"]

    # Nothing left to clean; every completed and cached output stays.
    before = _files(root)
    summary, lines = _run(work_dir, monkeypatch)
    assert summary.cached == ["Produce", "Consume"]
    assert not any(line.startswith("Removed") for line in lines)
    assert _files(root) == before


def _record_unfinished_execution(work_dir: str, with_artifact: bool) -> int:
    """Adds a RUNNING execution of ``Consume`` to MLMD, and its output folder."""
    connection = metadata.sqlite_metadata_connection_config(local_runner.metadata_path(work_dir))
    with metadata.Metadata(connection) as store:
        node = store.store.get_context_by_type_and_name("node", "tiny.Consume")
        execution = metadata_store_pb2.Execution(
            type_id=store.store.get_executions_by_context(node.id)[0].type_id,
            last_known_state=metadata_store_pb2.Execution.RUNNING,
        )
        [execution_id] = store.store.put_executions([execution])
        store.store.put_attributions_and_associations(
            [], [metadata_store_pb2.Association(context_id=node.id, execution_id=execution_id)]
        )
        folder = os.path.join(work_dir, "root", "Consume", "model", str(execution_id))
        os.makedirs(folder)
        if with_artifact:
            model_type = store.store.get_artifact_type(standard_artifacts.Model.TYPE_NAME)
            store.store.put_artifacts(
                [metadata_store_pb2.Artifact(type_id=model_type.id, uri=folder + "/inner")]
            )
    return execution_id


def test_an_unfinished_executions_folder_is_kept_when_an_artifact_lives_in_it(tmp_path):
    work_dir = str(tmp_path)
    run_tiny(work_dir)
    orphan = _record_unfinished_execution(work_dir, with_artifact=False)
    referenced = _record_unfinished_execution(work_dir, with_artifact=True)
    completed = _files(tmp_path / "root")
    connection = metadata.sqlite_metadata_connection_config(local_runner.metadata_path(work_dir))

    removed = local_runner.remove_leftovers(
        tiny_pipeline(work_dir), connection, str(tmp_path / "serving")
    )

    assert removed == [str(tmp_path / "root" / "Consume" / "model" / str(orphan))]
    assert _files(tmp_path / "root") == [
        path for path in completed if path != f"Consume/model/{orphan}"
    ]
    assert (tmp_path / "root" / "Consume" / "model" / str(referenced)).exists()
