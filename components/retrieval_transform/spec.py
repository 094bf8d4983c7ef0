"""Spec and keys of RetrievalTransform: TFX's TransformSpec plus the cache pointer."""

from tfx.types import standard_component_specs
from tfx.types.component_spec import ExecutionParameter

# Where the newest analyzer cache is recorded (``cache_pointer.py``); unset:
# no analyzer cache.
CACHE_POINTER_KEY = "analyzer_cache_pointer"
# Custom property of the transform_graph artifact: JSON of which spans were
# analysed and which came from the cache (``executor.py``).
ANALYZER_CACHE_PROPERTY = "analyzer_cache"


class RetrievalTransformSpec(standard_component_specs.TransformSpec):
    """TFX's Transform spec with the analyzer cache's pointer file."""

    PARAMETERS = {
        **standard_component_specs.TransformSpec.PARAMETERS,
        CACHE_POINTER_KEY: ExecutionParameter(type=str, optional=True),
    }
