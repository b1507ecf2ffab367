"""`kubecapture handout`: pages of a site as one PDF to print, for study groups.

    kubecapture handout [-o handout.pdf] [--section TITLE | PAGE...] [--site DIR]

The pages are the nav's (all of them, or one section's: `--section コース`), or the ones
named. The site is built from the committed captures (replay mode) into a folder of its
own (`--site DIR`: one built already). The pages' articles go, in order, into one print
page, `handout.html` in that folder, which keeps the site's own styles and scripts (so
diagrams and snippets render as on the site): a cover with the chapter list and each
chapter's page number, then each page as a chapter starting on a new page. Ids are made
unique per chapter and links between the chapters stay inside the document.

Headless Chromium (through Playwright: the `handout` extra) prints it to A4 with page
numbers, laid out for paper by assets/handout.js: no text under 7 pt, a kubectl table set
smaller until it fits and beyond that printed in parts of whole columns (never wrapped
inside a row), other long lines wrapped with a visible continuation mark, a long output
cut where the site folds it (at most PAPER_FOLD lines) with a line that says how many
lines the site has beyond, a short block kept on one page; of a snippet's history, the
newest output, the original notes' and any the page's text names (「v1.24.0+0」の出力).

Only the site's own files are loaded while printing: the page is served to Chromium from
the site folder under a made-up origin, and every other request (the network, file://,
a path leading outside the folder) is refused. Chromium's PDF maps some kanji to Kangxi
radicals in its text layer (入 -> ⼊): the PDF's ToUnicode maps are put right afterwards
(pypdf), so search and copy find the kanji.
"""

from __future__ import annotations

import contextlib
import json
import os
import posixpath
import re
import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from html import escape, unescape
from pathlib import Path

from ..site import ASSETS
from . import pdftext

