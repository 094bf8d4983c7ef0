"""A small finished run in a work directory, written by hand for the report's tests.

``write_run`` lays out what the report reads after a pipeline run: the
artifacts (statistics and anomalies per split, the Evaluator's metrics.json
from its real executor on stub models, the Trainer's TensorBoard log and
report, rating examples, a model ``recommend`` can ask) and an ML Metadata
store recording one pipeline run whose executions read and wrote them.
"""

import dataclasses
import json
import os
import re
from html.parser import HTMLParser
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import tensorflow as tf
from google.protobuf import text_format
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tensorflow_metadata.proto.v0 import anomalies_pb2, statistics_pb2
from tfx.utils import path_utils

from pipeline.local.runner import RunSummary, metadata_path
from pipeline.report import data_section
from tests.evaluator import retrieval_evaluator_testing as evaluator_testing
from trainer.export import EXCLUDE_MOVIE_IDS
from trainer.run_fn import METRICS_FILE
from transform_fn import features

MOVIES = [f"m{index}" for index in range(12)]
TITLES = {movie: f"Film {movie.upper()} (1990)" for movie in MOVIES}
# Training ratings: u1 rated most, u2 some, u3 one; u9 is cold (eval only).
TRAIN_RATED = {"u1": MOVIES[:6], "u2": MOVIES[3:6], "u3": MOVIES[6:7]}
EVAL_RATED = {"u1": ["m6", "m7"], "u2": ["m0"], "u3": ["m8"], "u9": ["m1"]}
LOSSES = [2.5, 1.75, 1.25]
SECONDS = {"MovieLensExampleGen": 3.0, "StatisticsGen": 2.0, "RetrievalTrainer": 5.0,
           "RetrievalEvaluator": 1.5, "VersionedPusher": 0.2}
ANOMALY = "Unexpected string values"
RUN_CONTEXT = "pipeline_run"


def _rating(user: str, movie: str, timestamp: int) -> Dict[str, Any]:
    return {
        features.USER_ID: user,
        features.MOVIE_ID: movie,
        features.MOVIE_TITLE: TITLES[movie],
        features.MOVIE_GENRES: [1],
        features.TIMESTAMP: timestamp,
        features.USER_RATING: 4.0,
    }


def _ratings(rated: Mapping[str, Sequence[str]], start: int) -> List[Dict[str, Any]]:
    return [
        _rating(user, movie, start + index)
        for user, movies in rated.items()
        for index, movie in enumerate(movies)
    ]


class FixedRanker(tf.Module):
    """A stub served model with the signatures ``pipeline.recommend`` calls.

    Every user gets the corpus in a fixed order (movie ``i`` scores
    ``-i``), the movies in the query's ``exclude_movie_ids`` left out;
    ``rated_movies`` answers from a table of training ratings.
    """

    def __init__(self, rated: Mapping[str, Sequence[str]]):
        super().__init__()
        users = sorted(rated)
        longest = max(len(movies) for movies in rated.values())
        self.default_query_time = tf.Variable(1000, dtype=tf.int64)
        self._movie_ids = tf.constant(MOVIES)
        self._titles = tf.constant([TITLES[movie] for movie in MOVIES])
        self._scores = tf.constant([-float(index) for index in range(len(MOVIES))])
        self._users = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(users), tf.range(len(users), dtype=tf.int64)),
            default_value=len(users),
        )
        self._rated = tf.constant(
            [list(rated[user]) + [""] * (longest - len(rated[user])) for user in users] + [[""] * longest]
        )
        self._counts = tf.constant([len(rated[user]) for user in users] + [0], dtype=tf.int64)

    def _parse(self, examples):
        return tf.io.parse_example(examples, {
            features.USER_ID: tf.io.FixedLenFeature([], tf.string, default_value=""),
            EXCLUDE_MOVIE_IDS: tf.io.VarLenFeature(tf.string),
        })

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve(self, examples):
        excluded = tf.sparse.to_dense(self._parse(examples)[EXCLUDE_MOVIE_IDS], default_value="")
        hidden = tf.reduce_any(excluded[:, :, None] == self._movie_ids[None, None, :], axis=1)
        scores = tf.where(hidden, -float("inf"), self._scores[None, :])
        top, rows = tf.math.top_k(scores, k=len(MOVIES))
        return {"movie_ids": tf.gather(self._movie_ids, rows),
                "movie_titles": tf.gather(self._titles, rows), "scores": top}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def rated_movies(self, examples):
        rows = self._users.lookup(self._parse(examples)[features.USER_ID])
        return {"movie_ids": tf.gather(self._rated, rows), "num_rated": tf.gather(self._counts, rows)}


