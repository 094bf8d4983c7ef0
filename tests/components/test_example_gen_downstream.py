"""TFX's StatisticsGen and SchemaGen accept both outputs of the ExampleGen."""

import os

from tfx.components.schema_gen import executor as schema_gen_executor
from tfx.components.statistics_gen import executor as statistics_gen_executor
from tfx.types import artifact_utils, standard_artifacts, standard_component_specs
from tfx.utils import io_utils
from tensorflow_metadata.proto.v0 import schema_pb2

from tests.components import grouplens_fixtures as fixtures
from tests.components.example_gen_testing import properties, run_executor
from transform_fn import features


def _schema_of(examples, root: str, name: str) -> schema_pb2.Schema:
    statistics = standard_artifacts.ExampleStatistics()
    statistics.uri = os.path.join(root, f"{name}_statistics")
    statistics_gen_executor.Executor().Do(
        {standard_component_specs.EXAMPLES_KEY: [examples]},
        {standard_component_specs.STATISTICS_KEY: [statistics]},
        {standard_component_specs.EXCLUDE_SPLITS_KEY: "[]"},
    )
    assert artifact_utils.decode_split_names(statistics.split_names) == artifact_utils.decode_split_names(
        examples.split_names
    )
    schema = standard_artifacts.Schema()
    schema.uri = os.path.join(root, f"{name}_schema")
    schema_gen_executor.Executor().Do(
        {standard_component_specs.STATISTICS_KEY: [statistics]},
        {standard_component_specs.SCHEMA_KEY: [schema]},
        {
            standard_component_specs.INFER_FEATURE_SHAPE_KEY: 1,
            standard_component_specs.EXCLUDE_SPLITS_KEY: "[]",
        },
    )
    return io_utils.SchemaReader().read(os.path.join(schema.uri, "schema.pbtxt"))


def test_statistics_and_schema_cover_every_feature(tmp_path):
    folder = fixtures.write_100k(str(tmp_path / "data"))
    examples, candidates = run_executor(str(tmp_path / "out"), properties(input_path=folder))

    ratings_schema = _schema_of(examples, str(tmp_path), "ratings")
    corpus_schema = _schema_of(candidates, str(tmp_path), "corpus")

    expected_ratings = {
        **features.RATING_FEATURE_KINDS,
        **features.DEMOGRAPHIC_FEATURE_KINDS,
        **features.RAW_AGE_FEATURE_KINDS,
    }
    assert {f.name for f in ratings_schema.feature} == set(expected_ratings)
    assert {f.name for f in corpus_schema.feature} == set(features.MOVIE_FEATURE_KINDS)
    by_name = {f.name: f for f in ratings_schema.feature}
    assert by_name[features.TIMESTAMP].type == schema_pb2.INT
    assert by_name[features.USER_ID].type == schema_pb2.BYTES
    assert by_name[features.USER_RATING].type == schema_pb2.FLOAT
