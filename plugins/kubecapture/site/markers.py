"""Markers: a line `<!-- kubecapture: NAME -->` that stands for generated Markdown.

- `drift-report`: the change report (the page the plugin's `report_page` generates,
  which Zensical cannot generate); expanded by the plugin and by the extension;
- `allowlist`: the table of what snippets may run (allowlist.markdown_table); by the
  extension, which the notes' own site runs under the plugin too;
- `version-matrix`: every page's outputs by cluster version (matrix.py); by the plugin,
  which alone knows every page.

A marker shown in a code block (as a guide shows it) stays as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ..base.snippets import find_fences
from ..trust import allowlist

REPORT = re.compile(r"^\s*<!--\s*kubecapture:\s*drift-report\s*-->\s*$")
ALLOWLIST = re.compile(r"^\s*<!--\s*kubecapture:\s*allowlist\s*-->\s*$")
VERSION_MATRIX = re.compile(
    r"^[ \t]*<!--\s*kubecapture:\s*version-matrix\s*-->[ \t]*$", re.MULTILINE
)


def replace(lines: list[str], marker: re.Pattern, text: Callable[[], str]) -> list[str]:
    """`lines` with each line that `marker` matches outside a code block replaced by the
    lines of `text()` (called only when there is such a line)."""
    marked = [i for i, line in enumerate(lines) if marker.match(line)]
    if not marked:
        return lines
    fenced = set()
    for _lang, _info, _indent, opening, body in find_fences("\n".join(lines)):
        fenced.update(range(opening - 1, opening + len(body) + 1))
    marked = [i for i in marked if i not in fenced]
    if not marked:
        return lines
    expanded = text().rstrip("\n").split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        out += expanded if i in marked else [line]
    return out


def report_lines(
    lines: list[str],
    captures_dir: Path,
    lang: str,
    page: str,
    docs_dir: Path | None = None,
    directory_urls: bool = False,
) -> list[str]:
    """The drift report in place of its marker. `page` is where the page lives, `docs_dir`
    and `directory_urls` (the site's use_directory_urls) where the pages it links to are,
    for the report's links."""
    return replace(
        lines,
        REPORT,
        lambda: report_markdown(captures_dir, lang, page, docs_dir, directory_urls),
    )


def expand_report(
    markdown: str,
    captures_dir: Path,
    lang: str,
    page: str,
    docs_dir: Path,
    directory_urls: bool,
) -> str:
    """The page's report markers expanded (the MkDocs plugin, before Markdown runs)."""
    if "kubecapture: drift-report" not in markdown:
        return markdown
    lines = markdown.split("\n")
    return "\n".join(report_lines(lines, captures_dir, lang, page, docs_dir, directory_urls))


def allowlist_lines(lines: list[str], lang: str) -> list[str]:
    """The table of what snippets may run, rendered from the package's allowlist data, in
    place of its marker."""
    return replace(lines, ALLOWLIST, lambda: allowlist.markdown_table(lang=lang))


def expand_matrix(markdown: str, html: str) -> str:
    """`markdown` with each version-matrix marker replaced by `html`."""
    return "\n".join(replace(markdown.split("\n"), VERSION_MATRIX, lambda: html))


def report_markdown(*args) -> str:
    """report.page_markdown, imported when a site has the report (drift's modules)."""
    from ..drift.report import page_markdown

    return page_markdown(*args)
