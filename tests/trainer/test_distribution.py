"""``trainer.distribution``: the strategy and the chief, from ``TF_CONFIG``.

Only what runs without a cluster; two real workers train in the slow
``test_multi_worker.py``.
"""

import json

import pytest
import tensorflow as tf

from trainer import distribution


def _set_tf_config(monkeypatch, cluster, task_type, index):
    monkeypatch.setenv(
        distribution.TF_CONFIG,
        json.dumps({"cluster": cluster, "task": {"type": task_type, "index": index}}),
    )


def test_without_tf_config_one_process_is_the_chief_under_the_default_strategy(monkeypatch, tmp_path):
    monkeypatch.delenv(distribution.TF_CONFIG, raising=False)
    assert distribution.num_workers() == 1
    assert distribution.is_chief()
    assert distribution.strategy_from_environment() is tf.distribute.get_strategy()
    with distribution.chief_write_dir(str(tmp_path / "model")) as target:
        assert target == str(tmp_path / "model")


def test_a_cluster_of_one_worker_keeps_the_default_strategy(monkeypatch):
    _set_tf_config(monkeypatch, {"worker": ["localhost:2222"]}, "worker", 0)
    assert distribution.num_workers() == 1
    assert distribution.is_chief()
    assert distribution.strategy_from_environment() is tf.distribute.get_strategy()


@pytest.mark.parametrize(
    "cluster, task_type, index, chief",
    [
        ({"worker": ["a:1", "b:1"]}, "worker", 0, True),
        ({"worker": ["a:1", "b:1"]}, "worker", 1, False),
        ({"chief": ["c:1"], "worker": ["a:1"]}, "chief", 0, True),
        ({"chief": ["c:1"], "worker": ["a:1"]}, "worker", 0, False),
    ],
)
def test_the_chief_is_the_chief_task_else_worker_0(monkeypatch, cluster, task_type, index, chief):
    _set_tf_config(monkeypatch, cluster, task_type, index)
    assert distribution.num_workers() == 2
    assert distribution.is_chief() == chief


def test_a_non_chief_writes_beside_the_output_into_a_folder_that_is_deleted(monkeypatch, tmp_path):
    _set_tf_config(monkeypatch, {"worker": ["a:1", "b:1"]}, "worker", 1)
    model_dir = tmp_path / "model"
    with distribution.chief_write_dir(str(model_dir)) as target:
        assert target == str(tmp_path / "workertemp_1" / "model")
        (tmp_path / "workertemp_1" / "model" / "saved_model.pb").write_bytes(b"")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["model"]
    # Empty, but there: TFX's executor checks that it exists.
    assert model_dir.is_dir() and not list(model_dir.iterdir())


def test_one_replica_leaves_the_loss_as_it_is():
    loss = tf.constant(2.5)
    assert distribution.mean_over_replicas(loss) is loss
