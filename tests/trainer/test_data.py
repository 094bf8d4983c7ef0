"""The in-memory training data holds exactly what the streaming path reads."""

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_transform as tft

from trainer import data
from transform_fn import features


def _columns(dataset):
    """Concatenates a dataset's batches per feature (lists as padded rows)."""
    columns = {}
    for batch in dataset:
        for name, value in batch.items():
            if isinstance(value, tf.SparseTensor):
                value = tf.RaggedTensor.from_sparse(value).to_list()
            else:
                value = value.numpy().tolist()
            columns.setdefault(name, []).extend(value)
    return columns


def _datasets(analysed_data, **kwargs):
    output = tft.TFTransformOutput(analysed_data.transform_dir)
    layer = output.transform_features_layer()
    return [
        data.transformed_ratings(analysed_data.train_files, output, layer, 100, cache=cache, **kwargs)
        for cache in (False, True)
    ]


def test_in_memory_batches_equal_the_streamed_transform(analysed_data):
    streamed, in_memory = (_columns(d) for d in _datasets(analysed_data))
    assert set(streamed) == set(in_memory)
    assert features.transformed_name(features.MOVIE_TITLE, features.TOKENS) in streamed
    for name in streamed:
        assert in_memory[name] == streamed[name], name


def test_in_memory_shuffle_reorders_rows_every_pass_and_keeps_them_all(analysed_data):
    _, in_memory = _datasets(analysed_data, shuffle_buffer=10_000, seed=3)
    key = features.transformed_name(features.USER_ID, features.INDEX)
    first, second = (np.array(_columns(in_memory)[key]) for _ in range(2))
    streamed = np.array(_columns(_datasets(analysed_data)[0])[key])
    assert sorted(first) == sorted(streamed) == sorted(second)
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, streamed)


def test_empty_training_files_are_named_in_the_error(analysed_data, tmp_path):
    empty = str(tmp_path / "part-0.gz")
    with tf.io.TFRecordWriter(empty, options="GZIP"):
        pass
    output = tft.TFTransformOutput(analysed_data.transform_dir)
    with pytest.raises(ValueError, match="part-0.gz.*hold no records"):
        data.transformed_ratings(empty, output, output.transform_features_layer(), 10, cache=True)


def _passes(dataset, count):
    return [[batch.numpy().tolist() for batch in dataset] for _ in range(count)]


def test_shuffled_row_batches_permute_every_row_afresh_each_pass_and_repeat_by_seed():
    first, second, third = _passes(data.shuffled_row_batches(10, 4, seed=5), 3)
    assert [len(batch) for batch in first] == [4, 4, 2]
    for order in (first, second, third):
        assert sorted(row for batch in order for row in batch) == list(range(10))
    assert first != second and second != third
    # The same seed draws the same orders, pass by pass (every process, every worker).
    assert _passes(data.shuffled_row_batches(10, 4, seed=5), 3) == [first, second, third]
    assert data.shuffled_row_batches(10, 4, seed=5).cardinality().numpy() == 3


def test_transform_split_holds_every_streamed_row_in_file_order(analysed_data):
    output = tft.TFTransformOutput(analysed_data.transform_dir)
    layer = output.transform_features_layer()
    columns = data.transform_split(analysed_data.train_files, output, layer)
    streamed = _columns(data.transformed_ratings(analysed_data.train_files, output, layer, 100))
    key = features.transformed_name(features.USER_ID, features.INDEX)
    assert set(columns) == set(streamed)
    assert columns[key].numpy().tolist() == streamed[key]


def test_a_sampled_split_holds_the_drawn_rows_in_file_order_and_counts_the_split(analysed_data):
    output = tft.TFTransformOutput(analysed_data.transform_dir)
    layer = output.transform_features_layer()
    everything = _columns(data.transformed_ratings(analysed_data.eval_files, output, layer, 100))
    key = features.transformed_name(features.USER_ID, features.INDEX)
    total = len(everything[key])
    sample = data.sampled_ratings(analysed_data.eval_files, output, layer, 16, size=40, seed=5)
    sampled = _columns(sample.dataset)
    assert sample.read == total > 40 and len(sampled[key]) == 40
    # The sampled rows are rows of the split, in its order: match them in one pass.
    rows = [tuple(str(everything[name][row]) for name in sorted(everything)) for row in range(total)]
    drawn = [tuple(str(sampled[name][row]) for name in sorted(sampled)) for row in range(40)]
    position = 0
    for row in drawn:
        position = rows.index(row, position) + 1
    again = _columns(data.sampled_ratings(analysed_data.eval_files, output, layer, 16, size=40, seed=5).dataset)
    assert again == sampled
    whole = data.sampled_ratings(analysed_data.eval_files, output, layer, 16, size=total + 1, seed=5)
    assert whole.read == total and _columns(whole.dataset) == everything


