"""The record of the last completed run, and the rule of when a run goes on.

The record (``retrain_state.json`` under the pipeline root, on any file
system ``tf.io.gfile`` reaches) holds what the last completed run was made
of: the newest span and its window's data fingerprint, a fingerprint of the
settings and one of the code, when it finished, whether its model was
blessed and what was pushed. Only a completed run writes it, so a run that
crashed or failed leaves the one before, and the next run goes on.
"""

import dataclasses
import json
import time
from typing import Optional

import tensorflow as tf

STATE_FILE = "retrain_state.json"


@dataclasses.dataclass(frozen=True)
class RetrainInputs:
    """Everything a run's outcome depends on.

    Attributes:
      span: The newest span.
      fingerprint: What the window of spans ending there hashes to.
      settings: A fingerprint of the pipeline settings.
      code: ``code_version.code_fingerprint`` of the project's code.
    """

    span: int
    fingerprint: str
    settings: str
    code: str


@dataclasses.dataclass(frozen=True)
class Decision:
    """Whether a run goes on, and why.

    Attributes:
      run: Whether the components after the gate run.
      reason: One line saying why (or why not).
    """

    run: bool
    reason: str


def decide(previous: Optional[dict], current: RetrainInputs) -> Decision:
    """Whether a run goes on.

    It goes on unless the last completed run had the same newest span, data,
    settings and code. A completed run whose model was not blessed is not
    retried on the same inputs: it would reproduce the same verdict.

    Args:
      previous: The record of the last completed run (None: none yet).
      current: What this run would be made of.

    Returns:
      The decision with its reason.
    """
    if previous is None:
        return Decision(True, "first run recorded under this pipeline root")
    changes = []
    if previous.get("span") != current.span:
        changes.append(f"a new span (last run: span {previous.get('span')})")
    elif previous.get("fingerprint") != current.fingerprint:
        changes.append(f"the data of span {current.span}'s window changed")
    if previous.get("settings") != current.settings:
        changes.append("the settings changed")
    if previous.get("code") != current.code:
        changes.append("the code changed")
    if changes:
        return Decision(True, "; ".join(changes))
    summary = (
        f"No new span, settings or code since the last run (span {current.span}, "
        f"finished {previous.get('finished')})"
    )
    if previous.get("blessed"):
        return Decision(False, f"{summary}; nothing to do.")
    return Decision(
        False,
        f"{summary}, whose model was not blessed: the same data, settings and code "
        "give the same verdict; nothing to do.",
    )


def read_state(uri: str) -> Optional[dict]:
    """Reads the record.

    Args:
      uri: The record's path.

    Returns:
      The record, or None when there is none.
    """
    if not tf.io.gfile.exists(uri):
        return None
    with tf.io.gfile.GFile(uri) as handle:
        return json.load(handle)


def write_state(uri: str, current: RetrainInputs, blessed: bool, pushed_model: Optional[str]) -> dict:
    """Writes the record of a completed run (written aside, then renamed over).

    Args:
      uri: The record's path.
      current: What the run was made of.
      blessed: Whether its model was blessed.
      pushed_model: Where it was pushed (None: not pushed).

    Returns:
      The record written.
    """
    state = {
        **dataclasses.asdict(current),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S"),
        "blessed": blessed,
        "pushed_model": pushed_model,
    }
    tf.io.gfile.makedirs(uri.rsplit("/", 1)[0])
    with tf.io.gfile.GFile(uri + ".tmp", "w") as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
    tf.io.gfile.rename(uri + ".tmp", uri, overwrite=True)
    return state
