"""`kubecapture.fence`, the name mkdocs.yml files use: the Markdown extension and the fence's
validator and formatter, which live in kubecapture.site.extension and kubecapture.site.fence."""

from .site.extension import makeExtension  # noqa: F401
from .site.fence import formatter, validator  # noqa: F401
