"""Export: a SavedModel whose signatures take raw features and return movies.

Signatures (none needs code of ours to call):

* ``serving_default``: ``examples`` (serialized ``tf.train.Example`` with raw
  query features, any of them missing, plus an optional bytes list
  ``exclude_movie_ids``) -> ``movie_ids``, ``movie_titles``, ``scores`` of
  the top K movies of the corpus minus the excluded ones, best first.
* ``serve_raw``: one tensor per raw query feature (``user_id``, ``timestamp``,
  and the demographics the data has; a ``timestamp`` <= 0 means "none") and
  ``exclude_movie_ids`` (``[batch, None]`` bytes, padded with ``b""``) -> the
  same, for REST/JSON clients.
* ``query_embedding``: ``examples`` -> ``embedding``.
* ``candidate_embedding``: ``examples`` (serialized movie examples) ->
  ``embedding``.
* ``rated_movies``: ``examples`` (``user_id``) -> ``movie_ids`` (``[batch,
  H]``, padded with ``b""``) and ``num_rated``: the movies each user rated in
  the training data, which a caller may pass back as ``exclude_movie_ids``.

Queries as served: a query without a time is asked at the model's default
time (``default_query_time``: the latest rating time it trained on); the
user's history is the model's own record of their training ratings up to the
query time, so a caller needs only ``user_id``. The transform graph is inside
(``tft_layer``), and the corpus embeddings are computed at export time.
"""

from typing import Dict, Tuple

import tensorflow as tf
from tf_keras.src.saving.legacy.saved_model import utils as keras_saved_model_utils

from trainer import history as history_lib
from trainer import warm_start
from trainer.data import candidate_feature_spec
from trainer.train import TrainedModel
from transform_fn import features

_PARSE_DEFAULTS = {tf.string: b"", tf.int64: 0, tf.float32: 0.0}
EXCLUDE_MOVIE_IDS = "exclude_movie_ids"
_USER_INDEX = features.transformed_name(features.USER_ID, features.INDEX)
_MOVIE_INDEX = features.transformed_name(features.MOVIE_ID, features.INDEX)


def query_raw_spec(tf_transform_output) -> Dict[str, object]:
    """The raw query features the transform knows, with their raw spec.

    Args:
      tf_transform_output: The Transform output.

    Returns:
      Raw feature name -> its feature spec, for ``features.QUERY_FEATURES``.
    """
    raw = tf_transform_output.raw_feature_spec()
    return {name: raw[name] for name in features.QUERY_FEATURES if name in raw}


def _as_transform_input(sparse: tf.SparseTensor, spec) -> tf.Tensor:
    """Shapes a parsed (possibly missing) feature as the transform expects it.

    Variable-length raw features stay sparse: the ``preprocessing_fn`` fills
    missing values (OOV ids, the analysed mean). Fixed-length ones are
    densified with a zero/empty default.
    """
    if not isinstance(spec, tf.io.FixedLenFeature):
        return sparse
    default = _PARSE_DEFAULTS[spec.dtype]
    dense = tf.sparse.to_dense(sparse, default_value=default)
    first = tf.pad(dense, [[0, 0], [0, 1]], constant_values=default)[:, :1]
    return tf.reshape(first, [-1] + list(spec.shape))


def _one_value_each(values: tf.Tensor) -> tf.SparseTensor:
    """A ``[batch, 1]`` sparse tensor holding every value of ``[batch]``."""
    count = tf.size(values, out_type=tf.int64)
    indices = tf.stack([tf.range(count), tf.zeros([count], tf.int64)], axis=1)
    return tf.SparseTensor(indices, values, tf.stack([count, tf.constant(1, tf.int64)]))


def _parse_optional(serialized: tf.Tensor, specs: Dict[str, object]) -> Dict[str, tf.Tensor]:
    """Parses features that may be missing from an example."""
    parsed = tf.io.parse_example(
        serialized, {name: tf.io.VarLenFeature(spec.dtype) for name, spec in specs.items()}
    )
    return {name: _as_transform_input(parsed[name], specs[name]) for name in specs}


