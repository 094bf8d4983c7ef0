"""Atomic, versioned pushes into TF Serving's layout: ``<base>/<version>/saved_model.pb``.

A push copies the model into a staging folder beside the versions
(``<base>/.tmp-<version>-<random>``, a name TF Serving ignores), then renames
it to ``<base>/<version>``. On a local (POSIX) file system the rename is one
atomic step: a server, or ``latest_pushed_model``, sees either no version or a
complete one, whatever crashes when. Object stores (``gs://``, ``s3://``) have
no directory rename: there the staged files are moved in one by one with
``saved_model.pb`` last, the marker TF Serving and TFX treat as "complete".

Versions are integers: the current unix time in seconds, or one more than the
newest version present if that is not smaller, so they only increase.
"""

import os
import time
import uuid
from typing import Callable, List, Optional, Tuple

from absl import logging
from google.protobuf import message
from tensorflow.core.protobuf import saved_model_pb2
from tfx.dsl.io import fileio
from tfx.utils import io_utils

from components.versioned_pusher import spec

# Attempts at claiming a version name another pusher may take at the same time.
_MAX_ATTEMPTS = 5


def _join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}"


def _versions(base: str) -> List[int]:
    """Integer-named entries of ``base`` (complete or not), ascending."""
    if not fileio.exists(base):
        return []
    versions = []
    for name in fileio.listdir(base):
        name = name.rstrip("/")
        if name.isdigit():
            versions.append(int(name))
    return sorted(versions)


def is_complete(version_dir: str) -> bool:
    """Whether a version folder holds a whole SavedModel.

    Whole: its variables' index is there, and its ``saved_model.pb`` (copied
    last by every push) reads as a SavedModel with a graph.

    Args:
      version_dir: A version folder.

    Returns:
      True when the SavedModel is complete.
    """
    saved_model = _join(version_dir, spec.SAVED_MODEL_FILE)
    if not fileio.exists(saved_model) or not fileio.exists(
        _join(version_dir, spec.VARIABLES_INDEX_FILE)
    ):
        return False
    with fileio.open(saved_model, "rb") as handle:
        proto = saved_model_pb2.SavedModel()
        try:
            proto.ParseFromString(handle.read())
        except message.DecodeError:
            return False
    return bool(proto.meta_graphs)


def latest_pushed_model(push_destination: str) -> Optional[str]:
    """Returns the newest complete version folder under a push destination.

    Args:
      push_destination: The base directory the pusher writes versions into.

    Returns:
      ``<push_destination>/<version>`` of the largest integer version that
      holds a complete SavedModel (``is_complete``), or None when there is
      none. Staging folders and incomplete or damaged versions are skipped.
    """
    for version in reversed(_versions(push_destination)):
        path = _join(push_destination, str(version))
        if is_complete(path):
            return path
    return None


def remove_staging_folders(base: str) -> List[str]:
    """Removes the staging folders that killed pushes left under a push destination.

    A push removes its own staging folder when it fails, but not when its
    process is killed. Only call this while no push into ``base`` can be
    under way (the work directory's lock): a running push's staging folder
    looks the same.

    Args:
      base: The push destination.

    Returns:
      The folders removed.
    """
    if not fileio.exists(base):
        return []
    removed = []
    for name in fileio.listdir(base):
        name = name.rstrip("/")
        if name.startswith(spec.STAGING_PREFIX):
            path = _join(base, name)
            fileio.rmtree(path)
            removed.append(path)
    return sorted(removed)


def next_version(base: str, now: Callable[[], float] = time.time) -> int:
    """Returns the version for a new push: unix seconds, above every existing one."""
    existing = _versions(base)
    return max(int(now()), existing[-1] + 1 if existing else 0)


def copy_model(model_path: str, destination: str) -> None:
    """Copies a SavedModel folder, ``saved_model.pb`` last (as TFX's Pusher does)."""
    io_utils.copy_dir(model_path, destination, deny_regex_patterns=[r"saved_model\.pb$"])
    saved_model = _join(model_path, spec.SAVED_MODEL_FILE)
    if fileio.exists(saved_model):
        io_utils.copy_file(saved_model, _join(destination, spec.SAVED_MODEL_FILE))


def _is_local(path: str) -> bool:
    return "://" not in path


def _move_files_marker_last(staging: str, final: str) -> None:
    """Moves every staged file into ``final``, ``saved_model.pb`` last (object stores)."""
    marker = None
    for folder, _, files in fileio.walk(staging):
        for name in files:
            source = _join(folder, name)
            relative = os.path.relpath(source, staging)
            target = _join(final, relative)
            if relative == spec.SAVED_MODEL_FILE:
                marker = (source, target)
                continue
            fileio.makedirs(os.path.dirname(target))
            fileio.rename(source, target, overwrite=False)
    if marker:
        fileio.rename(*marker, overwrite=False)
    fileio.rmtree(staging)


def _publish(staging: str, final: str) -> None:
    """Makes a staged version visible under its final name."""
    if _is_local(final):
        fileio.rename(staging, final, overwrite=False)
    else:
        _move_files_marker_last(staging, final)


def push(model_path: str, base: str, now: Callable[[], float] = time.time) -> Tuple[str, int]:
    """Pushes a SavedModel folder as a new version, atomically.

    Args:
      model_path: The SavedModel folder to push.
      base: The push destination (TF Serving's model base path).
      now: Clock giving unix seconds (for tests).

    Returns:
      The version folder written and its version.

    Raises:
      RuntimeError: If other pushers kept taking the version names.
      Exception: Whatever the copy raised. No version folder is created, and
        the staging folder is removed (best effort) before the error goes on.
    """
    fileio.makedirs(base)
    version = next_version(base, now)
    staging = _join(base, f"{spec.STAGING_PREFIX}{version}-{uuid.uuid4().hex[:8]}")
    published = False
    try:
        copy_model(model_path, staging)
        for _ in range(_MAX_ATTEMPTS):
            final = _join(base, str(version))
            if not fileio.exists(final):
                try:
                    _publish(staging, final)
                    published = True
                    break
                except Exception:  # pylint: disable=broad-except
                    if not fileio.exists(final):
                        raise
            # Another pusher took this version meanwhile: take the next one.
            logging.info("Version folder %s exists; trying a newer version", final)
            version = next_version(base, now)
        if not published:
            raise RuntimeError(
                f"Could not claim a version under {base} in {_MAX_ATTEMPTS} attempts"
            )
    finally:
        if not published:
            _remove_quietly(staging)
    logging.info("Pushed %s as version %d: %s", model_path, version, final)
    return final, version


def _remove_quietly(path: str) -> None:
    try:
        if fileio.exists(path):
            fileio.rmtree(path)
    except Exception as error:  # pylint: disable=broad-except
        # The push already failed with the error being raised; a leftover
        # staging folder is harmless (TF Serving ignores it) but is reported.
        logging.warning("Could not remove staging folder %s: %s", path, error)
