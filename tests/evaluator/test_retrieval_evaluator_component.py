"""RetrievalEvaluator built from channels: outputs, parameters, early errors (no run)."""

import dataclasses
import json

import pytest
from tfx import types
from tfx.components.evaluator import executor as tfx_evaluator_executor
from tfx.dsl.components.base import base_executor
from tfx.types import standard_artifacts

from components.retrieval_evaluator import executor, spec
from components.retrieval_evaluator import settings as settings_lib
from components.retrieval_evaluator.component import RetrievalEvaluator, RetrievalEvaluatorSpec
from components.retrieval_evaluator.settings import Settings


def _channels():
    return {
        "model": types.Channel(type=standard_artifacts.Model),
        "examples": types.Channel(type=standard_artifacts.Examples),
        "candidates": types.Channel(type=standard_artifacts.Examples),
    }


def test_component_declares_evaluation_and_blessing_and_default_parameters():
    component = RetrievalEvaluator(**_channels())

    assert component.outputs[spec.EVALUATION_KEY].type == standard_artifacts.ModelEvaluation
    assert component.outputs[spec.BLESSING_KEY].type == standard_artifacts.ModelBlessing
    assert component.inputs[spec.MODEL_KEY].type == standard_artifacts.Model
    assert component.inputs[spec.CANDIDATES_KEY].type == standard_artifacts.Examples
    assert spec.BASELINE_MODEL_KEY not in component.inputs
    properties = component.exec_properties
    assert json.loads(properties["top_ks"]) == [1, 5, 10, 50, 100]
    assert properties["blessing_k"] == 100
    assert properties["min_top_k_accuracy"] == 0.0
    assert properties["min_margin_over_baselines"] is None
    assert properties["blessing_baselines"] is None
    assert properties["baseline_tolerance"] == settings_lib.Settings().baseline_tolerance
    assert properties["query_time"] == spec.QUERY_TIME_MODEL_DEFAULT
    assert properties["recent_window_fraction"] == 0.1
    assert properties["ease_lambda"] == 300.0
    assert properties["ease_max_movies"] == 20_000
    assert properties["knn_neighbours"] == settings_lib.Settings().knn_neighbours
    assert properties["max_eval_examples"] is None
    assert properties["eval_split"] == "eval"
    assert properties["train_split"] == "train"
    assert component.executor_spec.executor_class is executor.Executor


def test_component_takes_a_baseline_channel_and_thresholds():
    component = RetrievalEvaluator(
        **_channels(),
        baseline_model=types.Channel(type=standard_artifacts.Model),
        settings=Settings(
            top_ks=[10, 100],
            blessing_k=100,
            min_top_k_accuracy=0.3,
            min_margin_over_baselines=0.02,
            blessing_baselines=["popularity", "ease"],
            baseline_tolerance=0.03,
            query_time="rating",
            ease_max_movies=5_000,
            max_eval_examples=10_000,
            batch_size=256,
        ),
    )
    assert component.inputs[spec.BASELINE_MODEL_KEY].type == standard_artifacts.Model
    properties = component.exec_properties
    assert json.loads(properties["top_ks"]) == [10, 100]
    assert properties["min_top_k_accuracy"] == 0.3
    assert properties["min_margin_over_baselines"] == 0.02
    assert json.loads(properties["blessing_baselines"]) == ["popularity", "ease"]
    assert properties["baseline_tolerance"] == 0.03
    assert properties["query_time"] == "rating"
    assert properties["ease_max_movies"] == 5_000
    assert properties["max_eval_examples"] == 10_000
    assert properties["batch_size"] == 256


def test_integer_thresholds_are_accepted_as_floats():
    settings = Settings(min_top_k_accuracy=0, baseline_tolerance=0)
    component = RetrievalEvaluator(**_channels(), settings=settings)
    assert isinstance(component.exec_properties["min_top_k_accuracy"], float)
    assert Settings.from_exec_properties(component.exec_properties) == settings


def test_bad_settings_fail_when_they_are_built():
    with pytest.raises(ValueError, match="blessing_k=100 must be one of top_ks"):
        Settings(top_ks=[1, 10])
    with pytest.raises(ValueError, match="blessing_baselines must name"):
        Settings(blessing_baselines=["svd"])
    with pytest.raises(ValueError, match="query_time must be one of"):
        Settings(query_time="timestamp")


def test_the_spec_parameters_are_the_settings_fields():
    assert set(RetrievalEvaluatorSpec.PARAMETERS) == {field.name for field in dataclasses.fields(Settings)}
    assert RetrievalEvaluatorSpec.PARAMETERS["max_eval_examples"].optional
    assert not RetrievalEvaluatorSpec.PARAMETERS["top_ks"].optional


def test_keys_and_blessing_constants_are_tfx_evaluators():
    # spec.py writes them out to stay light to import; they must stay TFX's.
    from tfx.components.evaluator import constants  # pylint: disable=import-outside-toplevel
    from tfx.types import standard_component_specs as tfx_keys  # pylint: disable=import-outside-toplevel

    assert (spec.MODEL_KEY, spec.EXAMPLES_KEY, spec.BASELINE_MODEL_KEY) == (
        tfx_keys.MODEL_KEY, tfx_keys.EXAMPLES_KEY, tfx_keys.BASELINE_MODEL_KEY
    )
    assert (spec.EVALUATION_KEY, spec.BLESSING_KEY) == (
        tfx_keys.EVALUATION_KEY, tfx_keys.BLESSING_KEY
    )
    assert (spec.BLESSED_FILE, spec.NOT_BLESSED_FILE) == (
        constants.BLESSED_FILE_NAME, constants.NOT_BLESSED_FILE_NAME
    )
    assert (
        spec.BLESSED_PROPERTY, spec.CURRENT_MODEL_PROPERTY, spec.CURRENT_MODEL_ID_PROPERTY,
        spec.BASELINE_MODEL_PROPERTY, spec.BASELINE_MODEL_ID_PROPERTY,
        spec.BLESSING_MESSAGE_PROPERTY, spec.BLESSED_VALUE, spec.NOT_BLESSED_VALUE,
    ) == (
        constants.ARTIFACT_PROPERTY_BLESSED_KEY,
        constants.ARTIFACT_PROPERTY_CURRENT_MODEL_URI_KEY,
        constants.ARTIFACT_PROPERTY_CURRENT_MODEL_ID_KEY,
        constants.ARTIFACT_PROPERTY_BASELINE_MODEL_URI_KEY,
        constants.ARTIFACT_PROPERTY_BASELINE_MODEL_ID_KEY,
        constants.ARTIFACT_PROPERTY_BLESSING_MESSAGE_KEY,
        constants.BLESSED_VALUE,
        constants.NOT_BLESSED_VALUE,
    )


def test_the_pipeline_settings_import_no_tfx_component():
    # pipeline.config imports the evaluator's settings; that must not load
    # TFMA or TFX's components (start-up of every command).
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel

    code = (
        "import sys, pipeline.config; "
        "print(sorted(m for m in ('tfx.components', 'tensorflow_model_analysis') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_executor_takes_the_plain_context_local_dag_runner_gives_it(tmp_path):
    context = base_executor.BaseExecutor.Context(tmp_dir=str(tmp_path), unique_id="1")
    built = executor.Executor(context)
    # What TFX's Kubeflow V2 entry point checks to rename the blessing's model ids.
    assert isinstance(built, tfx_evaluator_executor.Executor)
