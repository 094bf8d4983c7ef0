"""What is evaluated: a two-tower SavedModel scored through its embeddings.

A ranker gives, for a batch of eval ratings, a ``[batch, N]`` score matrix
over the whole corpus (column ``i`` is corpus movie ``i``), higher is better;
``retrieval_metrics.target_ranks`` ranks every ranker's matrix the same way.
The baselines (``baselines.py``) score by query user row; the model scores by
query example, through its ``query_embedding`` and ``candidate_embedding``
signatures: ``scores = Q C^T``, the dot product its serving index ranks by.
"""

from typing import Optional

import numpy as np
import tensorflow as tf

from components.retrieval_evaluator import spec

# Query examples sent in the serving contract check.
_CONTRACT_CHECK_QUERIES = 8


def _signature(loaded, path: str, name: str, outputs: tuple):
    """A signature taking exactly ``examples`` and returning ``outputs``."""
    if name not in loaded.signatures:
        raise ValueError(
            f"SavedModel at {path} has no {name!r} signature (the retrieval model "
            f"contract needs {spec.SIGNATURE_NAME!r}, {spec.QUERY_EMBEDDING_SIGNATURE!r} "
            f"and {spec.CANDIDATE_EMBEDDING_SIGNATURE!r}); it has {sorted(loaded.signatures)}"
        )
    signature = loaded.signatures[name]
    _, inputs = signature.structured_input_signature
    if set(inputs) != {spec.SIGNATURE_INPUT}:
        raise ValueError(
            f"Signature {name!r} of {path} must take exactly one input "
            f"{spec.SIGNATURE_INPUT!r} (serialized tf.Examples); it takes {sorted(inputs)}"
        )
    missing = [output for output in outputs if output not in signature.structured_outputs]
    if missing:
        raise ValueError(
            f"Signature {name!r} of {path} has no output {missing[0]!r}; outputs: "
            f"{sorted(signature.structured_outputs)}"
        )
    return signature


class SavedModelRanker:
    """Scores the corpus with a SavedModel's embedding signatures.

    The contract (``trainer/export.py`` exports it):

    - ``query_embedding``: ``examples`` (serialized ``tf.train.Example``s with
      raw query features, ``tf.string [None]``) -> ``embedding`` ``[batch, d]``;
    - ``candidate_embedding``: ``examples`` (serialized movie examples of the
      corpus) -> ``embedding`` ``[N, d]``;
    - ``serving_default``: ``examples`` -> ``movie_ids`` ``[batch, K]``, the
      served top K; checked once to hold at least the largest measured
      cut-off (``Cutoffs.max_k``) of movies.
    """

    def __init__(self, path: str, batch_size: int):
        """Loads the model and checks its signatures.

        Args:
          path: The SavedModel directory.
          batch_size: Examples per signature call.

        Raises:
          ValueError: If a signature, its input or its output is missing.
        """
        self.path = path
        self._batch_size = batch_size
        self._model = tf.saved_model.load(path)  # Keeps the signatures' resources alive.
        self._serving = _signature(
            self._model, path, spec.SIGNATURE_NAME, (spec.OUTPUT_MOVIE_IDS,)
        )
        self._query = _signature(
            self._model, path, spec.QUERY_EMBEDDING_SIGNATURE, (spec.OUTPUT_EMBEDDING,)
        )
        self._candidate = _signature(
            self._model, path, spec.CANDIDATE_EMBEDDING_SIGNATURE, (spec.OUTPUT_EMBEDDING,)
        )
        self._corpus_embeddings: Optional[np.ndarray] = None

    def _embed(self, signature, name: str, serialized: np.ndarray) -> np.ndarray:
        parts = []
        for start in range(0, len(serialized), self._batch_size):
            chunk = serialized[start : start + self._batch_size]
            outputs = signature(**{spec.SIGNATURE_INPUT: tf.constant(chunk, dtype=tf.string)})
            embedding = outputs[spec.OUTPUT_EMBEDDING].numpy()
            if embedding.ndim != 2 or embedding.shape[0] != len(chunk):
                raise ValueError(
                    f"{name!r} of {self.path} must return {spec.OUTPUT_EMBEDDING!r} of shape "
                    f"[batch, d]; got {embedding.shape} for a batch of {len(chunk)}"
                )
            parts.append(embedding.astype(np.float32, copy=False))
        return np.concatenate(parts)

    def index_corpus(self, corpus_examples: np.ndarray) -> None:
        """Embeds the corpus once (``candidate_embedding``)."""
        self._corpus_embeddings = self._embed(
            self._candidate, spec.CANDIDATE_EMBEDDING_SIGNATURE, corpus_examples
        )

    def check_serving(self, queries: np.ndarray, needed: int) -> None:
        """Checks that ``serving_default`` returns at least ``needed`` movies.

        Args:
          queries: A few serialized query examples.
          needed: The least number of movies each answer must hold.

        Raises:
          ValueError: If it returns fewer, or not ``[batch, K]``.
        """
        queries = queries[:_CONTRACT_CHECK_QUERIES]
        outputs = self._serving(
            **{spec.SIGNATURE_INPUT: tf.constant(queries, dtype=tf.string)}
        )
        ids = outputs[spec.OUTPUT_MOVIE_IDS].numpy()
        if ids.ndim != 2 or ids.shape[0] != len(queries):
            raise ValueError(
                f"{spec.OUTPUT_MOVIE_IDS!r} of {self.path} must have shape [batch, K]; "
                f"got {ids.shape} for a batch of {len(queries)}"
            )
        if ids.shape[1] < needed:
            raise ValueError(
                f"{self.path} returns the top {ids.shape[1]} movies through "
                f"{spec.SIGNATURE_NAME!r}, fewer than the largest k = {needed}: lower "
                "top_ks or export a larger K"
            )

    def scores(self, queries: np.ndarray) -> np.ndarray:
        """``[batch, N]`` float32 scores ``Q C^T`` for serialized query examples.

        Raises:
          ValueError: If the corpus was not indexed, or the embedding widths
            of the two towers differ.
        """
        if self._corpus_embeddings is None:
            raise ValueError("index_corpus() must be called before scores()")
        query = self._embed(self._query, spec.QUERY_EMBEDDING_SIGNATURE, queries)
        if query.shape[1] != self._corpus_embeddings.shape[1]:
            raise ValueError(
                f"{self.path}: query embeddings have width {query.shape[1]}, candidate "
                f"embeddings {self._corpus_embeddings.shape[1]}"
            )
        return query @ self._corpus_embeddings.T
