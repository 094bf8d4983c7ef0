"""RetrievalEvaluator built from channels: outputs, parameters, early errors (no run)."""

import json

import pytest
from tfx import types
from tfx.types import standard_artifacts

from components.retrieval_evaluator import executor, spec
from components.retrieval_evaluator.component import RetrievalEvaluator


def _channels():
    return {
        "model": types.Channel(type=standard_artifacts.Model),
        "examples": types.Channel(type=standard_artifacts.Examples),
    }


def test_component_declares_evaluation_and_blessing_and_default_parameters():
    component = RetrievalEvaluator(**_channels())

    assert component.outputs[spec.EVALUATION_KEY].type == standard_artifacts.ModelEvaluation
    assert component.outputs[spec.BLESSING_KEY].type == standard_artifacts.ModelBlessing
    assert component.inputs[spec.MODEL_KEY].type == standard_artifacts.Model
    assert spec.BASELINE_MODEL_KEY not in component.inputs
    properties = component.exec_properties
    assert json.loads(properties[spec.TOP_KS_KEY]) == [1, 5, 10, 50, 100]
    assert properties[spec.BLESSING_K_KEY] == 100
    assert properties[spec.MIN_ACCURACY_KEY] == 0.0
    assert properties[spec.MIN_MARGIN_OVER_POPULARITY_KEY] is None
    assert properties[spec.BASELINE_TOLERANCE_KEY] == 0.0
    assert properties[spec.MAX_EVAL_EXAMPLES_KEY] is None
    assert properties[spec.EVAL_SPLIT_KEY] == "eval"
    assert properties[spec.TRAIN_SPLIT_KEY] == "train"
    assert component.executor_spec.executor_class is executor.Executor


def test_component_takes_a_baseline_channel_and_thresholds():
    component = RetrievalEvaluator(
        **_channels(),
        baseline_model=types.Channel(type=standard_artifacts.Model),
        top_ks=[10, 100],
        blessing_k=100,
        min_top_k_accuracy=0.3,
        min_margin_over_popularity=0.02,
        baseline_tolerance=0.01,
        max_eval_examples=10_000,
        batch_size=256,
    )
    assert component.inputs[spec.BASELINE_MODEL_KEY].type == standard_artifacts.Model
    properties = component.exec_properties
    assert json.loads(properties[spec.TOP_KS_KEY]) == [10, 100]
    assert properties[spec.MIN_ACCURACY_KEY] == 0.3
    assert properties[spec.MIN_MARGIN_OVER_POPULARITY_KEY] == 0.02
    assert properties[spec.BASELINE_TOLERANCE_KEY] == 0.01
    assert properties[spec.MAX_EVAL_EXAMPLES_KEY] == 10_000
    assert properties[spec.BATCH_SIZE_KEY] == 256


def test_integer_thresholds_are_accepted_as_floats():
    component = RetrievalEvaluator(**_channels(), min_top_k_accuracy=0, baseline_tolerance=0)
    assert isinstance(component.exec_properties[spec.MIN_ACCURACY_KEY], float)


def test_bad_settings_fail_when_the_component_is_built():
    with pytest.raises(ValueError, match="blessing_k=100 must be one of top_ks"):
        RetrievalEvaluator(**_channels(), top_ks=[1, 10])
