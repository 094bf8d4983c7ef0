"""RetrainGate and RetrainRecord: the rule, the decision artifact, the record, the cache key."""

import dataclasses
import json
import os
import tempfile

import pytest
from tfx.types import standard_artifacts

from components import movielens_example_gen
from components.retrain_gate import component as gate_lib
from components import code_version
from components.retrain_gate import state

FINISHED = "2026-01-01 03:10:00"


def _inputs(**changes) -> state.RetrainInputs:
    return dataclasses.replace(state.RetrainInputs(3, "data", "settings", "code"), **changes)


def _state(blessed=True, **changes) -> dict:
    return {**dataclasses.asdict(_inputs(**changes)), "finished": FINISHED, "blessed": blessed}


@pytest.mark.parametrize(
    "previous, reason",
    [
        (None, "first run recorded under this pipeline root"),
        (_state(span=2), "a new span (last run: span 2)"),
        (_state(fingerprint="old"), "the data of span 3's window changed"),
        (_state(settings="old"), "the settings changed"),
        (_state(code="old"), "the code changed"),
        (_state(blessed=False, settings="old"), "the settings changed"),
        ({"span": 3, "fingerprint": "data", "finished": FINISHED, "blessed": True},
         "the settings changed; the code changed"),
    ],
)
def test_a_run_goes_on_when_anything_it_depends_on_changed(previous, reason):
    assert state.decide(previous, _inputs()) == state.Decision(True, reason)


def test_a_run_on_the_same_inputs_after_a_completed_one_stops_and_says_why():
    same = f"No new span, settings or code since the last run (span 3, finished {FINISHED})"
    assert state.decide(_state(), _inputs()) == state.Decision(False, f"{same}; nothing to do.")
    not_blessed = state.decide(_state(blessed=False), _inputs())
    assert not not_blessed.run
    assert not_blessed.reason == (
        f"{same}, whose model was not blessed: the same data, settings and code give the same "
        "verdict; nothing to do."
    )


def _gate(tmp_path, num_spans=2, settings="settings-1"):
    example_gen = movielens_example_gen.Settings(
        source="synthetic", synthetic_config={"num_ratings": 1000, "num_spans": num_spans},
        window_spans=2,
    )
    return gate_lib.RetrainGate(example_gen, settings, str(tmp_path / "root" / state.STATE_FILE))


def _decide(gate) -> gate_lib.RetrainDecision:
    decision = gate_lib.RetrainDecision()
    decision.uri = tempfile.mkdtemp()
    gate_lib.Executor().Do({}, {gate_lib.DECISION_KEY: [decision]}, gate.exec_properties)
    return decision


def _record(gate, decision, blessed=True, pushed="/serving/1"):
    blessing = standard_artifacts.ModelBlessing()
    blessing.set_int_custom_property("blessed", int(blessed))
    pushed_model = standard_artifacts.PushedModel()
    pushed_model.set_int_custom_property("pushed", int(pushed is not None))
    if pushed:
        pushed_model.set_string_custom_property("pushed_destination", pushed)
    gate_lib.RetrainRecord.EXECUTOR_SPEC.executor_class().Do(
        {"decision": [decision], "blessing": [blessing], "pushed_model": [pushed_model]},
        {},
        {"state_uri": gate.exec_properties[gate_lib.STATE_URI_KEY]},
    )


def _run(decision) -> bool:
    return decision.get_int_custom_property(gate_lib.RUN_PROPERTY) == 1


def test_the_gate_goes_on_until_a_completed_run_is_recorded_then_stops_until_a_new_span(tmp_path):
    gate = _gate(tmp_path)
    first = _decide(gate)
    assert _run(first)
    with open(os.path.join(first.uri, gate_lib.DECISION_FILE), encoding="utf-8") as handle:
        assert json.load(handle)["run"] is True
    inputs = json.loads(first.get_string_custom_property(gate_lib.INPUTS_PROPERTY))
    assert inputs["span"] == 1 and inputs["settings"] == "settings-1"
    assert inputs["code"] == code_version.code_fingerprint()
    # No record yet (a crashed run writes none): the next run goes on too.
    assert _run(_decide(gate))
    _record(gate, first)
    recorded = state.read_state(gate.exec_properties[gate_lib.STATE_URI_KEY])
    assert recorded["span"] == 1 and recorded["blessed"] and recorded["pushed_model"] == "/serving/1"
    same = _decide(gate)
    assert not _run(same)
    assert same.get_string_custom_property(gate_lib.REASON_PROPERTY).startswith("No new span")
    assert _run(_decide(_gate(tmp_path, num_spans=3)))
    assert _run(_decide(_gate(tmp_path, settings="settings-2")))


def test_a_code_change_opens_the_gate(tmp_path, monkeypatch):
    gate = _gate(tmp_path)
    _record(gate, _decide(gate))
    monkeypatch.setattr(code_version, "code_fingerprint", lambda: "edited")
    decision = _decide(gate)
    assert _run(decision)
    assert decision.get_string_custom_property(gate_lib.REASON_PROPERTY) == "the code changed"


def test_an_unpushed_run_is_recorded_as_not_blessed(tmp_path):
    gate = _gate(tmp_path)
    _record(gate, _decide(gate), blessed=False, pushed=None)
    recorded = state.read_state(gate.exec_properties[gate_lib.STATE_URI_KEY])
    assert recorded["blessed"] is False and recorded["pushed_model"] is None
    assert "whose model was not blessed" in _decide(gate).get_string_custom_property(
        gate_lib.REASON_PROPERTY
    )


def test_the_drivers_cache_key_changes_with_the_record_so_no_stale_decision_is_reused(tmp_path):
    gate = _gate(tmp_path)

    class _Info:
        exec_properties = gate.exec_properties

    def key():
        output = gate_lib.Driver(None).run(_Info())
        return output.exec_properties[gate_lib.GATE_INPUTS_KEY].string_value

    before = key()
    assert key() == before
    _record(gate, _decide(gate))
    assert key() != before
    assert os.path.exists(gate.exec_properties[gate_lib.STATE_URI_KEY])


def test_the_span_a_run_sets_is_the_one_the_gate_resolves(tmp_path):
    gate = _gate(tmp_path, num_spans=3)
    properties = {**gate.exec_properties, "span": 1}
    decision = gate_lib.RetrainDecision()
    decision.uri = tempfile.mkdtemp()
    gate_lib.Executor().Do({}, {gate_lib.DECISION_KEY: [decision]}, properties)
    assert json.loads(decision.get_string_custom_property(gate_lib.INPUTS_PROPERTY))["span"] == 1