def _write_proto(path: str, proto: Any) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(proto.SerializeToString())


def _statistics(num_examples: int, mean: float) -> statistics_pb2.DatasetFeatureStatisticsList:
    return text_format.Parse(f"""
      datasets {{
        num_examples: {num_examples}
        features {{
          path {{ step: "user_rating" }} type: FLOAT
          num_stats {{
            common_stats {{ num_non_missing: {num_examples} min_num_values: 1 max_num_values: 1
                            avg_num_values: 1 }}
            mean: {mean} std_dev: 0.5 min: 1 median: 4 max: 5
            histograms {{ type: STANDARD
              buckets {{ low_value: 1 high_value: 3 sample_count: 2 }}
              buckets {{ low_value: 3 high_value: 5 sample_count: {num_examples - 2} }} }}
          }}
        }}
        features {{
          path {{ step: "movie_title" }} type: STRING
          string_stats {{
            common_stats {{ num_non_missing: {num_examples} min_num_values: 1 max_num_values: 1
                            avg_num_values: 1 }}
            unique: 9 avg_length: 15
            top_values {{ value: "{TITLES['m3']}" frequency: 2 }}
            top_values {{ value: "{TITLES['m4']}" frequency: 1 }}
          }}
        }}
      }}""", statistics_pb2.DatasetFeatureStatisticsList())


def _anomalies(with_anomaly: bool) -> anomalies_pb2.Anomalies:
    found = anomalies_pb2.Anomalies()
    if with_anomaly:
        info = found.anomaly_info["user_occupation_text"]
        info.severity = anomalies_pb2.AnomalyInfo.ERROR
        info.short_description = ANOMALY
        info.description = "Examples contain values missing from the schema: astronaut."
    return found


def _write_event_log(folder: str) -> None:
    writer = tf.summary.create_file_writer(folder)
    with writer.as_default():
        for epoch, loss in enumerate(LOSSES):
            tf.summary.scalar("epoch_loss", loss, step=epoch)
    writer.close()


def _trainer_report() -> Dict[str, Any]:
    return {
        "loss": "exact_softmax",
        "num_candidates": len(MOVIES),
        "seconds_per_epoch": 0.5,
        "eval_top_k_accuracy": {"model": {"1": 0.25, "5": 0.5}, "popularity": {"1": 0.0, "5": 0.25}},
        "eval_examples": {"ranked": 4, "read": 6},
        "warm_started_rows": {},
        "hyperparameters": {"epochs": len(LOSSES), "learning_rate": 0.003},
    }


@dataclasses.dataclass(frozen=True)
class _Artifact:
    type_name: str
    uri: str
    properties: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def _proto_value(value: Any) -> metadata_store_pb2.Value:
    if isinstance(value, int):
        return metadata_store_pb2.Value(int_value=value)
    return metadata_store_pb2.Value(string_value=str(value))


