"""TFX Trainer with the candidate corpus as an extra input.

Public face: ``RetrievalTrainer`` (the component).
"""

from components import public_face

_EXPORTS = {"RetrievalTrainer": "component"}
__all__ = list(_EXPORTS)
__getattr__ = public_face(__name__, _EXPORTS)
