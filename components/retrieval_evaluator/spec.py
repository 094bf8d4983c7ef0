"""Keys and component spec of RetrievalEvaluator, shared by every module.

Channel keys match TFX's own Evaluator (``standard_component_specs``), so the
component drops in where ``Evaluator`` would be wired.
"""

from tfx import types
from tfx.components.evaluator import constants as evaluator_constants
from tfx.types import standard_artifacts, standard_component_specs
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

# Input channels.
MODEL_KEY = standard_component_specs.MODEL_KEY  # "model"
EXAMPLES_KEY = standard_component_specs.EXAMPLES_KEY  # "examples"
BASELINE_MODEL_KEY = standard_component_specs.BASELINE_MODEL_KEY  # "baseline_model"

# Output channels.
EVALUATION_KEY = standard_component_specs.EVALUATION_KEY  # "evaluation"
BLESSING_KEY = standard_component_specs.BLESSING_KEY  # "blessing"

# Execution parameters.
TOP_KS_KEY = "top_ks"  # JSON list of ints
BLESSING_K_KEY = "blessing_k"
MIN_ACCURACY_KEY = "min_top_k_accuracy"
MIN_MARGIN_OVER_POPULARITY_KEY = "min_margin_over_popularity"
BASELINE_TOLERANCE_KEY = "baseline_tolerance"
MAX_EVAL_EXAMPLES_KEY = "max_eval_examples"
BASELINE_PUSH_DESTINATION_KEY = "baseline_push_destination"
BATCH_SIZE_KEY = "batch_size"
EVAL_SPLIT_KEY = "eval_split"
TRAIN_SPLIT_KEY = "train_split"

DEFAULT_TOP_KS = (1, 5, 10, 50, 100)
DEFAULT_BLESSING_K = 100
DEFAULT_BATCH_SIZE = 1024
DEFAULT_EVAL_SPLIT = "eval"
DEFAULT_TRAIN_SPLIT = "train"

# The model contract: the serving signature and its input and outputs.
SIGNATURE_NAME = "serving_default"
SIGNATURE_INPUT = "examples"
OUTPUT_MOVIE_IDS = "movie_ids"
OUTPUT_MOVIE_TITLES = "movie_titles"
OUTPUT_SCORES = "scores"

# What the evaluation artifact holds.
METRICS_FILE = "metrics.json"
# Names of the evaluated rankers in metrics.json.
CANDIDATE = "model"
POPULARITY = "popularity"
BASELINE = "baseline_model"
ACCURACY = "top_k_accuracy"
RECALL = "recall_at_k"

# Blessing: TFX Evaluator's own files and custom properties, so TFX's Pusher
# and LatestBlessedModelStrategy read the blessing as they read the Evaluator's.
BLESSED_FILE = evaluator_constants.BLESSED_FILE_NAME
NOT_BLESSED_FILE = evaluator_constants.NOT_BLESSED_FILE_NAME
BLESSED_PROPERTY = evaluator_constants.ARTIFACT_PROPERTY_BLESSED_KEY
CURRENT_MODEL_PROPERTY = evaluator_constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY
CURRENT_MODEL_ID_PROPERTY = evaluator_constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY
BASELINE_MODEL_PROPERTY = evaluator_constants.ARTIFACT_PROPERTY_BASELINE_MODEL_URI_KEY
BASELINE_MODEL_ID_PROPERTY = evaluator_constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY
BLESSING_MESSAGE_PROPERTY = evaluator_constants.ARTIFACT_PROPERTY_BLESSING_MESSAGE_KEY
BLESSED_VALUE = evaluator_constants.BLESSED_VALUE
NOT_BLESSED_VALUE = evaluator_constants.NOT_BLESSED_VALUE
# Set by TFX's Evaluator when the orchestrator passes it; copied the same way.
COMPONENT_ID_EXEC_PROPERTY = "current_component_id"
COMPONENT_ID_PROPERTY = "component_id"

# Custom properties of the evaluation artifact (headline numbers, for MLMD).
NUM_EVAL_EXAMPLES_PROPERTY = "num_eval_examples"


class RetrievalEvaluatorSpec(types.ComponentSpec):
    """Parameters, inputs and outputs of RetrievalEvaluator."""

    PARAMETERS = {
        TOP_KS_KEY: ExecutionParameter(type=str),
        BLESSING_K_KEY: ExecutionParameter(type=int),
        MIN_ACCURACY_KEY: ExecutionParameter(type=float),
        MIN_MARGIN_OVER_POPULARITY_KEY: ExecutionParameter(type=float, optional=True),
        BASELINE_TOLERANCE_KEY: ExecutionParameter(type=float),
        MAX_EVAL_EXAMPLES_KEY: ExecutionParameter(type=int, optional=True),
        BASELINE_PUSH_DESTINATION_KEY: ExecutionParameter(type=str, optional=True),
        BATCH_SIZE_KEY: ExecutionParameter(type=int),
        EVAL_SPLIT_KEY: ExecutionParameter(type=str),
        TRAIN_SPLIT_KEY: ExecutionParameter(type=str),
    }
    INPUTS = {
        MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        BASELINE_MODEL_KEY: ChannelParameter(type=standard_artifacts.Model, optional=True),
    }
    OUTPUTS = {
        EVALUATION_KEY: ChannelParameter(type=standard_artifacts.ModelEvaluation),
        BLESSING_KEY: ChannelParameter(type=standard_artifacts.ModelBlessing),
    }
