"""The main command runs wherever it is typed: synthetic data when TFDS cannot be read."""

from pipeline import cli, preflight
from pipeline.cli import run


def _tfds_unavailable(name, data_dir, timeout=5.0):
    raise preflight.DataUnavailableError(f"{name} is not prepared and offline")


def _tfds_available(name, data_dir, timeout=5.0):
    del name, data_dir, timeout


def _local(argv, tmp_path):
    args = cli.parser().parse_args(["run", "--work-dir", str(tmp_path / "work"), *argv])
    return run.local_pipeline_config(args)


def test_without_source_and_without_tfds_the_run_uses_synthetic_data_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(preflight, "check_tfds_available", _tfds_unavailable)
    local = _local([], tmp_path)
    assert local.config.example_gen.source == "synthetic"
    assert local.config.example_gen.synthetic_config["num_ratings"] == 100_000
    assert "synthetic MovieLens-shaped data" in local.data_note
    assert "--source grouplens --input-path" in local.data_note


def test_without_source_tfds_stays_the_first_choice_when_it_can_be_read(tmp_path, monkeypatch):
    monkeypatch.setattr(preflight, "check_tfds_available", _tfds_available)
    local = _local([], tmp_path)
    assert local.config.example_gen.source == "tfds"
    assert local.config.example_gen.tfds_name == "movielens/100k-ratings"
    assert local.data_note is None


def test_an_explicit_tfds_source_offline_still_fails_clearly(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(preflight, "check_tfds_available", _tfds_unavailable)
    status = cli.main(["run", "--source", "tfds", "--work-dir", str(tmp_path / "work")])
    assert status == 2
    assert capsys.readouterr().err.strip() == "error: movielens/100k-ratings is not prepared and offline"
    assert not (tmp_path / "work").exists()


def test_an_explicit_source_is_never_replaced(tmp_path, monkeypatch):
    monkeypatch.setattr(preflight, "check_tfds_available", _tfds_unavailable)
    local = _local(["--source", "synthetic", "--synthetic-ratings", "5000"], tmp_path)
    assert local.config.example_gen.synthetic_config["num_ratings"] == 5000
    assert local.data_note is None


def test_the_data_is_checked_once(tmp_path, monkeypatch):
    checks = []
    monkeypatch.setattr(preflight, "check_tfds_available", lambda *args, **kw: checks.append(args))
    _local([], tmp_path)
    assert len(checks) == 1
