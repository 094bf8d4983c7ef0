"""The small synthetic pipeline the end-to-end tests run (3000 ratings, 2 epochs)."""

import dataclasses
import os

from components import movielens_example_gen
from pipeline import config as config_lib
from pipeline.kubeflow import beam_profiles


def small_config(
    work_dir: str, pipeline_name: str, with_demographics: bool = True
) -> config_lib.PipelineConfig:
    """The pipeline config of a small end-to-end run under a work dir.

    Args:
      work_dir: The work directory (pipeline root and push destination under it).
      pipeline_name: The pipeline's name.
      with_demographics: Whether the synthetic users have demographics.

    Returns:
      The config: 3000 synthetic ratings (seed 5), 2 epochs, in-memory Beam,
      no margin over the baselines required.
    """
    return config_lib.PipelineConfig(
        pipeline_name=pipeline_name,
        pipeline_root=os.path.join(work_dir, "root"),
        push_destination=os.path.join(work_dir, "serving"),
        example_gen=movielens_example_gen.Settings(
            source="synthetic",
            synthetic_config={"num_ratings": 3000, "seed": 5, "with_demographics": with_demographics},
        ),
        schema=config_lib.SCHEMA_ML_100K,
        hyperparameters={"epochs": 2, "batch_size": 512},
        evaluator=dataclasses.replace(config_lib.PIPELINE_EVALUATOR_SETTINGS, min_margin_over_baselines=None),
        beam_pipeline_args=beam_profiles.direct_runner_args(multi_processing=False),
    )
