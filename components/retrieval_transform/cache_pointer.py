"""The pointer to the newest analyzer cache: a JSON file at a known place.

A run's Transform writes its analyzer cache into its own output artifact
(``updated_analyzer_cache``), and then points this file at it; the next run's
Transform reads the cache it points at. No resolver task is needed to find the
previous cache, so a Kubeflow Pipelines run finds it as a local one does. The
file is replaced whole (written aside, then renamed), so a reader sees the old
pointer or the new one.
"""

import json
import os
from typing import Optional, Sequence

import tensorflow as tf

from components.progress_log import log_progress

POINTER_FILE = "transform_analyzer_cache.json"


def read(pointer_uri: str) -> Optional[str]:
    """The analyzer cache a pointer names, if it is still there.

    Args:
      pointer_uri: The pointer file (local, ``gs://`` or ``s3://``).

    Returns:
      The cache folder, or None when there is no pointer yet or the folder it
      names is gone (said in the progress log).
    """
    if not tf.io.gfile.exists(pointer_uri):
        return None
    with tf.io.gfile.GFile(pointer_uri) as handle:
        cache_uri = json.load(handle)["cache"]
    if not tf.io.gfile.isdir(cache_uri):
        log_progress("analyzer cache %s (named by %s) is gone: analysing every span", cache_uri, pointer_uri)
        return None
    return cache_uri


def write(pointer_uri: str, cache_uri: str, dataset_keys: Sequence[str]) -> None:
    """Points the pointer file at a cache.

    Args:
      pointer_uri: The pointer file.
      cache_uri: The cache folder (a Transform's ``updated_analyzer_cache``).
      dataset_keys: The cached datasets' keys, for the reader's information.
    """
    tf.io.gfile.makedirs(os.path.dirname(pointer_uri))
    staged = f"{pointer_uri}.tmp"
    with tf.io.gfile.GFile(staged, "w") as handle:
        json.dump({"cache": cache_uri, "datasets": sorted(dataset_keys)}, handle, indent=2)
    tf.io.gfile.rename(staged, pointer_uri, overwrite=True)
