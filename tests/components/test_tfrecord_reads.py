"""TensorFlow's TFRecord reader in place of Beam's, for StatisticsGen and Transform."""

import os

import apache_beam as beam
import pytest
import tensorflow as tf
from apache_beam.testing.util import assert_that, equal_to
from tfx_bsl.tfxio import record_based_tfxio, tf_example_record

from components import tfrecord_reads


def _write(path, records, compression):
    with tf.io.TFRecordWriter(str(path), options=compression) as writer:
        for record in records:
            writer.write(record)


@pytest.fixture
def record_files(tmp_path):
    """Two gzipped files and one plain file, 2,500 records in all."""
    records = [f"record {index}".encode() for index in range(2_500)]
    _write(tmp_path / "part-0.gz", records[:1_000], "GZIP")
    _write(tmp_path / "part-1.gz", records[1_000:2_000], "GZIP")
    os.makedirs(tmp_path / "plain")
    _write(tmp_path / "plain" / "part-0", records[2_000:], "")
    return tmp_path, records


def test_the_reader_gives_the_records_beams_reader_gives(record_files):
    folder, records = record_files
    patterns = [str(folder / "*.gz"), str(folder / "plain" / "*")]
    with beam.Pipeline() as pipeline:
        ours = pipeline | "Ours" >> tfrecord_reads.ReadTfRecordFiles(patterns)
        beams = [
            pipeline | f"Beam{index}" >> beam.io.ReadFromTFRecord(pattern, coder=beam.coders.BytesCoder())
            for index, pattern in enumerate(patterns)
        ] | beam.Flatten()
        assert_that(ours, equal_to(records), label="OursHasEveryRecord")
        assert_that(beams, equal_to(records), label="BeamsHasEveryRecord")


def test_a_files_records_come_in_their_order(record_files):
    folder, records = record_files
    assert list(tfrecord_reads.read_records(str(folder / "part-1.gz"))) == records[1_000:2_000]


def test_tfx_bsl_reads_with_it_inside_the_block_only(record_files):
    folder, records = record_files
    original = record_based_tfxio.ReadTfRecord
    with tfrecord_reads.tensorflow_record_reads():
        assert record_based_tfxio.ReadTfRecord is tfrecord_reads.ReadTfRecordFiles
        with beam.Pipeline() as pipeline:
            source = tf_example_record.TFExampleRecord(str(folder / "*.gz")).RawRecordBeamSource()
            read = pipeline | source
            assert_that(read, equal_to(records[:2_000]))
        assert "ReadRecords" in str(pipeline.to_runner_api())
    assert record_based_tfxio.ReadTfRecord is original


def test_tfx_bsls_reader_is_back_after_an_error():
    original = record_based_tfxio.ReadTfRecord
    with pytest.raises(RuntimeError):
        with tfrecord_reads.tensorflow_record_reads():
            raise RuntimeError("in the executor")
    assert record_based_tfxio.ReadTfRecord is original


@pytest.mark.parametrize(
    "name, compression",
    [("data-0.gz", "GZIP"), ("DATA.GZ", "GZIP"), ("data.zlib", "ZLIB"), ("data_tfrecord-0", "")],
)
def test_compression_comes_from_the_file_name(name, compression):
    assert tfrecord_reads.compression_of(f"gs://bucket/{name}") == compression


def test_a_compression_tensorflow_cannot_read_is_refused_naming_the_file():
    with pytest.raises(ValueError, match=r"gs://b/data-0.bz2: .* compressed as bz2"):
        tfrecord_reads.compression_of("gs://b/data-0.bz2")


def test_a_corrupt_file_is_named_in_the_error(tmp_path):
    path = tmp_path / "broken.gz"
    path.write_bytes(b"not a gzip stream")
    with pytest.raises(ValueError, match=r"broken.gz: cannot read its TFRecords"):
        list(tfrecord_reads.read_records(str(path)))


def test_a_pattern_matching_no_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No TFRecord files match .*missing-\*"):
        tfrecord_reads.files_of([str(tmp_path / "missing-*")])
