"""`make handout`: pages of a built site as one PDF, for study groups.

    python -m kubecapture.handout [--site SITE] [--out PDF] PAGE...

PAGE is a page of the built site (`course/01-introduction.html`). The pages' articles
go, in order, into one print page, `SITE/handout.html`, which keeps the site's own
styles and scripts (so diagrams and snippets render as on the site): a cover with the
chapter list, then each page as a chapter starting on a new page. Ids are made unique
per chapter and links between the chapters stay inside the document. Headless Chromium
(Debian's, through Playwright) prints it to A4 with page numbers, laid out for paper by
assets/handout.js: long outputs unfolded, no text under 7 pt, a kubectl table set smaller
until it fits and beyond that printed in parts of whole columns (never wrapped inside a
row), other long lines wrapped with a visible continuation mark, a short block kept on
one page, every output of a snippet's history shown, newest first.
"""

from __future__ import annotations

import argparse
import posixpath
import re
import shutil
import sys
from dataclasses import dataclass
from datetime import date
from html import escape, unescape
from pathlib import Path

from . import ASSETS

PAGE = "handout.html"
STRINGS = {
    "ja": {
        "subtitle": "勉強会用ハンドアウト",
        "contents": "目次",
        "made": "{date} にサイトから作成",
        "about": "kubectl の出力の下には、その出力をどこで記録したか (コンテキスト、"
        "サーバーのバージョン、日付、出典) を 1 行で示します。同じコマンドを何度か記録したものは、"
        "最新の出力と、元のノートに貼ってあった出力を並べています。"
        "そのあいだのバージョンの出力はサイトで見られます。",
        "mark": "↪ ",
        "columns": "↪ 右側の列の続き (左端の {name} 列をくり返しています)",
    },
    "en": {
        "subtitle": "Study group handout",
        "contents": "Contents",
        "made": "Made from the site on {date}",
        "about": "Under each kubectl output, one line says where it was recorded (context, "
        "server version, date, source). A command recorded more than once shows its "
        "newest output and the one pasted in the original notes; the outputs of the "
        "versions between are on the site.",
        "mark": "↪ ",
        "columns": "↪ more columns ({name} repeated on the left)",
    },
}
_ARTICLE = re.compile(r'<article class="md-content__inner md-typeset">')
_ID_ATTR = re.compile(r'\b(id|for|name)="([^"]*)"')
_URL_ATTR = re.compile(r'\b(href|src)="([^"]*)"')
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1>", re.S)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


class HandoutError(Exception):
    pass


@dataclass
class Chapter:
    page: str  # site-relative path of the page
    anchor: str  # the chapter's id prefix in the handout
    title: str
    html: str  # the article's inner HTML, ids and links rewritten


def article(html: str, page: str) -> str:
    """The inner HTML of the page's Material article."""
    start = _ARTICLE.search(html)
    if not start:
        raise HandoutError(f"{page} has no Material article: is it a page of the built site?")
    depth, pos = 1, start.end()
    for tag in re.finditer(r"<(/?)article\b", html[pos:]):
        depth += -1 if tag[1] else 1
        if depth == 0:
            return html[pos : pos + tag.start()]
    raise HandoutError(f"{page}: the article is not closed")


def chapter(html: str, page: str, anchors: dict[str, str]) -> Chapter:
    """One page's article as a chapter: ids prefixed with its anchor, links to other
    chapters made internal, other relative links made relative to the site root,
    collapsed details opened (but not the provenance of snippets)."""
    prefix = anchors[page]
    inner = article(html, page)
    inner = _ID_ATTR.sub(lambda m: f'{m[1]}="{prefix}-{m[2]}"', inner)
    inner = _URL_ATTR.sub(lambda m: f'{m[1]}="{escape(_link(m[2], page, anchors))}"', inner)
    inner = re.sub(r"<details\b(?![^>]*\bkc-provenance\b)(?![^>]*\bopen\b)", "<details open", inner)
    title = _H1.search(inner)
    text = _text(re.sub(r'<a class="headerlink".*?</a>', "", title[1])) if title else page
    return Chapter(page, prefix, text, inner)


def _link(url: str, page: str, anchors: dict[str, str]) -> str:
    url = url.replace("&amp;", "&")
    if url.startswith("#"):
        return f"#{anchors[page]}-{url[1:]}" if len(url) > 1 else f"#{anchors[page]}"
    if not url or _SCHEME.match(url) or url.startswith(("/", "//")):
        return url
    path, _, fragment = url.partition("#")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
    if target in anchors:
        return f"#{anchors[target]}-{fragment}" if fragment else f"#{anchors[target]}"
    return target + (f"#{fragment}" if fragment else "")


