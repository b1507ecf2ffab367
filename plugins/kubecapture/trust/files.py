"""The local files a kubectl command reads: where a name points (one rule for `-f`,
`--from-file`, `--patch-file`...), and whether it is the notes' own content."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def located(name: str, workdir: Path) -> Path:
    """Where kubectl finds a file it is given: a relative name under `workdir` (commands run
    there), an absolute one as it is (pathlib's `/` keeps an absolute right-hand side)."""
    return workdir / name


class OutsideContent(ValueError):
    """A file kubectl would read is not the notes' own content."""


def content_roots(workdir: Path, dirs: tuple[Path, ...] = ()) -> tuple[Path, ...]:
    """The folders kubectl may read files from: by default the project's `docs/` and
    `snippets/` (resolved: a symlinked folder counts where it points)."""
    dirs = dirs or (workdir / "docs", workdir / "snippets")
    return tuple(resolved(d) or Path(os.path.abspath(d)) for d in dirs)


def resolved(path: Path) -> Path | None:
    """Where `path` leads once links are resolved; None for a loop of links (`a -> a`),
    which pathlib answers with a RuntimeError (a traceback in the build) rather than a
    path."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return None


def _leads_to(link: Path) -> Path:
    """Where a link leads, for messages: resolved, or as written when it loops."""
    return resolved(link) or Path(f"{os.readlink(link)} (a loop of links)")


def confine(name: str, workdir: Path, roots: tuple[Path, ...], *, recursive: bool) -> None:
    """Raise OutsideContent unless every file `name` makes kubectl read lies inside
    `roots` once links are resolved: no URL, no stdin, no hidden file or folder (`.git`),
    and in a directory every entry (every level with `recursive`) likewise."""
    if name == "-":
        raise OutsideContent("`-` reads stdin")
    if not name:
        raise OutsideContent("an empty file name")
    if URL.match(name):
        raise OutsideContent(f"{name} is a URL; only the notes' own files are read")
    path = located(name, workdir)
    _inside(path, roots, name)
    for entry in _entries(path, recursive) if path.is_dir() else ():
        _inside(entry, roots, name)


def _entries(top: Path, recursive: bool = True) -> Iterator[Path]:
    """Every file and folder under `top` (its own entries only, without `recursive`); links
    to folders are given but not walked (kubectl's walk does not walk them either)."""
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        yield from (Path(dirpath) / entry for entry in (*dirnames, *filenames))
        if not recursive:
            break
        dirnames[:] = [d for d in dirnames if not (Path(dirpath) / d).is_symlink()]


def links_leaving(dirs: tuple[Path, ...], roots: tuple[Path, ...]) -> list[tuple[Path, Path]]:
    """(link, where it leads) of every symbolic link under `dirs` that resolves outside
    `roots`: MkDocs copies what docs/ links to into the site, and pymdownx.snippets
    includes what a link in snippets/ leads to (`--8<--`), whatever it is (the build's
    /proc/self/environ, ~/.kube/config). Links to folders are checked, not walked."""
    out = []
    for top in dict.fromkeys(resolved(d) for d in dirs if d.is_dir()):
        for path in _entries(top) if top else ():
            if not path.is_symlink():
                continue
            target = resolved(path)  # None: a loop, which leads nowhere inside
            if target is None or not any(target == r or r in target.parents for r in roots):
                out.append((path, _leads_to(path)))
    return out


def written_through_links(workdir: Path, folders) -> tuple[Path, Path] | None:
    """(link, where it leads) of the first symbolic link on the way from `workdir` to a
    folder the build writes (the site, the captures, the cache), or inside one: a pull
    request can add `.cache` or `site` as a link (`.gitignore` does not match a link), and
    the build would write, or MkDocs clean, where it leads. Folders outside `workdir` (a
    configured absolute path, `mkdocs serve`'s temporary site) are checked inside only."""
    top = Path(os.path.abspath(workdir))
    for folder in folders:
        if folder is None:
            continue
        folder = Path(os.path.abspath(folder))
        if top in folder.parents and (link := link_on_the_way(top, folder.relative_to(top).parts)):
            return link, _leads_to(link)
        inside = resolved(folder)
        found = links_leaving((folder,), (inside,)) if inside and folder.is_dir() else []
        if found:
            return found[0]
    return None


def link_on_the_way(top: Path, parts) -> Path | None:
    """The first symbolic link on the way from `top` down through `parts`, if any."""
    path = top
    for part in parts:
        path = path / part
        if path.is_symlink():
            return path
    return None


def _inside(path: Path, roots: tuple[Path, ...], name: str) -> None:
    target = resolved(path)
    if target is None:
        raise OutsideContent(f"{name} leads to a loop of links ({path})")
    for root in roots:
        if target == root or root in target.parents:
            parts = target.relative_to(root).parts
            if any(p.startswith(".") for p in parts):
                raise OutsideContent(f"{name} reaches the hidden file or folder {target}")
            if target.exists() and not (target.is_file() or target.is_dir()):
                raise OutsideContent(f"{name} is not a regular file ({target})")
            return
    raise OutsideContent(
        f"{name} resolves to {target}, outside the notes' content ("
        + ", ".join(str(r) for r in roots)
        + ")"
    )
