"""categorical_sizes reads embedding sizes from the transformed schema."""

import pytest
import tensorflow_transform as tft
from tensorflow_metadata.proto.v0 import schema_pb2
from tensorflow_transform.tf_metadata import dataset_metadata
from tensorflow_transform.tf_metadata import metadata_io

from transform_fn import features, sizes


def _transform_output(tmp_path, schema):
    metadata_io.write_metadata(
        dataset_metadata.DatasetMetadata(schema),
        str(tmp_path / tft.TFTransformOutput.TRANSFORMED_METADATA_DIR),
    )
    return tft.TFTransformOutput(str(tmp_path))


def _schema(**domains):
    schema = schema_pb2.Schema()
    for name, (low, high) in domains.items():
        feature = schema.feature.add(name=name, type=schema_pb2.INT)
        feature.int_domain.min, feature.int_domain.max = low, high
    schema.feature.add(name="user_id_z", type=schema_pb2.FLOAT)
    schema.feature.add(name="movie_id", type=schema_pb2.BYTES)
    return schema


def test_sizes_are_max_plus_one(tmp_path):
    output = _transform_output(
        tmp_path, _schema(user_id_index=(0, 943), timestamp_bucket=(0, 999))
    )
    assert sizes.categorical_sizes(output) == {"user_id_index": 944, "timestamp_bucket": 1000}


def test_domain_not_starting_at_zero_is_an_error(tmp_path):
    output = _transform_output(tmp_path, _schema(user_id_index=(1, 943)))
    with pytest.raises(ValueError, match="user_id_index"):
        sizes.categorical_sizes(output)


def test_matches_tft_num_buckets(tmp_path):
    output = _transform_output(tmp_path, _schema(movie_title_hash=(0, 199_999)))
    assert sizes.categorical_sizes(output)["movie_title_hash"] == (
        output.num_buckets_for_transformed_feature("movie_title_hash")
    )


def test_vocabulary_at_the_exact_counting_limit_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.setattr(features, "EXACT_VOCABULARY_LIMIT", 943)
    below = _transform_output(tmp_path / "below", _schema(user_id_index=(0, 942)))
    assert sizes.categorical_sizes(below)["user_id_index"] == 943
    at_limit = _transform_output(tmp_path / "at", _schema(user_id_index=(0, 943)))
    with pytest.raises(ValueError, match="user_id: the vocabulary reached 943 entries"):
        sizes.categorical_sizes(at_limit)
