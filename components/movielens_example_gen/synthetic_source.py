"""Beam transforms for the synthetic source: generation and its quality bounds.

Ratings are generated in shards (by user), each shard from its own seeded
generator, so the data is the same whichever worker makes it, and any size
fits a distributed runner. ``SyntheticQuality`` records what the generating
model (the oracle) and the popularity baseline reach on the eval split under
the filtered protocol (each eval rating ranks the corpus minus the movies its
user rated in training), so later stages can judge a trained model against
both.
"""

import collections
import math
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Tuple

import apache_beam as beam

from components.movielens_example_gen import batches
from movielens_simulator import synthetic
from components.movielens_example_gen.split_rules import hash_fraction, rating_key
from components.movielens_example_gen.source_output import SourceOutput
from components.progress_log import ProgressCounter, log_progress
from transform_fn import features

# Ratings per generation shard: small enough to spread over workers.
_RATINGS_PER_SHARD = 100_000
# Eval ratings sampled (by stable hash, so runs agree) to measure the oracle
# and popularity; below this size every eval rating counts.
QUALITY_SAMPLE_SIZE = 20_000
QUALITY_KS = (1, 5, 10, 50, 100)
QUALITY_PROTOCOL = "filtered"


def num_shards(config: synthetic.SyntheticConfig) -> int:
    """How many generation shards a configuration is split into.

    Args:
      config: The generator's configuration.

    Returns:
      Between 1 and the number of users.
    """
    return max(1, min(config.num_users, math.ceil(config.num_ratings / _RATINGS_PER_SHARD)))


@beam.ptransform_fn
def ReadSynthetic(  # pylint: disable=invalid-name
    pipeline: beam.Pipeline, config_kwargs: Mapping[str, Any], span: int
) -> SourceOutput:
    """Generates synthetic MovieLens ratings of one span and the movie corpus.

    Args:
      pipeline: The Beam pipeline.
      config_kwargs: Keyword arguments of ``synthetic.SyntheticConfig``.
      span: The span (time window) whose ratings to generate.

    Returns:
      Batches of rating records, movie records, and an empty bad-rows
      collection.
    """
    config = synthetic.SyntheticConfig(**config_kwargs)
    shards = num_shards(config)
    # Each worker's copy counts the ratings of every shard it generates.
    generated = ProgressCounter("ratings generated")
    ratings = (
        pipeline
        | "Shards" >> beam.Create(list(range(shards)))
        | "Distribute" >> beam.Reshuffle()
        | "Generate"
        >> beam.FlatMap(
            lambda shard: batches.shuffled_batches(
                generated.counted(synthetic.generate_ratings(config, shard, shards, span=span)),
                seed=shard,
            )
        )
    )
    movies = (
        pipeline
        | "StartMovies" >> beam.Create([None])
        | "GenerateMovies" >> beam.FlatMap(lambda _: synthetic.generate_movies(config))
    )
    return SourceOutput(
        rating_batches=ratings,
        movies=movies,
        bad_rows=pipeline | "NoBadRows" >> beam.Create([]),
    )


def _quality(
    eval_sample: List[Dict[str, Any]],
    train_counts: Dict[str, int],
    train_movies: Mapping[str, List[str]],
    config_kwargs: Mapping[str, Any],
) -> Dict[str, Any]:
    log_progress(
        "measuring the oracle and popularity on %s eval ratings", f"{len(eval_sample):,}"
    )
    config = synthetic.SyntheticConfig(**config_kwargs)
    movie_ids = [movie[features.MOVIE_ID] for movie in synthetic.generate_movies(config)]
    oracle = synthetic.oracle_top_k_accuracy(config, eval_sample, train_movies, QUALITY_KS)
    popularity = synthetic.popularity_top_k_accuracy(
        movie_ids, train_counts, eval_sample, train_movies, QUALITY_KS
    )
    return {
        "protocol": QUALITY_PROTOCOL,
        "eval_sample_size": len(eval_sample),
        "oracle_top_k_accuracy": {str(k): v for k, v in oracle.items()},
        "popularity_top_k_accuracy": {str(k): v for k, v in popularity.items()},
    }


def _movies_of_users(
    batch: List[Dict[str, Any]], users: FrozenSet[str]
) -> Iterator[Tuple[str, str]]:
    """(user id, movie id) of the batch's ratings by the given users."""
    for record in batch:
        if record[features.USER_ID] in users:
            yield record[features.USER_ID], record[features.MOVIE_ID]


@beam.ptransform_fn
def SyntheticQuality(  # pylint: disable=invalid-name
    splits: Tuple[beam.PCollection, beam.PCollection], config_kwargs: Mapping[str, Any]
) -> beam.PCollection:
    """Measures the oracle and popularity top-k accuracy on the eval split.

    Both rank, for each sampled eval rating, the corpus minus the movies its
    user rated in training (the filtered protocol).

    Args:
      splits: ``(train, eval)`` batches of rating records.
      config_kwargs: The generator's configuration (to rebuild its model).

    Returns:
      A one-element collection: ``{protocol, eval_sample_size,
      oracle_top_k_accuracy, popularity_top_k_accuracy}``, accuracies keyed
      by k.
    """
    train, evaluation = splits
    train_counts = (
        train
        | "CountBatchMovies"
        >> beam.Map(lambda batch: collections.Counter(r[features.MOVIE_ID] for r in batch))
        | "CountMovies" >> beam.CombineGlobally(_sum_counters)
    )
    sample = (
        evaluation
        | "EvalRecords" >> batches.Unbatch()
        | "SampleEval"
        >> beam.combiners.Top.Of(
            QUALITY_SAMPLE_SIZE,
            key=lambda record: hash_fraction(rating_key(record)),
            reverse=True,
        )
    )
    sampled_users = sample | "SampledUsers" >> beam.Map(
        lambda records: frozenset(r[features.USER_ID] for r in records)
    )
    train_movies = (
        train
        | "SampledUsersTrainMovies"
        >> beam.FlatMap(_movies_of_users, beam.pvalue.AsSingleton(sampled_users))
        | "GroupTrainMovies" >> beam.GroupByKey()
        | "ListTrainMovies" >> beam.MapTuple(lambda user, movies: (user, sorted(movies)))
    )
    return sample | "Measure" >> beam.Map(
        _quality,
        beam.pvalue.AsSingleton(train_counts),
        beam.pvalue.AsDict(train_movies),
        config_kwargs,
    )


def _sum_counters(counts: Iterable[Mapping[str, int]]) -> Dict[str, int]:
    total: collections.Counter = collections.Counter()
    for movie_counts in counts:
        total.update(movie_counts)
    return dict(total)
