"""The report's sample recommendations: a few users, what they rated, what the model offers.

Three users are picked from the Evaluator's eval ratings: among those the
model trained on, the one with the most and the median number of training
ratings, and a cold user (no training ratings) when there is one, else the
one with the fewest (each ``recommend`` call loads the model). For each:
their newest training ratings, their held-out eval movies, and the top 10
the model trained in this run returns through its serving signature
(``pipeline.recommend.recommend``, training movies left out, at the model's
default time); recommended movies the user rated in eval are marked.
"""

import dataclasses
import os
from typing import Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf
from tfx.dsl.io import fileio
from tfx.utils import path_utils

from pipeline import recommend as recommend_lib
from pipeline.report import html
from pipeline.report.artifacts import Found
from transform_fn import features

TOP_K = 10
SHOWN_RATINGS = 10
_SPEC = {
    features.USER_ID: tf.io.FixedLenFeature([], tf.string),
    features.MOVIE_ID: tf.io.FixedLenFeature([], tf.string),
    features.MOVIE_TITLE: tf.io.FixedLenFeature([], tf.string, default_value=b""),
    features.USER_RATING: tf.io.FixedLenFeature([], tf.float32, default_value=0.0),
    features.TIMESTAMP: tf.io.FixedLenFeature([], tf.int64, default_value=0),
}


@dataclasses.dataclass(frozen=True)
class Rating:
    """One rating.

    Attributes:
      movie_id: The movie.
      title: Its title.
      rating: The rating given.
      timestamp: When (unix seconds).
    """

    movie_id: str
    title: str
    rating: float
    timestamp: int


@dataclasses.dataclass(frozen=True)
class Sample:
    """One user's ratings and recommendations.

    Attributes:
      user_id: The user.
      kind: Why picked (``most rated``, ``median``, ``fewest rated``, ``cold``).
      rated: Their training ratings, newest first.
      held_out: Their eval ratings, newest first.
      recommendations: What the model returns for them.
    """

    user_id: str
    kind: str
    rated: List[Rating]
    held_out: List[Rating]
    recommendations: recommend_lib.Recommendations


def read_ratings(examples: Sequence[Found], split: str) -> Dict[str, np.ndarray]:
    """Every rating of one split of some Examples artifacts.

    Args:
      examples: Examples artifacts (``<uri>/Split-<split>/`` record files).
      split: The split.

    Returns:
      Feature name -> values, one per rating (``user_id``, ``movie_id``,
      ``movie_title`` as bytes; ``user_rating``; ``timestamp``).
    """
    files = sorted(
        path
        for artifact in examples
        for path in fileio.glob(os.path.join(artifact.uri, f"Split-{split}", "*"))
        if not fileio.isdir(path)
    )
    columns: Dict[str, List[np.ndarray]] = {name: [] for name in _SPEC}
    if files:
        compression = "GZIP" if files[0].endswith(".gz") else None
        dataset = tf.data.TFRecordDataset(files, compression_type=compression).batch(8192)
        for batch in dataset.map(lambda serialized: tf.io.parse_example(serialized, _SPEC)):
            for name, values in batch.items():
                columns[name].append(values.numpy())
    return {
        name: np.concatenate(parts) if parts else np.zeros([0], spec.dtype.as_numpy_dtype)
        for (name, parts), spec in zip(columns.items(), _SPEC.values())
    }


