"""RetrievalEvaluator's executor on real artifacts: hand-worked metrics and blessing.

The case (K = 3, top_ks = 1, 2, 3):

  train ratings: m1 x3, m2 x2, m3 x1  -> popularity ranks [m1, m2, m3]
  eval ratings:  u1: m2 (t=100), m4 (t=200)
                 u2: m1 (t=50)
                 u3: m5 (t=10), m3 (t=30), m6 (t=20)
  model ranks:   u1 [m4, m5, m2], u2 [m3, m1, m2], u3 [m5, m6, m4]

Model, position of each eval movie in its user's ranking (- = absent):
  u1 m2: 2, u1 m4: 0, u2 m1: 1, u3 m5: 0, u3 m3: -, u3 m6: 1
  top-1 accuracy 2/6, top-2 4/6, top-3 5/6.
Model recall (per user, then averaged over 3 users):
  u1 {m2, m4}: @1 1/2, @2 1/2, @3 2/2
  u2 {m1}:     @1 0,   @2 1,   @3 1
  u3 {m5, m3, m6}: @1 1/3, @2 2/3, @3 2/3
  -> @1 5/18, @2 13/18, @3 8/9.
Popularity [m1, m2, m3], positions: m2 1, m4 -, m1 0, m5 -, m3 2, m6 -
  top-1 accuracy 1/6, top-2 2/6, top-3 3/6.
  recall: u1 @1 0, @2 1/2, @3 1/2; u2 1, 1, 1; u3 0, 0, 1/3
  -> @1 1/3, @2 1/2, @3 11/18.
"""

import os
import shutil

import pytest
from tfx.dsl.input_resolution.strategies.latest_blessed_model_strategy import (
    LatestBlessedModelStrategy,
)
from tfx.components.util import model_utils
from tfx.types import standard_artifacts
from tfx.utils import path_utils

from components.retrieval_evaluator import report, spec
from tests.evaluator.retrieval_evaluator_testing import (
    rating,
    run_evaluator,
    save_fake_model,
    write_examples,
)

TOP_KS = (1, 2, 3)
TRAIN = [
    rating("u1", "m1", 1), rating("u2", "m1", 2), rating("u3", "m1", 3),
    rating("u1", "m2", 4), rating("u2", "m2", 5), rating("u3", "m3", 6),
]
EVAL = [
    rating("u1", "m2", 100), rating("u1", "m4", 200), rating("u2", "m1", 50),
    rating("u3", "m5", 10), rating("u3", "m3", 30), rating("u3", "m6", 20),
]
MODEL_RANKINGS = {"u1": ["m4", "m5", "m2"], "u2": ["m3", "m1", "m2"], "u3": ["m5", "m6", "m4"]}
# Every eval movie in the top 3: top-3 accuracy 1.
BETTER_RANKINGS = {"u1": ["m2", "m4", "m1"], "u2": ["m1", "m2", "m3"], "u3": ["m5", "m3", "m6"]}
# Only u2's m1: top-3 accuracy 1/6.
WORSE_RANKINGS = {"u1": ["m7", "m8", "m9"], "u2": ["m1", "m7", "m8"], "u3": ["m7", "m8", "m9"]}
DEFAULT = ["m7", "m8", "m9"]

MODEL_ACCURACY = {"1": 2 / 6, "2": 4 / 6, "3": 5 / 6}
MODEL_RECALL = {"1": 5 / 18, "2": 13 / 18, "3": 8 / 9}
POPULARITY_ACCURACY = {"1": 1 / 6, "2": 2 / 6, "3": 3 / 6}
POPULARITY_RECALL = {"1": 1 / 3, "2": 1 / 2, "3": 11 / 18}


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    root = tmp_path_factory.mktemp("evaluator")
    return {
        "examples": write_examples(str(root / "examples"), {"train": TRAIN, "eval": EVAL}),
        "model": save_fake_model(str(root / "model"), MODEL_RANKINGS, DEFAULT, model_id=11),
        "better": save_fake_model(str(root / "better"), BETTER_RANKINGS, DEFAULT, model_id=7),
        "worse": save_fake_model(str(root / "worse"), WORSE_RANKINGS, DEFAULT, model_id=5),
    }


