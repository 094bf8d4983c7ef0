"""Keys and component spec of RetrievalEvaluator, shared by every module.

Channel keys match TFX's own Evaluator (``standard_component_specs``), so the
component drops in where ``Evaluator`` would be wired; ``candidates`` (the
movie corpus every ranker ranks) is the ExampleGen's output of that name.
The keys and the blessing's files and properties are TFX's values written out
(``tests/evaluator/test_retrieval_evaluator_component.py`` checks them against
TFX's constants): importing ``standard_component_specs`` or
``tfx.components.evaluator`` loads TFMA and every TFX component, seconds of
start-up that the pipeline's settings (which import this module through
``settings``) and the command line would pay on every command.
"""

from tfx import types
from tfx.types import standard_artifacts
from tfx.types.component_spec import ChannelParameter, ExecutionParameter

from components.movielens_example_gen import spec as example_gen_spec
from components.retrieval_evaluator import baselines

# Input channels.
MODEL_KEY = "model"  # standard_component_specs.MODEL_KEY
EXAMPLES_KEY = "examples"  # standard_component_specs.EXAMPLES_KEY
BASELINE_MODEL_KEY = "baseline_model"  # standard_component_specs.BASELINE_MODEL_KEY
CANDIDATES_KEY = example_gen_spec.CANDIDATES_KEY  # "candidates"
# Optional: Examples whose train splits are the training data (e.g. the
# Trainer's rolling window of spans); default: the train split of ``examples``.
TRAIN_EXAMPLES_KEY = "train_examples"

# Output channels.
EVALUATION_KEY = "evaluation"  # standard_component_specs.EVALUATION_KEY
BLESSING_KEY = "blessing"  # standard_component_specs.BLESSING_KEY

# Execution parameters.
TOP_KS_KEY = "top_ks"  # JSON list of ints
BLESSING_K_KEY = "blessing_k"
MIN_ACCURACY_KEY = "min_top_k_accuracy"
MIN_MARGIN_OVER_BASELINES_KEY = "min_margin_over_baselines"
BLESSING_BASELINES_KEY = "blessing_baselines"  # JSON list of names, or None: all that ran
BASELINE_TOLERANCE_KEY = "baseline_tolerance"
QUERY_TIME_KEY = "query_time"
RECENT_WINDOW_FRACTION_KEY = "recent_window_fraction"
EASE_LAMBDA_KEY = "ease_lambda"
EASE_MAX_MOVIES_KEY = "ease_max_movies"
KNN_NEIGHBOURS_KEY = "knn_neighbours"
KNN_MAX_MOVIES_KEY = "knn_max_movies"
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
# The candidates artifact's one split: the whole movie corpus.
CORPUS_SPLIT = example_gen_spec.CANDIDATES_SPLIT  # "corpus"

# When each eval query is asked. ``model_default``: the query example has no
# ``timestamp`` and the model uses its own default (what a request without a
# time gets; right for a random split, where the held-out rating's own time
# would name the user's rating session). ``rating``: the query keeps the eval
# rating's time (right for a temporal split: the request time is known and
# lies after all training data).
QUERY_TIME_MODEL_DEFAULT = "model_default"
QUERY_TIME_RATING = "rating"
QUERY_TIMES = (QUERY_TIME_MODEL_DEFAULT, QUERY_TIME_RATING)

# The model contract: the serving signature and its input and outputs...
SIGNATURE_NAME = "serving_default"
SIGNATURE_INPUT = "examples"
OUTPUT_MOVIE_IDS = "movie_ids"
OUTPUT_MOVIE_TITLES = "movie_titles"
OUTPUT_SCORES = "scores"
# ... and the embedding signatures the evaluator scores with (Q C^T).
QUERY_EMBEDDING_SIGNATURE = "query_embedding"
CANDIDATE_EMBEDDING_SIGNATURE = "candidate_embedding"
OUTPUT_EMBEDDING = "embedding"

