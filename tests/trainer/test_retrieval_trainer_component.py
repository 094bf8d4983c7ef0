"""Tests of RetrievalTrainer's component definition and executor hand-off."""

import json

import pytest

from tfx import types
from tfx.types import standard_artifacts, standard_component_specs

from components.retrieval_trainer import executor, spec
from components.retrieval_trainer.component import RetrievalTrainer


def test_component_takes_the_corpus_and_passes_hyperparameters():
    component = RetrievalTrainer(
        examples=types.Channel(type=standard_artifacts.Examples),
        transform_graph=types.Channel(type=standard_artifacts.TransformGraph),
        candidates=types.Channel(type=standard_artifacts.Examples),
        run_fn="trainer.run_fn.run_fn",
        hyperparameters={"epochs": 3},
    )
    assert component.inputs[spec.CANDIDATES_KEY].type == standard_artifacts.Examples
    assert component.outputs[standard_component_specs.MODEL_KEY].type == standard_artifacts.Model
    custom = json.loads(component.exec_properties[standard_component_specs.CUSTOM_CONFIG_KEY])
    assert custom == {spec.HYPERPARAMETERS_CONFIG_KEY: {"epochs": 3}}
    assert component.exec_properties[standard_component_specs.RUN_FN_KEY] == "trainer.run_fn.run_fn"


def test_component_names_the_push_destination_to_warm_start_from():
    component = RetrievalTrainer(
        examples=types.Channel(type=standard_artifacts.Examples),
        transform_graph=types.Channel(type=standard_artifacts.TransformGraph),
        candidates=types.Channel(type=standard_artifacts.Examples),
        run_fn="trainer.run_fn.run_fn",
        warm_start_push_destination="gs://bucket/serving",
    )
    assert standard_component_specs.BASE_MODEL_KEY not in component.inputs
    custom = json.loads(component.exec_properties[standard_component_specs.CUSTOM_CONFIG_KEY])
    assert custom == {
        spec.HYPERPARAMETERS_CONFIG_KEY: {},
        spec.WARM_START_PUSH_DESTINATION_CONFIG_KEY: "gs://bucket/serving",
    }


def _run_executor(monkeypatch, overrides=None):
    """Runs the executor with GenericExecutor stubbed; returns the custom config it passed on."""
    seen = {}
    monkeypatch.setattr(
        executor.trainer_executor.GenericExecutor,
        "Do",
        lambda self, inputs, outputs, properties: seen.update(properties),
    )
    candidates = standard_artifacts.Examples()
    candidates.uri = "gs://bucket/candidates/7"
    candidates.split_names = '["corpus"]'
    examples = standard_artifacts.Examples()
    examples.uri = "gs://bucket/examples/6"
    examples.set_int_custom_property("num_examples_train", 20_002_085)
    examples.set_int_custom_property("num_examples_eval", 4_997_915)
    examples.set_string_custom_property("bad_rows_sample", "[]")
    executor.Executor().Do(
        {spec.CANDIDATES_KEY: [candidates], standard_component_specs.EXAMPLES_KEY: [examples]},
        {},
        {
            standard_component_specs.CUSTOM_CONFIG_KEY: json.dumps(
                {"hyperparameters": {"epochs": 2, "batch_size": 64}}
            ),
            spec.HYPERPARAMETER_OVERRIDES_KEY: overrides,
        },
    )
    return json.loads(seen[standard_component_specs.CUSTOM_CONFIG_KEY])


def test_executor_adds_the_corpus_files_to_custom_config(monkeypatch):
    custom = _run_executor(monkeypatch)
    assert custom[spec.CANDIDATE_FILES_CONFIG_KEY] == "gs://bucket/candidates/7/Split-corpus/*"
    assert custom["hyperparameters"] == {"epochs": 2, "batch_size": 64}


def test_executor_hands_on_the_split_sizes_the_example_gen_recorded(monkeypatch):
    custom = _run_executor(monkeypatch)
    assert custom[spec.SPLIT_EXAMPLES_CONFIG_KEY] == {"train": 20_002_085, "eval": 4_997_915}
    assert executor.recorded_split_sizes(standard_artifacts.Examples()) == {}


def test_a_runs_hyperparameter_overrides_replace_the_built_in_ones(monkeypatch):
    def hyperparameters(overrides):
        return _run_executor(monkeypatch, overrides)["hyperparameters"]

    assert hyperparameters('{"epochs": 5}') == {"epochs": 5, "batch_size": 64}
    assert hyperparameters("{}") == {"epochs": 2, "batch_size": 64}
    assert hyperparameters(None) == {"epochs": 2, "batch_size": 64}


@pytest.mark.parametrize(
    "overrides, message",
    [
        ('{"epochs": "five"}', "hyperparameter_overrides .*epochs"),
        ('{"epochz": 5}', "hyperparameter_overrides .*epochz"),
        ("[5]", "is not a JSON object"),
        ("epochs=5", "is not JSON"),
    ],
)
def test_bad_overrides_are_refused_naming_the_parameter_before_training(monkeypatch, overrides, message):
    with pytest.raises(ValueError, match=message):
        _run_executor(monkeypatch, overrides)
