"""Fit -> export -> reload -> call every signature, and warm start."""

import io
import os

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_recommenders as tfrs

from components.movielens_example_gen import records
from trainer import config as config_lib
from trainer import export, metrics, warm_start
from trainer.data import rows_of, transformed_ratings
from trainer.train import train
from transform_fn import features

K = 10


def _train(data, tmp_path, **overrides):
    settings = config_lib.TrainerConfig(**{"epochs": 1, "batch_size": 256, "top_k": K, **overrides})
    return train(
        data.train_files, data.eval_files, data.candidate_files, data.transform_dir, settings
    )


@pytest.fixture(scope="module")
def exported(analysed_data, tmp_path_factory):
    trained = _train(analysed_data, None)
    export_dir = str(tmp_path_factory.mktemp("model") / "serving")
    export.export_serving_model(trained, export_dir)
    return trained, export_dir


def _raw_eval_examples(data, count):
    files = tf.io.gfile.glob(data.eval_files)
    dataset = tf.data.TFRecordDataset(files, compression_type="GZIP").take(count)
    return [raw.numpy() for raw in dataset]


def test_training_reports_model_and_popularity_metrics(exported):
    trained, _ = exported
    assert trained.loss == config_lib.LOSS_EXACT
    for name in ("model", "popularity"):
        values = [trained.eval_metrics[name][str(k)] for k in (1, 5, 10, 50, 100)]
        assert values == sorted(values)  # accuracy grows with k
        assert 0.0 <= values[0] and values[-1] <= 1.0
    assert trained.seconds_per_epoch > 0


def _eval_count(analysed):
    files = tf.io.gfile.glob(analysed.eval_files)
    return sum(1 for _ in tf.data.TFRecordDataset(files, compression_type="GZIP"))


def test_the_report_ranks_every_eval_rating_below_the_cap(exported, analysed_data):
    trained, _ = exported
    count = _eval_count(analysed_data)
    assert count < trained.config.max_eval_examples
    assert trained.eval_examples == {"ranked": count, "read": count}


def test_max_eval_examples_ranks_a_sample_and_says_how_many_of_how_many(analysed_data):
    trained = _train(analysed_data, None, max_steps=1, max_eval_examples=50)
    assert trained.eval_examples == {"ranked": 50, "read": _eval_count(analysed_data)}
    for values in trained.eval_metrics.values():
        assert all(abs(value * 50 - round(value * 50)) < 1e-9 for value in values.values())


def test_ranking_in_slices_gives_the_accuracy_of_ranking_whole_batches(exported, analysed_data):
    trained, _ = exported
    dataset = transformed_ratings(
        analysed_data.eval_files, trained.tf_transform_output, trained.transform_layer, 64
    )
    time_features = metrics.query_time_features(
        trained.transform_layer,
        trained.tf_transform_output.raw_feature_spec(),
        int(trained.model.user_history.latest_time.numpy()),
    )
    counts = np.arange(trained.corpus.size) % 7
    whole = metrics.evaluate(trained.model, dataset, time_features, counts)
    # Three query rows a slice: slices that do not divide the batches of 64.
    sliced = metrics.evaluate(
        trained.model, dataset, time_features, counts, max_scores=3 * trained.corpus.size
    )
    assert sliced == whole
    assert whole.ranked == _eval_count(analysed_data)
    assert whole.accuracy["model"] != whole.accuracy["popularity"]


def test_serving_default_returns_k_corpus_movies_best_first(exported, analysed_data):
    trained, export_dir = exported
    loaded = tf.saved_model.load(export_dir)
    examples = _raw_eval_examples(analysed_data, 4)
    out = loaded.signatures["serving_default"](examples=tf.constant(examples))
    assert out["movie_ids"].shape == (4, K)
    assert out["movie_titles"].shape == (4, K)
    scores = out["scores"].numpy()
    assert np.all(np.diff(scores, axis=1) <= 1e-6)
    corpus = dict(zip(trained.corpus.movie_ids.numpy(), trained.corpus.titles.numpy()))
    for movie_id, title in zip(out["movie_ids"].numpy()[0], out["movie_titles"].numpy()[0]):
        assert corpus[movie_id] == title


