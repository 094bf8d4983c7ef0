"""RetrainGate and RetrainRecord: a scheduled run that finds nothing new trains nothing.

``RetrainGate`` runs first and decides, from the window of spans the
ExampleGen would read, the settings' and the code's fingerprints and the
record of the last completed run (``state``), whether the run goes on; the
pipeline puts every other component under a TFX ``Cond`` on its decision
(a KFP trigger condition on a cluster). ``RetrainRecord`` runs last and
records what the run was made of. The local ``retrain`` and a scheduled
Kubeflow run use the same two components and the same record, kept under
the pipeline root.

Public face: ``RetrainGate``, ``RetrainRecord``, ``RetrainDecision`` (the
gate's artifact type) and ``RUN_PROPERTY`` (its property the condition reads).
"""

from components import public_face

_EXPORTS = {
    "RetrainGate": "component",
    "RetrainRecord": "component",
    "RetrainDecision": "component",
    "RUN_PROPERTY": "component",
}
__all__ = list(_EXPORTS)
__getattr__ = public_face(__name__, _EXPORTS)
