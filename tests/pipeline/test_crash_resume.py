"""A real pipeline run killed inside the Trainer resumes, and ends as an uninterrupted run does.

Work dir A: the whole pipeline (small synthetic data, as in
``test_pipeline_e2e``) runs in a subprocess of its own process group, which
is SIGKILLed once the Trainer has begun training. The same config then runs
again on A. Work dir B: the same config runs once, uninterrupted. The rerun
must take the six finished components from the cache, remove the killed
Trainer's partial output, find the work dir's lock free and push a model;
its data, transform graph and evaluation must equal B's.

About 3 minutes on 2 shared cores (three pipeline runs, one cut short).
"""

import glob
import json
import math
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from typing import Dict, List, Tuple

import pytest
import tensorflow as tf
from ml_metadata.proto import metadata_store_pb2
from tensorflow.core.protobuf import saved_model_pb2
from tfx.orchestration import metadata

from components import movielens_example_gen
from pipeline.local import runner as local_runner
from pipeline.local.work_dir_lock import WorkDirBusyError, WorkDirLock
from tests.pipeline.small_pipeline import small_config

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The components that finish before the Trainer, in run order.
BEFORE_TRAINER = [
    "ImportSchemaGen",
    "MovieLensExampleGen",
    "StatisticsGen",
    "ExampleValidator",
    "ValidationGate",
    "Transform",
]
AFTER_TRAINER = ["RetrievalTrainer", "RetrievalEvaluator", "VersionedPusher"]
# Generous bounds for a loaded 2-core machine; the whole killed run takes ~1 min.
RUN_TIMEOUT_SECONDS = 900
TRAINING_START_TIMEOUT_SECONDS = 300
POLL_SECONDS = 0.05
# Relative difference allowed between the float64 statistics of two Transform
# runs on the same data (see _transform_graph_differences).
TRANSFORM_RELATIVE_TOLERANCE = 1e-12
SUMMARY = movielens_example_gen.spec.SUMMARY_FILE


def run_pipeline(work_dir: str, emit=None) -> Tuple[local_runner.RunSummary, List[str]]:
    """Runs the pipeline on a work dir (also the killed subprocess's entry point).

    Args:
      work_dir: The work directory.
      emit: Where progress lines go besides the returned list (None: stdout,
        flushed at once, so a parent process sees each line as it comes).

    Returns:
      The run's summary and its progress lines.
    """
    lines: List[str] = []

    def record(line: str) -> None:
        lines.append(line)
        if emit is None:
            print(line, flush=True)
        else:
            emit(line)

    summary = local_runner.run(
        small_config(work_dir, "crash_resume"),
        local_runner.metadata_path(work_dir),
        os.path.join(work_dir, "run.log"),
        emit=record,
    )
    return summary, lines


def _training_started(work_dir: str) -> bool:
    """Whether the Trainer's ``model.fit`` has begun (its TensorBoard event file exists)."""
    pattern = os.path.join(work_dir, "root", "RetrievalTrainer", "model_run", "*", "train",
                           "events.out.tfevents.*")
    return bool(glob.glob(pattern))


