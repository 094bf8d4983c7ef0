"""What is evaluated: a SavedModel honouring the retrieval contract, or a fixed list.

A ranker maps a batch of serialized rating examples to each query's ranked
movie ids, ``[batch, k]`` bytes, best first.
"""

import collections
from typing import Iterable, List, Protocol, Tuple

import numpy as np
import tensorflow as tf

from components.retrieval_evaluator import spec


class Ranker(Protocol):
    """Ranks the corpus for each query of a batch."""

    def rank(self, serialized: np.ndarray) -> np.ndarray:
        """Returns ``[len(serialized), >= k]`` movie ids (bytes), best first."""


class SavedModelRanker:
    """Calls a SavedModel's ``serving_default`` signature (the model contract).

    The signature takes ``examples`` (serialized ``tf.train.Example``s,
    ``tf.string [None]``) and returns at least ``movie_ids``
    (``tf.string [None, K]``), the top-K movies of the whole corpus, best first.
    Nothing else of the model is used.
    """

    def __init__(self, path: str, k: int):
        """Loads the model.

        Args:
          path: The SavedModel directory.
          k: How many movies each ranking must hold at least.

        Raises:
          ValueError: If the SavedModel lacks the signature, its input or output.
        """
        self.path = path
        self._k = k
        loaded = tf.saved_model.load(path)
        if spec.SIGNATURE_NAME not in loaded.signatures:
            raise ValueError(
                f"SavedModel at {path} has no {spec.SIGNATURE_NAME!r} signature; "
                f"it has {sorted(loaded.signatures)}"
            )
        self._model = loaded  # Keeps the signature's resources alive.
        self._signature = loaded.signatures[spec.SIGNATURE_NAME]
        _, inputs = self._signature.structured_input_signature
        if set(inputs) != {spec.SIGNATURE_INPUT}:
            raise ValueError(
                f"Signature {spec.SIGNATURE_NAME!r} of {path} must take exactly one "
                f"input {spec.SIGNATURE_INPUT!r} (serialized tf.Examples); "
                f"it takes {sorted(inputs)}"
            )
        if spec.OUTPUT_MOVIE_IDS not in self._signature.structured_outputs:
            raise ValueError(
                f"Signature {spec.SIGNATURE_NAME!r} of {path} has no output "
                f"{spec.OUTPUT_MOVIE_IDS!r}; outputs: "
                f"{sorted(self._signature.structured_outputs)}"
            )

    def rank(self, serialized: np.ndarray) -> np.ndarray:
        """Returns the model's top-K movie ids for each example of the batch."""
        outputs = self._signature(
            **{spec.SIGNATURE_INPUT: tf.constant(serialized, dtype=tf.string)}
        )
        ids = outputs[spec.OUTPUT_MOVIE_IDS].numpy()
        if ids.ndim != 2 or ids.shape[0] != len(serialized):
            raise ValueError(
                f"{spec.OUTPUT_MOVIE_IDS!r} of {self.path} must have shape "
                f"[batch, K]; got {ids.shape} for a batch of {len(serialized)}"
            )
        if ids.shape[1] < self._k:
            raise ValueError(
                f"{self.path} returns the top {ids.shape[1]} movies, fewer than the "
                f"largest k = {self._k}: lower top_ks or export a larger K"
            )
        return ids


class FixedRanker:
    """Ranks the same movies for every query (the popularity baseline)."""

    def __init__(self, ranked: List[bytes], k: int):
        """Builds the ranker.

        Args:
          ranked: Movie ids, best first. Shorter lists (a corpus smaller than
            k) are padded with empty ids, which match no movie.
          k: The ranking length.
        """
        padded = list(ranked[:k]) + [b""] * max(0, k - len(ranked))
        self._ranked = np.array(padded, dtype=object)

    def rank(self, serialized: np.ndarray) -> np.ndarray:
        """Returns the fixed ranking once per example."""
        return np.broadcast_to(self._ranked, (len(serialized), len(self._ranked)))


def most_popular(movie_id_batches: Iterable[np.ndarray], k: int) -> Tuple[List[bytes], int]:
    """Finds the k most-rated movies.

    Args:
      movie_id_batches: Movie ids of the ratings, in batches.
      k: How many movies to return.

    Returns:
      Up to k movie ids, most ratings first (ties: smaller id first), and the
      number of ratings counted.
    """
    counts: collections.Counter = collections.Counter()
    for batch in movie_id_batches:
        counts.update(batch.tolist())
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [movie for movie, _ in ranked[:k]], sum(counts.values())
