"""`make share`: zip a site built for file:// and check it needs no network.

    python -m kubecapture.share [SITE_DIR] [ZIP]      (defaults: site, site.zip)

The site must have been built with Material's offline plugin enabled (`make share`
sets KUBECAPTURE_OFFLINE=true), which makes links work from disk and inlines the search
index; kubecapture serves the search shim from the site itself (see offline.py).
Refuses (exit 1, one line per problem) a site that would load anything from the
network, or whose search cannot work from disk. The zip holds one folder, `site/`,
with fixed timestamps, so the same site always gives the same bytes.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

from .offline import SHIM

# Where a page pulls in a resource (not plain links, which a reader follows on purpose).
_RESOURCE = re.compile(
    r"<(?:script|img|iframe|source|audio|video)\b[^>]*?\bsrc=[\"']?(?P<src>[^\"' >]+)"
    r"|<link\b[^>]*?\bhref=[\"']?(?P<href>[^\"' >]+)",
    re.I,
)
_REMOTE = re.compile(r"^(?:https?:)?//", re.I)
_EPOCH = (1980, 1, 1, 0, 0, 0)


def problems(site: Path) -> list[str]:
    """Why `site` would not work from file:// with no network (empty when it would)."""
    out = []
    if not (site / "index.html").is_file():
        return [f"{site}/index.html not found: build the site first"]
    if not (site / "search" / "search_index.js").is_file():
        out.append(
            "search/search_index.js is missing: build with Material's offline plugin "
            "enabled (KUBECAPTURE_OFFLINE=true)"
        )
    if not (site / SHIM).is_file():
        out.append(
            f"{SHIM} is missing: the kubecapture plugin adds it when the offline plugin is enabled"
        )
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for m in _RESOURCE.finditer(text):
            url = m["src"] or m["href"]
            if _REMOTE.match(url) and not _is_hint(m.group(0)):
                out.append(f"{page.relative_to(site)}: loads {url} from the network")
    return out


def _is_hint(tag: str) -> bool:
    """<link rel="canonical|alternate|…"> names a URL without loading it."""
    rel = re.search(r"\brel=[\"']?([^\"'>]+)", tag, re.I)
    loads = {"stylesheet", "preload", "modulepreload", "icon", "manifest", "prefetch"}
    return bool(rel) and not (set(rel[1].lower().split()) & loads)


def write_zip(site: Path, out: Path, folder: str = "site") -> int:
    """Zip every file of `site` under `folder/`, sorted, with fixed timestamps."""
    files = sorted(p for p in site.rglob("*") if p.is_file())
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for path in files:
            info = zipfile.ZipInfo(f"{folder}/{path.relative_to(site).as_posix()}", _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, path.read_bytes())
    tmp.replace(out)
    return len(files)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 2 or any(a.startswith("-") for a in args):
        sys.stderr.write("usage: python -m kubecapture.share [SITE_DIR] [ZIP]\n")
        return 2
    site = Path(args[0] if args else "site")
    out = Path(args[1] if len(args) > 1 else "site.zip")
    found = problems(site)
    if found:
        for line in found:
            sys.stderr.write(f"share: {line}\n")
        return 1
    count = write_zip(site, out)
    sys.stdout.write(
        f"{out}: {count} files; unzip it and open site/index.html (works offline, "
        "search included)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
