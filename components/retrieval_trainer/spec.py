"""Spec and keys of RetrievalTrainer: TFX's TrainerSpec plus the corpus."""

from tfx.types import standard_artifacts, standard_component_specs
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

CANDIDATES_KEY = "candidates"
CANDIDATES_SPLIT = "corpus"
# Key of fn_args.custom_config holding the corpus file pattern.
CANDIDATE_FILES_CONFIG_KEY = "candidate_files"
# Key of fn_args.custom_config holding the trainer hyperparameters.
HYPERPARAMETERS_CONFIG_KEY = "hyperparameters"
# Key of fn_args.custom_config holding the push destination whose served model
# (newest complete version) ``run_fn`` warm-starts from.
WARM_START_PUSH_DESTINATION_CONFIG_KEY = "warm_start_push_destination"
# Key of fn_args.custom_config holding the ratings per split of the examples,
# when the ExampleGen recorded them (``num_examples_<split>`` properties).
SPLIT_EXAMPLES_CONFIG_KEY = "split_examples"
# A run's hyperparameters over the built-in ones (JSON; a pipeline parameter
# of a compiled pipeline).
HYPERPARAMETER_OVERRIDES_KEY = "hyperparameter_overrides"


class RetrievalTrainerSpec(standard_component_specs.TrainerSpec):
    """TFX's Trainer spec with a ``candidates`` Examples input."""

    INPUTS = {
        **standard_component_specs.TrainerSpec.INPUTS,
        CANDIDATES_KEY: ChannelParameter(type=standard_artifacts.Examples),
    }
    PARAMETERS = {
        **standard_component_specs.TrainerSpec.PARAMETERS,
        HYPERPARAMETER_OVERRIDES_KEY: ExecutionParameter(type=str, optional=True),
    }
