"""Shared helpers of the Kubeflow tests: compiling through the CLI, the image's environment."""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from typing import Dict, List, Sequence

from pipeline import cli

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCKERFILE = os.path.join(REPO_ROOT, "Dockerfile")
IMAGE = "registry.example/movielens-tfx:test"
PIPELINE_ROOT = "gs://movielens-bucket/pipeline-root"
# Tiny synthetic data and one epoch: the shape of the spec, not the model, matters.
SOURCE_ARGS = (
    "--source", "synthetic", "--synthetic-ratings", "2000",
    "--hyperparameters", json.dumps({"epochs": 1, "batch_size": 256}),
)


def compile_job(output: str, target: str, extra_args: Sequence[str] = (),
                pipeline_root: str = PIPELINE_ROOT) -> Dict:
    """Compiles through ``movielens-tfx compile`` and loads the result.

    Args:
      output: The spec file to write (``.json``).
      target: ``kubeflow`` or ``vertex``.
      extra_args: Further command-line arguments.
      pipeline_root: ``--pipeline-root``.

    Returns:
      The PipelineJob dict.
    """
    status = cli.main(
        ["compile", "--target", target, "--pipeline-root", pipeline_root, "--image", IMAGE,
         "--output", output, *SOURCE_ARGS, *extra_args]
    )
    assert status == 0
    with open(output, encoding="utf-8") as handle:
        return json.load(handle)


def dockerfile_instructions(name: str) -> List[str]:
    """The arguments of every Dockerfile instruction called ``name``."""
    with open(DOCKERFILE, encoding="utf-8") as handle:
        text = re.sub(r"\\\n", " ", handle.read())
    found = []
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if words and words[0].upper() == name.upper():
            found.append(words[1] if len(words) > 1 else "")
    return found


def dockerfile_env() -> Dict[str, str]:
    """The variables the image's ``ENV`` instructions set."""
    env = {}
    for arguments in dockerfile_instructions("ENV"):
        for word in shlex.split(arguments):
            key, _, value = word.partition("=")
            env[key] = value
    return env


def image_like_env(python_path: str) -> Dict[str, str]:
    """This process's environment as the image would have it.

    The Keras switch comes from the Dockerfile alone (so a Dockerfile without
    it fails the tasks as the image would), and ``PYTHONPATH`` stands in for
    the installed packages.

    Args:
      python_path: Where the project's packages are importable from.

    Returns:
      The environment for task subprocesses.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("TF_USE_LEGACY_KERAS", "PYTHONPATH")}
    env.update(dockerfile_env())
    env["PYTHONPATH"] = python_path
    return env


def dockerfile_copied_paths() -> List[str]:
    """The repository paths the final image stage copies (``COPY`` without ``--from``)."""
    paths = []
    for arguments in dockerfile_instructions("COPY"):
        words = arguments.split()
        if any(word.startswith("--from") for word in words):
            continue
        paths.extend(word.rstrip("/") for word in words[:-1])
    return paths


def install_project(work_dir: str) -> str:
    """Installs the project as the image does, into a folder of its own.

    Copies what the Dockerfile copies, then ``pip install``s it (no
    dependencies: this environment already has the pinned set; no build
    isolation: no network) into ``work_dir/site``, outside the repository.

    Args:
      work_dir: An empty scratch folder.

    Returns:
      The folder holding the installed packages.
    """
    source = os.path.join(work_dir, "src")
    for path in dockerfile_copied_paths():
        origin = os.path.join(REPO_ROOT, path)
        if os.path.isdir(origin):
            shutil.copytree(origin, os.path.join(source, path),
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            os.makedirs(source, exist_ok=True)
            shutil.copy(origin, os.path.join(source, path))
    site = os.path.join(work_dir, "site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-compile", "--target", site, source],
        check=True, cwd=work_dir, capture_output=True,
    )
    return site
