"""metrics.json: what the evaluation artifact holds, written and read back."""

import json
import os
from typing import Any, Dict, Mapping, Optional

from tfx import types
from tfx.dsl.io import fileio

from components.retrieval_evaluator import spec
from components.retrieval_evaluator.blessing import Decision
from components.retrieval_evaluator.metrics import RankerResult
from components.retrieval_evaluator.settings import Settings

DEFINITIONS = {
    spec.ACCURACY: (
        "share of eval ratings whose movie_id is in the ranker's top k for that "
        "rating's own example as the query (TFRS FactorizedTopK)"
    ),
    spec.RECALL: (
        "per user, share of their distinct eval movies in the top k for one query, "
        "their latest eval rating; averaged over users"
    ),
    spec.POPULARITY: "the k movies with the most ratings in the train split, for everyone",
    spec.BASELINE: "the latest blessed model, evaluated on the same examples",
}


def build(
    settings: Settings,
    results: Mapping[str, RankerResult],
    decision: Decision,
    num_eval_examples: int,
    num_eval_users: int,
    num_train_examples: int,
    model_uri: str,
    baseline_model_uri: Optional[str],
) -> Dict[str, Any]:
    """Builds metrics.json's content (JSON keys of k are strings)."""
    return {
        "top_ks": list(settings.top_ks),
        "eval_split": settings.eval_split,
        "train_split": settings.train_split,
        "num_eval_examples": num_eval_examples,
        "num_eval_users": num_eval_users,
        "num_train_examples": num_train_examples,
        "max_eval_examples": settings.max_eval_examples,
        "model_uri": model_uri,
        "baseline_model_uri": baseline_model_uri,
        "metrics": {
            name: {
                spec.ACCURACY: {str(k): v for k, v in result.top_k_accuracy.items()},
                spec.RECALL: {str(k): v for k, v in result.recall_at_k.items()},
            }
            for name, result in results.items()
        },
        "blessing": decision.to_json(settings.blessing_k, spec.BASELINE in results),
        "definitions": DEFINITIONS,
    }


def write(evaluation: types.Artifact, content: Mapping[str, Any]) -> str:
    """Writes metrics.json into the evaluation artifact; returns its path."""
    fileio.makedirs(evaluation.uri)
    path = os.path.join(evaluation.uri, spec.METRICS_FILE)
    with fileio.open(path, "w") as handle:
        handle.write(json.dumps(content, indent=2, sort_keys=True))
    return path


def load_metrics(evaluation_uri: str) -> Dict[str, Any]:
    """Reads metrics.json of a RetrievalEvaluator's evaluation artifact.

    Args:
      evaluation_uri: The ModelEvaluation artifact's URI (any fileio path).

    Returns:
      The parsed metrics.json (see the component's README for the schema).
    """
    with fileio.open(os.path.join(evaluation_uri, spec.METRICS_FILE), "r") as handle:
        return json.loads(handle.read())


def property_name(ranker: str, metric: str, k: int) -> str:
    """Custom property name of one number, e.g. ``model_top_100_accuracy``."""
    kind = f"top_{k}_accuracy" if metric == spec.ACCURACY else f"recall_at_{k}"
    return f"{ranker}_{kind}"


def record_properties(
    evaluation: types.Artifact, results: Mapping[str, RankerResult], num_eval_examples: int
) -> None:
    """Puts every metric on the evaluation artifact as float custom properties."""
    evaluation.set_int_custom_property(spec.NUM_EVAL_EXAMPLES_PROPERTY, num_eval_examples)
    for name, result in results.items():
        for k, value in result.top_k_accuracy.items():
            evaluation.set_float_custom_property(property_name(name, spec.ACCURACY, k), value)
        for k, value in result.recall_at_k.items():
            evaluation.set_float_custom_property(property_name(name, spec.RECALL, k), value)
