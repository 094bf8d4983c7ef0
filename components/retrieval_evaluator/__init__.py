"""RetrievalEvaluator: top-k metrics over the whole corpus, baselines, blessing.

Public face: ``RetrievalEvaluator`` (the component), ``Settings`` (its
settings), ``load_metrics`` and ``summary_lines`` (reading and printing its
``metrics.json``), and the names in ``spec`` (keys, baseline names, query
times, metric names).
"""

from components import public_face

_EXPORTS = {
    "RetrievalEvaluator": "component",
    "Settings": "settings",
    "load_metrics": "report",
    "summary_lines": "report",
}
__all__ = [*_EXPORTS, "spec"]
__getattr__ = public_face(__name__, _EXPORTS)
