"""The evaluator's and the warm start's wiring in ``create_pipeline`` (pure: nothing runs)."""

import dataclasses
import json

import pytest
from tfx.dsl.components.common.resolver import Resolver
from tfx.types import standard_component_specs

from components import movielens_example_gen
from components.retrieval_evaluator import settings as evaluator_settings
from components.retrieval_evaluator import spec as evaluator_spec
from components.retrieval_evaluator import RetrievalEvaluator
from components.retrieval_trainer import RetrievalTrainer
from components.retrieval_trainer import spec as trainer_spec
from pipeline import cli
from pipeline.cli import options
from pipeline import config as config_lib
from pipeline.kubeflow import runner as kubeflow_runner
from pipeline.pipeline import create_pipeline, query_time_for_split

DEPLOYMENTS = {
    "local": config_lib.Deployment(),
    **{
        target: kubeflow_runner.deployment(kubeflow_runner.KubeflowSettings(image="i", target=target))
        for target in kubeflow_runner.TARGETS
    },
}


def _config(tmp_path, split_mode="random", window_spans=1, **rules):
    return config_lib.PipelineConfig(
        pipeline_name="wiring",
        pipeline_root=str(tmp_path / "root"),
        push_destination=str(tmp_path / "serving"),
        example_gen=movielens_example_gen.Settings(split_mode=split_mode, window_spans=window_spans),
        evaluator=dataclasses.replace(config_lib.PIPELINE_EVALUATOR_SETTINGS, **rules),
    )


def _evaluator(tmp_path, split_mode="random", window_spans=1, **rules):
    pipeline = create_pipeline(_config(tmp_path, split_mode, window_spans, **rules))
    (evaluator,) = [c for c in pipeline.components if isinstance(c, RetrievalEvaluator)]
    return evaluator


def test_the_evaluator_ranks_the_example_gens_corpus_with_the_splits_query_time(tmp_path):
    evaluator = _evaluator(tmp_path)
    candidates = evaluator.inputs[evaluator_spec.CANDIDATES_KEY]
    assert candidates.producer_component_id == "MovieLensExampleGen"
    assert candidates.output_key == "candidates"
    assert evaluator_spec.TRAIN_EXAMPLES_KEY not in evaluator.inputs
    properties = evaluator.exec_properties
    assert properties["query_time"] == evaluator_spec.QUERY_TIME_MODEL_DEFAULT
    temporal = _evaluator(tmp_path, split_mode="temporal")
    assert temporal.exec_properties["query_time"] == (
        evaluator_spec.QUERY_TIME_RATING
    )


def test_query_time_follows_the_split_mode():
    assert query_time_for_split("random") == "model_default"
    assert query_time_for_split("temporal") == "rating"
    with pytest.raises(ValueError, match="split mode"):
        query_time_for_split("by_user")


@pytest.mark.parametrize("target", sorted(DEPLOYMENTS))
def test_a_span_window_is_read_by_the_example_gen_with_no_resolver(tmp_path, target):
    pipeline = create_pipeline(
        _config(tmp_path, split_mode="temporal", window_spans=3), deployment=DEPLOYMENTS[target]
    )
    assert not [c for c in pipeline.components if isinstance(c, Resolver)]
    (example_gen,) = [c for c in pipeline.components if c.id == "MovieLensExampleGen"]
    assert example_gen.exec_properties["window_spans"] == 3
    (evaluator,) = [c for c in pipeline.components if isinstance(c, RetrievalEvaluator)]
    # The window's train split is the training data: no second input for it.
    assert evaluator_spec.TRAIN_EXAMPLES_KEY not in evaluator.inputs
    (trainer,) = [c for c in pipeline.components if isinstance(c, RetrievalTrainer)]
    assert trainer.inputs["examples"].producer_component_id == "MovieLensExampleGen"