def _kill_during_training(work_dir: str) -> List[str]:
    """Runs the pipeline in its own process group and SIGKILLs the group inside training.

    The progress lines are read as they come; once the Trainer's start line
    is seen, the work dir is polled until training has begun, and the whole
    group (the runner and any worker it started) is killed.

    Args:
      work_dir: The work directory.

    Returns:
      The progress lines printed before the kill.

    Raises:
      AssertionError: If the run ends, or training does not begin, in time;
        or the work dir's lock is not held while the run is going.
    """
    process = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-c",
         "import sys; from tests.pipeline.test_crash_resume import run_pipeline; "
         "run_pipeline(sys.argv[1])", work_dir],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True,
    )
    lines: "queue.Queue[str]" = queue.Queue()
    reader = threading.Thread(
        target=lambda: [lines.put(line.rstrip("\n")) for line in process.stdout], daemon=True
    )
    reader.start()
    seen: List[str] = []
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while not any(line.split()[1:] == ["RetrievalTrainer", "..."] for line in seen):
            assert process.poll() is None, f"the run ended before the Trainer: {seen}"
            assert time.monotonic() < deadline, f"no Trainer after {RUN_TIMEOUT_SECONDS}s: {seen}"
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                pass
        deadline = time.monotonic() + TRAINING_START_TIMEOUT_SECONDS
        while not _training_started(work_dir):
            assert process.poll() is None, f"the run ended before training began: {seen}"
            assert time.monotonic() < deadline, "training did not begin in time"
            time.sleep(POLL_SECONDS)
        # The running pipeline holds the work dir: a second writer is refused.
        with pytest.raises(WorkDirBusyError, match=f"pid {process.pid}"):
            with WorkDirLock(work_dir):
                pass
        os.killpg(process.pid, signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
    reader.join(timeout=10)
    while not lines.empty():
        seen.append(lines.get())
    return seen


def _executions(work_dir: str, node: str) -> Dict[int, str]:
    """Execution id -> state name of one pipeline node, from a work dir's MLMD."""
    connection = metadata.sqlite_metadata_connection_config(local_runner.metadata_path(work_dir))
    with metadata.Metadata(connection) as store:
        context = store.store.get_context_by_type_and_name("node", f"crash_resume.{node}")
        return {
            execution.id: metadata_store_pb2.Execution.State.Name(execution.last_known_state)
            for execution in store.store.get_executions_by_context(context.id)
        }


def _artifact(work_dir: str, node: str, output: str) -> metadata_store_pb2.Artifact:
    """The one artifact a node's output folder holds (its URI is under that folder)."""
    connection = metadata.sqlite_metadata_connection_config(local_runner.metadata_path(work_dir))
    folder = os.path.join(work_dir, "root", node, output) + "/"
    with metadata.Metadata(connection) as store:
        (artifact,) = [a for a in store.store.get_artifacts() if a.uri.startswith(folder)]
    return artifact


def _files(folder: str) -> Dict[str, bytes]:
    """Relative path -> content of every file under a folder."""
    contents = {}
    for root, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(root, name), "rb") as handle:
                contents[os.path.relpath(os.path.join(root, name), folder)] = handle.read()
    return contents


def _examples(uri: str) -> Dict[str, List[tf.train.Example]]:
    """Split folder -> its examples in file order, decoded, of an Examples artifact.

    Decoded because the bytes of two runs differ where the data does not:
    protobuf serializes the ``features`` map in an order that changes
    between processes.
    """
    return {
        split: [
            tf.train.Example.FromString(record.numpy())
            for record in tf.data.TFRecordDataset(
                sorted(glob.glob(os.path.join(uri, split, "*.gz"))), compression_type="GZIP"
            )
        ]
        for split in sorted(os.listdir(uri))
        if split.startswith("Split-")
    }


def _transform_graph_differences(uri_a: str, uri_b: str, work_a: str, work_b: str) -> List[str]:
    """What differs between two Transform graphs beyond paths and float rounding.

    Every file but the graph itself (vocabularies, schemas, asset map) must
    be byte-equal. The graph (``saved_model.pb``) is compared as text, with
    work dir A's path read as B's (the graph records where its vocabularies
    were written), and the constants ``tft.mean``/``tft.var`` computed
    (``double_val``) compared to ``TRANSFORM_RELATIVE_TOLERANCE``: measured,
    the timestamp's and age's mean and variance differed in the last digit
    (e.g. 22374277607504.637 and .613) between two runs of the same data, as
    Beam sums float64s in a varying order; everything else, quantile bucket
    boundaries included, was equal.

    Args:
      uri_a: The transform graph of work dir A.
      uri_b: The transform graph of work dir B.
      work_a: Work dir A.
      work_b: Work dir B.

    Returns:
      The differences, one line each (empty when the graphs are equal).
    """
    files_a, files_b = _files(uri_a), _files(uri_b)
    graph = os.path.join("transform_fn", "saved_model.pb")
    differences = [
        f"{path} differs"
        for path in sorted(set(files_a) | set(files_b))
        if path != graph and files_a.get(path) != files_b.get(path)
    ]
    texts = []
    for files in (files_a, files_b):
        texts.append(str(saved_model_pb2.SavedModel.FromString(files[graph])).splitlines())
    lines_a = [line.replace(work_a, work_b) for line in texts[0]]
    if len(lines_a) != len(texts[1]):
        return differences + [f"{graph}: {len(lines_a)} lines against {len(texts[1])}"]
    for line_a, line_b in zip(lines_a, texts[1]):
        if line_a == line_b:
            continue
        key_a, _, value_a = line_a.strip().partition(": ")
        key_b, _, value_b = line_b.strip().partition(": ")
        if not (key_a == key_b == "double_val" and math.isclose(
                float(value_a), float(value_b), rel_tol=TRANSFORM_RELATIVE_TOLERANCE)):
            differences.append(f"{graph}: {line_a.strip()} != {line_b.strip()}")
    return differences


