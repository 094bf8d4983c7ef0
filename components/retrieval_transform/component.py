"""RetrievalTransform: TFX's Transform with an analyzer cache that survives new artifacts."""

from typing import Any, Mapping, Optional

from tfx import types
from tfx.dsl.components.base import base_component, executor_spec
from tfx.types import standard_artifacts
from tfx.utils import json_utils

from components.retrieval_transform import executor, spec


class RetrievalTransform(base_component.BaseComponent):
    """Analyses the raw train examples with tf.Transform; writes the transform graph.

    Like TFX's ``Transform`` with ``materialize=False`` and
    ``disable_statistics=True`` (same ``transform_graph`` output), plus an
    analyzer cache that pays over a rolling window of spans: each span of the
    examples' window is analysed as a dataset of its own, keyed by the content
    of its examples, and the previous run's cache is found through a pointer
    file (``analyzer_cache_pointer``) rather than a resolver, so that a
    Kubeflow Pipelines run reuses it too.
    """

    SPEC_CLASS = spec.RetrievalTransformSpec
    EXECUTOR_SPEC = executor_spec.BeamExecutorSpec(executor.Executor)

    def __init__(
        self,
        examples: types.BaseChannel,
        schema: types.BaseChannel,
        preprocessing_fn: str,
        custom_config: Optional[Mapping[str, Any]] = None,
        force_tf_compat_v1: bool = False,
        analyzer_cache_pointer: Optional[str] = None,
    ):
        """Builds the component.

        Args:
          examples: Raw examples with a ``train`` split (analysed).
          schema: The raw examples' schema.
          preprocessing_fn: Dotted path of the ``preprocessing_fn``.
          custom_config: Passed to ``preprocessing_fn`` (when it takes
            ``custom_config``).
          force_tf_compat_v1: Run tf.Transform in TF1 compatibility mode.
          analyzer_cache_pointer: A file (local, ``gs://``, ``s3://``) naming
            the newest analyzer cache: read before analysis, pointed at this
            run's cache after it. None: no analyzer cache.
        """
        super().__init__(
            spec=spec.RetrievalTransformSpec(
                examples=examples,
                schema=schema,
                preprocessing_fn=preprocessing_fn,
                custom_config=json_utils.dumps(dict(custom_config or {})),
                force_tf_compat_v1=int(force_tf_compat_v1),
                disable_statistics=1,
                transform_graph=types.Channel(type=standard_artifacts.TransformGraph),
                updated_analyzer_cache=(
                    types.Channel(type=standard_artifacts.TransformCache)
                    if analyzer_cache_pointer
                    else None
                ),
                **{spec.CACHE_POINTER_KEY: analyzer_cache_pointer},
            )
        )
