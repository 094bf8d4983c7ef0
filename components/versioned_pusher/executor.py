"""Executor of VersionedPusher: TFX's Pusher with an atomic, versioned copy.

Everything but the copy is TFX's Pusher executor (blessing checks through
``CheckBlessing``, model path through ``GetModelPath``, the archive copy into
the PushedModel artifact, its ``pushed``/``pushed_destination``/
``pushed_version`` properties); the copy goes through ``publish.push``.
"""

from typing import Any, Dict, List

from absl import logging
from tfx import types
from tfx.components.pusher import executor as tfx_pusher_executor
from tfx.proto import pusher_pb2
from tfx.types import artifact_utils
from tfx.utils import io_utils, proto_utils

from components.versioned_pusher import publish, spec

_AUTOMATIC_VERSIONING = (
    pusher_pb2.Versioning.AUTO,
    pusher_pb2.Versioning.UNIX_TIMESTAMP,
)


def base_directory(push_destination_json: str) -> str:
    """Reads the file system base directory out of a PushDestination JSON.

    Raises:
      ValueError: If the destination is not a file system one, or asks for a
        versioning other than AUTO / UNIX_TIMESTAMP.
    """
    destination = proto_utils.json_to_proto(
        push_destination_json, pusher_pb2.PushDestination()
    )
    if destination.WhichOneof("destination") != "filesystem":
        raise ValueError(
            "VersionedPusher pushes to a file system: push_destination needs "
            f"'filesystem', got {push_destination_json!r}"
        )
    filesystem = destination.filesystem
    if not filesystem.base_directory:
        raise ValueError("push_destination.filesystem.base_directory is empty")
    if filesystem.versioning not in _AUTOMATIC_VERSIONING:
        raise ValueError(
            "VersionedPusher numbers versions itself (unix seconds, increasing): "
            "versioning must be AUTO or UNIX_TIMESTAMP"
        )
    return filesystem.base_directory


class Executor(tfx_pusher_executor.Executor):
    """Pushes a blessed model into ``<base>/<version>/`` atomically."""

    def Do(
        self,
        input_dict: Dict[str, List[types.Artifact]],
        output_dict: Dict[str, List[types.Artifact]],
        exec_properties: Dict[str, Any],
    ) -> None:
        """Pushes the model if blessed; records the push on the PushedModel.

        Args:
          input_dict: ``model`` (Model), optional ``model_blessing``
            (ModelBlessing) and ``infra_blessing`` (InfraBlessing).
          output_dict: ``pushed_model`` (PushedModel).
          exec_properties: ``push_destination`` (PushDestination JSON with a
            file system base directory).
        """
        self._log_startup(input_dict, output_dict, exec_properties)
        model_push = artifact_utils.get_single_instance(output_dict[spec.PUSHED_MODEL_KEY])
        if not self.CheckBlessing(input_dict):
            self._MarkNotPushed(model_push)
            return
        model_path = self.GetModelPath(input_dict)
        base = base_directory(exec_properties[spec.PUSH_DESTINATION_KEY])
        serving_path, version = publish.push(model_path, base)
        # As TFX's Pusher: the pushed model is also archived in the artifact.
        io_utils.copy_dir(model_path, model_push.uri)
        self._MarkPushed(
            model_push, pushed_destination=serving_path, pushed_version=str(version)
        )
        model_push.set_string_custom_property(spec.PUSH_BASE_DIRECTORY_PROPERTY, base)
        logging.info("Model pushed to %s (version %d).", serving_path, version)
