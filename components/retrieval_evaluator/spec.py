"""Names shared by RetrievalEvaluator's modules and its users.

Channel keys match TFX's own Evaluator (``standard_component_specs``), so the
component drops in where ``Evaluator`` would be wired; ``candidates`` (the
movie corpus every ranker ranks) is the ExampleGen's output of that name.
The keys and the blessing's files and properties are TFX's values written out
(``tests/evaluator/test_retrieval_evaluator_component.py`` checks them against
TFX's constants): importing ``standard_component_specs`` or
``tfx.components.evaluator`` loads TFMA and every TFX component, seconds of
start-up that the pipeline's settings (which import this module through
``settings``) and the command line would pay on every command. The settings'
names are the fields of ``settings.Settings``; the component spec is in
``component.py``.
"""

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

