"""VersionedPusher: atomic pushes of blessed models into TF Serving's layout.

Public face: ``VersionedPusher`` (the component), ``is_complete`` and
``latest_pushed_model`` (reading a push destination), and
``remove_staging_folders`` (what killed pushes left, removed).
"""

from components import public_face

_EXPORTS = {
    "VersionedPusher": "component",
    "is_complete": "publish",
    "latest_pushed_model": "publish",
    "remove_staging_folders": "publish",
}
__all__ = list(_EXPORTS)
__getattr__ = public_face(__name__, _EXPORTS)
