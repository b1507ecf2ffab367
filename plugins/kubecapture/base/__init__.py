"""Shared basics every package may use (options, snippets, text, HTML), and the logger:
under MkDocs' (--strict counts its warnings), every message made printable first."""

import logging

from .terminal import Printable

log = logging.getLogger("mkdocs.plugins.kubecapture")
log.addFilter(Printable())
