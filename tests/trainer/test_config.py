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
        ({"history_keep_rate": 0.0}, r"history_keep_rate must be in \(0, 1\]"),
        ({"history_keep_rate": 1.5}, r"history_keep_rate must be in \(0, 1\]"),
    ],
)
def test_invalid_values_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        config.TrainerConfig(**kwargs)


def test_max_steps_defaults_to_a_budget_and_takes_a_positive_integer_or_null():
    assert config.TrainerConfig().max_steps == 2000
    assert config.TrainerConfig.from_dict({"max_steps": None}).max_steps is None
    assert config.TrainerConfig.from_dict({"max_steps": 12_000}).max_steps == 12_000


@pytest.mark.parametrize(
    "value, message",
    [
        (0, "max_steps must be >= 1"),
        (-3, "max_steps must be >= 1"),
        ("100", "'max_steps' must be an integer or null"),
        (2.5, "'max_steps' must be an integer or null"),
        (True, "'max_steps' must be an integer or null"),
    ],
)
def test_invalid_max_steps_are_rejected(value, message):
    with pytest.raises(ValueError, match=message):
        config.TrainerConfig.from_dict({"max_steps": value})


def test_the_trainers_eval_is_capped_by_default_and_takes_a_positive_integer_or_null():
    assert config.TrainerConfig().max_eval_examples == 100_000
    assert config.TrainerConfig.from_dict({"max_eval_examples": None}).max_eval_examples is None
    with pytest.raises(ValueError, match="max_eval_examples must be >= 1, or null"):
        config.TrainerConfig.from_dict({"max_eval_examples": 0})
    with pytest.raises(ValueError, match="'max_eval_examples' must be an integer or null"):
        config.TrainerConfig.from_dict({"max_eval_examples": 0.5})


def test_cache_max_examples_defaults_to_five_million_and_accepts_null():
    assert config.TrainerConfig().cache_max_examples == 5_000_000
    assert config.TrainerConfig.from_dict({"cache_max_examples": None}).cache_max_examples is None
    with pytest.raises(ValueError, match="cache_max_examples must be >= 1, or null"):
        config.TrainerConfig.from_dict({"cache_max_examples": 0})
