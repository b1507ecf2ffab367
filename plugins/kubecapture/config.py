"""The plugin's `mkdocs.yml` schema. Knows nothing of execution."""

from __future__ import annotations

import os

from mkdocs.config import base
from mkdocs.config import config_options as c

from .cluster import DEFAULT_ALLOWED_CONTEXTS

MODES = ("auto", "replay", "refresh")


class KubeCaptureConfig(base.Config):
    enabled = c.Type(bool, default=True)
    # auto: replay valid captures, run the rest live when a cluster is allowed and reachable;
    # replay: never contact a cluster; refresh: re-run every page. Env KUBECAPTURE_MODE wins.
    mode = c.Choice(MODES, default="auto")
    context = c.Optional(c.Type(str))
    allow_contexts = c.ListOfItems(c.Type(str), default=list(DEFAULT_ALLOWED_CONTEXTS))
    kubectl = c.Optional(c.Type(str))
    captures_dir = c.Type(str, default="snippets/captures")
    timeout = c.Type((int, float), default=60)
    connect_timeout = c.Type((int, float), default=3)
    jobs = c.Type(int, default=0)  # 0: a sensible default from the CPU count
    transcripts = c.Type(bool, default=False)
    fold = c.Type(int, default=40)
    sandbox = c.Type(bool, default=False)
    keep_sandbox = c.Type(bool, default=False)
    settle_timeout = c.Type((int, float), default=120)
    report_page = c.Optional(c.Type(str))
    # Search: pages that contain the whole query first (search_rank.py).
    search_rank = c.Type(bool, default=True)


def effective_mode(configured: str) -> str:
    """KUBECAPTURE_MODE overrides the configured mode."""
    mode = os.environ.get("KUBECAPTURE_MODE", "").strip().lower() or configured
    if mode not in MODES:
        raise ValueError(
            f'KUBECAPTURE_MODE="{mode}" is not a kubecapture mode; use one of {", ".join(MODES)}'
        )
    return mode
