"""Two local processes train the Trainer's model under MultiWorkerMirroredStrategy.

Each worker runs RetrievalTrainer's executor (TFX's GenericExecutor, then
``run_fn``) with ``TF_CONFIG`` naming both (``localhost``, free ports) and the
same output artifacts, as the replicas of a Kubeflow TFJob share the
pipeline root. The worker is this module run as a script (``python -m
tests.trainer.test_multi_worker SETTINGS``): it records what ``train``
returned (steps taken, each epoch's loss, the final weights) before
``run_fn`` exports.
"""

import json
import math
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
import pytest
import tensorflow as tf
from tfx.types import artifact_utils, standard_artifacts, standard_component_specs

from components.retrieval_trainer import executor, spec
from trainer import config as config_lib
from trainer import run_fn
from trainer import train as train_lib

pytestmark = pytest.mark.slow

EPOCHS = 2
BATCH_SIZE = 256
TOP_K = 10
HYPERPARAMETERS = {"epochs": EPOCHS, "batch_size": BATCH_SIZE, "top_k": TOP_K}
# Both workers together; the collective ops would wait for a dead peer forever.
TIMEOUT_SECONDS = 480
_REPO = Path(__file__).resolve().parents[2]


def _free_ports(count: int) -> List[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("localhost", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _record_train(result_dir: str) -> Callable[..., train_lib.TrainedModel]:
    """``train_lib.train``, recording steps, epoch losses and weights into ``result_dir``."""
    original = train_lib.train

    def train(**kwargs) -> train_lib.TrainedModel:
        trained = original(**kwargs)
        model = trained.model
        with open(os.path.join(result_dir, "result.json"), "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "steps": int(model.optimizer.iterations.numpy()),
                    "losses": [float(loss) for loss in model.history.history["loss"]],
                },
                handle,
            )
        np.savez(
            os.path.join(result_dir, "weights.npz"),
            *[variable.numpy() for variable in model.trainable_variables],
        )
        return trained

    return train


def _examples(uri: str, splits: List[str]) -> standard_artifacts.Examples:
    artifact = standard_artifacts.Examples()
    artifact.uri = uri
    artifact.split_names = artifact_utils.encode_split_names(splits)
    return artifact


def _worker(settings_path: str) -> None:
    """One worker: RetrievalTrainer's executor, as a pipeline's Trainer task runs it."""
    with open(settings_path, encoding="utf-8") as handle:
        settings = json.load(handle)
    # TFX reloads the run_fn module, which imports ``train`` anew from here.
    train_lib.train = _record_train(settings["result_dir"])
    transform_graph = standard_artifacts.TransformGraph()
    transform_graph.uri = settings["transform_dir"]
    model, model_run = standard_artifacts.Model(), standard_artifacts.ModelRun()
    model.uri, model_run.uri = settings["model_uri"], settings["model_run_uri"]
    executor.Executor().Do(
        {
            standard_component_specs.EXAMPLES_KEY: [
                _examples(settings["examples_uri"], ["train", "eval"])
            ],
            standard_component_specs.TRANSFORM_GRAPH_KEY: [transform_graph],
            spec.CANDIDATES_KEY: [_examples(settings["candidates_uri"], [spec.CANDIDATES_SPLIT])],
        },
        {
            standard_component_specs.MODEL_KEY: [model],
            standard_component_specs.MODEL_RUN_KEY: [model_run],
        },
        {
            standard_component_specs.RUN_FN_KEY: "trainer.run_fn.run_fn",
            standard_component_specs.TRAIN_ARGS_KEY: "{}",
            standard_component_specs.EVAL_ARGS_KEY: "{}",
            standard_component_specs.CUSTOM_CONFIG_KEY: json.dumps(
                {spec.HYPERPARAMETERS_CONFIG_KEY: HYPERPARAMETERS}
            ),
        },
    )


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _artifact_uri(split_files: str) -> str:
    """The artifact folder of a split's file pattern, ``URI/Split-NAME/*.gz``."""
    return os.path.dirname(os.path.dirname(split_files))


def _run_workers(tmp_path: Path, data) -> List[Path]:
    """Runs both workers to the end; returns each one's result directory."""
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{port}" for port in ports]}
    processes, result_dirs, logs = [], [], []
    try:
        for index in range(2):
            result_dir = tmp_path / f"worker{index}"
            result_dir.mkdir()
            settings = result_dir / "settings.json"
            settings.write_text(json.dumps({
                "examples_uri": _artifact_uri(data.train_files),
                "candidates_uri": _artifact_uri(data.candidate_files),
                "transform_dir": data.transform_dir,
                "model_uri": str(tmp_path / "model"),
                "model_run_uri": str(tmp_path / "model_run"),
                "result_dir": str(result_dir),
            }))
            env = {
                **os.environ,
                "TF_USE_LEGACY_KERAS": "1",
                "TF_CONFIG": json.dumps(
                    {"cluster": cluster, "task": {"type": "worker", "index": index}}
                ),
            }
            log = result_dir / "log.txt"
            with open(log, "w", encoding="utf-8") as output:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "tests.trainer.test_multi_worker", str(settings)],
                    cwd=_REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
                ))
            result_dirs.append(result_dir)
            logs.append(log)
        deadline = time.monotonic() + TIMEOUT_SECONDS
        # One failed worker leaves the other waiting in a collective: stop at the first.
        while any(p.poll() is None for p in processes) and time.monotonic() < deadline:
            if any(p.poll() not in (None, 0) for p in processes):
                break
            time.sleep(1)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
            process.wait()
    codes = [process.returncode for process in processes]
    assert codes == [0, 0], "worker exit codes {} (killed after {}s: -9)\n{}".format(
        codes,
        TIMEOUT_SECONDS,
        "\n".join(f"--- worker {i}\n{_tail(log)}" for i, log in enumerate(logs)),
    )
    return result_dirs


