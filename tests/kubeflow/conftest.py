"""Compiled specs shared by the Kubeflow tests (compiled once per session)."""

import pytest

from tests.kubeflow import kubeflow_fixtures


@pytest.fixture(scope="session")
def kubeflow_job(tmp_path_factory):
    """The ``--target kubeflow`` PipelineJob on a gs:// root."""
    output = tmp_path_factory.mktemp("kubeflow") / "spec.json"
    return kubeflow_fixtures.compile_job(str(output), "kubeflow")


@pytest.fixture(scope="session")
def vertex_job(tmp_path_factory):
    """The ``--target vertex`` PipelineJob with warm start, on a gs:// root (no resolver task)."""
    output = tmp_path_factory.mktemp("vertex") / "spec.json"
    return kubeflow_fixtures.compile_job(str(output), "vertex", ["--warm-start"])


@pytest.fixture(scope="session")
def installed_site(tmp_path_factory):
    """The project installed as in the image (``pip install .``), outside the repository."""
    return kubeflow_fixtures.install_project(str(tmp_path_factory.mktemp("image")))
