"""TFX's StatisticsGen reading its examples with TensorFlow's TFRecord reader.

Public face: ``StatisticsGen`` (the component).
"""

from components import public_face

_EXPORTS = {"StatisticsGen": "component"}
__all__ = list(_EXPORTS)
__getattr__ = public_face(__name__, _EXPORTS)