class _Recorder:
    """Records executions of one pipeline run in an MLMD store."""

    def __init__(self, metadata_file: str, run_name: str):
        config = metadata_store_pb2.ConnectionConfig()
        config.sqlite.filename_uri = metadata_file
        self._store = metadata_store.MetadataStore(config)
        context_type = self._store.put_context_type(metadata_store_pb2.ContextType(name=RUN_CONTEXT))
        [context_id] = self._store.put_contexts(
            [metadata_store_pb2.Context(type_id=context_type, name=run_name)]
        )
        self._context = metadata_store_pb2.Context(id=context_id, type_id=context_type, name=run_name)
        self._execution_type = self._store.put_execution_type(
            metadata_store_pb2.ExecutionType(name="Component")
        )

    def _artifact(self, artifact: _Artifact) -> metadata_store_pb2.Artifact:
        type_id = self._store.put_artifact_type(metadata_store_pb2.ArtifactType(name=artifact.type_name))
        proto = metadata_store_pb2.Artifact(type_id=type_id, uri=artifact.uri,
                                            state=metadata_store_pb2.Artifact.LIVE)
        for name, value in artifact.properties.items():
            proto.custom_properties[name].CopyFrom(_proto_value(value))
        known = self._store.get_artifacts_by_uri(artifact.uri)
        if known:
            proto.id = known[0].id
        return proto

    def execution(
        self,
        inputs: Mapping[str, Sequence[_Artifact]],
        outputs: Mapping[str, Sequence[_Artifact]],
        cached: bool = False,
    ) -> None:
        """Records one execution reading ``inputs`` and writing ``outputs`` (channel key -> artifacts)."""
        state = metadata_store_pb2.Execution.CACHED if cached else metadata_store_pb2.Execution.COMPLETE
        execution = metadata_store_pb2.Execution(type_id=self._execution_type, last_known_state=state)
        pairs = []
        for kind, channels in ((metadata_store_pb2.Event.INPUT, inputs),
                               (metadata_store_pb2.Event.OUTPUT, outputs)):
            for key, artifacts in channels.items():
                for index, artifact in enumerate(artifacts):
                    event = metadata_store_pb2.Event(type=kind)
                    event.path.steps.add().key = key
                    event.path.steps.add().index = index
                    pairs.append((self._artifact(artifact), event))
        self._store.put_execution(execution, pairs, [self._context])


@dataclasses.dataclass(frozen=True)
class FixtureRun:
    """What ``write_run`` wrote.

    Attributes:
      work_dir: The work directory.
      summary: The run's summary, as the local runner returns it.
      evaluation: The Evaluator's metrics.json.
      artifacts: Channel key -> the artifact written there.
    """

    work_dir: str
    summary: RunSummary
    evaluation: Dict[str, Any]
    artifacts: Mapping[str, _Artifact]


def write_run(work_dir: str, with_anomaly: bool = False) -> FixtureRun:
    """Writes the artifacts of one finished run and its MLMD record.

    Args:
      work_dir: The work directory (created if needed).
      with_anomaly: ExampleValidator found an anomaly in the eval split.

    Returns:
      The run.
    """
    root = os.path.join(work_dir, "pipeline_root")
    examples = evaluator_testing.write_examples(
        os.path.join(root, "examples"),
        {"train": _ratings(TRAIN_RATED, 100), "eval": _ratings(EVAL_RATED, 500)},
    )
    candidates = evaluator_testing.write_candidates(os.path.join(root, "candidates"), MOVIES)
    # Stub scores over the whole corpus: the evaluated model knows each user's
    # eval movies, the served one ranks everyone alike.
    ranked = {movie: -index / len(MOVIES) for index, movie in enumerate(MOVIES)}
    table = {user: {**ranked, **{movie: 1.0 for movie in movies}} for user, movies in EVAL_RATED.items()}
    model = evaluator_testing.save_fake_model(os.path.join(root, "stub_model"), table, ranked)
    served = evaluator_testing.save_fake_model(os.path.join(root, "served"), {}, ranked, model_id=2)
    evaluation, _ = evaluator_testing.run_evaluator(
        os.path.join(root, "evaluator"), model, examples, candidates, baseline_model=served,
        top_ks=[1, 2, 5], blessing_k=5, min_margin_over_baselines=None,
    )
    with open(os.path.join(evaluation.uri, "metrics.json"), encoding="utf-8") as handle:
        metrics = json.load(handle)
    trained = os.path.join(root, "model")
    ranker = FixedRanker(TRAIN_RATED)
    tf.saved_model.save(ranker, path_utils.serving_model_path(trained), signatures={
        "serving_default": ranker.serve, "rated_movies": ranker.rated_movies,
    })
    model_run = os.path.join(root, "model_run")
    _write_event_log(os.path.join(model_run, "train"))
    with open(os.path.join(model_run, METRICS_FILE), "w", encoding="utf-8") as handle:
        json.dump(_trainer_report(), handle)
    statistics, anomalies = os.path.join(root, "statistics"), os.path.join(root, "anomalies")
    for split, size, mean in (("train", 10, 4.0), ("eval", 5, 3.5)):
        _write_proto(os.path.join(statistics, f"Split-{split}", data_section.STATISTICS_FILE),
                     _statistics(size, mean))
        _write_proto(os.path.join(anomalies, f"Split-{split}", data_section.ANOMALIES_FILE),
                     _anomalies(with_anomaly and split == "eval"))
    pushed_to = os.path.join(work_dir, "serving_model", "1700000000")
    os.makedirs(work_dir, exist_ok=True)
    artifacts = {
        "examples": _Artifact("Examples", examples.uri, {"source": "synthetic", "span": 0}),
        "candidates": _Artifact("Examples", candidates.uri),
        "statistics": _Artifact("ExampleStatistics", statistics),
        "anomalies": _Artifact("ExampleAnomalies", anomalies),
        "model": _Artifact("Model", trained),
        "model_run": _Artifact("ModelRun", model_run),
        "evaluation": _Artifact("ModelEvaluation", evaluation.uri),
        "pushed_model": _Artifact("PushedModel", os.path.join(root, "pushed"),
                                  {"pushed": 1, "pushed_destination": pushed_to}),
    }
    summary = RunSummary(
        seconds=dict(SECONDS),
        cached=[],
        total_seconds=sum(SECONDS.values()) + 1.0,
        evaluation=metrics,
        pushed_model=pushed_to,
    )
    run = FixtureRun(work_dir=work_dir, summary=summary, evaluation=metrics, artifacts=artifacts)
    _record(run, "run-1", cached=False)
    return run


