"""ValidationGate: stops the pipeline before Transform when ExampleValidator found anomalies.

Public face: ``ValidationGate`` (the component) and ``DataValidationError``
(what it raises, listing the anomalies).
"""

from components import public_face

_EXPORTS = {"ValidationGate": "component", "DataValidationError": "component"}
__all__ = list(_EXPORTS)
__getattr__ = public_face(__name__, _EXPORTS)
