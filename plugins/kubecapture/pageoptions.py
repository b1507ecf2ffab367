"""A page's own options: `kubecapture:` in its front matter, read and checked here only.

The plugin and the CLI (through planning.py) and the `kubecapture.fence` extension's
plain-Markdown path all read them with `read`: a typed schema (a mkdocs `Config`, as
Material's blog reads a post's metadata), so every path gets the same values and the
same page key. A value that does not validate is a SnippetError naming page and line.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError

from . import allowlist
from .snippets import SnippetError

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


class Flag(c.BaseConfigOption[bool]):
    """true or false; anything else (`"yes"`, `1`, `null`) is a mistake."""

    def __init__(self, default: bool = False):
        super().__init__()
        self.default = default

    def run_validation(self, value):
        if isinstance(value, bool):
            return value
        raise ValidationError(" must be true or false")


class Sandbox(Flag):
    """`true` (a namespace named after the page), `NAME` (a namespace of that name) or
    `false` (no sandbox); the default is the site's `sandbox` option (given to `read`)."""

    def run_validation(self, value):
        if not isinstance(value, str):
            return super().run_validation(value)
        if not _DNS_LABEL.match(value) or value.startswith("kube-") or value == "default":
            raise ValidationError(
                f' "{value}" is not a usable namespace name '
                "(lower-case letters, digits and '-', at most 63, not default or kube-*)"
            )
        return value


class Allow(c.BaseConfigOption[frozenset]):
    """`allow: ["kubectl create clusterrolebinding", ...]`: the opt-in commands a page
    runs. Each must name an opt-in command of the allowlist exactly."""

    def __init__(self):
        super().__init__()
        self.default = []

    def run_validation(self, value):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError(' must be a list such as ["kubectl drain"]')
        data = allowlist.default()
        opt_ins = {c.name: c for c in data.commands.values() if c.opt_in}
        for entry in value:
            name = " ".join(entry.split())
            if name in opt_ins:
                continue
            known = {c.name: c for c in data.commands.values()}
            if name in known and known[name].allowed:
                why = "it runs without being listed"
            elif name in known:
                why = f"it never runs in a snippet ({known[name].why or 'not in the allowlist'})"
            else:
                why = "it is not a kubectl command"
            raise ValidationError(
                f': "{entry}" cannot be allowed: {why}; the commands a page may opt in to '
                f"are: {', '.join(sorted(opt_ins))}"
            )
        return frozenset(" ".join(v.split()) for v in value)


class PageOptions(base.Config):
    """The validated options; each error message goes on from `kubecapture.<name>`."""

    sandbox = Sandbox()
    allow_destructive = Flag()
    allow = Allow()

    def namespace(self, page: str) -> str | None:
        """The page's sandbox namespace (None without a sandbox)."""
        if isinstance(self.sandbox, str):
            return self.sandbox
        return sandbox_name(page) if self.sandbox else None

    def key_options(self, page: str) -> dict:
        """What of these options goes into the page key (snippets.page_key): whatever
        changes the outputs."""
        namespace = self.namespace(page)
        out: dict = {"sandbox": namespace is not None}
        if namespace is not None and namespace != sandbox_name(page):
            out["namespace"] = namespace  # a chosen name changes the outputs
        return out


NAMES = tuple(name for name, _ in PageOptions._schema)


def read(markdown: str, page: str, sandbox: bool = False) -> PageOptions:
    """The page's options, checked; `sandbox` is the site's default for the page's own.
    Raises SnippetError at the line that names the first bad option."""
    written, _ = front_matter(markdown)
    for key in written:  # unknown keys are mistakes, not silence
        if key not in NAMES:
            raise SnippetError(
                page,
                line_naming(markdown, str(key)),  # a key YAML read as a number: 1: x
                f"unknown front matter option kubecapture.{key} (known: {', '.join(NAMES)})",
            )
    if not written:
        return _site_default(sandbox)  # most pages: validated once per build, not per page
    options, errors = _validated({"sandbox": sandbox, **written})
    if errors:
        key, error = errors[0]
        raise SnippetError(
            page, line_naming(markdown, key), f"front matter kubecapture.{key}{error}"
        )
    return options


def _validated(written: dict) -> tuple[PageOptions, list]:
    options = PageOptions()
    options.load_dict(written)
    errors, _warnings = options.validate()
    return options, errors


@functools.cache
def _site_default(sandbox: bool) -> PageOptions:
    """The options of a page that sets none (read only, so one object serves them all)."""
    return _validated({"sandbox": sandbox})[0]  # a bool is a valid `sandbox`


def front_matter(markdown: str) -> tuple[dict, int]:
    """The page's kubecapture options as written (`kubecapture:` in its front matter) and
    where the front matter ends (0 without one). Broken front matter reads as none:
    MkDocs and Zensical report it themselves."""
    m = re.match(r"^---[ \t]*\n(.*?\n)---[ \t]*\n", markdown, re.S)
    if not m:
        return {}, 0
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError:
        return {}, 0
    options = data.get("kubecapture") if isinstance(data, dict) else None
    return (options if isinstance(options, dict) else {}), m.end()


def line_naming(markdown: str, key: str) -> int:
    """The first line of the page that names `key`, else the `kubecapture:` line (a key
    YAML read as true or null is written otherwise), else 1; for messages."""
    lines = list(enumerate(markdown.splitlines(), 1))
    for word in (key, "kubecapture:"):
        found = next((i for i, text in lines if word in text), None)
        if found is not None:
            return found
    return 1


def sandbox_name(page: str) -> str:
    """The namespace of `sandbox: true`: named after the page."""
    slug = re.sub(r"[^a-z0-9]+", "-", Path(page).with_suffix("").as_posix().lower()).strip("-")
    return f"kc-{slug}"[:63].rstrip("-")
