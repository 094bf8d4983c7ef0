"""VersionedPusher: atomic pushes of blessed models into TF Serving's layout."""

from components.versioned_pusher.publish import latest_pushed_model

__all__ = ["latest_pushed_model"]
