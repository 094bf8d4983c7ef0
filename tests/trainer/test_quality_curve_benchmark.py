"""The quality-curve benchmark finds a run's newest artifacts."""

import pytest

from benchmarks import trainer_quality_curve


def test_the_newest_artifact_is_the_highest_numeric_id(tmp_path):
    for name in ("2", "10", "9", ".system", "tmp"):
        (tmp_path / "Transform" / "transform_graph" / name).mkdir(parents=True)
    newest = trainer_quality_curve.newest_artifact(str(tmp_path), "Transform", "transform_graph")
    assert newest.endswith("transform_graph/10")


def test_a_missing_output_is_an_error_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="No Transform transform_graph artifact"):
        trainer_quality_curve.newest_artifact(str(tmp_path), "Transform", "transform_graph")
