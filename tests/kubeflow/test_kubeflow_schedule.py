"""``movielens-tfx schedule``: the recurring run request, dry and sent through a stubbed kfp client."""

import copy
import json

import kfp
import kfp_server_api
import pytest

from pipeline import cli
from pipeline.kubeflow import runner as kubeflow_runner, schedule
from tests.kubeflow import kubeflow_fixtures

HOST = "http://127.0.0.1:9"  # a closed loopback port: nothing is ever sent elsewhere


@pytest.fixture(name="spec_file")
def fixture_spec_file(kubeflow_job, tmp_path):
    path = tmp_path / "spec.json"
    kubeflow_runner.write_spec(kubeflow_job, str(path))
    return str(path)


def test_cron_gets_kfp_seconds_field():
    assert schedule.normalize_cron("0 3 * * *") == "0 0 3 * * *"
    assert schedule.normalize_cron(" 30 0 3 * * 1-5 ") == "30 0 3 * * 1-5"
    with pytest.raises(ValueError, match="has 4 fields"):
        schedule.normalize_cron("0 3 * *")


def test_parameters_are_typed_from_json():
    assert schedule.parse_parameters(["span=3", "name=abc", "rate=0.5", "on=true"]) == {
        "span": 3, "name": "abc", "rate": 0.5, "on": True,
    }
    with pytest.raises(ValueError, match="KEY=VALUE"):
        schedule.parse_parameters(["span"])


def test_dry_run_prints_the_request(spec_file, kubeflow_job, capsys):
    status = cli.main(["schedule", "--spec", spec_file, "--cron", "0 3 * * *", "--host", HOST, "--dry-run"])
    assert status == 0
    request = json.loads(capsys.readouterr().out)
    assert request["method"] == "POST"
    assert request["url"] == HOST + "/apis/v2beta1/recurringruns"
    assert request["experiment"]["name"] == schedule.DEFAULT_EXPERIMENT
    body = request["body"]
    assert body["display_name"] == "movielens-retrieval-retrain"
    assert body["trigger"] == {"cron_schedule": {"cron": "0 0 3 * * *"}}
    assert body["max_concurrency"] == 1
    assert body["no_catchup"] is True
    assert body["mode"] == "ENABLE"
    assert body["runtime_config"] == {"pipeline_root": kubeflow_fixtures.PIPELINE_ROOT, "parameters": {}}
    assert body["pipeline_spec"] == kubeflow_job["pipelineSpec"]
    assert body["experiment_id"] == f"<id of experiment {schedule.DEFAULT_EXPERIMENT!r}>"


def test_yaml_spec_gives_the_same_request(spec_file, kubeflow_job, tmp_path):
    yaml_file = str(tmp_path / "spec.yaml")
    kubeflow_runner.write_spec(kubeflow_job, yaml_file)
    from_json = schedule.RecurringRunRequest.from_spec_file(spec_file, cron="0 3 * * *", experiment_id="e")
    from_yaml = schedule.RecurringRunRequest.from_spec_file(yaml_file, cron="0 3 * * *", experiment_id="e")
    assert from_yaml == from_json
    assert from_json.dry_run(HOST)["experiment"] == {"id": "e"}


def test_submit_sends_exactly_the_dry_run_body(spec_file, monkeypatch):
    sent = {}

    def create_recurring_run(self, body, **kwargs):
        del self, kwargs
        sent["body"] = body
        return kfp_server_api.V2beta1RecurringRun(recurring_run_id="rr-1", display_name=body.display_name)

    def create_experiment(self, name, description=None, namespace=None):
        del self, description
        sent["experiment"] = (name, namespace)
        return kfp_server_api.V2beta1Experiment(experiment_id="exp-7", display_name=name)

    monkeypatch.setattr(kfp_server_api.RecurringRunServiceApi, "create_recurring_run", create_recurring_run)
    monkeypatch.setattr(kfp.Client, "create_experiment", create_experiment)
    monkeypatch.setattr(kfp.Client, "get_kfp_healthz", lambda self: kfp_server_api.V2beta1GetHealthzResponse(
        multi_user=False))
    request = schedule.RecurringRunRequest.from_spec_file(
        spec_file, cron="15 2 * * 1", experiment="nightly", service_account="pipeline-runner",
        description="nightly retrain",
    )
    run = schedule.submit(request, host=HOST)
    assert run.recurring_run_id == "rr-1"
    assert sent["experiment"] == ("nightly", None)
    dry = request.dry_run(HOST)["body"]
    dry["experiment_id"] = "exp-7"
    assert kfp_server_api.ApiClient().sanitize_for_serialization(sent["body"]) == dry
    assert dry["service_account"] == "pipeline-runner"


def test_parameters_must_be_declared_by_the_spec(kubeflow_job, tmp_path):
    path = str(tmp_path / "spec.json")
    kubeflow_runner.write_spec(kubeflow_job, path)
    with pytest.raises(ValueError, match="declares no parameter epochs; it declares: "
                                         "hyperparameter_overrides, span"):
        schedule.RecurringRunRequest.from_spec_file(path, cron="0 3 * * *", parameters={"epochs": 2})
    request = schedule.RecurringRunRequest.from_spec_file(
        path, cron="0 3 * * *", parameters={"span": 2, "hyperparameter_overrides": '{"epochs": 2}'}
    )
    assert request.dry_run()["body"]["runtime_config"]["parameters"] == {
        "span": 2, "hyperparameter_overrides": '{"epochs": 2}'
    }
    job = copy.deepcopy(kubeflow_job)
    job["pipelineSpec"]["root"]["inputDefinitions"] = {}
    kubeflow_runner.write_spec(job, path)
    with pytest.raises(ValueError, match="declares no parameter span; it declares: none"):
        schedule.RecurringRunRequest.from_spec_file(path, cron="0 3 * * *", parameters={"span": 2})


def test_pipeline_root_is_required_and_can_be_overridden(kubeflow_job, tmp_path):
    job = copy.deepcopy(kubeflow_job)
    del job["runtimeConfig"]
    del job["pipelineSpec"]["defaultPipelineRoot"]
    path = str(tmp_path / "spec.json")
    kubeflow_runner.write_spec(job, path)
    with pytest.raises(ValueError, match="--pipeline-root"):
        schedule.RecurringRunRequest.from_spec_file(path, cron="0 3 * * *")
    request = schedule.RecurringRunRequest.from_spec_file(path, cron="0 3 * * *", pipeline_root="s3://b/r")
    assert request.pipeline_root == "s3://b/r"


def test_schedule_command_reports_errors(spec_file, capsys):
    assert cli.main(["schedule", "--spec", spec_file, "--cron", "daily", "--dry-run"]) == 2
    assert "has 1 fields" in capsys.readouterr().err
    assert cli.main(["schedule", "--spec", spec_file + ".missing", "--cron", "0 3 * * *", "--dry-run"]) == 2


def test_an_unreachable_endpoint_is_reported(spec_file, capsys):
    # HOST is a closed port on the loopback: the connection is refused at once.
    assert cli.main(["schedule", "--spec", spec_file, "--cron", "0 3 * * *", "--host", HOST]) == 1
    assert f"Kubeflow Pipelines at {HOST} refused the request" in capsys.readouterr().err