# What the evaluation artifact holds.
METRICS_FILE = "metrics.json"
# Names of the evaluated rankers in metrics.json.
CANDIDATE = "model"
BASELINE = "baseline_model"  # The served (last blessed or newest pushed) model.
POPULARITY = baselines.PopularityBaseline.name
RECENT_POPULARITY = baselines.RecentPopularityBaseline.name
ITEM_KNN = baselines.ItemKnnBaseline.name
EASE = baselines.EaseBaseline.name
BASELINE_NAMES = (POPULARITY, RECENT_POPULARITY, ITEM_KNN, EASE)
# Protocols: the user's training movies removed from the ranking (primary,
# what a served model shows) or not (TFRS FactorizedTopK, the tutorial's).
FILTERED = "filtered"
UNFILTERED = "unfiltered"
PROTOCOLS = (FILTERED, UNFILTERED)
PRIMARY_PROTOCOL = FILTERED
# Groups of eval ratings: all, of users with training ratings, of users without.
ALL = "all"
WARM = "warm"
COLD = "cold"
GROUPS = (ALL, WARM, COLD)
ACCURACY = "top_k_accuracy"
RECALL = "recall_at_k"

# Blessing: TFX Evaluator's own files and custom properties, so TFX's Pusher
# and LatestBlessedModelStrategy read the blessing as they read the Evaluator's.
# (tfx.components.evaluator.constants' values.)
BLESSED_FILE = "BLESSED"
NOT_BLESSED_FILE = "NOT_BLESSED"
BLESSED_PROPERTY = "blessed"
CURRENT_MODEL_PROPERTY = "current_model"
CURRENT_MODEL_ID_PROPERTY = "current_model_id"
BASELINE_MODEL_PROPERTY = "baseline_model"
BASELINE_MODEL_ID_PROPERTY = "baseline_model_id"
BLESSING_MESSAGE_PROPERTY = "blessing_message"
BLESSED_VALUE = 1
NOT_BLESSED_VALUE = 0
# Set by TFX's Evaluator when the orchestrator passes it; copied the same way.
COMPONENT_ID_EXEC_PROPERTY = "current_component_id"
COMPONENT_ID_PROPERTY = "component_id"

# Custom properties of the evaluation artifact (headline numbers, for MLMD).
NUM_EVAL_EXAMPLES_PROPERTY = "num_eval_examples"
NUM_WARM_EXAMPLES_PROPERTY = "num_warm_eval_examples"
NUM_COLD_EXAMPLES_PROPERTY = "num_cold_eval_examples"


class RetrievalEvaluatorSpec(types.ComponentSpec):
    """Parameters, inputs and outputs of RetrievalEvaluator."""

    PARAMETERS = {
        TOP_KS_KEY: ExecutionParameter(type=str),
        BLESSING_K_KEY: ExecutionParameter(type=int),
        MIN_ACCURACY_KEY: ExecutionParameter(type=float),
        MIN_MARGIN_OVER_BASELINES_KEY: ExecutionParameter(type=float, optional=True),
        BLESSING_BASELINES_KEY: ExecutionParameter(type=str, optional=True),
        BASELINE_TOLERANCE_KEY: ExecutionParameter(type=float),
        QUERY_TIME_KEY: ExecutionParameter(type=str),
        RECENT_WINDOW_FRACTION_KEY: ExecutionParameter(type=float),
        EASE_LAMBDA_KEY: ExecutionParameter(type=float),
        EASE_MAX_MOVIES_KEY: ExecutionParameter(type=int),
        KNN_NEIGHBOURS_KEY: ExecutionParameter(type=int),
        KNN_MAX_MOVIES_KEY: ExecutionParameter(type=int),
        MAX_EVAL_EXAMPLES_KEY: ExecutionParameter(type=int, optional=True),
        BASELINE_PUSH_DESTINATION_KEY: ExecutionParameter(type=str, optional=True),
        BATCH_SIZE_KEY: ExecutionParameter(type=int),
        EVAL_SPLIT_KEY: ExecutionParameter(type=str),
        TRAIN_SPLIT_KEY: ExecutionParameter(type=str),
    }
    INPUTS = {
        MODEL_KEY: ChannelParameter(type=standard_artifacts.Model),
        EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        CANDIDATES_KEY: ChannelParameter(type=standard_artifacts.Examples),
        TRAIN_EXAMPLES_KEY: ChannelParameter(type=standard_artifacts.Examples, optional=True),
        BASELINE_MODEL_KEY: ChannelParameter(type=standard_artifacts.Model, optional=True),
    }
    OUTPUTS = {
        EVALUATION_KEY: ChannelParameter(type=standard_artifacts.ModelEvaluation),
        BLESSING_KEY: ChannelParameter(type=standard_artifacts.ModelBlessing),
    }
