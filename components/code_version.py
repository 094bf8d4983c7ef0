"""The fingerprint of the project's installed code.

TFX's cache does not see code: components name their functions by dotted path
(``transform_fn.preprocessing.preprocessing_fn``, ``trainer.run_fn.run_fn``)
and the custom components' executors are plain modules, so an edit changes no
cache key. ``local_runner`` compares this fingerprint with the one of the last
run in a work directory and runs without the cache when they differ;
``retrain`` counts it among what a retrain depends on.
"""

import hashlib
import importlib.util
import os
from typing import Iterable

# setup.py's packages: the code whose change makes every component re-execute.
CODE_PACKAGES = (
    "pipeline", "components", "transform_fn", "trainer", "retrieval_metrics", "movielens_simulator",
)
_CODE_SUFFIXES = (".py", ".pbtxt")


def files_fingerprint(folders: Iterable[str]) -> str:
    """Hashes the ``.py`` and ``.pbtxt`` files under some folders.

    Args:
      folders: Local folders, searched recursively.

    Returns:
      A hex SHA-256 of each file's path (relative to its folder's parent) and
      content, in path order; other files, such as bytecode, do not count.
    """
    files = []
    for folder in folders:
        parent = os.path.dirname(os.path.abspath(folder))
        for root, _, names in os.walk(folder):
            files += [
                (os.path.relpath(os.path.join(root, name), parent), os.path.join(root, name))
                for name in names
                if name.endswith(_CODE_SUFFIXES)
            ]
    digest = hashlib.sha256()
    for relative, path in sorted(files):
        with open(path, "rb") as handle:
            content = handle.read()
        digest.update(f"{relative}\0{len(content)}\0".encode("utf-8") + content)
    return digest.hexdigest()


def code_fingerprint() -> str:
    """Hashes the project's code as installed (``CODE_PACKAGES``).

    Returns:
      ``files_fingerprint`` of the packages' folders.
    """
    folders = [
        importlib.util.find_spec(package).submodule_search_locations[0]
        for package in CODE_PACKAGES
    ]
    return files_fingerprint(folders)
