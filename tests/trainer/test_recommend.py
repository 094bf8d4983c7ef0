"""The ``recommend`` command's answers, on a model trained and exported here."""

import shutil
import time

import pytest
import tensorflow as tf

from components.movielens_example_gen import records
from pipeline import recommend
from trainer import config as config_lib
from trainer import export
from trainer.train import train
from transform_fn import features

K = 20


@pytest.fixture(scope="module")
def model_dir(analysed_data, tmp_path_factory):
    trained = train(
        analysed_data.train_files,
        analysed_data.eval_files,
        analysed_data.candidate_files,
        analysed_data.transform_dir,
        config_lib.TrainerConfig(epochs=2, batch_size=256, top_k=K),
    )
    path = str(tmp_path_factory.mktemp("recommend") / "model")
    export.export_serving_model(trained, path)
    return path


@pytest.fixture(scope="module")
def rated_by_user(analysed_data):
    dataset = tf.data.TFRecordDataset(tf.io.gfile.glob(analysed_data.train_files), compression_type="GZIP")
    rated = {}
    for raw in dataset:
        record = records.from_example(tf.train.Example.FromString(raw.numpy()))
        rated.setdefault(record[features.USER_ID], set()).add(record[features.MOVIE_ID])
    return rated


def test_defaults_leave_out_rated_movies_and_differ_between_users(model_dir, rated_by_user):
    users = sorted(rated_by_user, key=lambda user: -len(rated_by_user[user]))[:5]
    answers = {user: recommend.recommend(model_dir, user, 10) for user in users}
    for user, answer in answers.items():
        movies = [movie for movie, _, _ in answer.movies]
        assert len(movies) == 10
        assert not set(movies) & rated_by_user[user], user
        assert answer.known_user and answer.num_rated == len(rated_by_user[user])
        assert answer.query_time == answer.default_query_time
    assert len({tuple(m for m, _, _ in answer.movies) for answer in answers.values()}) == len(users)


def test_include_rated_returns_the_unfiltered_ranking(model_dir, rated_by_user):
    user = max(rated_by_user, key=lambda u: len(rated_by_user[u]))
    kept = recommend.recommend(model_dir, user, K, include_rated=True)
    left_out = recommend.recommend(model_dir, user, K)
    unrated = [movie for movie, _, _ in kept.movies if movie not in rated_by_user[user]]
    assert [movie for movie, _, _ in left_out.movies][: len(unrated)] == unrated
    assert "left out" in left_out.basis() and "included" in kept.basis()


def test_an_unknown_user_is_a_cold_start(model_dir):
    answer = recommend.recommend(model_dir, "no-such-user", 5)
    assert not answer.known_user
    assert len(answer.movies) == 5
    assert "cold start" in answer.basis()


@pytest.mark.parametrize("k, message", [(0, "at least 1"), (-1, "at least 1"), (K + 1, f"at most {K}")])
def test_k_outside_one_to_the_models_k_is_refused(model_dir, k, message):
    with pytest.raises(ValueError, match=message):
        recommend.recommend(model_dir, "1", k)


def test_a_given_time_is_used(model_dir):
    answer = recommend.recommend(model_dir, "1", 5, timestamp=1)
    assert answer.query_time == 1 != answer.default_query_time


@pytest.mark.parametrize("text", ["0", "-5", "soon", ""])
def test_timestamps_must_be_positive_seconds_or_now(text):
    with pytest.raises(ValueError, match="unix seconds > 0 or 'now'"):
        recommend.parse_timestamp(text)


def test_now_is_the_current_time():
    assert abs(recommend.parse_timestamp("now") - time.time()) < 5
    assert recommend.parse_timestamp("874724710") == 874724710


@pytest.mark.parametrize("damage", ["missing", "no_variables", "truncated_graph"])
def test_a_damaged_or_missing_model_is_a_clear_error(model_dir, tmp_path, damage):
    broken = tmp_path / "broken"
    if damage != "missing":
        shutil.copytree(model_dir, broken)
        if damage == "no_variables":
            shutil.rmtree(broken / "variables")
        else:
            graph = broken / "saved_model.pb"
            graph.write_bytes(graph.read_bytes()[:100])
    with pytest.raises(ValueError, match="is not a complete SavedModel"):
        recommend.recommend(str(broken), "1", 5)