def _evaluate(tmp_path, artifacts, baseline=None, **settings):
    settings.setdefault("top_ks", TOP_KS)
    settings.setdefault("blessing_k", 3)
    evaluation, blessing = run_evaluator(
        str(tmp_path),
        artifacts["model"],
        artifacts["examples"],
        baseline_model=artifacts[baseline] if baseline else None,
        **settings,
    )
    return report.load_metrics(evaluation.uri), evaluation, blessing


def _blessing_files(blessing):
    return sorted(os.listdir(blessing.uri))


def test_metrics_of_the_model_and_popularity_match_the_hand_worked_case(tmp_path, artifacts):
    metrics, evaluation, _ = _evaluate(tmp_path, artifacts)

    assert metrics["num_eval_examples"] == 6
    assert metrics["num_eval_users"] == 3
    assert metrics["num_train_examples"] == 6
    assert metrics["top_ks"] == [1, 2, 3]
    model = metrics["metrics"][spec.CANDIDATE]
    popularity = metrics["metrics"][spec.POPULARITY]
    assert model[spec.ACCURACY] == pytest.approx(MODEL_ACCURACY)
    assert model[spec.RECALL] == pytest.approx(MODEL_RECALL)
    assert popularity[spec.ACCURACY] == pytest.approx(POPULARITY_ACCURACY)
    assert popularity[spec.RECALL] == pytest.approx(POPULARITY_RECALL)
    assert spec.BASELINE not in metrics["metrics"]
    assert metrics["model_uri"] == artifacts["model"].uri
    assert metrics["baseline_model_uri"] is None
    assert set(metrics["definitions"]) >= {spec.ACCURACY, spec.RECALL}
    # The headline numbers are also on the artifact, for MLMD queries.
    assert evaluation.get_float_custom_property("model_top_3_accuracy") == pytest.approx(5 / 6)
    assert evaluation.get_float_custom_property("popularity_recall_at_2") == pytest.approx(0.5)
    assert evaluation.get_int_custom_property(spec.NUM_EVAL_EXAMPLES_PROPERTY) == 6


def test_first_run_without_a_baseline_is_blessed_on_thresholds_alone(tmp_path, artifacts):
    metrics, _, blessing = _evaluate(tmp_path, artifacts, min_top_k_accuracy=0.8)

    assert metrics["blessing"]["blessed"] is True
    assert metrics["blessing"]["baseline_model_present"] is False
    assert [c["name"] for c in metrics["blessing"]["checks"]] == ["min_top_k_accuracy"]
    assert any("no baseline model" in reason for reason in metrics["blessing"]["reasons"])
    assert _blessing_files(blessing) == [spec.BLESSED_FILE]
    assert blessing.get_int_custom_property(spec.BLESSED_PROPERTY) == 1
    model_uri = blessing.get_string_custom_property(spec.CURRENT_MODEL_PROPERTY)
    assert model_uri == artifacts["model"].uri
    assert blessing.get_int_custom_property(spec.CURRENT_MODEL_ID_PROPERTY) == 11
    assert not blessing.has_custom_property(spec.BASELINE_MODEL_ID_PROPERTY)
    assert "passed" in blessing.get_string_custom_property(spec.BLESSING_MESSAGE_PROPERTY)


def test_an_empty_baseline_channel_counts_as_no_baseline(tmp_path, artifacts):
    evaluation, blessing = run_evaluator(
        str(tmp_path), artifacts["model"], artifacts["examples"],
        empty_baseline_channel=True, top_ks=TOP_KS, blessing_k=3,
    )
    metrics = report.load_metrics(evaluation.uri)
    assert metrics["blessing"]["blessed"] is True
    assert spec.BASELINE not in metrics["metrics"]


