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

from ..base import plainyaml
from ..base.snippets import FRONT_MATTER, SnippetError
from . import allowlist

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
    # creating or changing Roles, RoleBindings, ClusterRoles, ClusterRoleBindings
    allow_rbac = Flag()
    # reading Secrets outside the page's own namespaces (its sandbox, those it creates)
    allow_other_secrets = Flag()

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
    try:
        written, _ = front_matter(markdown)
    except FrontMatterRefused as e:
        raise SnippetError(page, e.line, f"front matter: {e.reason}") from None
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


class FrontMatterRefused(ValueError):
    """A `kubecapture:` block not written literally, or front matter beyond the bounds;
    `line` is the page's line."""

    def __init__(self, line: int, reason: str):
        super().__init__(reason)
        self.line = line
        self.reason = reason


# Front matter nested deeper than this is refused (PyYAML's composer raised
# RecursionError at about a thousand levels and stopped the build); the options need 3.
MAX_FRONT_MATTER_DEPTH = 64
_OPTIONS_DEPTH = 3


def front_matter(markdown: str) -> tuple[dict, int]:
    """The page's kubecapture options as written (`kubecapture:` in its front matter) and
    where the front matter ends (0 without one). Broken front matter reads as none:
    MkDocs and Zensical report it themselves.

    Permissions count only when a reviewer reads them as they count: the block is read
    from the parser's events (never PyYAML's composer, so depth costs no recursion), and
    FrontMatterRefused is raised when the key `kubecapture` or anything under it is not
    written literally (escapes, line folding, block scalars, tags, anchors, aliases, a
    duplicate key), when the top level merges another mapping in (`<<`) or takes a key
    from an alias, or when the front matter nests deeper than MAX_FRONT_MATTER_DEPTH."""
    m = FRONT_MATTER.match(markdown)
    if not m:
        return {}, 0
    try:
        options = _kubecapture_block(m.group(1))
    except _Refused as e:
        raise FrontMatterRefused(e.line + 1, e.reason) from None  # +1: the `---` line
    except yaml.YAMLError:
        return {}, 0
    return options, m.end()


class _Refused(Exception):
    def __init__(self, event, reason: str):
        self.line = event.start_mark.line + 1
        self.reason = reason


def _kubecapture_block(text: str) -> dict:
    loader = yaml.SafeLoader(text)  # pure Python: its marks index the text itself
    try:
        get, check = loader.get_event, loader.check_event
        get()  # stream start
        if check(yaml.StreamEndEvent):
            return {}
        get()  # document start
        if not check(yaml.MappingStartEvent):
            _skip(loader, 0)
            return {}
        get()
        options = None
        while not check(yaml.MappingEndEvent):
            key = get()
            if isinstance(key, yaml.AliasEvent):
                raise _Refused(key, "a key of the front matter is an alias; write it out")
            if not isinstance(key, yaml.ScalarEvent):
                _skip(loader, 1, first=key)  # a complex key, then its value
                _skip(loader, 1)
                continue
            if key.value == "<<" and key.style is None:
                raise _Refused(key, "the front matter merges another mapping in (<<)")
            if key.value != "kubecapture":
                _skip(loader, 1)
                continue
            if options is not None:
                raise _Refused(key, "kubecapture: is given twice in the front matter")
            _literal(key, text, "the key kubecapture")
            options = _literal_value(loader, text, 1)
        return options if isinstance(options, dict) else {}
    finally:
        loader.dispose()


def _skip(loader, depth: int, first=None) -> None:
    """Read past one node (its first event given or next), bounding its depth."""
    open_ = 0
    while True:
        event = first if first is not None else loader.get_event()
        first = None
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            open_ += 1
            if depth + open_ > MAX_FRONT_MATTER_DEPTH:
                raise _Refused(
                    event, f"the front matter nests deeper than {MAX_FRONT_MATTER_DEPTH} levels"
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            open_ -= 1
        if open_ == 0:
            return


def _literal(event, text: str, what: str) -> None:
    """Refuse a scalar whose value is not its text as written: a reviewer reading the
    diff would read something else than what counts."""
    source = text[event.start_mark.index : event.end_mark.index]
    if event.style in ('"', "'"):
        source = source[1:-1]
    elif event.style is not None:
        source = None  # a block scalar (| or >)
    if event.anchor is not None or event.tag is not None or source != event.value:
        raise _Refused(
            event,
            f"{what} is not written literally (escapes, folded lines, block scalars, tags, "
            "anchors and aliases are refused in kubecapture: so that the pull request shows "
            "each permission as it counts)",
        )


def _literal_value(loader, text: str, depth: int):
    """The next node, every part of it written literally, as yaml.safe_load reads it."""
    event = loader.get_event()
    if isinstance(event, yaml.AliasEvent):
        raise _Refused(event, f"an alias (*{event.anchor}) in kubecapture: is refused")
    if isinstance(event, yaml.ScalarEvent):
        _literal(event, text, f"{event.value[:40]!r}")
        return plainyaml.scalar(event, loader.resolve, loader.yaml_constructors, loader)
    if depth > _OPTIONS_DEPTH:
        raise _Refused(event, "kubecapture: nests deeper than its options do")
    if event.anchor is not None or event.tag is not None:
        raise _Refused(event, "an anchor or a tag in kubecapture: is refused")
    if isinstance(event, yaml.SequenceStartEvent):
        items = []
        while not loader.check_event(yaml.SequenceEndEvent):
            items.append(_literal_value(loader, text, depth + 1))
        loader.get_event()
        return items
    out: dict = {}
    while not loader.check_event(yaml.MappingEndEvent):
        key_event = loader.peek_event()
        if not isinstance(key_event, yaml.ScalarEvent):
            raise _Refused(key_event, "a key in kubecapture: that is not a plain word")
        key = _literal_value(loader, text, depth + 1)
        if key in out:
            raise _Refused(key_event, f"the key {key} is given twice in kubecapture:")
        out[key] = _literal_value(loader, text, depth + 1)
    loader.get_event()
    return out


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