def test_serving_default_matches_query_embedding_times_candidate_embedding(exported, analysed_data):
    _, export_dir = exported
    loaded = tf.saved_model.load(export_dir)
    example = _raw_eval_examples(analysed_data, 1)
    top = loaded.signatures["serving_default"](examples=tf.constant(example))
    query = loaded.signatures["query_embedding"](examples=tf.constant(example))["embedding"]
    best_id = top["movie_ids"].numpy()[0][0]
    movie = records.to_example(
        {
            features.MOVIE_ID: best_id.decode(),
            features.MOVIE_TITLE: top["movie_titles"].numpy()[0][0].decode(),
            features.MOVIE_GENRES: _genres_of(analysed_data, best_id),
        }
    )
    candidate = loaded.signatures["candidate_embedding"](
        examples=tf.constant([movie.SerializeToString()])
    )["embedding"]
    np.testing.assert_allclose(
        float(tf.reduce_sum(query * candidate)), top["scores"].numpy()[0][0], rtol=1e-4
    )


def _genres_of(data, movie_id):
    dataset = tf.data.TFRecordDataset(tf.io.gfile.glob(data.candidate_files), compression_type="GZIP")
    for raw in dataset:
        record = records.from_example(tf.train.Example.FromString(raw.numpy()))
        if record[features.MOVIE_ID].encode() == movie_id:
            return record[features.MOVIE_GENRES]
    raise AssertionError(f"{movie_id} not in corpus")


def test_unseen_user_odd_timestamp_and_missing_features_still_get_k_results(exported):
    _, export_dir = exported
    loaded = tf.saved_model.load(export_dir)
    unseen = records.to_example({features.USER_ID: "no-such-user", features.TIMESTAMP: 4_000_000_000})
    bare = tf.train.Example()  # every feature missing
    out = loaded.signatures["serving_default"](
        examples=tf.constant([unseen.SerializeToString(), bare.SerializeToString()])
    )
    assert out["movie_ids"].shape == (2, K)
    assert np.all(np.isfinite(out["scores"].numpy()))


def test_serve_raw_agrees_with_serving_default(exported, analysed_data):
    _, export_dir = exported
    loaded = tf.saved_model.load(export_dir)
    signature = loaded.signatures["serve_raw"]
    example = _raw_eval_examples(analysed_data, 1)[0]
    record = records.from_example(tf.train.Example.FromString(example))
    inputs = {
        name: tf.constant([record[name]], dtype=spec.dtype)
        for name, spec in signature.structured_input_signature[1].items()
        if name != export.EXCLUDE_MOVIE_IDS
    }
    raw_out = signature(**inputs, exclude_movie_ids=tf.constant([[b""]]))
    example_out = loaded.signatures["serving_default"](examples=tf.constant([example]))
    np.testing.assert_array_equal(raw_out["movie_ids"].numpy(), example_out["movie_ids"].numpy())
    np.testing.assert_allclose(raw_out["scores"].numpy(), example_out["scores"].numpy(), rtol=1e-5)


def _query(user_id, timestamp=None, exclude=()):
    record = {features.USER_ID: user_id}
    if timestamp is not None:
        record[features.TIMESTAMP] = timestamp
    example = records.to_example(record)
    example.features.feature[export.EXCLUDE_MOVIE_IDS].bytes_list.value.extend(exclude)
    return example.SerializeToString()


def _train_ratings(data):
    dataset = tf.data.TFRecordDataset(tf.io.gfile.glob(data.train_files), compression_type="GZIP")
    return [records.from_example(tf.train.Example.FromString(raw.numpy())) for raw in dataset]


def test_excluded_movies_leave_the_answer_and_the_rest_move_up(exported):
    _, export_dir = exported
    serve = tf.saved_model.load(export_dir).signatures["serving_default"]
    before = serve(examples=tf.constant([_query("1")]))["movie_ids"].numpy()[0]
    after = serve(examples=tf.constant([_query("1", exclude=before[:3])]))["movie_ids"].numpy()[0]
    assert not set(after) & set(before[:3])
    np.testing.assert_array_equal(after[: K - 3], before[3:])


def test_rated_movies_are_the_users_training_movies(exported, analysed_data):
    _, export_dir = exported
    rated = tf.saved_model.load(export_dir).signatures["rated_movies"](
        examples=tf.constant([_query("1"), _query("no-such-user")])
    )
    training = {r[features.MOVIE_ID].encode() for r in _train_ratings(analysed_data) if r[features.USER_ID] == "1"}
    count = int(rated["num_rated"].numpy()[0])
    assert count == len(training) > 0
    assert set(rated["movie_ids"].numpy()[0][:count]) == training
    assert int(rated["num_rated"].numpy()[1]) == 0


