"""Every setting of the pipeline, in one place, with defaults."""

import dataclasses
import hashlib
import json
import os
from typing import Any, Dict, List, Optional

from components import movielens_example_gen, retrieval_evaluator
from components.retrieval_evaluator import spec as evaluator_spec
from trainer import config as trainer_config

SCHEMA_DIR = os.path.join(os.path.dirname(__file__), "schema")
SCHEMA_ML_100K = "ml-100k"
SCHEMA_ML_1M = "ml-1m"
SCHEMA_RATINGS_ONLY = "ratings-only"
SCHEMAS = (SCHEMA_ML_100K, SCHEMA_ML_1M, SCHEMA_RATINGS_ONLY)
PREPROCESSING_FN = "transform_fn.preprocessing.preprocessing_fn"
RUN_FN = "trainer.run_fn.run_fn"


def schema_path(name: str, schema_dir: str = SCHEMA_DIR) -> str:
    """The path of a curated schema.

    Args:
      name: One of ``SCHEMAS``.
      schema_dir: The schemas' folder as the components see it (this
        package's own by default; inside the image, or on object storage,
        for a cluster).

    Returns:
      Its ``.pbtxt`` path.

    Raises:
      ValueError: On an unknown schema name.
    """
    if name not in SCHEMAS:
        raise ValueError(f"schema must be one of {SCHEMAS}, got {name!r}")
    file_name = f"{name}.pbtxt"
    if "://" in schema_dir:
        return schema_dir.rstrip("/") + "/" + file_name
    return os.path.join(schema_dir, file_name)


@dataclasses.dataclass(frozen=True)
class Deployment:
    """What differs between where the pipeline runs, as ``create_pipeline`` input.

    The defaults are LocalDagRunner's. A cluster target states its own (see
    ``pipeline/kubeflow/runner.py``), so the pipeline is built for it and the
    compiled spec is never edited afterwards.

    Attributes:
      schema_dir: The curated schemas' folder as the components see it.
      trainer_cpu: CPU limit of the Trainer's container (None: the
        cluster's default; ignored by LocalDagRunner).
      trainer_memory_gb: Memory limit of the Trainer's container, in GB.
      runtime_parameters: Whether what a recurring run sets (the span, the
        GroupLens input path, hyperparameter overrides) are pipeline
        parameters (``RUNTIME_PARAMETERS``) with the settings as defaults;
        LocalDagRunner takes the settings as they are.
    """

    schema_dir: str = SCHEMA_DIR
    trainer_cpu: Optional[float] = None
    trainer_memory_gb: Optional[float] = None
    runtime_parameters: bool = False

    def __post_init__(self):
        for name in ("trainer_cpu", "trainer_memory_gb"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")


# What the pipeline's blessing requires of the baselines (the component
# requires nothing by default): at least as good as the popularity baselines
# (filtered, at blessing_k). The gap to item-kNN and EASE is reported, not
# required: on 100k synthetic ratings with MovieLens's sessions the model is
# level with EASE (docs/evaluation.md), so a gate on it would stop a push on
# a training seed's luck. ``--blessing-baselines all`` counts every baseline.
# ``query_time`` and ``baseline_push_destination`` are not set here:
# ``create_pipeline`` derives them from the split mode and the push
# destination.
PIPELINE_EVALUATOR_SETTINGS = retrieval_evaluator.Settings(
    min_margin_over_baselines=0.0,
    blessing_baselines=(evaluator_spec.POPULARITY, evaluator_spec.RECENT_POPULARITY),
)


@dataclasses.dataclass(frozen=True)
class PipelineConfig:
    """The whole pipeline's settings.

    Attributes:
      pipeline_name: Name in the metadata store.
      pipeline_root: Where artifacts go (local, ``gs://``, ``s3://``).
      push_destination: Base directory of pushed models (TF Serving layout).
      example_gen: The ExampleGen's settings.
      schema: Curated schema name (``SCHEMAS``).
      bucketing: Timestamp/age bucket boundaries: quantile or equal_width.
      hyperparameters: ``trainer.config.TrainerConfig`` fields.
      evaluator: The Evaluator's measurement settings and blessing rules
        (its ``query_time`` and ``baseline_push_destination`` are set by
        ``create_pipeline``).
      warm_start: Start the Trainer from the model being served (the newest
        complete version under ``push_destination``).
      skip_unchanged: Run a ``RetrainGate`` first: when the newest span, its
        window's data, the settings and the code equal those of the last
        completed run (recorded under the pipeline root), nothing else
        runs. What ``retrain`` and a scheduled cluster run use.
      analyzer_cache: Reuse tf.Transform's analysis of spans analysed by an
        earlier run (the cache its pointer under the pipeline root names), so
        a run over a window of spans analyses only the new ones. Pays from
        roughly 150k ratings per span (docs/retraining.md).
      beam_pipeline_args: Beam options for ExampleGen, StatisticsGen,
        Transform and the Evaluator.
      enable_cache: Reuse results of unchanged components (MLMD cache).
    """

    pipeline_name: str
    pipeline_root: str
    push_destination: str
    example_gen: movielens_example_gen.Settings = movielens_example_gen.Settings()
    schema: str = SCHEMA_ML_100K
    bucketing: str = "quantile"
    hyperparameters: Dict[str, Any] = dataclasses.field(default_factory=dict)
    evaluator: retrieval_evaluator.Settings = PIPELINE_EVALUATOR_SETTINGS
    warm_start: bool = False
    skip_unchanged: bool = False
    analyzer_cache: bool = False
    beam_pipeline_args: List[str] = dataclasses.field(default_factory=list)
    enable_cache: bool = True

    def __post_init__(self):
        """Checks what would otherwise fail only after the data was processed.

        Raises:
          ValueError: If a hyperparameter is unknown or of the wrong type, or
            the model would return fewer movies than the Evaluator's largest k.
        """
        check_trainer_settings(self.hyperparameters, self.evaluator)


# PipelineConfig fields that change how the pipeline runs, not what it makes.
_RUNTIME_FIELDS = ("beam_pipeline_args", "enable_cache", "skip_unchanged", "analyzer_cache")


def settings_fingerprint(config: PipelineConfig) -> str:
    """Hashes the settings that decide what a run produces.

    Args:
      config: The pipeline settings.

    Returns:
      A hex SHA-256 of every field but ``_RUNTIME_FIELDS``, the
      hyperparameters completed by their defaults (so ``{}`` and the defaults
      spelled out hash the same).
    """
    settings = dataclasses.asdict(config)
    for name in _RUNTIME_FIELDS:
        settings.pop(name)
    settings["hyperparameters"] = dataclasses.asdict(
        trainer_config.TrainerConfig.from_dict(config.hyperparameters)
    )
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_trainer_settings(
    hyperparameters: Dict[str, Any], evaluator: retrieval_evaluator.Settings
) -> None:
    """Checks the Trainer's settings and their contract with the Evaluator's.

    Args:
      hyperparameters: ``trainer.config.TrainerConfig`` fields.
      evaluator: The Evaluator's settings.

    Raises:
      ValueError: If a hyperparameter is unknown or of the wrong type, or
        the model would return fewer movies than the Evaluator's largest k.
    """
    trainer = trainer_config.TrainerConfig.from_dict(hyperparameters)
    largest_k = max(evaluator.top_ks)
    if trainer.top_k < largest_k:
        raise ValueError(
            f"Trainer setting 'top_k' ({trainer.top_k}) is below the Evaluator's "
            f"largest k ({largest_k}): the model must return at least that many movies"
        )