def _lines_with(lines: List[str], text: str) -> List[str]:
    """The lines that contain a text."""
    return [line for line in lines if text in line]


def test_a_run_killed_in_training_resumes_from_the_cache_and_equals_an_uninterrupted_run(
    tmp_path,
):
    work_a, work_b = str(tmp_path / "a"), str(tmp_path / "b")
    os.makedirs(work_a)

    killed_lines = _kill_during_training(work_a)

    finished = [line.split()[1] for line in killed_lines if " done in " in line]
    assert finished == BEFORE_TRAINER, killed_lines
    ((killed_id, killed_state),) = _executions(work_a, "RetrievalTrainer").items()
    assert killed_state == "RUNNING"  # Killed inside the Trainer, never recorded as finished.
    partial = [
        os.path.join(work_a, "root", "RetrievalTrainer", output, str(killed_id))
        for output in ("model", "model_run")
    ]
    assert all(os.path.isdir(folder) for folder in partial)
    # The kill released the work dir's lock (the kernel drops a dead holder's flock).
    with WorkDirLock(work_a):
        pass

    summary_a, lines_a = run_pipeline(work_a, emit=lambda line: None)

    assert summary_a.cached == BEFORE_TRAINER
    assert [name for name in summary_a.seconds if name not in summary_a.cached] == AFTER_TRAINER
    (removed_line,) = _lines_with(lines_a, "Removed leftovers of interrupted runs: ")
    removed = removed_line.split(": ", 1)[1].split(", ")
    assert set(partial) <= set(removed), removed
    assert all(
        f"{os.sep}RetrievalTrainer{os.sep}" in path for path in removed
    ), f"only the killed Trainer's folders are leftovers: {removed}"
    assert not any(os.path.exists(folder) for folder in partial)
    trainer_states = _executions(work_a, "RetrievalTrainer")
    assert trainer_states.pop(killed_id) == "RUNNING"  # Never resumed: a new execution ran.
    assert list(trainer_states.values()) == ["COMPLETE"]
    assert summary_a.pushed_model is not None
    assert os.path.exists(os.path.join(summary_a.pushed_model, "saved_model.pb"))
    assert os.listdir(os.path.join(work_a, "serving")) == [os.path.basename(summary_a.pushed_model)]

    summary_b, _ = run_pipeline(work_b, emit=lambda line: None)

    assert summary_b.cached == []
    examples_a = _artifact(work_a, "MovieLensExampleGen", "examples")
    examples_b = _artifact(work_b, "MovieLensExampleGen", "examples")
    assert (examples_a.custom_properties["input_fingerprint"]
            == examples_b.custom_properties["input_fingerprint"])
    assert _files(examples_a.uri)[SUMMARY] == _files(examples_b.uri)[SUMMARY]
    for output in ("examples", "candidates"):
        data_a = _examples(_artifact(work_a, "MovieLensExampleGen", output).uri)
        assert data_a and all(data_a.values())
        assert data_a == _examples(_artifact(work_b, "MovieLensExampleGen", output).uri), output
    assert _transform_graph_differences(
        _artifact(work_a, "Transform", "transform_graph").uri,
        _artifact(work_b, "Transform", "transform_graph").uri,
        work_a,
        work_b,
    ) == []
    # Training is deterministic here (TrainerConfig.seed, fixed shuffles, one
    # CPU process): measured, A's rerun and B trained bit-identical weights
    # (the last-digit mean/variance differences above do not reach them), so
    # the whole evaluation, the model's metrics and the blessing included,
    # must be equal; only the model URIs name the work dir's own executions.
    evaluation_a, evaluation_b = (
        {key: value for key, value in summary.evaluation.items() if key != "models"}
        for summary in (summary_a, summary_b)
    )
    assert json.loads(json.dumps(evaluation_a).replace(work_a, work_b)) == evaluation_b
    assert evaluation_b["blessing"]["blessed"] is True
