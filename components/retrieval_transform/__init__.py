"""TFX's Transform with tf.Transform's analyzer cache keyed by span content.

Public face: ``RetrievalTransform`` (the component) and ``ANALYZER_CACHE_PROPERTY``
(the custom property of its ``transform_graph`` saying what came from the cache).
"""

from components import public_face

_EXPORTS = {"RetrievalTransform": "component", "ANALYZER_CACHE_PROPERTY": "spec"}
__all__ = list(_EXPORTS)
__getattr__ = public_face(__name__, _EXPORTS)