def test_pipeline_and_component_defaults_are_the_settings_modules(tmp_path):
    properties = _evaluator(tmp_path).exec_properties
    defaults = evaluator_settings.Settings()
    assert properties["baseline_tolerance"] == defaults.baseline_tolerance
    # The pipeline requires at least the popularity baselines by default.
    assert properties["min_margin_over_baselines"] == 0.0
    assert json.loads(properties["blessing_baselines"]) == [
        "popularity", "recent_popularity"
    ]
    assert properties["ease_max_movies"] == defaults.ease_max_movies
    args = cli.parser().parse_args(["run"])
    assert args.baseline_tolerance == defaults.baseline_tolerance
    assert args.min_margin_over_baselines == config_lib.PIPELINE_EVALUATOR_SETTINGS.min_margin_over_baselines
    assert args.blessing_baselines == config_lib.PIPELINE_EVALUATOR_SETTINGS.blessing_baselines


def test_blessing_rules_reach_the_evaluator(tmp_path):
    evaluator = _evaluator(
        tmp_path, min_margin_over_baselines=0.02, blessing_baselines=("popularity", "ease"),
        baseline_tolerance=0.0, ease_max_movies=1000,
    )
    properties = evaluator.exec_properties
    assert properties["min_margin_over_baselines"] == 0.02
    assert json.loads(properties["blessing_baselines"]) == ["popularity", "ease"]
    assert properties["baseline_tolerance"] == 0.0
    assert properties["ease_max_movies"] == 1000


def test_blessing_baselines_on_the_command_line(capsys):
    args = cli.parser().parse_args(["run", "--blessing-baselines", "popularity, item_knn"])
    assert args.blessing_baselines == ("popularity", "item_knn")
    assert cli.parser().parse_args(["run", "--blessing-baselines", "all"]).blessing_baselines is None
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["run", "--blessing-baselines", "svd"])
    assert "expected names of popularity,recent_popularity,item_knn,ease" in capsys.readouterr().err


def _trainer_custom_config(pipeline) -> dict:
    (trainer,) = [c for c in pipeline.components if isinstance(c, RetrievalTrainer)]
    assert standard_component_specs.BASE_MODEL_KEY not in trainer.inputs
    return json.loads(trainer.exec_properties[standard_component_specs.CUSTOM_CONFIG_KEY])


@pytest.mark.parametrize("deployment", sorted(DEPLOYMENTS))
def test_warm_start_is_the_served_model_found_by_the_trainer_without_a_resolver(tmp_path, deployment):
    config = config_lib.PipelineConfig(
        pipeline_name="wiring",
        pipeline_root=str(tmp_path / "root"),
        push_destination="gs://bucket/serving",
        warm_start=True,
    )
    warm = create_pipeline(config, deployment=DEPLOYMENTS[deployment])
    assert not [c for c in warm.components if isinstance(c, Resolver)]
    key = trainer_spec.WARM_START_PUSH_DESTINATION_CONFIG_KEY
    assert _trainer_custom_config(warm)[key] == "gs://bucket/serving"
    cold = create_pipeline(
        dataclasses.replace(config, warm_start=False), deployment=DEPLOYMENTS[deployment]
    )
    assert key not in _trainer_custom_config(cold)


def test_skip_unchanged_puts_the_gate_first_and_the_record_last(tmp_path):
    pipeline = create_pipeline(dataclasses.replace(_config(tmp_path), skip_unchanged=True))
    ids = [component.id for component in pipeline.components]
    assert ids[0] == "RetrainGate" and ids[-1] == "RetrainRecord"
    record = pipeline.components[-1]
    assert record.inputs["decision"].producer_component_id == "RetrainGate"
    assert record.inputs["blessing"].producer_component_id == "RetrievalEvaluator"
    assert record.inputs["pushed_model"].producer_component_id == "VersionedPusher"
    assert record.exec_properties["state_uri"] == str(tmp_path / "root" / "retrain_state.json")
    assert "RetrainGate" not in [c.id for c in create_pipeline(_config(tmp_path)).components]


def test_max_eval_examples_on_the_command_line_reaches_the_evaluator():
    assert cli.parser().parse_args(["run"]).max_eval_examples is None
    args = cli.parser().parse_args(["run", "--max-eval-examples", "200000"])
    assert options.evaluator_settings(args).max_eval_examples == 200_000
