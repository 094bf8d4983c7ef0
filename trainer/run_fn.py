"""The TFX Trainer entry point: a thin wrapper over ``train`` and ``export``."""

import json
import os

import tensorflow as tf
from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs

from components.retrieval_trainer import spec
from trainer import config as config_lib
from trainer.export import export_serving_model
from trainer.train import train

METRICS_FILE = "train_metrics.json"


def run_fn(fn_args: FnArgs) -> None:
    """Trains, exports the serving model and records the eval metrics.

    Args:
      fn_args: TFX's Trainer arguments; ``custom_config`` holds
        ``hyperparameters`` (``TrainerConfig`` fields) and ``candidate_files``
        (set by ``RetrievalTrainer``).
    """
    custom_config = fn_args.custom_config or {}
    config = config_lib.TrainerConfig.from_dict(
        custom_config.get(spec.HYPERPARAMETERS_CONFIG_KEY, {})
    )
    trained = train(
        train_files=fn_args.train_files,
        eval_files=fn_args.eval_files,
        candidate_files=custom_config[spec.CANDIDATE_FILES_CONFIG_KEY],
        transform_output_dir=fn_args.transform_output,
        config=config,
        base_model_dir=fn_args.base_model,
        log_dir=fn_args.model_run_dir,
    )
    export_serving_model(trained, fn_args.serving_model_dir)
    report = {
        "loss": trained.loss,
        "num_candidates": trained.corpus.size,
        "seconds_per_epoch": trained.seconds_per_epoch,
        "eval_top_k_accuracy": trained.eval_metrics,
        "warm_started_rows": trained.warm_started,
        "hyperparameters": config.__dict__,
    }
    with tf.io.gfile.GFile(os.path.join(fn_args.model_run_dir, METRICS_FILE), "w") as handle:
        json.dump(report, handle, indent=2, sort_keys=True, default=list)
    logging.info("Trainer report: %s", report)
