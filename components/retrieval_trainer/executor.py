"""RetrievalTrainer's executor: TFX's GenericExecutor, told where the corpus is.

It also merges the run's ``hyperparameter_overrides`` (a pipeline parameter
of a compiled pipeline) over the built-in hyperparameters, checked as
``TrainerConfig`` checks them before anything trains.

The corpus location is resolved here, from the input artifact, and handed to
``run_fn`` through ``fn_args.custom_config``, with the examples' split sizes
when the ExampleGen recorded them (so that a split too big to hold in memory
streams from the start); channels themselves never go
through ``custom_config`` (that breaks under LocalDagRunner, tfx#5885).
"""

import json
import os
from typing import Any, Dict, List, Optional

from tfx import types
from tfx.components.trainer import executor as trainer_executor
from tfx.types import artifact_utils, standard_component_specs

from components.movielens_example_gen import spec as example_gen_spec
from components.retrieval_trainer import spec
from trainer import config as trainer_config


def with_overrides(hyperparameters: Dict[str, Any], overrides: Optional[str]) -> Dict[str, Any]:
    """The hyperparameters with a run's overrides applied, checked.

    Args:
      hyperparameters: The built-in ``TrainerConfig`` fields.
      overrides: JSON object of fields to replace (None or empty: none).

    Returns:
      The merged fields.

    Raises:
      ValueError: Naming ``hyperparameter_overrides`` when it is not a JSON
        object, or the field that is unknown or of the wrong type.
    """
    if not overrides:
        return hyperparameters
    try:
        parsed = json.loads(overrides)
    except json.JSONDecodeError as error:
        raise ValueError(f"hyperparameter_overrides {overrides!r} is not JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise ValueError(f"hyperparameter_overrides {overrides!r} is not a JSON object")
    merged = {**hyperparameters, **parsed}
    try:
        trainer_config.TrainerConfig.from_dict(merged)
    except ValueError as error:
        raise ValueError(f"hyperparameter_overrides {overrides!r}: {error}") from None
    return merged


def recorded_split_sizes(examples: types.Artifact) -> Dict[str, int]:
    """The ratings per split that an ExampleGen recorded on its examples artifact.

    Args:
      examples: An Examples artifact.

    Returns:
      Counts by split name, from its ``num_examples_<split>`` custom
      properties (ours records them; TFX's own ExampleGens do not: empty).
    """
    prefix = example_gen_spec.NUM_EXAMPLES_PROPERTY_PREFIX
    return {
        name[len(prefix):]: examples.get_int_custom_property(name)
        for name in examples.mlmd_artifact.custom_properties
        if name.startswith(prefix)
    }


class Executor(trainer_executor.GenericExecutor):
    """Runs the user's ``run_fn`` with the corpus files and split sizes in its custom config."""

    def Do(
        self,
        input_dict: Dict[str, List[types.Artifact]],
        output_dict: Dict[str, List[types.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        """Adds the corpus file pattern and the split sizes to ``custom_config``, then trains.

        Args:
          input_dict: The Trainer inputs plus ``candidates``.
          output_dict: ``model`` and ``model_run``.
          exec_properties: The Trainer's execution properties.
        """
        candidates = artifact_utils.get_single_instance(input_dict[spec.CANDIDATES_KEY])
        corpus_dir = artifact_utils.get_split_uri([candidates], spec.CANDIDATES_SPLIT)
        key = standard_component_specs.CUSTOM_CONFIG_KEY
        custom_config = json.loads(exec_properties.get(key) or "null") or {}
        custom_config[spec.CANDIDATE_FILES_CONFIG_KEY] = os.path.join(corpus_dir, "*")
        examples = artifact_utils.get_single_instance(
            input_dict[standard_component_specs.EXAMPLES_KEY]
        )
        custom_config[spec.SPLIT_EXAMPLES_CONFIG_KEY] = recorded_split_sizes(examples)
        custom_config[spec.HYPERPARAMETERS_CONFIG_KEY] = with_overrides(
            custom_config.get(spec.HYPERPARAMETERS_CONFIG_KEY, {}),
            exec_properties.get(spec.HYPERPARAMETER_OVERRIDES_KEY),
        )
        super().Do(input_dict, output_dict, {**exec_properties, key: json.dumps(custom_config)})
