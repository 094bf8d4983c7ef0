"""Scores a two-tower SavedModel at three query times, beside the baselines.

A random split holds out ratings from the middle of a user's rating session,
so a query at the held-out rating's own time names the session (a fine
timestamp bucket) and leaks which movies were rated then. This benchmark
asks the model the same eval queries three ways:

* ``rating``: at the held-out rating's own time (the leaky protocol);
* ``served``: without a timestamp, as a request without a time is served (the
  model falls back to its own default);
* ``latest``: at the latest training rating's time.

Each is ranked over the whole candidate corpus (``Q C^T``) under the filtered
protocol (the user's training movies removed) and the unfiltered one, with
``retrieval_metrics``; the RetrievalEvaluator's baselines, fitted on the
train split, are ranked alike. Any SavedModel with ``query_embedding`` and
``candidate_embedding`` signatures (serialized ``tf.train.Example``s in
``examples``, ``embedding`` out) works.

Usage (PYTHONPATH holding this repository)::

    python benchmarks/as_served_benchmark.py --model-dir SERVING_MODEL \
        --examples-dir .../MovieLensExampleGen/examples/N \
        --candidates-dir .../MovieLensExampleGen/candidates/N --output out.json
"""

import argparse
import functools
import json
from typing import Callable, Dict, Sequence

import numpy as np
import tensorflow as tf
from tfx import types
from tfx.dsl.io import fileio
from tfx.types import artifact_utils, standard_artifacts

from components.retrieval_evaluator import baselines, reading
from retrieval_metrics import accuracy_at_k, exclusion_mask, target_ranks
from transform_fn import features

_BATCH_SIZE = 1024
_SPLIT_PREFIX = "Split-"
_PROTOCOLS = ("filtered", "unfiltered")


def examples_artifact(uri: str) -> types.Artifact:
    """An Examples artifact for a folder of ``Split-<name>`` subfolders."""
    artifact = standard_artifacts.Examples()
    artifact.uri = uri
    splits = [
        name.rstrip("/")[len(_SPLIT_PREFIX):]
        for name in fileio.listdir(uri)
        if name.startswith(_SPLIT_PREFIX)
    ]
    artifact.split_names = artifact_utils.encode_split_names(sorted(splits))
    return artifact


def with_timestamp(serialized: np.ndarray, timestamp: int) -> np.ndarray:
    """The same examples with ``timestamp`` set to one value.

    Args:
      serialized: Serialized ``tf.train.Example``s.
      timestamp: The time every example gets.

    Returns:
      The serialized examples.
    """
    changed = []
    for record in serialized:
        example = tf.train.Example.FromString(record)
        example.features.feature[features.TIMESTAMP].int64_list.value[:] = [timestamp]
        changed.append(example.SerializeToString())
    return np.array(changed, dtype=object)


def embed(model, signature: str, serialized: np.ndarray) -> np.ndarray:
    """``[n, d]`` float32 embeddings of serialized examples by a signature."""
    function = model.signatures[signature]
    return np.concatenate([
        function(examples=tf.constant(serialized[start : start + _BATCH_SIZE]))[
            "embedding"
        ].numpy().astype(np.float32)
        for start in range(0, len(serialized), _BATCH_SIZE)
    ])


def _model_scores(queries: np.ndarray, corpus: np.ndarray, batch: np.ndarray) -> np.ndarray:
    """``Q C^T`` for the query embeddings of a batch of eval ratings."""
    return queries[batch] @ corpus.T


def _baseline_scores(
    baseline: baselines.Baseline, user_rows: np.ndarray, batch: np.ndarray
) -> np.ndarray:
    """A baseline's scores for the users of a batch of eval ratings."""
    return baseline.scores(user_rows[batch])


