"""VersionedPusher: TFX's Pusher whose copy is atomic and versioned."""

from typing import Optional, Union

from tfx import types
from tfx.components.pusher import component as tfx_pusher_component
from tfx.dsl.components.base import executor_spec
from tfx.proto import pusher_pb2
from tfx.utils import proto_utils

from components.versioned_pusher import executor


class VersionedPusher(tfx_pusher_component.Pusher):
    """Pushes a blessed model into ``<push_destination>/<version>/`` atomically.

    Same spec as TFX's Pusher (``PusherSpec``: inputs ``model``,
    ``model_blessing``, ``infra_blessing``; output ``pushed_model``) and the
    same PushedModel properties (``pushed``, ``pushed_destination``,
    ``pushed_version``), plus ``push_base_directory``. Unblessed models are
    not pushed (``pushed`` = 0).
    """

    EXECUTOR_SPEC = executor_spec.ExecutorClassSpec(executor.Executor)

    def __init__(
        self,
        model: Optional[types.BaseChannel] = None,
        model_blessing: Optional[types.BaseChannel] = None,
        infra_blessing: Optional[types.BaseChannel] = None,
        push_destination: Optional[Union[str, pusher_pb2.PushDestination]] = None,
    ):
        """Builds the component.

        Args:
          model: Channel of the Model to push (its ``Format-Serving``
            SavedModel), usually the Trainer's ``model``.
          model_blessing: Channel of the ModelBlessing (e.g. the
            RetrievalEvaluator's ``blessing``); without one the model is pushed
            unchecked, as TFX's Pusher does.
          infra_blessing: Optional channel of an InfraBlessing.
          push_destination: The serving base directory (a path, local or
            ``gs://``), or a PushDestination with a ``filesystem`` destination
            and AUTO or UNIX_TIMESTAMP versioning.

        Raises:
          ValueError: If push_destination is missing or not a file system one.
        """
        if push_destination is None:
            raise ValueError("push_destination (the serving base directory) is required")
        if isinstance(push_destination, str):
            push_destination = pusher_pb2.PushDestination(
                filesystem=pusher_pb2.PushDestination.Filesystem(
                    base_directory=push_destination
                )
            )
        executor.base_directory(proto_utils.proto_to_json(push_destination))
        super().__init__(
            model=model,
            model_blessing=model_blessing,
            infra_blessing=infra_blessing,
            push_destination=push_destination,
        )
