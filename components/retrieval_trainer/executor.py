"""RetrievalTrainer's executor: TFX's GenericExecutor, told where the corpus is.

The corpus location is resolved here, from the input artifact, and handed to
``run_fn`` through ``fn_args.custom_config``; channels themselves never go
through ``custom_config`` (that breaks under LocalDagRunner, tfx#5885).
"""

import json
import os
from typing import Any, Dict, List

from tfx import types
from tfx.components.trainer import executor as trainer_executor
from tfx.types import artifact_utils, standard_component_specs

from components.retrieval_trainer import spec


class Executor(trainer_executor.GenericExecutor):
    """Runs the user's ``run_fn`` with the corpus files in its custom config."""

    def Do(
        self,
        input_dict: Dict[str, List[types.Artifact]],
        output_dict: Dict[str, List[types.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        """Adds the corpus file pattern to ``custom_config``, then trains.

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
        super().Do(input_dict, output_dict, {**exec_properties, key: json.dumps(custom_config)})