def test_a_split_above_cache_max_examples_streams_what_the_files_hold(analysed_data):
    output = tft.TFTransformOutput(analysed_data.transform_dir)
    layer = output.transform_features_layer()
    streamed = _columns(data.transformed_ratings(analysed_data.train_files, output, layer, 100))
    count = len(streamed[features.transformed_name(features.USER_ID, features.INDEX)])

    def dataset(limit):
        return data.transformed_ratings(
            analysed_data.train_files, output, layer, 100, cache=True, cache_max_examples=limit
        )

    # In memory up to the limit: a dataset of known length...
    assert dataset(count).cardinality().numpy() == -(-count // 100)
    # ...above it the files stream, unshuffled in file order, as without cache.
    above = dataset(count - 1)
    assert above.cardinality().numpy() == tf.data.UNKNOWN_CARDINALITY
    assert _columns(above) == streamed


def test_a_split_known_to_be_above_the_limit_streams_without_reading_into_memory(
    analysed_data, monkeypatch
):
    output = tft.TFTransformOutput(analysed_data.transform_dir)
    layer = output.transform_features_layer()
    streamed = _columns(data.transformed_ratings(analysed_data.train_files, output, layer, 100))
    count = len(streamed[features.transformed_name(features.USER_ID, features.INDEX)])
    read_into_memory = []
    real_transform_all = data._transform_all
    monkeypatch.setattr(
        data, "_transform_all", lambda *a, **k: read_into_memory.append(1) or real_transform_all(*a, **k)
    )

    def dataset(known):
        return data.transformed_ratings(
            analysed_data.train_files, output, layer, 100, cache=True,
            cache_max_examples=count - 1, known_examples=known,
        )

    known_above = dataset(count)
    assert read_into_memory == []
    assert known_above.cardinality().numpy() == tf.data.UNKNOWN_CARDINALITY
    assert _columns(known_above) == streamed
    # A known size not above the limit takes the old way: read into memory up to
    # the limit (these files then prove bigger, so it streams all the same).
    assert dataset(count - 1) is not None and read_into_memory == [1]


def _write_records(path, records):
    with tf.io.TFRecordWriter(path, options="GZIP") as writer:
        for record in records:
            writer.write(record)


def _streamed(files, shuffle_buffer, seed=7):
    return data.streamed_batches(files, lambda serialized: {"r": serialized}, 20, shuffle_buffer, seed)


def _records_of_a_pass(dataset):
    return [record.decode() for batch in dataset for record in batch["r"].numpy()]


def test_a_shuffled_stream_takes_records_from_every_file_in_turn(tmp_path):
    files = []
    for name in "abcd":
        files.append(str(tmp_path / f"{name}.gz"))
        _write_records(files[-1], [f"{name}{i:03d}".encode() for i in range(100)])

    stream = _streamed(files, shuffle_buffer=4)
    first, second = (_records_of_a_pass(stream) for _ in range(2))
    everything = sorted(f"{name}{i:03d}" for name in "abcd" for i in range(100))
    assert sorted(first) == sorted(second) == everything
    # Each file gives one record in turn: the first batch of 20 holds ~5 of
    # each file's first records, not 20 of one file's.
    assert {record[0] for record in first[:20]} == set("abcd")
    assert max(int(record[1:]) for record in first[:20]) < 10
    assert first != second  # a new order every pass
    assert _records_of_a_pass(_streamed(files, shuffle_buffer=4)) == first  # same seed


def test_an_unshuffled_stream_reads_the_files_one_after_another(tmp_path):
    files = [str(tmp_path / "a.gz"), str(tmp_path / "b.gz")]
    _write_records(files[0], [b"a0", b"a1"])
    _write_records(files[1], [b"b0"])

    assert _records_of_a_pass(_streamed(files, shuffle_buffer=0)) == ["a0", "a1", "b0"]
