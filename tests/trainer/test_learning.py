"""The trained model learns the planted structure: it beats popularity as served.

A broken label (ratings pointing at the wrong movie), a dropped history or an
exclusion mask on the wrong movies trains a model at or below popularity;
this test fails then. The numbers are the Trainer's own report: each eval
rating asked at the model's default time, the user's training movies left
out of the ranking (the Evaluator's primary protocol).
"""

import pytest

from tests.trainer import trainer_fixtures
from trainer import config as config_lib
from trainer.train import train


@pytest.mark.slow
def test_model_beats_popularity_clearly_on_planted_data(tmp_path):
    # 20,000 synthetic ratings (about 190 users with sessions, 590 movies).
    # Measured with these settings: model 0.17 / 0.60 against popularity
    # 0.13 / 0.46 at k = 10 / 100.
    data = trainer_fixtures.build(str(tmp_path), {"num_ratings": 20_000, "seed": 3})
    trained = train(
        data.train_files,
        data.eval_files,
        data.candidate_files,
        data.transform_dir,
        config_lib.TrainerConfig(epochs=5),
    )
    model, popularity = trained.eval_metrics["model"], trained.eval_metrics["popularity"]
    assert model["10"] >= popularity["10"] + 0.02
    assert model["100"] >= popularity["100"] + 0.07
