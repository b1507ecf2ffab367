"""kubecapture: run kubectl snippets at build time, record the output, replay it anywhere."""

import logging
from pathlib import Path

from .terminal import Printable

# Under MkDocs' logger tree, so `mkdocs build --strict` counts the plugin's warnings.
# Every message is made printable first: its arguments may come from someone else.
log = logging.getLogger("mkdocs.plugins.kubecapture")
log.addFilter(Printable())

# The CSS, script and offline search shim the plugin adds to a site.
ASSETS = Path(__file__).parent / "assets"
