"""Tests of MovieLensExampleGen's component definition and driver (no Beam)."""

import dataclasses
import json

import pytest
from tfx.orchestration.data_types import RuntimeParameter
from tfx.types import standard_artifacts

from components.movielens_example_gen import driver, spec
from components.movielens_example_gen import Settings
from components.movielens_example_gen.component import MovieLensExampleGen, MovieLensExampleGenSpec
from tests.components import grouplens_fixtures as fixtures
from tests.components.example_gen_testing import properties


def test_component_declares_two_examples_outputs_and_its_parameters():
    component = MovieLensExampleGen(Settings(
        source=spec.SOURCE_SYNTHETIC,
        synthetic_config={"num_ratings": 1000, "seed": 3},
        split_mode="temporal",
        eval_fraction=0.1,
        max_bad_rows=5,
    ))
    for key in (spec.EXAMPLES_KEY, spec.CANDIDATES_KEY):
        assert component.outputs[key].type == standard_artifacts.Examples
    parameters = component.exec_properties
    assert json.loads(parameters["synthetic_config"]) == {"num_ratings": 1000, "seed": 3}
    assert parameters["split_mode"] == "temporal"
    assert parameters["max_bad_rows"] == 5
    assert parameters[spec.SPAN_KEY] == spec.LATEST_SPAN
    assert component.driver_class is driver.Driver


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"source": "kaggle"}, "source must be one of"),
        ({"source": "grouplens"}, "needs input_path"),
        ({"source": "tfds", "tfds_name": "movielens/100k-movies"}, "'-ratings' builder"),
        ({"source": "synthetic", "split_mode": "by_user"}, "split mode must be"),
        ({"source": "synthetic", "eval_fraction": 1.5}, "eval_fraction must be in"),
        ({"source": "synthetic", "max_bad_rows": -1}, "max_bad_rows must be >= 0"),
    ],
)
def test_bad_settings_fail_when_they_are_built(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Settings(**kwargs)


def test_the_spec_parameters_are_the_settings_fields_and_round_trip():
    assert set(MovieLensExampleGenSpec.PARAMETERS) == {
        field.name for field in dataclasses.fields(Settings)
    }
    assert not MovieLensExampleGenSpec.PARAMETERS["source"].optional
    assert MovieLensExampleGenSpec.PARAMETERS["input_path"].optional
    settings = Settings(source="tfds", tfds_name="movielens/1m-ratings", tfds_download=False,
                        split_mode="temporal", eval_fraction=0.1, span=3)
    properties = MovieLensExampleGen(settings).exec_properties
    assert properties["tfds_download"] == 0
    assert Settings.from_exec_properties(properties) == settings


def _resolve(exec_properties):
    return driver.Driver(None).resolve_exec_properties(exec_properties, None, None)


def test_driver_fingerprint_changes_with_file_contents_not_otherwise(tmp_path):
    folder = fixtures.write_100k(str(tmp_path))
    first = _resolve(properties(input_path=folder))
    again = _resolve(properties(input_path=folder))
    with open(f"{folder}/u.data", "a", encoding="latin-1") as handle:
        handle.write("1\t5\t4\t890000000\n")
    changed = _resolve(properties(input_path=folder))
    assert first[spec.FINGERPRINT_KEY] == again[spec.FINGERPRINT_KEY]
    assert first[spec.FINGERPRINT_KEY] != changed[spec.FINGERPRINT_KEY]
    assert first[spec.SPAN_KEY] == 0


def test_driver_pins_the_newest_span(tmp_path):
    for span in (3, 11, 7):
        fixtures.write_csv(str(tmp_path / f"drop-{span}"))
    resolved = _resolve(properties(input_path=str(tmp_path / "drop-{SPAN}")))
    assert resolved[spec.SPAN_KEY] == 11


def test_driver_rejects_a_missing_requested_span(tmp_path):
    fixtures.write_csv(str(tmp_path / "drop-1"))
    with pytest.raises(FileNotFoundError, match="span 4 not found"):
        _resolve(properties(input_path=str(tmp_path / "drop-{SPAN}"), span=4))


def test_synthetic_fingerprint_follows_the_generator_settings():
    small = _resolve(properties(source="synthetic", synthetic_config='{"num_ratings": 1000}'))
    large = _resolve(properties(source="synthetic", synthetic_config='{"num_ratings": 2000}'))
    assert small[spec.FINGERPRINT_KEY] != large[spec.FINGERPRINT_KEY]


def test_only_the_span_and_the_input_path_can_be_set_per_run():
    span = RuntimeParameter(name="span", ptype=int, default=-1)
    component = MovieLensExampleGen(Settings(), {"span": span})
    assert component.exec_properties["span"] is span
    with pytest.raises(ValueError, match=r"runtime parameters \['split_mode'\]"):
        MovieLensExampleGen(Settings(), {"split_mode": RuntimeParameter(name="s", ptype=str, default="random")})