def test_a_query_without_time_is_asked_at_the_latest_training_time(exported, analysed_data):
    _, export_dir = exported
    loaded = tf.saved_model.load(export_dir)
    latest = max(r[features.TIMESTAMP] for r in _train_ratings(analysed_data))
    assert int(loaded.default_query_time.numpy()) == latest
    embed = loaded.signatures["query_embedding"]
    untimed, at_latest, now, early = embed(
        examples=tf.constant(
            [_query("1"), _query("1", latest), _query("1", 4_000_000_000), _query("1", 1)]
        )
    )["embedding"].numpy()
    np.testing.assert_allclose(untimed, at_latest, rtol=1e-6)
    # Past the training data the time is clipped: "now" is the latest time.
    np.testing.assert_allclose(now, at_latest, rtol=1e-6)
    # Before every rating the history is empty and the time the earliest.
    assert not np.allclose(early, at_latest)


def test_a_query_sees_only_the_history_before_its_time(exported, analysed_data):
    trained, export_dir = exported
    ratings = sorted(
        (r for r in _train_ratings(analysed_data) if r[features.USER_ID] == "1"),
        key=lambda r: r[features.TIMESTAMP],
    )
    first_time = ratings[0][features.TIMESTAMP]
    model = trained.model
    transformed = {
        features.transformed_name(features.USER_ID, features.INDEX): tf.constant(
            [trained.tf_transform_output.vocabulary_by_name(
                features.vocabulary_name(features.USER_ID)).index(b"1")], tf.int64
        )
    }
    rows = model.history_rows(transformed, before=tf.constant([first_time]))
    corpus_ids = trained.corpus.movie_ids.numpy()
    first_movies = {r[features.MOVIE_ID].encode() for r in ratings if r[features.TIMESTAMP] == first_time}
    assert {corpus_ids[row] for row in rows.to_list()[0]} == first_movies


def test_in_batch_softmax_trains(analysed_data):
    trained = _train(analysed_data, None, loss=config_lib.LOSS_IN_BATCH)
    assert trained.loss == config_lib.LOSS_IN_BATCH
    assert trained.eval_metrics["model"]["100"] > 0.0


def test_warm_start_keeps_a_user_row_across_a_reordered_vocabulary(exported, analysed_data, tmp_path):
    trained, export_dir = exported
    table_name = features.transformed_name(features.USER_ID, features.INDEX)
    old_table = trained.model.query_tower.embedding_tables[table_name].table.numpy()
    vocabulary = trained.tf_transform_output.vocabulary_by_name(features.vocabulary_name(features.USER_ID))
    known_user = vocabulary[0]

    # Rewrite the base model's warm-start file as if its vocabulary had been
    # in reverse order: the same embeddings, under other row numbers.
    base_dir = str(tmp_path / "base")
    tf.io.gfile.makedirs(os.path.join(base_dir, "assets.extra"))
    path = os.path.join(export_dir, warm_start.WARM_START_FILE)
    arrays = dict(np.load(path))
    vocab_key = "vocabulary:" + features.vocabulary_name(features.USER_ID)
    table_key = next(k for k in arrays if k.startswith(f"query_tower/{table_name}_embedding"))
    n = len(arrays[vocab_key])
    arrays[vocab_key] = arrays[vocab_key][::-1]
    arrays[table_key] = np.concatenate([arrays[table_key][:n][::-1], arrays[table_key][n:]])
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with open(os.path.join(base_dir, warm_start.WARM_START_FILE), "wb") as handle:
        handle.write(buffer.getvalue())

    fresh = _train(analysed_data, None, epochs=1, learning_rate=1e-9, seed=123)
    carried = warm_start.warm_start(fresh.model, fresh.tf_transform_output, base_dir)
    new_table = fresh.model.query_tower.embedding_tables[table_name].table.numpy()
    row = vocabulary.index(known_user)
    np.testing.assert_allclose(new_table[row], old_table[row], rtol=1e-6)
    assert carried[table_name] == len(vocabulary)


def test_warm_start_carries_every_weight_of_both_towers(exported, analysed_data):
    trained, export_dir = exported
    fresh = _train(analysed_data, None, epochs=1, learning_rate=1e-9, seed=123)
    carried = warm_start.warm_start(fresh.model, fresh.tf_transform_output, export_dir)
    for tower_name in ("query_tower", "candidate_tower"):
        old_weights = getattr(trained.model, tower_name).weights
        new_weights = getattr(fresh.model, tower_name).weights
        assert len(new_weights) == len(old_weights) > 0
        for old, new in zip(old_weights, new_weights):
            np.testing.assert_allclose(new.numpy(), old.numpy(), rtol=1e-6, err_msg=f"{tower_name}: {new.name}")
    vocabulary_tables = {
        name
        for tower in (fresh.model.query_tower, fresh.model.candidate_tower)
        for name in tower.embedding_tables
        if warm_start.vocabulary_of(name)
    }
    assert features.MOVIE_HISTORY in vocabulary_tables
    assert set(carried) == vocabulary_tables


