"""The ``recommend`` command: query a pushed model through its signature."""

import time
from typing import List, Optional, Tuple

import tensorflow as tf

from components.movielens_example_gen import records
from transform_fn import features


def recommend(
    model_dir: str, user_id: str, k: int, timestamp: Optional[int] = None
) -> List[Tuple[str, str, float]]:
    """Asks a pushed model for a user's top movies via ``serving_default``.

    Args:
      model_dir: A pushed SavedModel directory.
      user_id: The user.
      k: How many movies (at most the model's exported K).
      timestamp: Query time in unix seconds (default: now).

    Returns:
      ``(movie_id, title, score)`` best first.
    """
    query = records.to_example(
        {features.USER_ID: user_id, features.TIMESTAMP: timestamp or int(time.time())}
    )
    model = tf.saved_model.load(model_dir)
    out = model.signatures["serving_default"](examples=tf.constant([query.SerializeToString()]))
    ids = out["movie_ids"].numpy()[0][:k]
    titles = out["movie_titles"].numpy()[0][:k]
    scores = out["scores"].numpy()[0][:k]
    return [(i.decode(), t.decode(), float(s)) for i, t, s in zip(ids, titles, scores)]
