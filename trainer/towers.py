"""The query and candidate towers, built from the transformed feature spec.

Which transformed features feed which tower follows from the raw feature they
come from (``features.QUERY_FEATURES`` vs ``features.CANDIDATE_FEATURES``);
every embedding table's size comes from the transform output
(``transform_fn.sizes``), never from a constant here.
"""

import dataclasses
from typing import Dict, Iterable, Mapping, Optional, Tuple

import tensorflow as tf

from transform_fn import features


@dataclasses.dataclass(frozen=True)
class TowerInputs:
    """The transformed features one tower reads.

    Attributes:
      categorical: Single-valued id features -> number of ids.
      multivalent: Variable-length id features (averaged) -> number of ids.
      numeric: Float features used as they are.
    """

    categorical: Dict[str, int]
    multivalent: Dict[str, int]
    numeric: Tuple[str, ...]

    @property
    def names(self) -> Tuple[str, ...]:
        """Every transformed feature the tower reads."""
        return tuple(sorted(self.categorical)) + tuple(sorted(self.multivalent)) + self.numeric


def raw_feature_of(transformed: str) -> Optional[str]:
    """The raw feature a transformed feature is computed from.

    Args:
      transformed: A transformed feature name, ``<raw>_<suffix>``.

    Returns:
      The raw feature name, or None for pass-through raw features.
    """
    raw_names = sorted(features.QUERY_FEATURES + features.CANDIDATE_FEATURES, key=len, reverse=True)
    for raw in raw_names:
        if transformed.startswith(raw + "_"):
            return raw
    return None


def tower_inputs(
    transformed_spec: Mapping[str, object],
    sizes: Mapping[str, int],
    raw_features: Iterable[str],
    exclude: Iterable[str] = (),
) -> TowerInputs:
    """Chooses a tower's inputs among the transformed features.

    Args:
      transformed_spec: ``TFTransformOutput.transformed_feature_spec()``.
      sizes: ``transform_fn.sizes.categorical_sizes`` of the same output.
      raw_features: The raw features whose transformed outputs the tower reads.
      exclude: Transformed features to leave out.

    Returns:
      The tower's inputs.

    Raises:
      ValueError: If a chosen integer feature has no size in ``sizes``.
    """
    raw_features = set(raw_features)
    excluded = set(exclude)
    categorical, multivalent, numeric = {}, {}, []
    for name in sorted(transformed_spec):
        if name in excluded or raw_feature_of(name) not in raw_features:
            continue
        spec = transformed_spec[name]
        if spec.dtype == tf.float32:
            numeric.append(name)
            continue
        if spec.dtype != tf.int64:
            continue
        if name not in sizes:
            raise ValueError(f"Transformed feature {name} has no int domain: size unknown")
        if isinstance(spec, tf.io.FixedLenFeature):
            categorical[name] = sizes[name]
        else:
            multivalent[name] = sizes[name]
    return TowerInputs(categorical, multivalent, tuple(numeric))


# How a variable-length feature's embeddings are combined. The history sums
# its movies' embeddings divided by the square root of their count: a mean
# would make a user with 500 ratings as uncertain as one with 5, and scored
# clearly lower (docs/benchmarks.md).
# Genres and title tokens are averaged, as the TFRS tutorial's
# GlobalAveragePooling1D does.
_COMBINERS = {features.MOVIE_HISTORY: "sqrtn"}
_DEFAULT_COMBINER = "mean"


class EmbeddingTable(tf.keras.layers.Layer):
    """An embedding table that looks up dense ids or combines sparse ids."""

    def __init__(self, size: int, dim: int, combiner: str = _DEFAULT_COMBINER, **kwargs):
        super().__init__(**kwargs)
        self.size = size
        self.dim = dim
        self.combiner = combiner

    def build(self, input_shape):
        self.table = self.add_weight(
            name="embeddings",
            shape=(self.size, self.dim),
            initializer=tf.keras.initializers.RandomUniform(-0.05, 0.05),
        )
        super().build(input_shape)

    def call(self, ids):
        if isinstance(ids, tf.SparseTensor):
            return tf.nn.safe_embedding_lookup_sparse(self.table, ids, combiner=self.combiner)
        return tf.nn.embedding_lookup(self.table, tf.reshape(ids, [-1]))


class Tower(tf.keras.Model):
    """Embeds and concatenates a tower's features, then projects them.

    Categorical features get an embedding each, variable-length ones the mean
    of their ids' embeddings (the history: their sum over the square root of
    their count; empty lists give zeros), numeric features enter
    as they are; optional ReLU layers follow, then a linear projection to the
    shared output width, optionally scaled to a fixed length.

    Args:
      inputs: The tower's features by kind, with vocabulary sizes.
      embedding_dim: Width of every embedding table.
      hidden_layers: Widths of the ReLU layers.
      output_dim: Width of the output.
      normalize: L2-normalise the output (cosine scores).
      scale: With ``normalize``, the output's length (1 / temperature for
        the query tower).
      **kwargs: Keras model arguments (``name``).
    """

    def __init__(
        self,
        inputs: TowerInputs,
        embedding_dim: int,
        hidden_layers: Tuple[int, ...],
        output_dim: int,
        normalize: bool = False,
        scale: float = 1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.normalize = normalize
        self.scale = scale
        self.tower_inputs = inputs
        self.embedding_tables = {
            name: EmbeddingTable(
                size,
                embedding_dim,
                _COMBINERS.get(name, _DEFAULT_COMBINER),
                name=f"{name}_embedding",
            )
            for name, size in {**inputs.categorical, **inputs.multivalent}.items()
        }
        self.hidden = [
            tf.keras.layers.Dense(width, activation="relu", name=f"hidden_{i}")
            for i, width in enumerate(hidden_layers)
        ]
        self.projection = tf.keras.layers.Dense(output_dim, name="projection")

    def call(
        self,
        inputs: Mapping[str, tf.Tensor],
        embedded: Optional[Mapping[str, tf.Tensor]] = None,
    ) -> tf.Tensor:
        """Embeds a batch.

        Args:
          inputs: Transformed features.
          embedded: Optional ``[batch, embedding_dim]`` embeddings computed
            elsewhere from a table of this tower (the training history, summed
            once per step), used instead of looking ``inputs`` up.

        Returns:
          ``[batch, output_dim]`` embeddings.
        """
        embedded = embedded or {}
        parts = [
            embedded[name] if name in embedded else self.embedding_tables[name](inputs[name])
            for name in sorted(self.embedding_tables)
        ]
        parts += [
            tf.reshape(tf.cast(inputs[name], tf.float32), [-1, 1])
            for name in self.tower_inputs.numeric
        ]
        x = tf.concat(parts, axis=1)
        for layer in self.hidden:
            x = layer(x)
        x = self.projection(x)
        if self.normalize:
            x = tf.math.l2_normalize(x, axis=1) * self.scale
        return x
