"""The site as `kubecapture share` and `kubecapture handout` see it: what its mkdocs.yml
sets up (theme, offline plugin, fonts), the pages of its nav (or of one of its sections)
and a replay build of it into a folder of their own (never the site's `site/`, where an
earlier handout or the author's own files may be).

Any site that uses the plugin: what a site lacks for a command is said in one sentence
that names what to add to mkdocs.yml.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.structure.files import get_files

from ..base.config import OptionsError, load_site


class SiteError(Exception):
    """What keeps a command from working on this site, in one sentence."""


@dataclass
class SiteInfo:
    config_file: Path
    theme: str  # "material", "mkdocs", ...
    offline: bool | None  # Material's offline plugin: enabled, disabled (False), absent (None)
    font: object  # theme.font: False, or Material's Google Fonts setting
    language: str
    docs_dir: Path
    captures_dir: Path
    pages: list[tuple[str, str]]  # (Markdown page, built HTML page) in the nav's order
    html: dict[str, str] = field(default_factory=dict)  # every Markdown page -> its HTML
    sections: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # title -> pages
    javascript: list[str] = field(default_factory=list)  # extra_javascript paths


def read(config_file: Path) -> SiteInfo:
    """The site's setup as MkDocs reads mkdocs.yml; SiteError when it cannot be read."""
    if not config_file.is_file():
        raise SiteError(f"{config_file} not found (use -f to name the site's mkdocs.yml)")
    try:
        options, config = load_site(config_file)
    except OptionsError as e:
        raise SiteError(str(e)) from None
    theme = config.theme
    offline = None
    for name, plugin in config.plugins.items():
        if type(plugin).__module__.startswith("material.plugins.offline") or name.endswith(
            "/offline"
        ):
            offline = bool(plugin.config.enabled)
    # Material's offline plugin builds pages as `page.html`, not `page/index.html`.
    directory_urls = config.use_directory_urls and not offline
    config.use_directory_urls = directory_urls
    files = get_files(config)
    html = {f.src_uri: f.dest_uri for f in files.documentation_pages()}
    if config.nav:
        pages, sections = _walk(config.nav, html)
    else:
        pages, sections = [(src, html[src]) for src in html], {}
    return SiteInfo(
        config_file=config_file,
        theme=theme.name or "",
        offline=offline,
        font=theme.get("font", None),
        language=str(theme.get("language") or "en"),
        docs_dir=Path(config.docs_dir),
        captures_dir=config_file.parent / options["captures_dir"],
        pages=pages,
        sections=sections,
        html=html,
        javascript=[str(getattr(s, "path", s)) for s in config.extra_javascript],
    )


def _walk(nav, html: dict[str, str]):
    """The pages of a nav (in order) and of each of its sections, by title (a nested
    section also by its path of titles, `コース/基礎`)."""
    pages: list[tuple[str, str]] = []
    sections: dict[str, list[tuple[str, str]]] = {}

    def walk(items, titles: tuple[str, ...]) -> list[tuple[str, str]]:
        found = []
        for item in items if isinstance(items, list) else [items]:
            title, value = (None, item) if not isinstance(item, dict) else next(iter(item.items()))
            if isinstance(value, list):
                inner = walk(value, (*titles, str(title)))
                sections.setdefault(str(title), inner)
                sections["/".join((*titles, str(title)))] = inner
                found += inner
            elif isinstance(value, str) and value.replace("\\", "/") in html:
                src = value.replace("\\", "/")
                found.append((src, html[src]))
        return found

    pages = walk(nav, ())
    return pages, sections


def section_pages(site: SiteInfo, section: str | None) -> list[tuple[str, str]]:
    """The nav's pages, or a section's; SiteError naming the sections there are."""
    if section is None:
        return site.pages
    if section in site.sections:
        return site.sections[section]
    if not site.sections:
        raise SiteError(
            f"{site.config_file} has no nav sections to choose {section!r} from: give the "
            "pages instead, or add a section to `nav:` (- Course: [a.md, b.md])"
        )
    known = ", ".join(repr(s) for s in site.sections if "/" not in s)
    raise SiteError(f"the nav of {site.config_file} has no section {section!r} (it has {known})")


def named_pages(site: SiteInfo, names: list[str]) -> list[tuple[str, str]]:
    """Pages named by their Markdown path under docs/ (`course/01-intro.md`) or by their
    built HTML path; SiteError naming the first unknown one."""
    by_html = {h: (src, h) for src, h in site.html.items()}
    out = []
    for name in names:
        name = name.replace("\\", "/").removeprefix("./")
        docs = site.docs_dir.name + "/"
        if name.startswith(docs) and name.removeprefix(docs) in site.html:
            name = name.removeprefix(docs)
        if name in site.html:
            out.append((name, site.html[name]))
        elif name in by_html:
            out.append(by_html[name])
        else:
            raise SiteError(f"no page {name} in {site.docs_dir} (name it as under docs/: a.md)")
    return out


def build(config_file: Path, site_dir: Path, extra_env: dict[str, str] | None = None) -> None:
    """`mkdocs build --strict` in replay mode (the committed captures, no cluster) into
    `site_dir`; SiteError (with MkDocs' own last lines) when it fails."""
    env = dict(os.environ, KUBECAPTURE_MODE="replay", NO_MKDOCS_2_WARNING="1")
    env.update(extra_env or {})
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"]
    cmd += ["-f", str(config_file), "-d", str(site_dir.resolve())]
    done = subprocess.run(
        cmd, cwd=config_file.parent, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-8:])
        raise SiteError(f"`mkdocs build --strict` (replay mode) failed:\n{tail}")
