"""Export: a SavedModel whose signatures take raw features and return movies.

Signatures (none needs code of ours to call):

* ``serving_default``: ``examples`` (serialized ``tf.train.Example`` with raw
  query features; any may be missing) -> ``movie_ids``, ``movie_titles``,
  ``scores`` of the top K movies of the whole corpus, best first.
* ``serve_raw``: one tensor per raw query feature (``user_id``, ``timestamp``,
  and the demographics the data has) -> the same, for REST/JSON clients.
* ``query_embedding``: ``examples`` -> ``embedding``.
* ``candidate_embedding``: ``examples`` (serialized movie examples) ->
  ``embedding``.

The transform graph is inside (``tft_layer``), and the corpus embeddings are
computed at export time into a brute-force top-K index.
"""

from typing import Dict

import tensorflow as tf
import tensorflow_recommenders as tfrs
from tf_keras.src.saving.legacy.saved_model import utils as keras_saved_model_utils

from trainer import warm_start
from trainer.data import candidate_feature_spec
from trainer.train import TrainedModel
from transform_fn import features

_PARSE_DEFAULTS = {tf.string: b"", tf.int64: 0, tf.float32: 0.0}


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
    """The exported module: transform layer, towers and top-K index."""

    def __init__(self, trained: TrainedModel):
        super().__init__()
        self.tft_layer = trained.transform_layer
        self.query_tower = trained.model.query_tower
        self.candidate_tower = trained.model.candidate_tower
        corpus = trained.corpus
        self.movie_ids = tf.Variable(corpus.movie_ids, trainable=False, name="movie_ids")
        self.movie_titles = tf.Variable(corpus.titles, trainable=False, name="movie_titles")
        self.index = tfrs.layers.factorized_top_k.BruteForce(k=min(trained.config.top_k, corpus.size))
        self.index.index(
            trained.model.corpus_embeddings(), identifiers=tf.range(corpus.size, dtype=tf.int32)
        )
        self._query_spec = query_raw_spec(trained.tf_transform_output)
        self._candidate_spec = candidate_feature_spec(trained.tf_transform_output)

    def _recommend(self, raw: Dict[str, tf.Tensor]) -> Dict[str, tf.Tensor]:
        scores, rows = self.index(self.query_tower(self.tft_layer(raw)))
        return {
            "movie_ids": tf.gather(self.movie_ids, rows),
            "movie_titles": tf.gather(self.movie_titles, rows),
            "scores": scores,
        }

    def serve_examples(self, examples: tf.Tensor) -> Dict[str, tf.Tensor]:
        """Top-K movies for serialized query examples."""
        return self._recommend(_parse_optional(examples, self._query_spec))

    def serve_raw(self, **raw: tf.Tensor) -> Dict[str, tf.Tensor]:
        """Top-K movies for raw query tensors, one value per request."""
        inputs = {
            name: _as_transform_input(_one_value_each(tf.reshape(raw[name], [-1])), spec)
            for name, spec in self._query_spec.items()
        }
        return self._recommend(inputs)

    def query_embedding(self, examples: tf.Tensor) -> Dict[str, tf.Tensor]:
        """Query embeddings of serialized query examples."""
        raw = _parse_optional(examples, self._query_spec)
        return {"embedding": self.query_tower(self.tft_layer(raw))}

    def candidate_embedding(self, examples: tf.Tensor) -> Dict[str, tf.Tensor]:
        """Candidate embeddings of serialized movie examples."""
        raw = _parse_optional(examples, self._candidate_spec)
        return {"embedding": self.candidate_tower(self.tft_layer(raw))}


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
    signatures = {
        "serving_default": _trace(module.serve_examples, examples_spec),
        "serve_raw": _trace(module.serve_raw, **raw_specs),
        "query_embedding": _trace(module.query_embedding, examples_spec),
        "candidate_embedding": _trace(module.candidate_embedding, examples_spec),
    }
    # The signatures are the interface; Keras's own per-layer call traces
    # (re-tracing every tower with autograph, ~10 s) would serve only
    # tf.keras.models.load_model, which nothing here uses. This is the scope
    # that tf.keras.Model.save(save_traces=False) enters.
    with keras_saved_model_utils.keras_option_scope(save_traces=False):
        tf.saved_model.save(module, export_dir, signatures=signatures)
    warm_start.save(
        export_dir,
        {"query_tower": trained.model.query_tower, "candidate_tower": trained.model.candidate_tower},
        trained.tf_transform_output,
    )
