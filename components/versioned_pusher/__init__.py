"""VersionedPusher: atomic pushes of blessed models into TF Serving's layout."""

from components.versioned_pusher.publish import is_complete, latest_pushed_model

__all__ = ["is_complete", "latest_pushed_model"]