def rerun_from_cache(run: FixtureRun, run_name: str) -> FixtureRun:
    """Records a second pipeline run that reused every result of ``run`` from the cache.

    Args:
      run: The first run.
      run_name: The new run's name.

    Returns:
      The new run (its summary: every component cached).
    """
    summary = dataclasses.replace(run.summary, cached=list(SECONDS), total_seconds=2.0)
    cached = dataclasses.replace(run, summary=summary)
    _record(cached, run_name, cached=True)
    return cached


def _record(run: FixtureRun, run_name: str, cached: bool) -> None:
    """Records a pipeline run's executions of the run's artifacts in its work directory's MLMD."""
    artifacts = run.artifacts
    recorder = _Recorder(metadata_path(run.work_dir), run_name)
    for inputs, outputs in (
        ({}, ("examples", "candidates")),
        (("examples",), ("statistics",)),
        (("statistics",), ("anomalies",)),
        (("examples", "candidates"), ("model", "model_run")),
        (("examples", "model"), ("evaluation",)),
        (("model",), ("pushed_model",)),
    ):
        recorder.execution({key: [artifacts[key]] for key in inputs},
                           {key: [artifacts[key]] for key in outputs}, cached=cached)


def referenced_urls(page: str) -> List[Tuple[str, str]]:
    """Every address a page would load or link: ``(tag.attribute, value)``.

    Attributes that name a resource (``src``, ``href``, ``xlink:href``,
    ``srcset``, ``data``, ``poster``, ``action``) and ``url(...)`` in inline
    styles. ``xmlns`` declarations name namespaces and load nothing.
    """
    found: List[Tuple[str, str]] = []

    class _Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            for name, value in attrs:
                if name in ("src", "href", "xlink:href", "srcset", "data", "poster", "action"):
                    found.append((f"{tag}.{name}", value or ""))
                if name == "style" and value:
                    found.extend((f"{tag}.style", url) for url in re.findall(r"url\(([^)]*)\)", value))

    _Collector().feed(page)
    found += [("style", url) for url in re.findall(r"url\(([^)]*)\)", page)]
    found += [("@import", rule) for rule in re.findall(r"@import[^;]*", page)]
    return found