def _training_batch(trained, data, count=64):
    files = tf.io.gfile.glob(data.train_files)
    serialized = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP").take(count)]
    raw = tf.io.parse_example(tf.constant(serialized), trained.tf_transform_output.raw_feature_spec())
    batch = trained.transform_layer(raw)
    return batch, rows_of(batch, trained.model.rows)


def test_training_history_equals_the_lookup_of_the_sampled_rows(exported, analysed_data):
    trained, _ = exported
    model = trained.model
    batch, labels = _training_batch(trained, analysed_data)
    embedded, seen = model.training_history(batch, labels)
    ids = model.with_history(batch, seen)[features.MOVIE_HISTORY]
    looked_up = model.query_tower.embedding_tables[features.MOVIE_HISTORY](ids)
    np.testing.assert_allclose(embedded.numpy(), looked_up.numpy(), rtol=1e-5, atol=1e-6)
    # The sample: the user's kept movies, never the target.
    everything = model.history_rows(batch, leave_out=labels).to_list()
    for sampled, others, label in zip(seen.to_list(), everything, labels.numpy()):
        assert set(sampled) <= set(others) and label not in sampled
    assert sum(map(len, seen.to_list())) < sum(map(len, everything))


def test_every_step_draws_a_new_sample_at_the_keep_rate(exported, analysed_data):
    trained, _ = exported
    model = trained.model
    batch, labels = _training_batch(trained, analysed_data)
    everything = sum(map(len, model.history_rows(batch, leave_out=labels).to_list()))
    draws = [model.training_history(batch, labels)[1].to_list() for _ in range(20)]
    # history_keep_rate 0.8; the batch's few users share their draws, so average 20 steps.
    assert 0.75 < np.mean([sum(map(len, seen)) for seen in draws]) / everything < 0.85
    assert draws[0] != draws[1]


def test_a_users_queries_in_one_batch_share_the_draw(exported, analysed_data):
    trained, _ = exported
    model = trained.model
    batch, labels = _training_batch(trained, analysed_data)
    user_index = features.transformed_name(features.USER_ID, features.INDEX)
    users = batch[user_index]
    doubled = {user_index: tf.concat([users, users], axis=0)}
    seen = model.training_history(doubled, tf.concat([labels, labels], axis=0))[1].to_list()
    assert seen[: len(seen) // 2] == seen[len(seen) // 2 :]


def test_at_keep_rate_one_the_history_is_every_other_movie(exported, analysed_data):
    trained, _ = exported
    model = trained.model
    batch, labels = _training_batch(trained, analysed_data)
    _, seen = model.training_history(batch, labels, keep_rate=1.0)
    assert seen.to_list() == model.history_rows(batch, leave_out=labels).to_list()


def test_the_private_keras_scope_the_export_relies_on_still_works():
    # trainer/export.py enters tf_keras's private `keras_option_scope` (what
    # Model.save(save_traces=False) enters; no public equivalent exists for a
    # tf.Module holding Keras layers). If tf_keras moves or changes it, fail here.
    from tf_keras.src.saving.legacy.saved_model import utils  # pylint: disable=import-outside-toplevel

    assert utils.should_save_traces()
    with export.keras_saved_model_utils.keras_option_scope(save_traces=False):
        assert not utils.should_save_traces()
    assert utils.should_save_traces()


def test_the_reported_loss_is_the_epochs_running_mean_not_the_last_batchs(
    exported, analysed_data, monkeypatch
):
    trained, _ = exported
    model = trained.model
    batch, _ = _training_batch(trained, analysed_data)
    weights = model.get_weights()
    raw = []
    batch_step = tfrs.Model.train_step

    def recording(self, inputs):
        results = batch_step(self, inputs)
        raw.append(float(results["loss"]))
        return results

    monkeypatch.setattr(tfrs.Model, "train_step", recording)
    assert model.loss_tracker in model.metrics  # so Keras resets it every epoch
    model.reset_metrics()
    reported = [float(model.train_step(batch)["loss"]) for _ in range(3)]
    assert reported == pytest.approx(np.cumsum(raw) / np.arange(1, 4), rel=1e-6)
    model.reset_metrics()
    assert float(model.train_step(batch)["loss"]) == pytest.approx(raw[-1], rel=1e-6)
    model.set_weights(weights)