def evaluate(
    model_dir: str, examples_dir: str, candidates_dir: str, top_ks: Sequence[int]
) -> Dict[str, object]:
    """Ranks every eval rating with the model at each query time and the baselines.

    Args:
      model_dir: The SavedModel directory.
      examples_dir: The ExampleGen's examples artifact (``Split-train``,
        ``Split-eval``).
      candidates_dir: The ExampleGen's candidates artifact (``Split-corpus``).
      top_ks: The cut-offs k.

    Returns:
      ``top_k_accuracy`` (protocol -> ranker -> k -> accuracy), the counts,
      the ``latest`` query time and the skipped baselines.
    """
    examples = examples_artifact(examples_dir)
    corpus = reading.read_corpus(examples_artifact(candidates_dir), "corpus", _BATCH_SIZE)
    training = reading.read_training([examples], "train", corpus, _BATCH_SIZE)
    eval_examples = np.concatenate(list(reading.serialized_batches(
        reading.split_files(examples, "eval"), _BATCH_SIZE
    )))
    user_ids, movie_ids, _ = reading.rating_keys(eval_examples)
    targets = corpus.columns(movie_ids, "eval split")
    user_rows = training.rows_of(user_ids)
    latest = int(training.interactions.timestamps.max())
    queries = {
        "rating": eval_examples,
        "served": reading.without_timestamp(eval_examples),
        "latest": with_timestamp(eval_examples, latest),
    }

    model = tf.saved_model.load(model_dir)
    corpus_embeddings = embed(model, "candidate_embedding", corpus.serialized)
    rankers: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
        f"model@{time}": functools.partial(
            _model_scores, embed(model, "query_embedding", serialized), corpus_embeddings
        )
        for time, serialized in queries.items()
    }
    fitted, skipped = baselines.fit_baselines(training.interactions)
    for name, baseline in fitted.items():
        rankers[name] = functools.partial(_baseline_scores, baseline, user_rows)

    ranks = {(protocol, name): [] for protocol in _PROTOCOLS for name in rankers}
    for start in range(0, len(targets), _BATCH_SIZE):
        batch = np.arange(start, min(start + _BATCH_SIZE, len(targets)))
        excluded = exclusion_mask(
            len(batch),
            corpus.size,
            baselines.user_training_movies(training.interactions, user_rows[batch]),
        )
        for name, scores_of in rankers.items():
            scores = scores_of(batch)
            ranks["filtered", name].append(target_ranks(scores, targets[batch], excluded))
            ranks["unfiltered", name].append(target_ranks(scores, targets[batch]))
    return {
        "top_k_accuracy": {
            protocol: {
                name: accuracy_at_k(np.concatenate(ranks[protocol, name]), top_ks)
                for name in rankers
            }
            for protocol in _PROTOCOLS
        },
        "counts": {
            "eval": len(targets),
            "cold_eval": int((user_rows == baselines.COLD_USER).sum()),
            "train": training.num_ratings,
            "corpus": corpus.size,
        },
        "latest_timestamp": latest,
        "skipped_baselines": skipped,
    }


def main() -> None:
    """Parses the flags, evaluates, writes the JSON and prints the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--model-dir", required=True, help="SavedModel directory")
    parser.add_argument("--examples-dir", required=True, help="examples artifact folder")
    parser.add_argument("--candidates-dir", required=True, help="candidates artifact folder")
    parser.add_argument("--output", required=True, help="JSON file to write")
    parser.add_argument("--top-ks", default="10,50,100", help="comma-separated cut-offs")
    args = parser.parse_args()
    top_ks = [int(k) for k in args.top_ks.split(",")]
    result = evaluate(args.model_dir, args.examples_dir, args.candidates_dir, top_ks)
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(result, out, indent=2)
    for protocol, by_ranker in result["top_k_accuracy"].items():
        print(f"{protocol:<20}" + "".join(f"{f'k={k}':>9}" for k in top_ks))
        for name, accuracy in by_ranker.items():
            print(f"  {name:<18}" + "".join(f"{accuracy[k]:9.4f}" for k in top_ks))


if __name__ == "__main__":
    main()
