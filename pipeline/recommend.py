"""The ``recommend`` command: query a pushed model through its signatures."""

import dataclasses
import time
from typing import Any, List, Optional, Tuple

import numpy as np
import tensorflow as tf

from components.movielens_example_gen import records
from components.versioned_pusher import is_complete
from trainer.export import EXCLUDE_MOVIE_IDS
from transform_fn import features


@dataclasses.dataclass(frozen=True)
class Recommendations:
    """A user's top movies and what they were based on.

    Attributes:
      movies: ``(movie_id, title, score)``, best first.
      user_id: The user asked about.
      num_rated: Movies the model knows the user rated (0: a user unknown to
        the model, a cold start: the answer has no history to go on).
      excluded_rated: Whether those movies were left out of the answer.
      query_time: The time the query was asked at (unix seconds).
      default_query_time: The model's default query time (its latest
        training time), used when no time is given.
    """

    movies: List[Tuple[str, str, float]]
    user_id: str
    num_rated: int
    excluded_rated: bool
    query_time: int
    default_query_time: int

    @property
    def known_user(self) -> bool:
        """Whether the model trained on ratings of this user."""
        return self.num_rated > 0

    def basis(self) -> str:
        """One line saying what the answer is based on."""
        when = (
            "the model's default time (its latest training time)"
            if self.query_time == self.default_query_time
            else f"time {self.query_time}"
        )
        if not self.known_user:
            return (
                f"user {self.user_id} is unknown to the model (cold start): no history, "
                f"so the answer is what the model ranks first for any new user, at {when}"
            )
        rated = "left out" if self.excluded_rated else "included (--include-rated)"
        return (
            f"based on the {self.num_rated} movies user {self.user_id} rated in training "
            f"(those {rated}), queried at {when}"
        )


def parse_timestamp(value: str) -> int:
    """Reads ``--timestamp``: unix seconds (> 0) or ``now``.

    Args:
      value: The option's text.

    Returns:
      Unix seconds.

    Raises:
      ValueError: If the value is neither ``now`` nor a positive integer.
    """
    if value == "now":
        return int(time.time())
    try:
        seconds = int(value)
    except ValueError:
        seconds = 0
    if seconds <= 0:
        raise ValueError(f"--timestamp must be unix seconds > 0 or 'now', got {value!r}")
    return seconds


def recommend(
    model_dir: str,
    user_id: str,
    k: int,
    timestamp: Optional[int] = None,
    include_rated: bool = False,
) -> Recommendations:
    """Asks a pushed model for a user's top movies via ``serving_default``.

    Args:
      model_dir: A pushed SavedModel directory.
      user_id: The user.
      k: How many movies, in ``[1, K]`` (K: what the model returns).
      timestamp: Query time in unix seconds (default: the model's default).
      include_rated: Keep the movies the user rated in training.

    Returns:
      The recommendations and what they are based on.

    Raises:
      ValueError: If k is outside ``[1, K]``, the timestamp is not positive,
        or ``model_dir`` is not a complete SavedModel.
    """
    return ask(load_model(model_dir), user_id, k, timestamp, include_rated)


def load_model(model_dir: str) -> Any:
    """Loads a pushed model to ask it several questions.

    Args:
      model_dir: A pushed SavedModel directory.

    Returns:
      The loaded SavedModel.

    Raises:
      ValueError: If ``model_dir`` is not a complete SavedModel.
    """
    if not is_complete(model_dir):
        raise ValueError(
            f"{model_dir} is not a complete SavedModel (no saved_model.pb, no "
            "variables, or a damaged graph)"
        )
    return tf.saved_model.load(model_dir)


def ask(
    model: Any,
    user_id: str,
    k: int,
    timestamp: Optional[int] = None,
    include_rated: bool = False,
) -> Recommendations:
    """``recommend`` on a model already loaded (``load_model``).

    Args:
      model: The loaded SavedModel.
      user_id: The user.
      k: How many movies, in ``[1, K]``.
      timestamp: Query time in unix seconds (default: the model's default).
      include_rated: Keep the movies the user rated in training.

    Returns:
      The recommendations and what they are based on.

    Raises:
      ValueError: If k is outside ``[1, K]`` or the timestamp is not positive.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    if timestamp is not None and timestamp <= 0:
        raise ValueError(f"timestamp must be unix seconds > 0, got {timestamp}")
    query = {features.USER_ID: user_id}
    rated = model.signatures["rated_movies"](
        examples=tf.constant([records.to_example(query).SerializeToString()])
    )
    num_rated = int(rated["num_rated"].numpy()[0])
    example = records.to_example(
        query if timestamp is None else {**query, features.TIMESTAMP: timestamp}
    )
    if not include_rated:
        example.features.feature[EXCLUDE_MOVIE_IDS].bytes_list.value.extend(
            rated["movie_ids"].numpy()[0][:num_rated]
        )
    out = model.signatures["serving_default"](examples=tf.constant([example.SerializeToString()]))
    most = int(out["movie_ids"].shape[1])
    if k > most:
        raise ValueError(f"k must be at most {most}, the number of movies the model returns")
    scores = out["scores"].numpy()[0][:k]
    kept = np.isfinite(scores)
    movies = [
        (movie_id.decode(), title.decode(), float(score))
        for movie_id, title, score in zip(
            out["movie_ids"].numpy()[0][:k][kept], out["movie_titles"].numpy()[0][:k][kept], scores[kept]
        )
    ]
    default_time = int(model.default_query_time.numpy())
    return Recommendations(
        movies=movies,
        user_id=user_id,
        num_rated=num_rated,
        excluded_rated=not include_rated,
        query_time=default_time if timestamp is None else timestamp,
        default_query_time=default_time,
    )
