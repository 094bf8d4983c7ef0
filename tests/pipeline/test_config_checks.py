"""Settings that would fail deep inside a run are refused before any component runs."""

import subprocess
import sys

import pytest

from pipeline import cli
from pipeline import config as config_lib


def _config(**overrides):
    return config_lib.PipelineConfig(
        pipeline_name="checks", pipeline_root="/tmp/root", push_destination="/tmp/serving", **overrides
    )


@pytest.mark.parametrize(
    "hyperparameters, message",
    [
        ({"epochs": "two"}, r"'epochs' must be an integer, got 'two' \(str\)"),
        ({"epochs": 1.5}, r"'epochs' must be an integer, got 1.5"),
        ([1, 2], "must be a JSON object"),
        ({"epoch": 3}, r"Unknown trainer settings \['epoch'\]"),
        ({"tower_layers": [64, "a"]}, "'tower_layers' must be a list of integers"),
        ({"use_title_hash": 1}, "'use_title_hash' must be true or false"),
        ({"top_k": 50}, r"'top_k' \(50\) is below the Evaluator's largest k \(100\)"),
    ],
)
def test_bad_hyperparameters_are_refused_when_the_config_is_built(hyperparameters, message):
    with pytest.raises(ValueError, match=message):
        _config(hyperparameters=hyperparameters)


def test_good_hyperparameters_pass():
    config = _config(hyperparameters={"epochs": 3, "tower_layers": [64], "learning_rate": 1})
    assert config.hyperparameters["epochs"] == 3


def test_the_run_command_refuses_them_in_one_line_before_running(tmp_path, capsys):
    status = cli.main(
        ["run", "--source", "synthetic", "--work-dir", str(tmp_path / "work"),
         "--hyperparameters", '{"epochs": "two"}']
    )
    assert status == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error == ["error: Trainer setting 'epochs' must be an integer, got 'two' (str)"]
    assert not (tmp_path / "work").exists()


def test_json_errors_name_the_option(tmp_path, capsys):
    assert cli.main(["run", "--source", "synthetic", "--work-dir", str(tmp_path),
                     "--hyperparameters", "{epochs: 2}"]) == 2
    assert "--hyperparameters is not JSON" in capsys.readouterr().err


def test_the_cutoffs_are_options_checked_before_anything_runs(tmp_path, capsys):
    args = cli.parser().parse_args(["run", "--top-ks", "5,20", "--blessing-k", "20"])
    assert (args.top_ks, args.blessing_k) == ((5, 20), 20)
    status = cli.main(["run", "--source", "synthetic", "--work-dir", str(tmp_path / "work"),
                       "--top-ks", "5,20", "--blessing-k", "10"])
    assert status == 2
    assert capsys.readouterr().err.strip() == "error: blessing_k=10 must be one of top_ks [5, 20]"
    with pytest.raises(SystemExit):
        cli.parser().parse_args(["run", "--top-ks", "10,x"])
    assert "expected positive integers" in capsys.readouterr().err
    assert not (tmp_path / "work").exists()


def test_a_bad_option_is_refused_before_tensorflow_or_tfx_load(tmp_path):
    # The check itself is immediate; what costs seconds is loading TensorFlow
    # and TFX, which the command line does only once the options are sound.
    script = (
        "import sys\n"
        "from pipeline import cli\n"
        f"status = cli.main(['run', '--source', 'synthetic', '--work-dir', {str(tmp_path / 'w')!r},\n"
        "                   '--hyperparameters', '{\"epochs\": \"two\"}'])\n"
        "heavy = sorted(m for m in ('tensorflow', 'tfx', 'apache_beam') if m in sys.modules)\n"
        "print(status, heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "2 []"
