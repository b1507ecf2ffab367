"""`make share`: zip a site built for file:// and check it needs no network.

    python -m kubecapture.share [SITE_DIR] [ZIP] [--with DIR]...
                                                   (defaults: site, site.zip)

The site must have been built with Material's offline plugin enabled (`make share`
sets KUBECAPTURE_OFFLINE=true), which makes links work from disk and inlines the search
index; kubecapture serves the search shim from the site itself (see offline.py).
Refuses (exit 1, one line per problem) a site that would load anything from the
network, or whose search cannot work from disk. The zip holds the folder `site/` and
each `--with` folder under its own relative path (`make share` adds `snippets/manifests`,
so attendees run `kubectl apply -f snippets/manifests/pod.yaml` from the unzipped folder
as the notes do from the repository), with fixed timestamps: the same files always give
the same bytes.
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


def extra_problems(extra: list[Path]) -> list[str]:
    """Why a `--with` folder cannot go into the zip (empty when every one can)."""
    out = []
    for folder in extra:
        if folder.is_absolute() or ".." in folder.parts:
            out.append(f"{folder}: give a folder inside the current one (it keeps its path)")
        elif not folder.is_dir():
            out.append(f"{folder}: no such folder")
    return out


def write_zip(site: Path, out: Path, folder: str = "site", extra: list[Path] = ()) -> int:
    """Zip every file of `site` under `folder/`, and of each `extra` folder under its own
    (relative) path, sorted, with fixed timestamps."""
    entries = [(f"{folder}/{p.relative_to(site).as_posix()}", p) for p in _files(site)]
    entries += [(p.as_posix(), p) for d in extra for p in _files(d)]
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, path in sorted(entries):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, path.read_bytes())
    tmp.replace(out)
    return len(entries)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


USAGE = "usage: python -m kubecapture.share [SITE_DIR] [ZIP] [--with DIR]...\n"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    extra: list[Path] = []
    while "--with" in args:
        at = args.index("--with")
        if at + 1 >= len(args) or args[at + 1].startswith("-"):
            sys.stderr.write(USAGE)
            return 2
        extra.append(Path(args[at + 1]))
        del args[at : at + 2]
    if len(args) > 2 or any(a.startswith("-") for a in args):
        sys.stderr.write(USAGE)
        return 2
    site = Path(args[0] if args else "site")
    out = Path(args[1] if len(args) > 1 else "site.zip")
    found = problems(site) + extra_problems(extra)
    if found:
        for line in found:
            sys.stderr.write(f"share: {line}\n")
        return 1
    count = write_zip(site, out, extra=extra)
    sys.stdout.write(
        f"{out}: {count} files; unzip it and open site/index.html (works offline, "
        "search included)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