def pick_users(train: Dict[str, np.ndarray], evaluation: Dict[str, np.ndarray]) -> Dict[str, str]:
    """The sample users among the eval ratings' users.

    Args:
      train: Training ratings (``read_ratings``).
      evaluation: Eval ratings (``read_ratings``).

    Returns:
      User id -> why picked, in display order.
    """
    trained, counts = np.unique(train[features.USER_ID], return_counts=True)
    training_count = dict(zip(trained, counts))
    users = np.unique(evaluation[features.USER_ID])
    warm = sorted((user for user in users if user in training_count),
                  key=lambda user: (-training_count[user], user))
    cold = sorted(user for user in users if user not in training_count)
    candidates = []
    if warm:
        candidates += [("most rated", warm[0]), ("median", warm[len(warm) // 2])]
    if cold:
        candidates.append(("cold", cold[0]))
    elif warm:
        candidates.append(("fewest rated", warm[-1]))
    picked: Dict[str, str] = {}
    for kind, user in candidates:
        picked.setdefault(user.decode(), kind)
    return picked


def _ratings_of(ratings: Dict[str, np.ndarray], user_id: str) -> List[Rating]:
    rows = np.flatnonzero(ratings[features.USER_ID] == user_id.encode())
    rows = rows[np.argsort(-ratings[features.TIMESTAMP][rows], kind="stable")]
    return [
        Rating(
            movie_id=ratings[features.MOVIE_ID][row].decode(),
            title=ratings[features.MOVIE_TITLE][row].decode(),
            rating=float(ratings[features.USER_RATING][row]),
            timestamp=int(ratings[features.TIMESTAMP][row]),
        )
        for row in rows
    ]


def samples(model_dir: str, train_examples: Sequence[Found], eval_examples: Sequence[Found]) -> List[Sample]:
    """The sample users' ratings and the model's top 10 for each.

    Args:
      model_dir: The SavedModel to ask.
      train_examples: The Examples the model trained on (train splits).
      eval_examples: The Examples it was evaluated on (eval splits).

    Returns:
      One sample per picked user.
    """
    train = read_ratings(train_examples, "train")
    evaluation = read_ratings(eval_examples, "eval")
    model = recommend_lib.load_model(model_dir)
    return [
        Sample(
            user_id=user,
            kind=kind,
            rated=_ratings_of(train, user),
            held_out=_ratings_of(evaluation, user),
            recommendations=recommend_lib.ask(model, user, TOP_K),
        )
        for user, kind in pick_users(train, evaluation).items()
    ]


def _shown(ratings: Sequence[Rating]) -> str:
    return f"newest {SHOWN_RATINGS} of {len(ratings)}" if len(ratings) > SHOWN_RATINGS else str(len(ratings))


def _ratings_table(ratings: Sequence[Rating]) -> str:
    return html.table(
        ["title", "rating"],
        [[html.text(r.title), html.number(r.rating, 1)] for r in ratings[:SHOWN_RATINGS]],
    )


def sample_view(sample: Sample) -> str:
    """One user's ratings beside the model's top 10.

    Args:
      sample: The user's sample.

    Returns:
      Markup.
    """
    held_out = {rating.movie_id for rating in sample.held_out}
    movies = sample.recommendations.movies
    top = html.table(
        ["#", "title", "score", "rated in eval"],
        [
            [html.number(rank, 0), html.text(title), html.number(score, 3),
             html.text("yes" if movie_id in held_out else "")]
            for rank, (movie_id, title, score) in enumerate(movies, start=1)
        ],
        row_classes=["hit" if movie_id in held_out else "" for movie_id, _, _ in movies],
    )
    rated = (
        _ratings_table(sample.rated) if sample.rated
        else html.paragraph("None: a user new to the model.", "note")
    )
    columns = (
        '<div class="columns"><div>'
        + html.subsection(f"Rated in training ({_shown(sample.rated)})", rated, level=4)
        + html.subsection(
            f"Held out, rated in eval ({_shown(sample.held_out)})",
            _ratings_table(sample.held_out), level=4,
        )
        + f"</div><div>{html.subsection(f'Top {TOP_K} recommended', top, level=4)}</div></div>"
    )
    hits = sum(movie_id in held_out for movie_id, _, _ in movies)
    return (
        f"<h3>User {html.escape(sample.user_id)} ({html.escape(sample.kind)})</h3>"
        + html.paragraph(
            f"{sample.recommendations.basis()}; {hits} of the top {len(movies)} rated in eval.",
            "note",
        )
        + columns
    )


def section(
    model: Optional[Found], train_examples: Sequence[Found], eval_examples: Sequence[Found]
) -> str:
    """The sample recommendations section.

    Args:
      model: The Trainer's Model artifact in this run, if it ran.
      train_examples: The Examples it trained on.
      eval_examples: The Examples the Evaluator read.

    Returns:
      Markup.
    """
    if model is None or not eval_examples:
        return html.paragraph("No model was trained and evaluated in this run.", "note")
    found = samples(path_utils.serving_model_path(model.uri), train_examples, eval_examples)
    intro = html.paragraph(
        "The model trained in this run, asked through its serving signature as "
        "`movielens-tfx recommend` asks a pushed one (training movies left out, the "
        "model's default time). Green: a recommended movie the user rated in eval.",
        "note",
    )
    return intro + "".join(sample_view(sample) for sample in found)