class RetrievalServingModule(tf.Module):
    """The exported module: transform layer, towers, histories and corpus."""

    def __init__(self, trained: TrainedModel):
        super().__init__()
        model = trained.model
        corpus = trained.corpus
        self.tft_layer = trained.transform_layer
        self.query_tower = model.query_tower
        self.candidate_tower = model.candidate_tower
        self.user_history = model.user_history
        self.history_in_query = trained.config.history_in_query
        self.k = min(trained.config.top_k, corpus.size)
        self.movie_ids = tf.Variable(corpus.movie_ids, trainable=False, name="movie_ids")
        self.movie_titles = tf.Variable(corpus.titles, trainable=False, name="movie_titles")
        self.vocabulary_id_of_row = tf.Variable(
            tf.reshape(corpus.transformed[_MOVIE_INDEX], [-1]), trainable=False
        )
        self.corpus_embeddings = tf.Variable(
            model.corpus_embeddings(), trainable=False, name="corpus_embeddings"
        )
        self.movie_rows = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                corpus.movie_ids, tf.range(corpus.size, dtype=tf.int64)
            ),
            default_value=-1,
        )
        self.default_query_time = tf.Variable(
            model.user_history.latest_time, trainable=False, name="default_query_time"
        )
        self._query_spec = query_raw_spec(trained.tf_transform_output)
        self._candidate_spec = candidate_feature_spec(trained.tf_transform_output)

    def _query_times(self, times: tf.Tensor) -> tf.Tensor:
        """``[batch]`` query times: the default where a time is absent or <= 0."""
        return tf.where(times > 0, times, self.default_query_time)

    def _embed_queries(self, raw: Dict[str, tf.Tensor], times: tf.Tensor) -> tf.Tensor:
        """Query embeddings of raw features asked at ``[batch]`` times."""
        raw = {**raw, features.TIMESTAMP: _as_transform_input(
            _one_value_each(times), self._query_spec[features.TIMESTAMP]
        )}
        transformed = dict(self.tft_layer(raw))
        if self.history_in_query:
            rows = self.user_history.of(transformed[_USER_INDEX], before=times)
            transformed[features.MOVIE_HISTORY] = history_lib.as_vocabulary_ids(
                rows, self.vocabulary_id_of_row
            )
        return self.query_tower(transformed)

    def _top_k(self, queries: tf.Tensor, excluded: tf.RaggedTensor) -> Dict[str, tf.Tensor]:
        """The top K movies for each query, its excluded movies left out."""
        scores = tf.matmul(queries, self.corpus_embeddings, transpose_b=True)
        rows = self.movie_rows.lookup(excluded)
        rows = tf.ragged.boolean_mask(rows, rows >= 0)
        indices = tf.stack([tf.cast(rows.value_rowids(), tf.int64), rows.flat_values], axis=1)
        mask = tf.scatter_nd(
            indices, tf.ones_like(rows.flat_values, tf.int32), tf.shape(scores, out_type=tf.int64)
        )
        scores = tf.where(mask > 0, tf.constant(-float("inf"), scores.dtype), scores)
        top_scores, top_rows = tf.math.top_k(scores, k=self.k)
        return {
            "movie_ids": tf.gather(self.movie_ids, top_rows),
            "movie_titles": tf.gather(self.movie_titles, top_rows),
            "scores": top_scores,
        }

    def _parse_query(self, examples: tf.Tensor) -> Tuple[Dict[str, tf.Tensor], tf.Tensor]:
        """Raw query features and ``[batch]`` query times (0 where absent)."""
        raw = _parse_optional(examples, self._query_spec)
        times = tf.io.parse_example(
            examples, {features.TIMESTAMP: tf.io.RaggedFeature(tf.int64)}
        )[features.TIMESTAMP]
        return raw, tf.reshape(times.to_tensor(default_value=0, shape=[None, 1]), [-1])

    def serve_examples(self, examples: tf.Tensor) -> Dict[str, tf.Tensor]:
        """Top-K movies for serialized query examples."""
        raw, times = self._parse_query(examples)
        excluded = tf.io.parse_example(
            examples, {EXCLUDE_MOVIE_IDS: tf.io.RaggedFeature(tf.string)}
        )[EXCLUDE_MOVIE_IDS]
        return self._top_k(self._embed_queries(raw, self._query_times(times)), excluded)

    def serve_raw(self, **raw: tf.Tensor) -> Dict[str, tf.Tensor]:
        """Top-K movies for raw query tensors, one value per request."""
        excluded = tf.RaggedTensor.from_tensor(raw.pop(EXCLUDE_MOVIE_IDS), padding=b"")
        inputs = {
            name: _as_transform_input(_one_value_each(tf.reshape(raw[name], [-1])), spec)
            for name, spec in self._query_spec.items()
        }
        times = self._query_times(tf.reshape(raw[features.TIMESTAMP], [-1]))
        return self._top_k(self._embed_queries(inputs, times), excluded)

    def query_embedding(self, examples: tf.Tensor) -> Dict[str, tf.Tensor]:
        """Query embeddings of serialized query examples."""
        raw, times = self._parse_query(examples)
        return {"embedding": self._embed_queries(raw, self._query_times(times))}

    def candidate_embedding(self, examples: tf.Tensor) -> Dict[str, tf.Tensor]:
        """Candidate embeddings of serialized movie examples."""
        raw = _parse_optional(examples, self._candidate_spec)
        return {"embedding": self.candidate_tower(self.tft_layer(raw))}

    def rated_movies(self, examples: tf.Tensor) -> Dict[str, tf.Tensor]:
        """The movies each query's user rated in the training data."""
        users = _parse_optional(examples, {features.USER_ID: self._query_spec[features.USER_ID]})
        transformed = self.tft_layer(users)
        rows = self.user_history.of(transformed[_USER_INDEX])
        return {
            "movie_ids": tf.gather(self.movie_ids, rows).to_tensor(default_value=b""),
            "num_rated": rows.row_lengths(),
        }


