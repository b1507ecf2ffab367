"""Search from file:// with no network: serve Material's iframe-worker shim from the site.

Material's `offline` plugin makes a site work from disk, but it loads the shim that
lets search run there (the npm package iframe-worker) from unpkg.com. When that plugin
is enabled, kubecapture points the polyfill at its own vendored copy instead (whichever
of the two plugins configures first) and adds the file, with its license, to the site.
"""

from __future__ import annotations

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