def test_below_the_minimum_accuracy_is_not_blessed(tmp_path, artifacts):
    metrics, _, blessing = _evaluate(tmp_path, artifacts, min_top_k_accuracy=0.9)

    assert metrics["blessing"]["blessed"] is False
    check = metrics["blessing"]["checks"][0]
    assert check == {
        "name": "min_top_k_accuracy",
        "passed": False,
        "value": pytest.approx(5 / 6),
        "threshold": 0.9,
        "message": "FAILED: model top-3 accuracy vs min_top_k_accuracy: 0.8333 < 0.9000",
    }
    assert metrics["blessing"]["reasons"][0].startswith("FAILED")
    assert _blessing_files(blessing) == [spec.NOT_BLESSED_FILE]
    assert blessing.get_int_custom_property(spec.BLESSED_PROPERTY) == 0
    assert not model_utils.is_model_blessed(blessing)


@pytest.mark.parametrize(
    "margin, blessed",
    [
        (0.3, True),  # 5/6 >= 1/2 + 0.3
        (1 / 3, True),  # 5/6 == 1/2 + 1/3 exactly: float noise must not fail it
        (0.4, False),  # 5/6 < 1/2 + 0.4
    ],
)
def test_margin_over_popularity(tmp_path, artifacts, margin, blessed):
    metrics, _, blessing = _evaluate(tmp_path, artifacts, min_margin_over_popularity=margin)

    checks = {c["name"]: c for c in metrics["blessing"]["checks"]}
    assert checks["min_margin_over_popularity"]["threshold"] == pytest.approx(0.5 + margin)
    assert checks["min_margin_over_popularity"]["passed"] is blessed
    assert metrics["blessing"]["blessed"] is blessed
    assert model_utils.is_model_blessed(blessing) is blessed


@pytest.mark.parametrize(
    "baseline, tolerance, blessed",
    [
        ("worse", 0.0, True),  # 5/6 >= 1/6
        ("better", 0.2, True),  # 5/6 >= 1 - 0.2: within tolerance
        ("better", 0.1, False),  # 5/6 < 1 - 0.1: worse by more than the tolerance
        ("better", 0.0, False),
    ],
)
def test_blessing_against_the_baseline_model(tmp_path, artifacts, baseline, tolerance, blessed):
    metrics, _, blessing = _evaluate(
        tmp_path, artifacts, baseline=baseline, baseline_tolerance=tolerance
    )

    baseline_accuracy = 1.0 if baseline == "better" else 1 / 6
    baseline_metrics = metrics["metrics"][spec.BASELINE]
    assert baseline_metrics[spec.ACCURACY]["3"] == pytest.approx(baseline_accuracy)
    assert metrics["baseline_model_uri"] == artifacts[baseline].uri
    checks = {c["name"]: c for c in metrics["blessing"]["checks"]}
    threshold = checks["baseline_tolerance"]["threshold"]
    assert threshold == pytest.approx(baseline_accuracy - tolerance)
    assert metrics["blessing"]["blessed"] is blessed
    assert metrics["blessing"]["baseline_model_present"] is True
    assert _blessing_files(blessing) == [spec.BLESSED_FILE if blessed else spec.NOT_BLESSED_FILE]
    assert blessing.get_int_custom_property(spec.BASELINE_MODEL_ID_PROPERTY) == (
        artifacts[baseline].id
    )
    assert blessing.get_string_custom_property(spec.BASELINE_MODEL_PROPERTY) == (
        artifacts[baseline].uri
    )


def test_the_baseline_model_gets_every_metric_on_the_same_examples(tmp_path, artifacts):
    metrics, _, _ = _evaluate(tmp_path, artifacts, baseline="better")
    better = metrics["metrics"][spec.BASELINE]
    # Every eval movie is in its user's top 3; top-1 hits u1 m2, u2 m1, u3 m5.
    assert better[spec.ACCURACY] == pytest.approx({"1": 3 / 6, "2": 5 / 6, "3": 1.0})
    # u1 {m2, m4} by [m2, m4, m1]: 1/2, 1, 1; u2: 1, 1, 1; u3 by [m5, m3, m6]: 1/3, 2/3, 1.
    assert better[spec.RECALL] == pytest.approx({"1": 11 / 18, "2": 8 / 9, "3": 1.0})


