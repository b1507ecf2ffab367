"""kubecapture: run kubectl snippets at build time, record the output, replay it anywhere."""

import logging
from pathlib import Path

# Under MkDocs' logger tree, so `mkdocs build --strict` counts the plugin's warnings.
log = logging.getLogger("mkdocs.plugins.kubecapture")

# The CSS, script and offline search shim the plugin adds to a site.
ASSETS = Path(__file__).parent / "assets"
