"""The site: MkDocs hooks, the Markdown extension, fences, rendering, search, offline."""

from pathlib import Path

from ..base import log  # noqa: F401  (the site's modules log through `from . import log`)

# The CSS, script and offline search shim the plugin adds to a site.
ASSETS = Path(__file__).parent / "assets"
