"""The rolling window of spans: a resolver strategy giving the newest N spans of Examples.

Public face: ``LatestSpansStrategy``.
"""

from components import public_face

_EXPORTS = {"LatestSpansStrategy": "strategy"}
__all__ = list(_EXPORTS)
__getattr__ = public_face(__name__, _EXPORTS)
