"""Tests of the trainer's hyperparameter handling."""

import pytest

from trainer import config


def test_auto_loss_is_exact_for_small_corpora_and_in_batch_for_large():
    settings = config.TrainerConfig(exact_softmax_max_candidates=5000)
    assert settings.resolved_loss(1682) == config.LOSS_EXACT
    assert settings.resolved_loss(62_423) == config.LOSS_IN_BATCH
    forced = config.TrainerConfig(loss=config.LOSS_IN_BATCH)
    assert forced.resolved_loss(100) == config.LOSS_IN_BATCH


def test_from_dict_reads_lists_and_rejects_unknown_names():
    settings = config.TrainerConfig.from_dict({"tower_layers": [64, 32], "epochs": 3})
    assert settings.tower_layers == (64, 32)
    assert settings.epochs == 3
    with pytest.raises(ValueError, match=r"Unknown trainer settings \['epoch'\]"):
        config.TrainerConfig.from_dict({"epoch": 3})


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"loss": "bpr"}, "loss must be one of"),
        ({"optimizer": "lamb"}, "optimizer must be one of"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
        ({"learning_rate": 0.0}, "learning_rate must be > 0"),
    ],
)
def test_invalid_values_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        config.TrainerConfig(**kwargs)
