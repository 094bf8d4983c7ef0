"""The transform under Beam's DirectRunner with two worker processes.

Multi-processing mode pickles every DoFn and combiner into separate Python
processes, as Dataflow, Flink or Spark would: an unpicklable piece fails here.
"""

import os

import pytest

from tests.transform_fn import transform_fn_testing
from tests.transform_fn.hand_written_ratings import FEATURE_SPEC, ROWS, T, VOCABULARIES, assert_expected
from transform_fn import features

_REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.slow
def test_multi_processing_direct_runner(tmp_path, monkeypatch):
    # Workers are fresh interpreters: let them import this repository's
    # packages even when it is not pip-installed, with the same Keras.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [_REPO_ROOT, os.environ.get("PYTHONPATH")]))
    )
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    run = transform_fn_testing.run_transform(
        ROWS,
        FEATURE_SPEC,
        str(tmp_path),
        sort_by=T(features.TIMESTAMP, features.Z_SCORE),
        beam_args=[
            "--runner=DirectRunner",
            "--direct_running_mode=multi_processing",
            "--direct_num_workers=2",
        ],
    )
    assert os.getpid() not in run.pids  # the rows were transformed in workers
    assert_expected(run.rows)
    for feature, vocabulary in VOCABULARIES.items():
        assert (
            run.output.vocabulary_by_name(features.vocabulary_name(feature))
            == vocabulary
        )
