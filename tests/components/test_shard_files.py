"""Tests of the ExampleGen's shard writer: batches in, gzipped TFRecord shards out."""

import os

import apache_beam as beam
import tensorflow as tf

from components.movielens_example_gen import shard_files

IN_MEMORY = ["--runner=DirectRunner", "--direct_running_mode=in_memory", "--direct_num_workers=1"]
MULTI_PROCESSING = [
    "--runner=DirectRunner", "--direct_running_mode=multi_processing", "--direct_num_workers=2",
]


def _write(batches, folder: str, prefix: str, beam_args) -> None:
    with beam.Pipeline(argv=beam_args) as pipeline:
        _ = pipeline | beam.Create(batches, reshuffle=False) | shard_files.WriteShards(folder, prefix)


def _records(path: str):
    return [record.numpy() for record in tf.data.TFRecordDataset(path, compression_type="GZIP")]


def test_every_record_is_written_once_into_shards_named_as_beam_names_them(tmp_path):
    batches = [[f"b{b}r{r}".encode() for r in range(b + 1)] for b in range(40)]
    _write(batches, str(tmp_path), "data_tfrecord", MULTI_PROCESSING)

    names = sorted(os.listdir(tmp_path))
    assert names == [shard_files.shard_name("data_tfrecord", i, len(names)) for i in range(len(names))]
    written = [record for name in names for record in _records(str(tmp_path / name))]
    assert sorted(written) == sorted(record for batch in batches for record in batch)


def test_a_batch_keeps_its_order_inside_its_shard(tmp_path):
    batch = [str(i).encode() for i in range(500)]
    _write([batch], str(tmp_path), "p", IN_MEMORY)

    assert os.listdir(tmp_path) == ["p-00000-of-00001.gz"]
    assert _records(str(tmp_path / "p-00000-of-00001.gz")) == batch


def test_an_empty_collection_gets_one_empty_shard(tmp_path):
    _write([], str(tmp_path), "p", IN_MEMORY)

    assert os.listdir(tmp_path) == ["p-00000-of-00001.gz"]
    assert _records(str(tmp_path / "p-00000-of-00001.gz")) == []


def test_only_committed_files_are_published_and_the_temporary_folder_goes(tmp_path):
    temp_dir = tmp_path / ".temp-p-1"
    temp_dir.mkdir()
    committed, leftover = str(temp_dir / "a.gz"), str(temp_dir / "b.gz")
    for path, record in [(committed, b"kept"), (leftover, b"from a failed bundle")]:
        with tf.io.TFRecordWriter(path, options="GZIP") as writer:
            writer.write(record)

    shard_files._publish([committed], str(temp_dir), str(tmp_path), "p")  # pylint: disable=protected-access

    assert os.listdir(tmp_path) == ["p-00000-of-00001.gz"]
    assert _records(str(tmp_path / "p-00000-of-00001.gz")) == [b"kept"]


def test_a_bundle_starts_a_new_file_once_a_file_holds_records_per_file(tmp_path):
    batches = [[f"b{b}r{r}".encode() for r in range(3)] for b in range(7)]
    with beam.Pipeline(argv=IN_MEMORY) as pipeline:
        _ = (
            pipeline
            | beam.Create(batches, reshuffle=False)
            | shard_files.WriteShards(str(tmp_path), "p", records_per_file=5)
        )

    # Batches stay whole, and a file closes once it holds >= 5 records: two
    # batches of 3 per file, the seventh batch alone in the last.
    files = [_records(str(tmp_path / name)) for name in sorted(os.listdir(tmp_path))]
    assert sorted(len(records) for records in files) == [3, 6, 6, 6]
    assert sorted(record for records in files for record in records) == sorted(
        record for batch in batches for record in batch
    )
    for records in files:
        assert len({record[: record.index(b"r")] for record in records}) * 3 == len(records)
