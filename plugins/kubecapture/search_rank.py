"""Search: pages that contain the whole query first (assets/search-rank.js).

Material's search ORs the parts of a Japanese compound, so pages that contain only a
part can rank above the page that contains the whole word. The script re-orders
Material's results in the page (it wraps the search worker), which works the same over
HTTP and from file://, where the worker runs in the iframe-worker shim: it is loaded as
a polyfill after that shim.
"""

from __future__ import annotations

from mkdocs.structure.files import File

from . import ASSETS

SCRIPT = "assets/search-rank.js"


def has_search(config) -> bool:
    return any(name.split("/")[-1] == "search" for name in config.plugins)


def use(config) -> bool:
    """Load the script last among the polyfills (after any iframe-worker shim, whose Worker
    it wraps). True if the site has search, and so needs the file of `files`."""
    if not has_search(config):
        return False
    polyfills = [p for p in config.extra.get("polyfills") or [] if str(p) != SCRIPT]
    config.extra["polyfills"] = [*polyfills, SCRIPT]
    return True


def files(config) -> list[File]:
    return [File.generated(config, SCRIPT, abs_src_path=str(ASSETS / "search-rank.js"))]