PAGE = "handout.html"
STRINGS = {
    "ja": {
        "subtitle": "勉強会用ハンドアウト",
        "contents": "目次",
        "made": "{date} にサイトから作成",
        "about": "kubectl の出力の下には、その出力をどこで記録したか (コンテキスト、"
        "サーバーのバージョン、日付、出典) を 1 行で示します。同じコマンドを何度か記録したものは、"
        "最新の出力と、元のノートに貼ってあった出力 (と本文が名前を挙げている出力) を並べています。"
        "そのほかのバージョンの出力や、長い出力の続きはサイトで見られます。",
        "mark": "↪ ",
        "columns": "↪ 右側の列の続き (左端の {name} 列をくり返しています)",
        "folded": "↪ 残りの {n} 行は省略しました (サイトのこのページで全体を見られます)",
    },
    "en": {
        "subtitle": "Study group handout",
        "contents": "Contents",
        "made": "Made from the site on {date}",
        "about": "Under each kubectl output, one line says where it was recorded (context, "
        "server version, date, source). A command recorded more than once shows its "
        "newest output and the one pasted in the original notes (and any the text names); "
        "the other versions' outputs and the rest of long outputs are on the site.",
        "mark": "↪ ",
        "columns": "↪ more columns ({name} repeated on the left)",
        "folded": "↪ {n} more lines left out here (the site's page shows all of them)",
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


def build_page(
    site: Path, pages: list[str], today: date | None = None, numbers: list[int] | None = None
) -> str:
    """The handout's HTML: the site's index page with its article replaced by a cover and
    one chapter per page (the index page is at the site root: its URLs need no rebase);
    `numbers`: the page each chapter starts on, for the cover's table of contents."""
    template = _read(site, "index.html")
    t = _strings(template)
    anchors = {page: f"ch{i + 1}" for i, page in enumerate(pages)}
    chapters = [chapter(_read(site, page), page, anchors) for page in pages]
    site_name = _site_name(template)
    made = t["made"].format(date=(today or date.today()).isoformat())
    numbers = numbers or [None] * len(chapters)
    toc = "".join(
        f'<li><span class="kc-handout-no">{i}.</span><a href="#{c.anchor}">{escape(c.title)}</a>'
        '<span class="kc-handout-leader"></span>'
        f'<span class="kc-handout-pageno">{"" if n is None else int(n)}</span></li>'
        for i, (c, n) in enumerate(zip(chapters, numbers, strict=True), 1)
    )
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
PAPER_FOLD = 25  # lines of a long output printed at most (the site's fold, if fewer)
MARGIN = {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}
CONTENT_WIDTH = 688  # CSS px between the margins of A4 (182 mm)


def chromium() -> str | None:
    """Debian's Chromium (or one on PATH); None: Playwright's own, if installed."""
    names = ("chromium", "chromium-browser", "google-chrome", "chrome")
    for candidate in ("/usr/bin/chromium", *(shutil.which(n) for n in names)):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def print_pdf(site: Path, out: Path, title: str) -> None:
    """Print the site's handout page with headless Chromium (Playwright drives it), twice
    when the cover's page numbers change the layout; then put the text layer right."""
    html_file = site / PAGE
    numbers = _print(site, out, title)
    if numbers:
        html = html_file.read_text(encoding="utf-8")
        html_file.write_text(_with_numbers(html, numbers), encoding="utf-8")
        again = _print(site, out, title)
        if again != numbers:  # the numbers moved a chapter: print with the final ones
            html_file.write_text(_with_numbers(html, again), encoding="utf-8")
            _print(site, out, title)
    pdftext.fix_text_layer(out)


def _with_numbers(html: str, numbers: list[int]) -> str:
    found = iter(numbers)
    return re.sub(
        r'<span class="kc-handout-pageno">\d*</span>',
        lambda m: f'<span class="kc-handout-pageno">{next(found, "")}</span>',
        html,
    )


ORIGIN = "http://kubecapture-handout.invalid/"


def _serve(site: Path):
    """A route handler that answers requests under ORIGIN with the site's own files and
    refuses every other: the network, and any file outside the site folder (a link
    leading out of it, a symlink pointing out of it). file:// cannot be loaded from an
    http page at all."""
    import mimetypes
    from urllib.parse import unquote, urlsplit

    root = site.resolve()

    def handle(route):
        url = route.request.url
        if not url.startswith(ORIGIN):
            return route.abort()
        path = unquote(urlsplit(url).path).lstrip("/")
        try:
            target = (root / path).resolve()
            inside = target.is_relative_to(root) and target.is_file()  # not a FIFO, a folder
            body = target.read_bytes() if inside else None
        except (OSError, ValueError):  # unreadable, a NUL in the path
            body = None
        if body is None:
            return route.fulfill(status=404, body="")
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return route.fulfill(status=200, body=body, content_type=kind)

    return handle


def _playwright():
    try:
        import pypdf  # noqa: F401
        from playwright import sync_api
    except ImportError:
        raise HandoutError(
            "the handout needs Playwright and pypdf: pip install 'mkdocs-kubecapture[handout]'"
        ) from None
    return sync_api


PRINT_SECONDS = 300  # one print at most: a page's script may never end


def _print(site: Path, out: Path, title: str) -> list[int]:
    """One print of SITE/handout.html to `out`, in a process session of its own; the page
    each chapter starts on. A page's script can keep Chromium busy for ever (a loop run
    after the page loaded) and no Playwright call has a bound while it runs: after
    PRINT_SECONDS the session (Python, Playwright's driver, Chromium) is killed and the
    author told in one line, as when Playwright gives up (a page that never loads)."""
    command = [sys.executable, "-m", __name__, str(site), str(out), title]
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        stdout, stderr = child.communicate(timeout=PRINT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        raise HandoutError(
            f"printing did not finish in {PRINT_SECONDS} s: a page keeps Chromium busy (a "
            "script that never ends?); print fewer pages to find it"
        ) from None
    if child.returncode != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        raise HandoutError(lines[-1] if lines else f"printing failed (exit {child.returncode})")
    return json.loads(stdout.decode("utf-8").strip().splitlines()[-1])


def _print_here(site: Path, out: Path, title: str) -> list[int]:
    """One print of SITE/handout.html to `out`; the page each chapter starts on."""
    api = _playwright()
    Error, sync_playwright = api.Error, api.sync_playwright
    footer = (
        '<div style="width:100%;font-size:10px;color:#777;text-align:center;'
        'font-family:IPAexGothic,sans-serif"><span class="pageNumber"></span> / '
        '<span class="totalPages"></span></div>'
    )
    header = (
        '<div style="width:100%;font-size:10px;color:#999;padding:0 14mm;'
        f'font-family:IPAexGothic,sans-serif">{escape(title)}</div>'
    )
    html_file = site / PAGE
    with sync_playwright() as p, _dead_end() as proxy:
        browser = _launch(p, Error, proxy)
        try:
            context = browser.new_context(
                viewport={"width": CONTENT_WIDTH, "height": 1000},
                color_scheme="light",
                service_workers="block",
            )
            context.route("**/*", _serve(site))
            context.route_web_socket("**/*", lambda ws: ws.close())
            page = context.new_page()
            page.goto(ORIGIN + PAGE, wait_until="load")
            page.emulate_media(media="print", color_scheme="light")
            page.wait_for_function(READY, timeout=30_000)
            page.evaluate("document.fonts.ready")
            layout = (ASSETS / "handout.js").read_text(encoding="utf-8")
            t = _strings(html_file.read_text(encoding="utf-8"))
            options = {"minPx": MIN_FONT_PX, "keepBelow": KEEP_BELOW_PX, "paperFold": PAPER_FOLD}
            strings = {k: t[k] for k in ("mark", "columns", "folded")}
            page.evaluate(layout, {**options, **strings})
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
        finally:
            browser.close()
    numbers = pdftext.chapter_pages(tmp)
    tmp.replace(out)
    return numbers


@contextlib.contextmanager
def _dead_end():
    """A proxy address that refuses every connection: a port of the loopback bound (so no
    one else listens there) and never listened on. The route answers the page's requests
    before any proxy; what the route never sees (a page script's WebSocket, a preconnect,
    WebRTC over TCP) goes to this proxy and fails, the loopback included."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{held.getsockname()[1]}"


# Chromium's own ways out that no route sees: WebRTC's UDP (a STUN server, ICE) unless
# proxied (it never is, through an HTTP proxy), and name lookups (DNS prefetch).
NO_NETWORK = [
    "--webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def _launch(p, error, proxy: str | None = None):
    """Debian's Chromium when installed, else Playwright's own (`playwright install`)."""
    args = ["--no-sandbox", "--disable-gpu", *NO_NETWORK]
    path = chromium()
    try:
        return p.chromium.launch(
            executable_path=path,
            args=args,
            headless=True,
            proxy={"server": proxy, "bypass": "<-loopback>"} if proxy else None,
        )
    except error as e:
        raise HandoutError(
            f"Chromium did not start ({_first_line(e)}): install it (Debian/Ubuntu: apt-get "
            "install chromium; elsewhere: python -m playwright install chromium)"
        ) from None


def make(
    config_file: Path,
    out: Path,
    section: str | None = None,
    names: list[str] = (),
    site_dir: Path | None = None,
) -> str:
    """The handout of a site: the nav's pages (or a section's, or those named), from a
    replay build of its own (or `site_dir`). Returns what to tell the author."""
    import tempfile

    from . import sitebuild

    info = sitebuild.read(config_file)
    if info.theme != "material":
        raise HandoutError(
            f"{config_file}: the handout is printed from Material for MkDocs pages: set "
            "`theme: {name: material}` (pip install mkdocs-material)"
        )
    pages = sitebuild.named_pages(info, list(names)) if names else None
    pages = pages or sitebuild.section_pages(info, section)
    if not pages:
        raise HandoutError(f"{config_file}: no pages to print (the nav lists none)")
    _playwright()  # before the build: say now what is missing
    with tempfile.TemporaryDirectory(prefix="kubecapture-handout-") as tmp:
        site = site_dir
        if site is None:
            site = Path(tmp) / "site"
            sitebuild.build(config_file, site)
        html = build_page(site, [h for _, h in pages])
        (site / PAGE).write_text(html, encoding="utf-8")
        print_pdf(site, out, _site_name(html))
    return f"{out}: {len(pages)} page(s) of the site as one PDF ({', '.join(s for s, _ in pages)})"


def _child(argv: list[str]) -> int:
    """The printing process: the chapters' pages as JSON, or one line on stderr."""
    site, out, title = argv
    try:
        numbers = _print_here(Path(site), Path(out), title)
    except HandoutError as e:
        sys.stderr.write(f"{e}\n")
        return 1
    except Exception as e:  # Playwright's: a page that never loads, Chromium gone
        sys.stderr.write(f"printing failed: {_first_line(e)}\n")
        return 1
    sys.stdout.write(json.dumps(numbers) + "\n")
    return 0


def _first_line(e: Exception) -> str:
    """What Playwright says first (its messages go on with a call log), or the error's kind."""
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
