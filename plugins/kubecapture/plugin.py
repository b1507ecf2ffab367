"""Deprecated path: the plugin moved to kubecapture.site.plugin (kept for older installs)."""

from .site.plugin import KubeCapturePlugin  # noqa: F401
