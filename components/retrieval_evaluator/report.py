"""metrics.json: what the evaluation artifact holds, written, read back and summarized.

Layout (see the component's README for an example)::

  protocol:  primary protocol, query time, cut-offs (measured, configured, left
             out and why), splits, sample, definitions
  counts:    eval / warm / cold ratings and users, train ratings and users, corpus
  models:    model and baseline model URIs
  baselines: their settings
  metrics:   {protocol: {ranker: {group: {top_k_accuracy: {k: v}, recall_at_k: {k: v}} | null}}}
  skipped_baselines: {name: reason}
  blessing:  the decision, its checks and reasons
"""

import json
import os
from typing import Any, Dict, List, Mapping, Optional

from tfx import types
from tfx.dsl.io import fileio

from components.retrieval_evaluator import spec
from components.retrieval_evaluator.blessing import Decision
from components.retrieval_evaluator.metrics import GroupResult, Results
from components.retrieval_evaluator.settings import Cutoffs, Settings

DEFINITIONS = {
    spec.ACCURACY: (
        "share of eval ratings whose movie is among the ranker's top k of the whole "
        "corpus for that rating's query (TFRS FactorizedTopK under the unfiltered "
        "protocol)"
    ),
    spec.RECALL: (
        "per user, the share of their eval ratings whose movie is in the top k for "
        "that rating's query; averaged over users, each counting once"
    ),
    "tie_rule": (
        "a candidate scoring the same as the target counts as ranked before it "
        "(retrieval_metrics.target_ranks)"
    ),
    spec.FILTERED: (
        "the user's training movies are removed from the ranking before the top k "
        "(what a served model shows); primary protocol, the one blessing uses"
    ),
    spec.UNFILTERED: "the whole corpus is ranked, training movies included (TFRS tutorial)",
    spec.QUERY_TIME_MODEL_DEFAULT: (
        "the query example has no timestamp: the model uses its own default time, as "
        "for a request without one (never the held-out rating's own time)"
    ),
    spec.QUERY_TIME_RATING: (
        "the query example keeps the eval rating's time (temporal split: the request "
        "time is known and lies after all training data)"
    ),
    spec.ALL: "every eval rating",
    spec.WARM: "eval ratings of users with training ratings",
    spec.COLD: "eval ratings of users without training ratings (null: there are none)",
    spec.CANDIDATE: "the model being evaluated, scored by its query and candidate embeddings",
    spec.BASELINE: "the served model (latest blessed or newest pushed), scored the same way",
    spec.POPULARITY: "the most-rated training movies, the same for everyone",
    spec.RECENT_POPULARITY: (
        "the most-rated training movies within the last recent_window_fraction of the "
        "training time range (ties by all-time popularity)"
    ),
    spec.ITEM_KNN: (
        "sum of cosine similarities (knn_neighbours nearest per movie) of the user's "
        "training movies; cold users get popularity"
    ),
    spec.EASE: (
        "EASE (Steck 2019), closed form with ridge ease_lambda, exact up to "
        "ease_max_movies movies; cold users get popularity"
    ),
}


def _by_k(values: Mapping[int, float]) -> Dict[str, float]:
    return {str(k): v for k, v in values.items()}


def _group_json(result: Optional[GroupResult]) -> Optional[Dict[str, Any]]:
    if result is None:
        return None
    return {spec.ACCURACY: _by_k(result.top_k_accuracy), spec.RECALL: _by_k(result.recall_at_k)}


