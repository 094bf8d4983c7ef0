"""The TFX Trainer entry point: a thin wrapper over ``train`` and ``export``.

It also finds the warm start's base model: the Trainer's ``base_model`` input
when wired, else the model being served (the newest complete version under
the push destination named in ``custom_config``), else none.
"""

import dataclasses
import json
import os
from typing import Optional

import tensorflow as tf
from absl import logging
from tfx.components.trainer.fn_args_utils import FnArgs

from components.retrieval_trainer import spec
from components.versioned_pusher import latest_pushed_model
from trainer import config as config_lib
from trainer import distribution
from trainer.export import export_serving_model
from trainer.train import train

METRICS_FILE = "train_metrics.json"
# Where the warm start's base model came from (``BaseModel.source``).
SOURCE_INPUT = "base_model_input"
SOURCE_SERVED = "served_model"
SOURCE_NOTHING_SERVED = "nothing_served"
SOURCE_OFF = "off"


@dataclasses.dataclass(frozen=True)
class BaseModel:
    """The warm start's base model, as resolved when the Trainer runs.

    Attributes:
      path: The exported model to warm-start from, or None (from scratch).
      source: ``base_model_input`` (the Trainer's input), ``served_model``
        (the newest complete version under the push destination),
        ``nothing_served`` (warm start asked for, but nothing is served yet)
        or ``off`` (no warm start asked for).
      message: What happened, in words, for the Trainer's log.
    """

    path: Optional[str]
    source: str
    message: str


def resolve_base_model(base_model: Optional[str], push_destination: Optional[str]) -> BaseModel:
    """Finds the model to warm-start from.

    Args:
      base_model: The Trainer's ``base_model`` input (its serving model
        folder), or None when not wired.
      push_destination: The VersionedPusher destination whose served model
        is the warm start, or None when warm start from it is off.

    Returns:
      ``base_model`` when given; else the newest complete version under
      ``push_destination`` (incomplete or damaged versions skipped, as
      ``latest_pushed_model`` does); else no model.
    """
    if base_model:
        return BaseModel(base_model, SOURCE_INPUT, f"Warm start from the base_model input {base_model}")
    if not push_destination:
        return BaseModel(None, SOURCE_OFF, "No warm start: training from scratch")
    served = latest_pushed_model(push_destination)
    if served is None:
        return BaseModel(
            None,
            SOURCE_NOTHING_SERVED,
            f"Warm start: no model is served under {push_destination} yet (first run); "
            "training from scratch",
        )
    return BaseModel(served, SOURCE_SERVED, f"Warm start from the served model {served}")


def run_fn(fn_args: FnArgs) -> None:
    """Trains, exports the serving model and records the eval metrics.

    Args:
      fn_args: TFX's Trainer arguments; ``custom_config`` holds
        ``hyperparameters`` (``TrainerConfig`` fields), ``candidate_files``
        and ``split_examples`` (set by ``RetrievalTrainer``) and, for a warm
        start from the served model, ``warm_start_push_destination``.
    """
    custom_config = fn_args.custom_config or {}
    config = config_lib.TrainerConfig.from_dict(
        custom_config.get(spec.HYPERPARAMETERS_CONFIG_KEY, {})
    )
    base = resolve_base_model(
        fn_args.base_model, custom_config.get(spec.WARM_START_PUSH_DESTINATION_CONFIG_KEY)
    )
    logging.info("%s.", base.message)
    trained = train(
        train_files=fn_args.train_files,
        eval_files=fn_args.eval_files,
        candidate_files=custom_config[spec.CANDIDATE_FILES_CONFIG_KEY],
        split_sizes=custom_config.get(spec.SPLIT_EXAMPLES_CONFIG_KEY, {}),
        transform_output_dir=fn_args.transform_output,
        config=config,
        base_model_dir=base.path,
        log_dir=fn_args.model_run_dir,
    )
    with distribution.chief_write_dir(fn_args.serving_model_dir) as export_dir:
        export_serving_model(trained, export_dir)
    report = {
        "loss": trained.loss,
        "num_candidates": trained.corpus.size,
        "seconds_per_epoch": trained.seconds_per_epoch,
        "epoch_seconds": trained.epoch_seconds,
        "epochs_trained": trained.epochs_trained,
        "steps_trained": trained.steps_trained,
        "stop_reason": trained.stop_reason,
        "eval_top_k_accuracy": trained.eval_metrics,
        "eval_examples": trained.eval_examples,
        "warm_start": {"source": base.source, "base_model": base.path},
        "warm_started_rows": trained.warm_started,
        "hyperparameters": config.__dict__,
    }
    if distribution.is_chief():
        with tf.io.gfile.GFile(os.path.join(fn_args.model_run_dir, METRICS_FILE), "w") as handle:
            json.dump(report, handle, indent=2, sort_keys=True, default=list)
    logging.info("Trainer report: %s", report)
