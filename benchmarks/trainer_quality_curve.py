"""The model's as-served quality after every epoch, on a pipeline run's data.

Trains ``trainer.train.train`` with some hyperparameters on the ExampleGen
and Transform outputs of an earlier pipeline run (its ``pipeline_root``),
and after every ``--every`` epochs asks the model the Trainer's own
question (``trainer.metrics.evaluate``: the first ``--eval-batches`` batches
of 4096 eval ratings, each at the model's default time, the user's training
movies left out of the ranking) so a curve shows when quality peaks, and
whether it falls while the training loss keeps falling (a leak in training:
trainer/README.md, "The leave-one-out history leaks"). The batches are the
first in file order, not a random draw: below the whole eval split they
trace the curve's shape, and the numbers of the JSON's
``final_eval_top_k_accuracy`` (the Trainer's report: every eval rating, or
its seeded sample of ``max_eval_examples``, ``final_eval_examples``) are the
ones to compare with the Evaluator's.

Usage (from the repository root)::

    TF_USE_LEGACY_KERAS=1 .venv/bin/python benchmarks/trainer_quality_curve.py \\
        --pipeline-root WORK_DIR/pipeline_root \\
        --hyperparameters '{"epochs": 30, "history_keep_rate": 1.0}' --output curve.json
"""

import os

os.environ["TF_USE_LEGACY_KERAS"] = "1"  # before TensorFlow is imported
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# pylint: disable=g-import-not-at-top,wrong-import-position
import argparse
import json
import sys
import time
from typing import Any, Dict, List, Optional

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from tfx.dsl.io import fileio

from trainer import config as config_lib
from trainer import data, metrics, train

_EVAL_BATCH = 4096


def newest_artifact(pipeline_root: str, component: str, output: str) -> str:
    """The newest artifact folder of a component's output under a pipeline root.

    Args:
      pipeline_root: The run's pipeline root.
      component: The component id, e.g. ``Transform``.
      output: The output key, e.g. ``transform_graph``.

    Returns:
      The folder with the highest artifact id.

    Raises:
      FileNotFoundError: If the output has no artifact.
    """
    folder = os.path.join(pipeline_root, component, output)
    ids = [name.rstrip("/") for name in fileio.listdir(folder)] if fileio.exists(folder) else []
    ids = [name for name in ids if name.isdigit()]
    if not ids:
        raise FileNotFoundError(f"No {component} {output} artifact under {folder}")
    return os.path.join(folder, max(ids, key=int))


class QualityCurve(tf.keras.callbacks.Callback):
    """Evaluates the model as served every few epochs."""

    def __init__(self, transform_output: tft.TFTransformOutput, eval_files: str,
                 eval_batches: int, every: int):
        """Reads (and transforms once) the eval ratings the curve uses.

        Args:
          transform_output: The Transform output.
          eval_files: Glob of the raw eval examples.
          eval_batches: Batches of 4096 eval ratings to ask.
          every: Evaluate after every this many epochs.
        """
        super().__init__()
        self._output = transform_output
        self._layer = transform_output.transform_features_layer()
        self._dataset = data.transformed_ratings(
            [eval_files], transform_output, self._layer, _EVAL_BATCH, cache=True
        ).take(eval_batches)
        self._every = every
        self._started = time.perf_counter()
        self.points: List[Dict[str, Any]] = []

    def on_epoch_end(self, epoch: int, logs: Optional[Dict[str, Any]] = None) -> None:
        """Records the epoch's loss and the model's filtered top-k accuracy.

        Args:
          epoch: The epoch's index, from 0.
          logs: Keras's epoch logs (the loss).
        """
        if (epoch + 1) % self._every:
            return
        model = self.model
        time_features = metrics.query_time_features(
            self._layer, self._output.raw_feature_spec(), int(model.user_history.latest_time.numpy())
        )
        corpus_size = int(model.rows.size().numpy())  # movie id -> corpus row table
        accuracy = metrics.evaluate(model, self._dataset, time_features, np.zeros(corpus_size)).accuracy
        point = {
            "epoch": epoch + 1,
            "steps": int(model.optimizer.iterations.numpy()),
            "loss": round(float((logs or {}).get("loss", float("nan"))), 4),
            "top_k_accuracy": {str(k): round(v, 4) for k, v in accuracy["model"].items()},
            "seconds": round(time.perf_counter() - self._started, 1),
        }
        self.points.append(point)
        print(json.dumps(point), flush=True)


def main() -> None:
    """Parses the flags, trains with the curve callback and writes the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pipeline-root", required=True, help="an earlier run's pipeline root")
    parser.add_argument("--hyperparameters", default="{}", help="TrainerConfig fields as JSON")
    parser.add_argument("--eval-batches", type=int, default=5, help="eval batches of 4096 asked")
    parser.add_argument("--every", type=int, default=1, help="evaluate every this many epochs")
    parser.add_argument("--output", required=True, help="JSON file to write")
    args = parser.parse_args()
    root = args.pipeline_root
    examples = newest_artifact(root, "MovieLensExampleGen", "examples")
    candidates = newest_artifact(root, "MovieLensExampleGen", "candidates")
    transform_dir = newest_artifact(root, "Transform", "transform_graph")
    config = config_lib.TrainerConfig.from_dict(json.loads(args.hyperparameters))
    curve = QualityCurve(
        tft.TFTransformOutput(transform_dir),
        os.path.join(examples, "Split-eval", "*"),
        args.eval_batches,
        args.every,
    )
    trained = train.train(
        train_files=[os.path.join(examples, "Split-train", "*")],
        eval_files=[os.path.join(examples, "Split-eval", "*")],
        candidate_files=[os.path.join(candidates, "Split-corpus", "*")],
        transform_output_dir=transform_dir,
        config=config,
        callbacks=[curve],
    )
    result = {
        "pipeline_root": root,
        "hyperparameters": config.__dict__,
        "curve": curve.points,
        "final_eval_top_k_accuracy": trained.eval_metrics,
        "final_eval_examples": trained.eval_examples,
        "epoch_seconds": trained.epoch_seconds,
    }
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(result, out, indent=2, default=list)


if __name__ == "__main__":
    main()
