"""The code's fingerprint, and the run after a code change running without the cache (fast)."""

import os
import re
import types

import pytest

from components import code_version
from pipeline import config as config_lib
from pipeline.local import runner as local_runner

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_code_fingerprint_counts_source_and_schemas_only(tmp_path):
    package = tmp_path / "package"
    (package / "__pycache__").mkdir(parents=True)
    (package / "module.py").write_text("X = 1\n")
    (package / "schema.pbtxt").write_text("feature {}\n")
    base = code_version.files_fingerprint([str(package)])
    (package / "__pycache__" / "module.cpython-310.pyc").write_bytes(b"\0")
    (package / "README.md").write_text("notes")
    assert code_version.files_fingerprint([str(package)]) == base
    (package / "schema.pbtxt").write_text("feature { name: 'x' }\n")
    assert code_version.files_fingerprint([str(package)]) != base
    code = code_version.code_fingerprint()
    assert len(code) == 64 and code_version.code_fingerprint() == code


def test_the_code_fingerprint_covers_every_package_setup_py_installs():
    with open(os.path.join(ROOT, "setup.py"), encoding="utf-8") as handle:
        setup = handle.read()
    include = setup[setup.index("include=["):setup.index("]", setup.index("include=["))]
    assert sorted(re.findall(r'"(\w+)\*"', include)) == sorted(code_version.CODE_PACKAGES)


# local_runner.run(): the cache after a code change, with the pipeline run faked.

@pytest.fixture
def fake_runs(tmp_path, monkeypatch):
    """Fakes the pipeline and its run; returns the runs' cache switches and the fakes' knobs."""
    caches = []
    knobs = {"code": "code v1", "crash": False}

    class FakeRunner:
        def run(self, pipeline):
            caches.append(pipeline.enable_cache)
            if knobs["crash"]:
                raise RuntimeError("the Trainer failed")

    monkeypatch.setattr(code_version, "code_fingerprint", lambda: knobs["code"])
    monkeypatch.setattr(
        local_runner, "create_pipeline",
        lambda config, connection: types.SimpleNamespace(
            components=[], enable_cache=config.enable_cache
        ),
    )
    monkeypatch.setattr(local_runner, "remove_leftovers", lambda *args: [])
    monkeypatch.setattr(local_runner, "LocalDagRunner", FakeRunner)
    return caches, knobs


def _run(work_dir, enable_cache: bool = True) -> list:
    """``local_runner.run`` in a work dir; returns the lines it emitted."""
    config = config_lib.PipelineConfig(
        pipeline_name="code",
        pipeline_root=os.path.join(work_dir, "root"),
        push_destination=os.path.join(work_dir, "serving"),
        enable_cache=enable_cache,
    )
    lines = []
    local_runner.run(
        config,
        local_runner.metadata_path(str(work_dir)),
        os.path.join(work_dir, "last_run.log"),
        lines.append,
    )
    return lines


def _recorded(work_dir) -> str:
    with open(os.path.join(work_dir, local_runner.CODE_FINGERPRINT_FILE), encoding="utf-8") as handle:
        return handle.read().strip()


def test_a_run_with_no_recorded_code_caches_as_configured_and_records_its_code(
    tmp_path, fake_runs
):
    caches, _ = fake_runs
    assert _run(tmp_path) == [] and caches == [True]
    assert _recorded(tmp_path) == "code v1"
    assert sorted(os.listdir(tmp_path)) == [
        "code_fingerprint", "last_run.log", "metadata.sqlite", "writer.lock"
    ]


def test_the_same_code_keeps_the_cache(tmp_path, fake_runs):
    caches, _ = fake_runs
    _run(tmp_path)
    assert _run(tmp_path) == [] and caches == [True, True]


def test_changed_code_turns_the_cache_off_for_one_run_and_says_why(tmp_path, fake_runs):
    caches, knobs = fake_runs
    _run(tmp_path)
    knobs["code"] = "code v2"
    assert _run(tmp_path) == [
        "The code changed since the last run in this work dir: every component re-executes "
        "(TFX's cache does not see code)."
    ]
    assert caches == [True, False] and _recorded(tmp_path) == "code v2"
    assert _run(tmp_path) == [] and caches == [True, False, True]


def test_changed_code_with_the_cache_already_off_says_nothing(tmp_path, fake_runs):
    caches, knobs = fake_runs
    _run(tmp_path)
    knobs["code"] = "code v2"
    assert _run(tmp_path, enable_cache=False) == [] and caches == [True, False]
    assert _recorded(tmp_path) == "code v2"


def test_a_failed_run_records_nothing_so_the_next_runs_without_the_cache_too(
    tmp_path, fake_runs
):
    caches, knobs = fake_runs
    knobs["crash"] = True
    with pytest.raises(RuntimeError, match="the Trainer failed"):
        _run(tmp_path)
    assert not os.path.exists(tmp_path / local_runner.CODE_FINGERPRINT_FILE)
    knobs["crash"] = False
    _run(tmp_path)
    knobs.update(code="code v2", crash=True)
    with pytest.raises(RuntimeError):
        _run(tmp_path)
    assert _recorded(tmp_path) == "code v1"
    knobs["crash"] = False
    assert len(_run(tmp_path)) == 1 and caches == [True, True, False, False]
    assert _recorded(tmp_path) == "code v2"
