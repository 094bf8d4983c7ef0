"""Times a Trainer epoch against a bare Keras loop over the same data and model.

Issue 13's target: a Trainer epoch within 1.2x of a bare Keras loop over the
same in-memory tensors and model. One process measures both:

1. Data: N synthetic ratings through the real ExampleGen executor and the
   project's ``preprocessing_fn`` analysed by tf.Transform
   (``tests/trainer/trainer_fixtures.build``, what the trainer tests train
   on): raw gzipped TFRecords, a transform graph, nothing materialized.
2. Trainer: ``trainer.train.train`` as ``run_fn`` calls it (TensorBoard
   logs included): its input pipeline from the TFRecords through the
   transform graph (with the default ``cache_examples``: transformed once
   into memory, reshuffled batches gathered every epoch), its model
   (``train.build_model``: towers, histories, loss, optimizer) and callbacks
   (epoch progress lines, TensorBoard).
3. Bare Keras: the same model built the same way (``train.build_model``,
   same seed), fitted on the same training split already transformed and
   held in memory, ``tf.data.Dataset.from_tensor_slices(columns).batch(b)``
   cached and prefetched: no shuffle, no callbacks but the timer, same batch
   size and epochs.

An epoch is timed from the end of the previous one (the first: from the
start of training) to its end, so opening each epoch's iterator counts.
The first epoch (tracing, first fill of the caches) is left out of the
per-epoch means; every epoch's wall and process CPU seconds are in the JSON.

Usage (from the repository root)::

    TF_USE_LEGACY_KERAS=1 .venv/bin/python benchmarks/trainer_epoch_benchmark.py \\
        --ratings 200000 --epochs 4 --output trainer_epoch.json
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# pylint: disable=g-import-not-at-top,wrong-import-position
import argparse
import dataclasses
import json
import platform
import statistics
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

import tensorflow as tf
import tensorflow_transform as tft

from tests.trainer import trainer_fixtures
from trainer import config as config_lib
from trainer import data, train

TARGET_RATIO = 1.2


class EpochTimer(tf.keras.callbacks.Callback):
    """Wall and process CPU seconds of every epoch, end to end.

    Epoch i runs from the end of epoch i - 1 (epoch 0: from the start of
    training) to its own end, so the iterator Keras opens between epochs
    counts. Added last, so the other callbacks' epoch-end work counts too.
    """

    def __init__(self):
        """Starts with no epoch timed."""
        super().__init__()
        self.wall: List[float] = []
        self.cpu: List[float] = []
        self._last_wall = 0.0
        self._last_cpu = 0.0

    def on_train_begin(self, logs: Optional[Dict[str, Any]] = None) -> None:
        """Starts the clocks.

        Args:
          logs: Unused.
        """
        self._last_wall, self._last_cpu = time.perf_counter(), time.process_time()

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        """Records the epoch's seconds.

        Args:
          epoch: The epoch's index, from 0.
          logs: Unused.
        """
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall.append(wall - self._last_wall)
        self.cpu.append(cpu - self._last_cpu)
        self._last_wall, self._last_cpu = wall, cpu


def _summary(timer: EpochTimer, examples: int) -> Dict[str, Any]:
    """Per-epoch numbers of one fit, the first epoch left out of the means.

    Args:
      timer: The fit's timer.
      examples: Training examples per epoch.

    Returns:
      Every epoch's wall and CPU seconds, and the means, median and
      examples per second over the epochs after the first.
    """
    measured = timer.wall[1:] or timer.wall
    measured_cpu = timer.cpu[1:] or timer.cpu
    mean = statistics.fmean(measured)
    return {
        "epoch_seconds": [round(s, 3) for s in timer.wall],
        "epoch_cpu_seconds": [round(s, 3) for s in timer.cpu],
        "seconds_per_epoch": round(mean, 3),
        "median_seconds_per_epoch": round(statistics.median(measured), 3),
        "cpu_seconds_per_epoch": round(statistics.fmean(measured_cpu), 3),
        "examples_per_second": round(examples / mean, 1),
        "first_epoch_seconds": round(timer.wall[0], 3),
    }


def _in_memory_dataset(columns: Dict[str, Any], batch_size: int) -> tf.data.Dataset:
    """The bare loop's input: the transformed columns sliced, batched, cached, prefetched.

    Args:
      columns: ``data.transform_split`` of the training split.
      batch_size: Examples per batch.

    Returns:
      Batches as the model reads them (variable-length features sparse, as
      the Trainer's batches carry them).
    """

    def as_model_reads(batch: Dict[str, Any]) -> Dict[str, Any]:
        return {
            name: value.to_sparse() if isinstance(value, tf.RaggedTensor) else value
            for name, value in batch.items()
        }

    return (
        tf.data.Dataset.from_tensor_slices(columns)
        .batch(batch_size)
        .map(as_model_reads)
        .cache()
        .prefetch(tf.data.AUTOTUNE)
    )


def run_trainer(
    analysed: trainer_fixtures.AnalysedData, config: config_lib.TrainerConfig, log_dir: str
) -> Dict[str, Any]:
    """Runs the Trainer's ``train`` and times its epochs.

    Args:
      analysed: The dataset.
      config: The hyperparameters.
      log_dir: The TensorBoard log directory (``run_fn`` passes one).

    Returns:
      The timer, the trained model's report and the call's wall and CPU seconds.
    """
    timer = EpochTimer()
    wall, cpu = time.perf_counter(), time.process_time()
    trained = train.train(
        analysed.train_files,
        analysed.eval_files,
        analysed.candidate_files,
        analysed.transform_dir,
        config,
        log_dir=log_dir,
        callbacks=[timer],
    )
    return {
        "timer": timer,
        "call_seconds": time.perf_counter() - wall,
        "call_cpu_seconds": time.process_time() - cpu,
        "loss": trained.loss,
        "num_candidates": trained.corpus.size,
        "steps_trained": trained.steps_trained,
        "stop_reason": trained.stop_reason,
        "eval_top_k_accuracy": trained.eval_metrics,
    }


def run_bare_keras(
    analysed: trainer_fixtures.AnalysedData, config: config_lib.TrainerConfig
) -> Dict[str, Any]:
    """Fits the same model on the transformed split held in memory.

    Args:
      analysed: The dataset.
      config: The hyperparameters (model, batch size, epochs).

    Returns:
      The timer, the examples per epoch, and the seconds of the set-up
      (transforming into memory, building) and of the fit.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    tf_transform_output = tft.TFTransformOutput(analysed.transform_dir)
    transform_layer = tf_transform_output.transform_features_layer()
    corpus = data.load_corpus(analysed.candidate_files, tf_transform_output, transform_layer)
    rows = data.corpus_rows(corpus)
    columns = data.transform_split(analysed.train_files, tf_transform_output, transform_layer)
    examples = int(next(iter(columns.values())).shape[0])
    dataset = _in_memory_dataset(columns, config.batch_size)
    rated = data.interactions(dataset, rows)  # also fills the cache
    tf.keras.utils.set_random_seed(config.seed)
    model = train.build_model(
        tf_transform_output, corpus, rows, rated, config.resolved_loss(corpus.size), config
    )
    train._build(model, dataset)  # pylint: disable=protected-access
    setup_seconds = time.perf_counter() - wall
    timer = EpochTimer()
    fit_wall, fit_cpu = time.perf_counter(), time.process_time()
    model.fit(dataset, epochs=config.epochs, callbacks=[timer], verbose=0)
    return {
        "timer": timer,
        "examples": examples,
        "setup_seconds": setup_seconds,
        "setup_cpu_seconds": fit_cpu - cpu,
        "fit_seconds": time.perf_counter() - fit_wall,
        "fit_cpu_seconds": time.process_time() - fit_cpu,
        "steps_trained": int(model.optimizer.iterations.numpy()),
    }


def measure(ratings: int, epochs: int, batch_size: int, seed: int, work_dir: str) -> Dict[str, Any]:
    """Builds the data, runs the Trainer, then the bare loop, in this process.

    Args:
      ratings: Synthetic ratings to generate.
      epochs: Epochs of each fit (>= 2: the first is left out).
      batch_size: Examples per step.
      seed: The synthetic data's seed (the model's is the Trainer's default).
      work_dir: Where the data and the TensorBoard logs go.

    Returns:
      The JSON report.
    """
    started_wall, started_cpu = time.perf_counter(), time.process_time()
    analysed = trainer_fixtures.build(
        os.path.join(work_dir, "data"), {"num_ratings": ratings, "seed": seed}
    )
    data_seconds = time.perf_counter() - started_wall
    config = config_lib.TrainerConfig(epochs=epochs, batch_size=batch_size)

    trainer = run_trainer(analysed, config, os.path.join(work_dir, "model_run"))
    bare = run_bare_keras(analysed, config)
    examples = bare["examples"]
    trainer_epochs = _summary(trainer.pop("timer"), examples)
    bare_epochs = _summary(bare.pop("timer"), examples)
    ratio = trainer_epochs["seconds_per_epoch"] / bare_epochs["seconds_per_epoch"]
    return {
        "settings": {
            "ratings": ratings,
            "train_examples": examples,
            "epochs": epochs,
            "batch_size": batch_size,
            "steps_per_epoch": -(-examples // batch_size),
            "data_seed": seed,
            "loss": trainer["loss"],
            "num_candidates": trainer["num_candidates"],
            "hyperparameters": dataclasses.asdict(config),
            "measured_epochs": (
                f"epochs 2..{epochs}: the first (tracing, filling caches) is left out of the "
                "means; an epoch runs from the previous epoch's end to its own"
            ),
            "bare_keras_input": (
                "from_tensor_slices(transformed columns).batch(batch_size).map(ragged to "
                "sparse).cache().prefetch(AUTOTUNE); no shuffle, no callbacks but the timer"
            ),
            "tensorflow": tf.__version__,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "trainer": {**trainer_epochs, **trainer},
        "bare_keras": {**bare_epochs, **bare},
        "ratio": round(ratio, 3),
        "median_ratio": round(
            trainer_epochs["median_seconds_per_epoch"] / bare_epochs["median_seconds_per_epoch"], 3
        ),
        "cpu_ratio": round(
            trainer_epochs["cpu_seconds_per_epoch"] / bare_epochs["cpu_seconds_per_epoch"], 3
        ),
        "target_ratio": TARGET_RATIO,
        "within_target": ratio <= TARGET_RATIO,
        "data_seconds": round(data_seconds, 1),
        "total_seconds": round(time.perf_counter() - started_wall, 1),
        "process_cpu_seconds": round(time.process_time() - started_cpu, 1),
    }


def main() -> None:
    """Parses the flags, measures, writes the JSON and prints the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ratings", type=int, default=200_000, help="synthetic ratings")
    parser.add_argument("--epochs", type=int, default=4, help="epochs of each fit (>= 2)")
    parser.add_argument("--batch-size", type=int, default=config_lib.TrainerConfig.batch_size,
                        help="examples per step (default: the Trainer's)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic data seed")
    parser.add_argument("--work-dir", default=None,
                        help="where the data and logs go (default: a temporary directory)")
    parser.add_argument("--output", required=True, help="JSON file to write")
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be >= 2: the first epoch is left out of the means")
    with tempfile.TemporaryDirectory(prefix="trainer_epoch_") as temporary:
        result = measure(
            args.ratings, args.epochs, args.batch_size, args.seed, args.work_dir or temporary
        )
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(result, out, indent=2, default=str)
    for name in ("trainer", "bare_keras"):
        row = result[name]
        print(
            f"{name:<11} {row['seconds_per_epoch']:8.2f} s/epoch "
            f"(median {row['median_seconds_per_epoch']:.2f}, first {row['first_epoch_seconds']:.2f}) "
            f"{row['examples_per_second']:10.0f} examples/s  CPU {row['cpu_seconds_per_epoch']:.2f} s/epoch"
        )
    print(f"ratio {result['ratio']:.3f} (median {result['median_ratio']:.3f}, "
          f"CPU {result['cpu_ratio']:.3f}); target <= {TARGET_RATIO}")


if __name__ == "__main__":
    main()
