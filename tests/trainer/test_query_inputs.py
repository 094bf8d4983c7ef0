"""Which transformed features the query tower reads, by hyperparameter."""

import tensorflow_transform as tft

from trainer import config as config_lib
from trainer import train
from transform_fn import features, sizes

_USER_INDEX = features.transformed_name(features.USER_ID, features.INDEX)


def _query_inputs(analysed_data, **overrides):
    output = tft.TFTransformOutput(analysed_data.transform_dir)
    return set(
        train.query_tower_inputs(
            output.transformed_feature_spec(),
            sizes.categorical_sizes(output),
            config_lib.TrainerConfig(**overrides),
        ).names
    )


def test_the_default_query_reads_user_history_and_demographics_but_never_the_session(analysed_data):
    names = _query_inputs(analysed_data)
    assert {features.MOVIE_HISTORY, _USER_INDEX} <= names
    assert features.transformed_name(features.USER_ZIP_CODE, features.INDEX) in names
    assert not names & set(features.SESSION_NAMING_FEATURES)
    assert features.transformed_name(features.TIMESTAMP, features.Z_SCORE) not in names


def test_switches_take_the_user_id_and_history_out_and_put_the_time_in(analysed_data):
    names = _query_inputs(
        analysed_data, user_id_in_query=False, history_in_query=False, time_in_query=True
    )
    assert _USER_INDEX not in names and features.MOVIE_HISTORY not in names
    assert features.transformed_name(features.TIMESTAMP, features.Z_SCORE) in names
    assert not names & set(features.SESSION_NAMING_FEATURES)