def build_page(site: Path, pages: list[str], today: date | None = None) -> str:
    """The handout's HTML: the site's index page with its article replaced by a cover and
    one chapter per page (the index page is at the site root: its URLs need no rebase)."""
    template = _read(site, "index.html")
    t = _strings(template)
    anchors = {page: f"ch{i + 1}" for i, page in enumerate(pages)}
    chapters = [chapter(_read(site, page), page, anchors) for page in pages]
    site_name = _site_name(template)
    made = t["made"].format(date=(today or date.today()).isoformat())
    toc = "".join(f'<li><a href="#{c.anchor}">{escape(c.title)}</a></li>' for c in chapters)
    body = (
        f'<section class="kc-handout-cover"><h1>{escape(site_name)}</h1>'
        f'<p class="kc-handout-subtitle">{escape(t["subtitle"])}</p>'
        f"<h2>{escape(t['contents'])}</h2><ol>{toc}</ol>"
        f'<p class="kc-handout-about">{escape(t["about"])}</p>'
        f'<p class="kc-handout-made">{escape(made)}</p></section>'
    )
    body += "".join(
        f'<section class="kc-handout-chapter" id="{c.anchor}">{c.html}</section>' for c in chapters
    )
    start = _ARTICLE.search(template)
    inner = article(template, "index.html")
    html = template[: start.end()] + body + template[start.end() + len(inner) :]
    css = (ASSETS / "handout.css").read_text(encoding="utf-8")
    # The page's own margins: Material's print style sets 25 mm, which would override the
    # margins given to Chromium and leave less room than the layout was measured for.
    m = MARGIN
    css += f"\n@page {{ margin: {m['top']} {m['right']} {m['bottom']} {m['left']}; }}\n"
    html = html.replace("</head>", f"<style>{css}</style></head>", 1)
    html = re.sub(r"<title>.*?</title>", f"<title>{escape(site_name)}</title>", html, count=1)
    return html.replace("<body", '<body class="kc-handout"', 1)


def _strings(html: str) -> dict[str, str]:
    """The handout's strings in the language of the site's pages."""
    lang = (re.search(r'<html lang="([^"]+)"', html) or ["", "en"])[1]
    return STRINGS.get(lang.split("-")[0], STRINGS["en"])


def _site_name(html: str) -> str:
    found = re.search(
        r'class="md-header__topic">\s*<span class="md-ellipsis">(.*?)</span>', html, re.S
    ) or re.search(r"<title>(.*?)</title>", html, re.S)
    return _text(found[1]) if found else ""


def _text(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html)).strip()


def _read(site: Path, page: str) -> str:
    path = site / page
    if not path.is_file():
        raise HandoutError(f"{path} not found: build the site first (make site)")
    return path.read_text(encoding="utf-8")


# --- printing ------------------------------------------------------------------------------

# Paper: nothing under 7 pt (header and footer included); a block longer than about a
# quarter of a page may start on a page that has room for its beginning.
MIN_FONT_PX = 7 * 96 / 72
PAGE_CONTENT_PX = (297 - 32) / 25.4 * 96  # A4 between the top and bottom margins
KEEP_BELOW_PX = round(PAGE_CONTENT_PX * 0.28)
READY = """() => document.querySelectorAll('pre.mermaid').length === 0"""
MARGIN = {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
CONTENT_WIDTH = 688  # CSS px between the margins of A4 (182 mm)


def chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chrome")):
        if candidate and Path(candidate).exists():
            return candidate
    raise HandoutError("Chromium not found: install Debian's chromium (apt-get install chromium)")


def print_pdf(html_file: Path, out: Path, title: str) -> None:
    """Print the handout page with headless Chromium (Playwright drives it)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise HandoutError("the handout needs Playwright: pip install playwright") from None
    footer = (
        '<div style="width:100%;font-size:10px;color:#777;text-align:center;'
        'font-family:IPAexGothic,sans-serif"><span class="pageNumber"></span> / '
        '<span class="totalPages"></span></div>'
    )
    header = (
        '<div style="width:100%;font-size:10px;color:#999;padding:0 14mm;'
        f'font-family:IPAexGothic,sans-serif">{escape(title)}</div>'
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(), args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            context = browser.new_context(
                viewport={"width": CONTENT_WIDTH, "height": 1000}, color_scheme="light"
            )
            context.route("http://*/**", lambda route: route.abort())
            context.route("https://*/**", lambda route: route.abort())
            page = context.new_page()
            page.goto(html_file.resolve().as_uri(), wait_until="load")
            page.emulate_media(media="print", color_scheme="light")
            page.wait_for_function(READY, timeout=30_000)
            page.evaluate("document.fonts.ready")
            layout = (ASSETS / "handout.js").read_text(encoding="utf-8")
            t = _strings(html_file.read_text(encoding="utf-8"))
            options = {"minPx": MIN_FONT_PX, "keepBelow": KEEP_BELOW_PX}
            page.evaluate(layout, {**options, "mark": t["mark"], "columns": t["columns"]})
            tmp = out.with_name(f".{out.name}.tmp")
            page.pdf(
                path=str(tmp),
                format="A4",
                margin=MARGIN,
                print_background=True,
                display_header_footer=True,
                header_template=header,
                footer_template=footer,
            )
            tmp.replace(out)
        finally:
            browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kubecapture.handout", description="Pages of a built site as one PDF."
    )
    parser.add_argument("pages", nargs="+", metavar="PAGE", help="e.g. course/01-introduction.html")
    parser.add_argument("--site", type=Path, default=Path("site"))
    parser.add_argument("--out", type=Path, help="the PDF (default: SITE/handout.pdf)")
    args = parser.parse_args(argv)
    out = args.out or args.site / "handout.pdf"
    try:
        html = build_page(args.site, args.pages)
        page = args.site / PAGE
        page.write_text(html, encoding="utf-8")
        print_pdf(page, out, _site_name(html))
    except HandoutError as e:
        sys.stderr.write(f"handout: {e}\n")
        return 1
    sys.stdout.write(f"{out}: {len(args.pages)} pages of the site as one PDF ({page} printed)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
