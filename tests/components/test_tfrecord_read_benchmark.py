"""The TFRecord read benchmark's data: every example written, dealt over the files."""

import json
import os
import sys

import tensorflow as tf

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import tfrecord_read_benchmark  # noqa: E402  pylint: disable=wrong-import-position


def test_the_examples_are_dealt_over_the_files_and_read_back(tmp_path):
    pattern = tfrecord_read_benchmark.write_examples(str(tmp_path), 20_000, 3)
    files = sorted(tf.io.gfile.glob(pattern))
    assert len(files) == 3
    counts = [sum(1 for _ in tf.data.TFRecordDataset(path, compression_type="GZIP")) for path in files]
    assert sum(counts) == 20_000 and min(counts) > 0
    example = tf.train.Example.FromString(next(iter(tf.data.TFRecordDataset(files[0], "GZIP"))).numpy())
    assert set(example.features.feature) == set(tfrecord_read_benchmark._RATING_FEATURES)  # pylint: disable=protected-access


def test_both_readers_are_timed_over_the_same_records(tmp_path, monkeypatch):
    output = tmp_path / "read.json"
    monkeypatch.setattr(
        sys, "argv", ["x", "--records", "3000", "--files", "2", "--rounds", "1", "--output", str(output)]
    )
    assert tfrecord_read_benchmark.main() == 0
    result = json.loads(output.read_text())
    assert set(result["seconds"]) == {"beam_read_from_tfrecord", "tensorflow_reader"}
    assert all(len(values) == 1 and values[0] > 0 for values in result["seconds"].values())
    assert result["records_counted"] == {"beam_read_from_tfrecord": [3000], "tensorflow_reader": [3000]}