def test_latest_blessed_model_strategy_resolves_a_blessed_model(tmp_path, artifacts):
    _, _, blessed = _evaluate(tmp_path / "a", artifacts)
    _, _, rejected = _evaluate(tmp_path / "b", artifacts, min_top_k_accuracy=0.9)
    newer = standard_artifacts.Model()
    newer.id = 12  # Newer than the model, but its blessing is NOT_BLESSED.
    rejected.set_int_custom_property(spec.CURRENT_MODEL_ID_PROPERTY, newer.id)

    resolved = LatestBlessedModelStrategy()._resolve(  # pylint: disable=protected-access
        {"model": [artifacts["model"], newer], "blessing": [blessed, rejected]},
        "model",
        "blessing",
    )
    assert [m.id for m in resolved["model"]] == [11]
    assert resolved["blessing"] == [blessed]


def test_max_eval_examples_caps_the_eval_examples_read(tmp_path, artifacts):
    metrics, _, _ = _evaluate(tmp_path, artifacts, max_eval_examples=2)
    # The first two eval ratings in file order: u1 m2 (position 2), u1 m4 (0).
    assert metrics["num_eval_examples"] == 2
    assert metrics["num_eval_users"] == 1
    assert metrics["metrics"][spec.CANDIDATE][spec.ACCURACY] == pytest.approx(
        {"1": 1 / 2, "2": 1 / 2, "3": 1.0}
    )
    # Popularity still counts the whole train split.
    assert metrics["num_train_examples"] == 6


def test_uncompressed_record_files_are_read_too(tmp_path, artifacts):
    examples = write_examples(
        str(tmp_path / "plain"), {"train": TRAIN, "eval": EVAL}, gzip=False
    )
    evaluation, _ = run_evaluator(
        str(tmp_path / "out"), artifacts["model"], examples, top_ks=TOP_KS, blessing_k=3
    )
    metrics = report.load_metrics(evaluation.uri)
    assert metrics["metrics"][spec.CANDIDATE][spec.ACCURACY] == pytest.approx(MODEL_ACCURACY)


def test_a_model_returning_fewer_movies_than_the_largest_k_fails_clearly(tmp_path, artifacts):
    message = "returns the top 3 movies, fewer than the largest k = 100"
    with pytest.raises(ValueError, match=message):
        run_evaluator(str(tmp_path), artifacts["model"], artifacts["examples"])


def test_a_missing_split_is_named(tmp_path, artifacts):
    examples = write_examples(str(tmp_path / "only_train"), {"train": TRAIN})
    with pytest.raises(ValueError, match=r"no split 'eval'; splits: \['train'\]"):
        run_evaluator(
            str(tmp_path / "out"), artifacts["model"], examples, top_ks=TOP_KS, blessing_k=3
        )


def test_the_served_model_is_the_baseline_when_given_a_push_destination(tmp_path, artifacts):
    push_destination = tmp_path / "serving"
    served = push_destination / "1700000000"
    shutil.copytree(path_utils.serving_model_path(artifacts["better"].uri), served)
    metrics, _, _ = _evaluate(
        tmp_path / "run", artifacts, baseline_push_destination=str(push_destination)
    )
    assert metrics["baseline_model_uri"] == str(served)
    assert metrics["metrics"][spec.BASELINE][spec.ACCURACY]["3"] == pytest.approx(1.0)
    assert metrics["blessing"]["blessed"] is False  # 5/6 < served 1.0 with no tolerance


def test_an_empty_push_destination_means_no_baseline(tmp_path, artifacts):
    metrics, _, _ = _evaluate(
        tmp_path, artifacts, baseline_push_destination=str(tmp_path / "nothing_pushed")
    )
    assert spec.BASELINE not in metrics["metrics"]
    assert metrics["blessing"]["blessed"] is True
