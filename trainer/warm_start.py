"""Warm start: carry embeddings over from an exported model, by id.

Every export writes ``assets.extra/warm_start.npz`` beside the SavedModel: the
weights of both towers and the vocabulary behind each embedding table. A new
model copies, for every id present in both vocabularies, the old row into the
id's new row, so embeddings survive vocabularies that grew or reordered; new
ids keep their fresh initialisation. Tables without a vocabulary (buckets,
hash bins) and dense layers are copied when their shapes match.
"""

import io
import os
from typing import Dict, Optional

import numpy as np
import tensorflow as tf
import tensorflow_transform as tft
from absl import logging

from trainer.towers import Tower, raw_feature_of
from transform_fn import features

WARM_START_FILE = os.path.join("assets.extra", "warm_start.npz")
_VOCAB_PREFIX = "vocabulary:"


def vocabulary_of(transformed: str) -> Optional[str]:
    """The tf.Transform vocabulary behind a transformed id feature.

    Args:
      transformed: A transformed feature name.

    Returns:
      The vocabulary name, or None if the ids are not vocabulary indices.
    """
    if transformed == features.transformed_name(features.MOVIE_TITLE, features.TOKENS):
        return features.TITLE_TOKENS_VOCABULARY
    if transformed == features.MOVIE_HISTORY:
        return features.vocabulary_name(features.MOVIE_ID)
    raw = raw_feature_of(transformed)
    if raw and transformed == features.transformed_name(raw, features.INDEX):
        return features.vocabulary_name(raw)
    return None


def _weights(towers: Dict[str, Tower]) -> Dict[str, np.ndarray]:
    return {
        f"{tower_name}/{_short_name(variable)}": variable.numpy()
        for tower_name, tower in towers.items()
        for variable in tower.weights
    }


def _short_name(variable: tf.Variable) -> str:
    return variable.name.split("/", 1)[1] if "/" in variable.name else variable.name


def save(export_dir: str, towers: Dict[str, Tower], tf_transform_output: tft.TFTransformOutput) -> None:
    """Writes the warm-start file of an exported model.

    Args:
      export_dir: The SavedModel directory.
      towers: Tower name -> tower.
      tf_transform_output: The Transform output the towers were trained with.
    """
    arrays = _weights(towers)
    for tower in towers.values():
        for name in tower.embedding_tables:
            vocabulary = vocabulary_of(name)
            if vocabulary:
                arrays[_VOCAB_PREFIX + vocabulary] = np.array(
                    tf_transform_output.vocabulary_by_name(vocabulary), dtype=object
                ).astype(bytes)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = os.path.join(export_dir, WARM_START_FILE)
    tf.io.gfile.makedirs(os.path.dirname(path))
    with tf.io.gfile.GFile(path, "wb") as handle:
        handle.write(buffer.getvalue())


def warm_start(model, tf_transform_output: tft.TFTransformOutput, base_model_dir: str) -> Dict[str, int]:
    """Initialises a built model from a previously exported one.

    Args:
      model: A ``RetrievalModel`` whose variables exist.
      tf_transform_output: The new model's Transform output.
      base_model_dir: The exported base model (SavedModel directory).

    Returns:
      Embedding table -> number of rows carried over by id.

    Raises:
      FileNotFoundError: If the base model has no warm-start file.
    """
    path = os.path.join(base_model_dir, WARM_START_FILE)
    if not tf.io.gfile.exists(path):
        raise FileNotFoundError(f"Base model {base_model_dir} has no {WARM_START_FILE}")
    with tf.io.gfile.GFile(path, "rb") as handle:
        old = dict(np.load(io.BytesIO(handle.read())))
    towers = {"query_tower": model.query_tower, "candidate_tower": model.candidate_tower}
    carried: Dict[str, int] = {}
    for tower_name, tower in towers.items():
        tables = {table.table.ref(): name for name, table in tower.embedding_tables.items()}
        for variable in tower.weights:
            key = f"{tower_name}/{_short_name(variable)}"
            if key not in old:
                continue
            table_name = tables.get(variable.ref())
            vocabulary = vocabulary_of(table_name) if table_name else None
            if vocabulary and _VOCAB_PREFIX + vocabulary in old:
                carried[table_name] = _remap(
                    variable,
                    old[key],
                    [bytes(v) for v in old[_VOCAB_PREFIX + vocabulary]],
                    tf_transform_output.vocabulary_by_name(vocabulary),
                )
            elif old[key].shape == tuple(variable.shape):
                variable.assign(old[key])
    logging.info("Warm start from %s carried rows: %s", base_model_dir, carried)
    return carried


def _remap(variable: tf.Variable, old_table: np.ndarray, old_vocab, new_vocab) -> int:
    """Copies old rows into the new rows of the same ids; returns how many.

    The rows after the vocabulary (the OOV ids: what unknown values learned)
    are copied too when both tables have the same number of them.
    """
    if old_table.shape[1] != variable.shape[1]:
        return 0
    old_index = {token: row for row, token in enumerate(old_vocab)}
    new_rows, old_rows = [], []
    for row, token in enumerate(new_vocab):
        if token in old_index and old_index[token] < old_table.shape[0]:
            new_rows.append(row)
            old_rows.append(old_index[token])
    carried = len(new_rows)
    oov = old_table.shape[0] - len(old_vocab)
    if oov > 0 and oov == variable.shape[0] - len(new_vocab):
        new_rows += range(len(new_vocab), variable.shape[0])
        old_rows += range(len(old_vocab), old_table.shape[0])
    if new_rows:
        # Not ``scatter_nd_update``: a multi-worker model's MirroredVariable has none.
        variable.assign(
            tf.tensor_scatter_nd_update(
                variable, tf.constant(new_rows, tf.int64)[:, None], tf.constant(old_table[old_rows])
            )
        )
    return carried
