"""`kubecapture.console`, the name mkdocs.yml files use; the code is kubecapture.site.console."""

from .site.console import formatter, validator  # noqa: F401
