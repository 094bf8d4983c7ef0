"""Helpers for VersionedPusher tests: Model and ModelBlessing artifacts, a Do() run."""

import os
from typing import Optional

from tfx.proto import pusher_pb2
from tfx.types import standard_artifacts
from tfx.utils import proto_utils

from components.versioned_pusher import executor, spec
from tests.evaluator.retrieval_evaluator_testing import save_fake_model

# Scores per user (u1 ranks m2 first); other users rank m1 first.
SCORES = {"u1": {"m2": 2.0, "m1": 1.0}}
DEFAULT = {"m1": 2.0, "m2": 1.0}


def model_artifact(uri: str) -> standard_artifacts.Model:
    """A Model artifact holding a tiny SavedModel with the retrieval signature."""
    return save_fake_model(uri, SCORES, DEFAULT)


def blessing_artifact(uri: str, blessed: bool) -> standard_artifacts.ModelBlessing:
    """A ModelBlessing as an Evaluator leaves it."""
    blessing = standard_artifacts.ModelBlessing()
    blessing.uri = uri
    os.makedirs(uri, exist_ok=True)
    open(os.path.join(uri, "BLESSED" if blessed else "NOT_BLESSED"), "w").close()
    blessing.set_int_custom_property("blessed", int(blessed))
    return blessing


def destination(base: str) -> str:
    """The push_destination exec property for a file system base directory."""
    return proto_utils.proto_to_json(
        pusher_pb2.PushDestination(
            filesystem=pusher_pb2.PushDestination.Filesystem(base_directory=base)
        )
    )


def run_pusher(
    output_uri: str,
    model: standard_artifacts.Model,
    blessing: Optional[standard_artifacts.ModelBlessing],
    base: str,
) -> standard_artifacts.PushedModel:
    """Runs VersionedPusher's executor Do() into a fresh PushedModel artifact."""
    pushed = standard_artifacts.PushedModel()
    pushed.uri = output_uri
    input_dict = {spec.MODEL_KEY: [model]}
    if blessing is not None:
        input_dict[spec.MODEL_BLESSING_KEY] = [blessing]
    executor.Executor().Do(
        input_dict,
        {spec.PUSHED_MODEL_KEY: [pushed]},
        {spec.PUSH_DESTINATION_KEY: destination(base)},
    )
    return pushed