def build(
    settings: Settings,
    cutoffs: Cutoffs,
    results: Results,
    skipped: Mapping[str, str],
    decision: Decision,
    counts: Mapping[str, int],
    sampled: bool,
    train_uris: List[str],
    model_uri: str,
    baseline_model_uri: Optional[str],
) -> Dict[str, Any]:
    """Builds metrics.json's content (JSON keys of k are strings).

    Args:
      settings: The evaluator's settings.
      cutoffs: The cut-offs measured on the corpus and those left out.
      results: Every protocol's, ranker's and group's metrics.
      skipped: Baselines not run, with the reason.
      decision: The blessing decision.
      counts: Eval, warm, cold, train and corpus counts.
      sampled: Whether ``max_eval_examples`` cut the eval split short.
      train_uris: The Examples artifacts whose train splits were read.
      model_uri: The evaluated model.
      baseline_model_uri: The baseline (served) model, if any.

    Returns:
      The content.
    """
    has_baseline = spec.BASELINE in results[spec.PRIMARY_PROTOCOL]
    return {
        "protocol": {
            "primary": spec.PRIMARY_PROTOCOL,
            "protocols": list(spec.PROTOCOLS),
            "groups": list(spec.GROUPS),
            "query_time": settings.query_time,
            "top_ks": list(cutoffs.top_ks),
            "blessing_k": cutoffs.blessing_k,
            "configured_top_ks": list(settings.top_ks),
            "configured_blessing_k": settings.blessing_k,
            "left_out_top_ks": list(cutoffs.left_out),
            "left_out_reason": cutoffs.left_out_reason,
            "eval_split": settings.eval_split,
            "train_split": settings.train_split,
            "train_examples": list(train_uris),
            "corpus_split": spec.CORPUS_SPLIT,
            "max_eval_examples": settings.max_eval_examples,
            "sampled": sampled,
            "sample": (
                f"a uniform random sample of {counts['eval']} eval ratings, drawn with a "
                f"fixed seed, was evaluated (max_eval_examples = {settings.max_eval_examples})"
                if sampled
                else None
            ),
            "definitions": DEFINITIONS,
        },
        "counts": dict(counts),
        "models": {spec.CANDIDATE: model_uri, spec.BASELINE: baseline_model_uri},
        "rankers": list(results[spec.PRIMARY_PROTOCOL]),
        "baselines": {
            "recent_window_fraction": settings.recent_window_fraction,
            "ease_lambda": settings.ease_lambda,
            "ease_max_movies": settings.ease_max_movies,
            "knn_neighbours": settings.knn_neighbours,
            "knn_max_movies": settings.knn_max_movies,
        },
        "metrics": {
            protocol: {
                ranker: {group: _group_json(result) for group, result in groups.items()}
                for ranker, groups in by_ranker.items()
            }
            for protocol, by_ranker in results.items()
        },
        "skipped_baselines": dict(skipped),
        "blessing": decision.to_json(has_baseline),
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
      The parsed metrics.json (see the component's README for the layout).
    """
    with fileio.open(os.path.join(evaluation_uri, spec.METRICS_FILE), "r") as handle:
        return json.loads(handle.read())


def property_name(ranker: str, metric: str, k: int, qualifier: str = "") -> str:
    """Custom property name of one number, e.g. ``model_top_100_accuracy``.

    Args:
      ranker: The ranker's name.
      metric: ``spec.ACCURACY`` or ``spec.RECALL``.
      k: The cut-off.
      qualifier: Inserted after the ranker (``unfiltered``, ``warm``, ...);
        empty for the headline (filtered, all ratings).

    Returns:
      The property name.
    """
    kind = f"top_{k}_accuracy" if metric == spec.ACCURACY else f"recall_at_{k}"
    return "_".join(part for part in (ranker, qualifier, kind) if part)


def record_properties(
    evaluation: types.Artifact, results: Results, counts: Mapping[str, int]
) -> None:
    """Puts the headline numbers on the evaluation artifact as custom properties.

    Every ranker's filtered accuracy and recall on all eval ratings
    (``popularity_top_100_accuracy``), the model's filtered accuracy on warm
    and cold ratings (``model_warm_top_100_accuracy``) and its unfiltered
    accuracy (``model_unfiltered_top_100_accuracy``), and the counts.
    """
    evaluation.set_int_custom_property(spec.NUM_EVAL_EXAMPLES_PROPERTY, counts["eval"])
    evaluation.set_int_custom_property(spec.NUM_WARM_EXAMPLES_PROPERTY, counts["warm"])
    evaluation.set_int_custom_property(spec.NUM_COLD_EXAMPLES_PROPERTY, counts["cold"])
    for ranker, groups in results[spec.PRIMARY_PROTOCOL].items():
        headline = groups[spec.ALL]
        for k, value in headline.top_k_accuracy.items():
            evaluation.set_float_custom_property(property_name(ranker, spec.ACCURACY, k), value)
        for k, value in headline.recall_at_k.items():
            evaluation.set_float_custom_property(property_name(ranker, spec.RECALL, k), value)
    model = results[spec.PRIMARY_PROTOCOL][spec.CANDIDATE]
    extra = [(group, model[group]) for group in (spec.WARM, spec.COLD)]
    extra.append((spec.UNFILTERED, results[spec.UNFILTERED][spec.CANDIDATE][spec.ALL]))
    for qualifier, result in extra:
        if result is None:
            continue
        for k, value in result.top_k_accuracy.items():
            evaluation.set_float_custom_property(
                property_name(spec.CANDIDATE, spec.ACCURACY, k, qualifier), value
            )


def _row(label: str, values: Optional[Mapping[str, float]], top_ks: List[int]) -> str:
    if values is None:
        cells = "no ratings".rjust(9)
    else:
        cells = "".join(f"{values[str(k)]:9.4f}" for k in top_ks)
    return f"  {label:<28}{cells}"


def summary_lines(content: Mapping[str, Any]) -> List[str]:
    """A compact console summary of a metrics.json.

    Filtered top-k accuracy of every ranker on all, warm and cold eval
    ratings at the measured cut-offs, the model's unfiltered line, the
    cut-offs left out, the skipped baselines and the blessing with its
    reasons.

    Args:
      content: The parsed metrics.json.

    Returns:
      Lines to print.
    """
    protocol = content["protocol"]
    counts = content["counts"]
    top_ks = protocol["top_ks"]
    primary = protocol["primary"]
    metrics = content["metrics"]
    lines = [
        f"Evaluation: {counts['eval']} eval ratings of {counts['eval_users']} users "
        f"(warm {counts['warm']}, cold {counts['cold']}), {counts['corpus']} movies; "
        f"query time: {protocol['query_time']}"
        + (f"; SAMPLE: {protocol['sample']}" if protocol.get("sampled") else ""),
        f"Top-k accuracy, {primary} (training movies removed; blessing uses all, "
        f"k={protocol['blessing_k']}):",
        "  " + "".ljust(28) + "".join(f"k={k}".rjust(9) for k in top_ks),
    ]
    for ranker in content["rankers"]:
        groups = metrics[primary][ranker]
        for group in spec.GROUPS:
            result = groups[group]
            label = f"{ranker} {group}" if group == spec.ALL else f"  {group}"
            lines.append(_row(label, result and result[spec.ACCURACY], top_ks))
    for protocol_name in protocol["protocols"]:
        if protocol_name == primary:
            continue
        result = metrics[protocol_name][spec.CANDIDATE][spec.ALL]
        lines.append(
            _row(f"{spec.CANDIDATE} all, {protocol_name}", result[spec.ACCURACY], top_ks)
        )
    if protocol.get("left_out_reason"):
        lines.append(f"Left out: {protocol['left_out_reason']}")
    for name, reason in content["skipped_baselines"].items():
        lines.append(f"Skipped baseline {reason if reason.startswith(name + ':') else f'{name}: {reason}'}")
    blessing = content["blessing"]
    lines.append(f"Blessed: {'yes' if blessing['blessed'] else 'no'}")
    lines.extend(f"  - {reason}" for reason in blessing["reasons"])
    return lines
