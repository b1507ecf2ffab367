"""Search from file:// with no network: serve Material's iframe-worker shim from the site.

Material's `offline` plugin makes a site work from disk, but it loads the shim that
lets search run there (the npm package iframe-worker) from unpkg.com. When that plugin
is enabled, kubecapture points the polyfill at its own vendored copy instead (whichever
of the two plugins configures first) and adds the file, with its license, to the site.
It also makes the links of `404.html` relative (MkDocs writes them from the root `/`),
so that page keeps its styles from disk too.
"""

from __future__ import annotations

import re

from mkdocs.structure.files import File

from . import ASSETS

SHIM = "assets/iframe-worker-shim.js"  # the name must contain "iframe-worker" (see below)
FILES = {
    SHIM: ASSETS / "iframe-worker-shim.js",
    "assets/iframe-worker-LICENSE.txt": ASSETS / "iframe-worker-LICENSE.txt",
}


def offline_enabled(config) -> bool:
    """Material's offline plugin is in the site and enabled (e.g. by an !ENV toggle)."""
    for plugin in config.plugins.values():
        if type(plugin).__module__.startswith("material.plugins.offline"):
            return bool(plugin.config.enabled)
    return False


def use_local_shim(config) -> bool:
    """Replace any iframe-worker polyfill with the site's own copy. Material's offline
    plugin only adds its CDN URL when no polyfill URL mentions "iframe-worker", so this
    holds whether it configures before or after kubecapture. True if the site needs the
    files of `shim_files`."""
    if not offline_enabled(config):
        return False
    polyfills = [p for p in config.extra.get("polyfills") or [] if "iframe-worker" not in str(p)]
    config.extra["polyfills"] = [*polyfills, SHIM]
    return True


def shim_files(config) -> list[File]:
    return [File.generated(config, uri, abs_src_path=str(src)) for uri, src in FILES.items()]


# A root-relative URL in an attribute (not a protocol-relative `//host`), and the root in
# Material's page configuration.
_ROOT_URL = re.compile(r'\b(href|src)="/(?!/)')
_CONFIG_ROOT = re.compile(r'("(?:base|search)": ")/(?!/)')


def relative_to_root(html: str) -> str:
    """A page at the site's root (MkDocs renders `404.html` with links from `/`) with its
    links relative instead: opened from disk, `/assets/...` would be the disk's root and
    the page would show without its styles, scripts and navigation."""
    html = _ROOT_URL.sub(r'\1="', html)
    return _CONFIG_ROOT.sub(lambda m: m[1] + ("" if m[1].startswith('"search') else "."), html)