def _count_records(pattern: str) -> int:
    files = tf.io.gfile.glob(pattern)
    return sum(1 for _ in tf.data.TFRecordDataset(files, compression_type="GZIP"))


def _results(result_dir: Path) -> Dict[str, object]:
    with open(result_dir / "result.json", encoding="utf-8") as handle:
        result = json.load(handle)
    with np.load(result_dir / "weights.npz") as weights:
        result["weights"] = [weights[f"arr_{i}"] for i in range(len(weights.files))]
    return result


@pytest.fixture(scope="module")
def two_workers(analysed_data, tmp_path_factory):
    """Both workers run to the end: their results and the shared output folder."""
    tmp_path = tmp_path_factory.mktemp("multi_worker")
    started = time.perf_counter()
    result_dirs = _run_workers(tmp_path, analysed_data)
    print(f"two workers took {time.perf_counter() - started:.1f}s")
    return [_results(result_dir) for result_dir in result_dirs], tmp_path


@pytest.fixture(scope="module")
def single_process(analysed_data):
    """The same training in one process, without ``TF_CONFIG``: steps and epoch losses."""
    trained = train_lib.train(
        analysed_data.train_files,
        analysed_data.eval_files,
        analysed_data.candidate_files,
        analysed_data.transform_dir,
        config_lib.TrainerConfig(**HYPERPARAMETERS),
    )
    return int(trained.model.optimizer.iterations.numpy()), trained.model.history.history["loss"]


def test_both_workers_take_the_single_process_number_of_steps(two_workers, single_process, analysed_data):
    (chief, worker), _ = two_workers
    steps, _ = single_process
    steps_per_epoch = math.ceil(_count_records(analysed_data.train_files) / BATCH_SIZE)
    assert chief["steps"] == worker["steps"] == steps == EPOCHS * steps_per_epoch


def test_the_loss_falls_as_in_one_process_and_both_workers_report_it(two_workers, single_process):
    (chief, worker), _ = two_workers
    _, losses = single_process
    assert len(chief["losses"]) == EPOCHS
    assert chief["losses"] == worker["losses"]
    assert chief["losses"][-1] < chief["losses"][0]
    # The global batch is split, not multiplied, and its loss is the mean:
    # the same model as one process trains, up to the order of float sums.
    np.testing.assert_allclose(chief["losses"], losses, rtol=1e-2)


def test_the_workers_end_with_identical_weights(two_workers):
    (chief, worker), _ = two_workers
    assert len(chief["weights"]) == len(worker["weights"]) > 0
    for chief_weights, worker_weights in zip(chief["weights"], worker["weights"]):
        np.testing.assert_array_equal(chief_weights, worker_weights)


def test_only_the_chief_writes_and_its_model_answers(two_workers, analysed_data):
    _, tmp_path = two_workers
    serving_model_dir = tmp_path / "model" / "Format-Serving"
    assert not list(tmp_path.glob("**/workertemp_*"))
    assert (tmp_path / "model_run" / run_fn.METRICS_FILE).exists()
    files = tf.io.gfile.glob(analysed_data.eval_files)
    examples = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP").take(3)]
    loaded = tf.saved_model.load(str(serving_model_dir))
    out = loaded.signatures["serving_default"](examples=tf.constant(examples))
    assert out["movie_ids"].shape == (3, TOP_K)
    assert np.all(np.isfinite(out["scores"].numpy()))


if __name__ == "__main__":
    _worker(sys.argv[1])