def _trace(method, *args, **kwargs):
    """A signature's concrete function, traced without autograph.

    The serving code has no tensor-dependent Python control flow, and
    autograph's transpiling of it (and of the transform layer) costs seconds
    per signature.
    """
    return tf.function(method, autograph=False).get_concrete_function(*args, **kwargs)


def export_serving_model(trained: TrainedModel, export_dir: str) -> None:
    """Saves the serving SavedModel and its warm-start file.

    Args:
      trained: The trained model.
      export_dir: The destination directory (``gs://`` and ``s3://`` work).
    """
    module = RetrievalServingModule(trained)
    examples_spec = tf.TensorSpec([None], tf.string, name="examples")
    raw_specs = {
        name: tf.TensorSpec([None], spec.dtype, name=name)
        for name, spec in module._query_spec.items()  # pylint: disable=protected-access
    }
    raw_specs[EXCLUDE_MOVIE_IDS] = tf.TensorSpec([None, None], tf.string, name=EXCLUDE_MOVIE_IDS)
    signatures = {
        "serving_default": _trace(module.serve_examples, examples_spec),
        "serve_raw": _trace(module.serve_raw, **raw_specs),
        "query_embedding": _trace(module.query_embedding, examples_spec),
        "candidate_embedding": _trace(module.candidate_embedding, examples_spec),
        "rated_movies": _trace(module.rated_movies, examples_spec),
    }
    # The signatures are the interface; Keras's own per-layer call traces
    # (re-tracing every tower with autograph: seconds of every export;
    # docs/benchmarks.md) would serve only
    # tf.keras.models.load_model, which nothing here uses. This is the scope
    # that tf.keras.Model.save(save_traces=False) enters.
    with keras_saved_model_utils.keras_option_scope(save_traces=False):
        tf.saved_model.save(module, export_dir, signatures=signatures)
    warm_start.save(
        export_dir,
        {"query_tower": trained.model.query_tower, "candidate_tower": trained.model.candidate_tower},
        trained.tf_transform_output,
    )
