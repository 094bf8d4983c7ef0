"""The pipeline image, checked without Docker: Python version, install, and what the spec needs from it."""

import ast
import fnmatch
import os
import re
import subprocess
import sys

import setuptools
from packaging.specifiers import SpecifierSet

from pipeline.kubeflow import beam_profiles, runner as kubeflow_runner
from tests.kubeflow import kubeflow_fixtures

REPO_ROOT = kubeflow_fixtures.REPO_ROOT
# Parameters whose values are dotted paths into our packages.
DOTTED_PATH_PARAMETERS = ("preprocessing_fn", "run_fn")


def _read(name):
    with open(os.path.join(REPO_ROOT, name), encoding="utf-8") as handle:
        return handle.read()


def _normal(name):
    return re.sub(r"[-_.]+", "-", name.split("[")[0]).lower()


def _pins(text):
    return {_normal(name): pin
            for name, pin in re.findall(r"^([A-Za-z0-9_.\[\]-]+)==([^\s;#]+)", text, re.MULTILINE)}


def _image_python_version():
    stages = kubeflow_fixtures.dockerfile_instructions("FROM")
    final = stages[-1].split()
    image = [word for word in final if not word.startswith("--")][0]
    match = re.fullmatch(r"python:(\d+\.\d+)[-\w.]*", image)
    assert match, f"final stage is not an official python image: {image}"
    return match.group(1)


def test_base_image_python_matches_setup_and_constraints():
    version = _image_python_version()
    requires = re.search(r"python_requires=\"([^\"]+)\"", _read("setup.py")).group(1)
    assert f"{version}.0" in SpecifierSet(requires)
    # constraints.txt was resolved on, and this environment installed from it
    # with, that same Python.
    assert f"{sys.version_info.major}.{sys.version_info.minor}" == version
    constraints = _pins(_read("constraints.txt"))
    setup_pins = dict(re.findall(r"\"([A-Za-z0-9_.\[\]-]+)==([^\"]+)\"", _read("setup.py")))
    assert "tfx" in setup_pins and "apache-beam[gcp]" in setup_pins
    for package, pin in setup_pins.items():
        name = _normal(package)
        assert constraints.get(name) == pin, f"setup.py pins {package}=={pin}, constraints {constraints.get(name)}"
    beam_stage = kubeflow_fixtures.dockerfile_instructions("FROM")[0]
    assert f"apache/beam_python{version}_sdk:{constraints['apache-beam']}" in beam_stage
    assert kubeflow_runner.IMAGE_SCHEMA_DIR.startswith(f"/usr/local/lib/python{version}/site-packages/")


def test_dockerfile_installs_with_the_constraints_and_sets_keras_2():
    runs = " ".join(kubeflow_fixtures.dockerfile_instructions("RUN"))
    assert "pip install -r constraints.txt" in runs
    assert "pip install -c constraints.txt ." in runs
    assert "pip check" in runs
    assert kubeflow_fixtures.dockerfile_env()["TF_USE_LEGACY_KERAS"] == "1"
    assert f"'{kubeflow_runner.IMAGE_SCHEMA_DIR}'" in runs
    assert kubeflow_runner.EXECUTOR_ENTRY_POINT[-1] in runs
    assert kubeflow_fixtures.dockerfile_instructions("ENTRYPOINT") == [f'["{beam_profiles.BEAM_BOOT}"]']
    assert kubeflow_fixtures.dockerfile_instructions("WORKDIR")[-1] == "/"


def test_the_image_gets_every_package_setup_installs():
    copied = kubeflow_fixtures.dockerfile_copied_paths()
    include = ast.literal_eval(re.search(r"include=(\[.*?\])", _read("setup.py"), re.S).group(1))
    packages = setuptools.find_packages(REPO_ROOT, include=include)
    assert "retrieval_metrics" in packages
    assert {package.split(".")[0] for package in packages} | {"setup.py", "constraints.txt"} == set(copied)
    patterns = [line.strip() for line in _read(".dockerignore").splitlines()
                if line.strip() and not line.startswith("#")]
    for path in copied:
        allowed = False
        for pattern in patterns:
            negated = pattern.startswith("!")
            if fnmatch.fnmatch(path, pattern.lstrip("!").rstrip("/")):
                allowed = negated
        assert allowed, f".dockerignore keeps {path} out of the build context"


def test_every_dotted_path_in_the_spec_imports_from_the_installed_package(
    kubeflow_job, vertex_job, installed_site, tmp_path
):
    paths = {"executors": set(), "functions": set(), "schemas": set()}
    for job in (kubeflow_job, vertex_job):
        spec = job["pipelineSpec"]
        paths["executors"].update(kubeflow_runner.executor_class_paths(spec).values())
        for task in spec["root"]["dag"]["tasks"].values():
            parameters = task.get("inputs", {}).get("parameters", {})
            for key in DOTTED_PATH_PARAMETERS:
                if key in parameters:
                    paths["functions"].add(parameters[key]["runtimeValue"]["constant"])
            if "schema_file" in parameters:
                paths["schemas"].add(parameters["schema_file"]["runtimeValue"]["constant"])
        commands = {tuple(c["command"]) for c in kubeflow_runner.container_tasks(spec).values()}
        assert commands == {kubeflow_runner.EXECUTOR_ENTRY_POINT}
    assert len(paths["functions"]) == 2
    # The image's schema folder is its site-packages; here, the install folder.
    schemas = [path.replace(os.path.dirname(os.path.dirname(kubeflow_runner.IMAGE_SCHEMA_DIR)), installed_site)
               for path in paths["schemas"]]
    check = f"""
import importlib.util, json, os, sys
from tfx.utils import import_utils
import pipeline
assert pipeline.__file__.startswith({installed_site!r}), pipeline.__file__
assert importlib.util.find_spec({kubeflow_runner.EXECUTOR_ENTRY_POINT[-1]!r}) is not None
for path in {sorted(paths["executors"])!r}:
    import_utils.import_class_by_path(path)
for path in {sorted(paths["functions"])!r}:
    module, name = path.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), name)), path
for path in {schemas!r}:
    assert os.path.isfile(path), path
print(json.dumps("ok"))
"""
    result = subprocess.run(
        [sys.executable, "-c", "import importlib\n" + check],
        env=kubeflow_fixtures.image_like_env(installed_site), cwd=str(tmp_path),
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().endswith('"ok"')
