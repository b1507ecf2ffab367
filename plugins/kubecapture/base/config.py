"""The plugin's options: one schema (the `Config` class) and one way to read them.

The plugin, the `kubecapture` CLI and the `kubecapture.fence` extension (Zensical) all get
their options and defaults here, from the site's mkdocs.yml as MkDocs reads it (`!ENV`
and all): the plugin's entry, or else the fence extension's. Knows nothing of execution.
"""

from __future__ import annotations

import copy
import functools
import math
import os
import re
from pathlib import Path

from mkdocs.config import base, load_config
from mkdocs.config import config_options as c
from mkdocs.config.base import ValidationError
from mkdocs.exceptions import ConfigurationError

MODES = ("auto", "replay", "refresh")


class Number(c.OptionallyRequired):
    """A number within bounds, in one sentence when it is not: a bool, NaN, infinity or
    a value out of range would otherwise reach kubectl or the Kubernetes client (whose
    own check fails with a traceback)."""

    def __init__(self, default, *, low: float, high: float, above: bool = False, whole=False):
        super().__init__(default=default)
        self.low, self.high, self.above, self.whole = low, high, above, whole

    def run_validation(self, value):
        kind = "a whole number" if self.whole else "a number"
        if self.above:
            expected = f"{kind} above {self.low} and at most {self.high}"
        else:
            expected = f"{kind} from {self.low} to {self.high}"
        ok_type = isinstance(value, int) or (not self.whole and isinstance(value, float))
        if isinstance(value, bool) or not ok_type or not math.isfinite(value):
            raise ValidationError(f"must be {expected}, not {_shown(value)}")
        if value < self.low or (self.above and value == self.low) or value > self.high:
            raise ValidationError(f"must be {expected}, not {value}")
        return value


class Text(c.OptionallyRequired):
    """A string of at most `limit` characters with no control characters (they would
    reach kubectl's arguments, file names or the author's terminal)."""

    def __init__(self, default=None, *, limit: int = 1000, suffix: str | None = None):
        super().__init__(default=default)
        self.limit, self.suffix = limit, suffix

    def run_validation(self, value):
        if not isinstance(value, str):
            raise ValidationError(f"must be a string, not {_shown(value)}")
        if len(value) > self.limit:
            raise ValidationError(f"must be at most {self.limit} characters, not {len(value)}")
        if _CONTROL.search(value):
            raise ValidationError("must not hold control characters")
        if self.suffix and not value.endswith(self.suffix):
            raise ValidationError(f"must name a {self.suffix} file, not {_shown(value)}")
        return value


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class KubeCaptureConfig(base.Config):
    """Every option and its default, stated here only: planning.Settings, the fence and
    render take theirs from this class (`default`)."""

    enabled = c.Type(bool, default=True)
    # auto: replay valid captures, run the rest live when a cluster is allowed and reachable;
    # replay: never contact a cluster; refresh: re-run every page. Env KUBECAPTURE_MODE wins.
    mode = c.Choice(MODES, default="auto")
    context = c.Optional(Text())
    # Local clusters only, by default: a build never runs the notes against a shared one.
    allow_contexts = c.ListOfItems(
        Text(),
        default=[
            "minikube",
            "kind-*",
            "docker-desktop",
            "k3d-*",
            "rancher-desktop",
            "orbstack",
            "colima",
        ],
    )
    kubectl = c.Optional(Text())
    captures_dir = Text(default="snippets/captures")
    timeout = Number(60, low=0, above=True, high=3600)  # as a fence's `timeout`
    connect_timeout = Number(3, low=0, above=True, high=300)
    jobs = Number(0, low=0, high=256, whole=True)  # 0: a sensible default from the CPU count
    transcripts = c.Type(bool, default=False)
    fold = Number(40, low=0, high=99999, whole=True)  # as a fence's `fold`
    sandbox = c.Type(bool, default=False)
    keep_sandbox = c.Type(bool, default=False)
    settle_timeout = Number(120, low=0, above=True, high=3600)
    report_page = c.Optional(Text(suffix=".md"))
    # Live outputs kept per snippet across cluster versions (0: all); imported ones stay.
    keep_versions = Number(5, low=0, high=1000, whole=True)
    # kube context -> the author's description of that cluster, shown with its outputs.
    context_notes = c.DictOfItems(Text(), default={})
    # Search: Japanese queries as readers type them (search_rank.py); the pages of
    # search_last (paths in docs/, a folder ending in /) come last among equal matches.
    search_rank = c.Type(bool, default=True)
    search_last = c.ListOfItems(c.Type(str), default=[])
    # Parsed capture files and rendered snippets kept between builds (readcache.py,
    # rendercache.py), as Material keeps its own.
    cache = c.Type(bool, default=True)
    cache_dir = Text(default=".cache/plugin/kubecapture")


OPTION_NAMES = frozenset(name for name, _ in KubeCaptureConfig._schema)


class OptionsError(ValueError):
    """Options that do not validate; the message is one sentence naming the file."""


def validated(options: dict, source: str) -> KubeCaptureConfig:
    """`options` (the plugin's names; others are ignored) checked and completed with the
    defaults by the plugin's own schema. Raises OptionsError naming `source`."""
    config = KubeCaptureConfig(config_file_path=source)
    config.load_dict({k: v for k, v in (options or {}).items() if k in OPTION_NAMES})
    errors, _warnings = config.validate()
    if errors:
        name, error = errors[0]
        raise OptionsError(f"{source}: kubecapture option {name}: {error}")
    return config


def load_site(config_file: Path):
    """(kubecapture options, the MkDocs config) of the site whose mkdocs.yml is
    `config_file`: MkDocs loads it (so `!ENV` and every tag work), and the plugin's entry,
    else the fence extension's options, go through the plugin's schema. Raises
    OptionsError in one sentence."""
    try:
        site = load_config(config_file=str(config_file))
    except (ConfigurationError, OSError) as e:
        raise OptionsError(f"{config_file}: {str(e).strip() or type(e).__name__}") from None
    plugin = site.plugins.get("kubecapture")
    if plugin is not None:
        return plugin.config, site
    return validated(site.mdx_configs.get("kubecapture.fence") or {}, str(config_file)), site


@functools.cache
def _cached_site_options(config_file: Path, stamp: tuple[int, int]) -> KubeCaptureConfig:
    return load_site(config_file)[0]


def options_beside(root: Path) -> KubeCaptureConfig | None:
    """The plugin's options in the mkdocs.yml in `root` (read once while it is unchanged),
    for the fence extension under Zensical, which hands extensions no plugin options;
    None without such a file."""
    path = root / "mkdocs.yml"
    try:
        st = path.stat()
    except OSError:
        return None
    return _cached_site_options(path, (st.st_mtime_ns, st.st_size))


def defaults() -> KubeCaptureConfig:
    return validated({}, "(defaults)")


@functools.cache
def _default_values() -> dict:
    return dict(defaults())


def default(name: str):
    """The schema's default for option `name`, as validated (a copy: a list or dict
    default is never shared)."""
    return copy.deepcopy(_default_values()[name])


def effective_mode(configured: str) -> str:
    """KUBECAPTURE_MODE overrides the configured mode."""
    mode = os.environ.get("KUBECAPTURE_MODE", "").strip().lower() or configured
    if mode not in MODES:
        raise ValueError(
            f'KUBECAPTURE_MODE="{mode}" is not a kubecapture mode; use one of {", ".join(MODES)}'
        )
    return mode
