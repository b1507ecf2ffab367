"""Shared basics every package may use (options, snippets, text, HTML), and the logger.

Under MkDocs' logger tree, so `mkdocs build --strict` counts the plugin's warnings. Every
message is made printable first: its arguments may come from someone else.
"""

import logging

from .terminal import Printable

log = logging.getLogger("mkdocs.plugins.kubecapture")
log.addFilter(Printable())
