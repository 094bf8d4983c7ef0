"""Tests of RetrievalTrainer's component definition and executor hand-off."""

import json

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


def test_executor_adds_the_corpus_files_to_custom_config(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        executor.trainer_executor.GenericExecutor,
        "Do",
        lambda self, inputs, outputs, properties: seen.update(properties),
    )
    candidates = standard_artifacts.Examples()
    candidates.uri = "gs://bucket/candidates/7"
    candidates.split_names = '["corpus"]'
    executor.Executor().Do(
        {spec.CANDIDATES_KEY: [candidates]},
        {},
        {standard_component_specs.CUSTOM_CONFIG_KEY: json.dumps({"hyperparameters": {"epochs": 2}})},
    )
    custom = json.loads(seen[standard_component_specs.CUSTOM_CONFIG_KEY])
    assert custom[spec.CANDIDATE_FILES_CONFIG_KEY] == "gs://bucket/candidates/7/Split-corpus/*"
    assert custom["hyperparameters"] == {"epochs": 2}
