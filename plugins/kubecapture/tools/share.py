"""`kubecapture share`: the site as a zip that works opened from disk (file://), offline.

    kubecapture share [-o site.zip] [--with DIR]... [--pdf FILE | --no-pdf] [--site DIR]

Builds the site from the committed captures (replay mode, `mkdocs build --strict`) into
a folder of its own, so nothing of `site/` is touched, checks it needs no network, and
zips it: `site/` (open `site/index.html`), each `--with` folder under its own relative
path (`snippets/manifests`, so attendees run `kubectl apply -f snippets/manifests/pod.yaml`
from the unzipped folder as the notes do), the handout PDF when there is one
(`handout.pdf` beside mkdocs.yml, what `kubecapture handout` writes) and `README.txt`, a
short note on how to open it (and the day it was made). Fixed timestamps: the same
files give the same bytes on the same day.

A site that would not work from disk is refused, one line per problem, each naming what
to add to mkdocs.yml: Material's `offline` plugin (links that work from disk, the search
index inlined; kubecapture then serves the search shim from the site, see offline.py),
`theme.font: false` (no Google Fonts), Mermaid served from the site, and no page that
loads anything from the network, from the computer (file://) or from outside the site.

`python -m kubecapture.tools.share SITE_DIR ZIP [--with DIR]...` zips a site built already.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import stat
import sys
import tempfile
import zipfile
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

from ..base.terminal import PrintableStream
from ..site.offline import SHIM
from ..trust.files import link_on_the_way
from . import sitebuild

# Where a page pulls in a resource (not plain links, which a reader follows on purpose):
# tag -> the attributes that load; also any tag's `style`, a <style> block, and a
# <meta http-equiv=refresh>. Read as a browser reads them (entities
# decoded, any quoting), in time linear in the page (a regex per tag went back over the
# rest of the page at each `<img` inside an attribute: minutes for 100 KB).
_LOADS = {
    **dict.fromkeys(("script", "iframe", "frame", "embed", "audio", "track", "input"), ("src",)),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "object": ("data",),
    "link": ("href",),
    "base": ("href",),  # every relative URL then leads there
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
    "feimage": ("href", "xlink:href"),
    **dict.fromkeys(("body", "table", "td", "th", "tr"), ("background",)),
}
_CSS_ESCAPE = re.compile(r"\\([0-9a-f]{1,6})\s?|\\(.)", re.I | re.S)
_CSS_URL = re.compile(r"""url\(\s*["']?([^"')\s]+)|["']([^"']+)["']""", re.I)
_REFRESH = re.compile(r"^\s*[\d.]*\s*[;,]\s*(?:url\s*=\s*)?[\"']?([^\"'\s]+)", re.I)


_TAG = re.compile(r"<([a-z][^\s/>]*)", re.I)
_NAME = re.compile(r"[\s/]*([^\s\"'>/=]+)(?:\s*=\s*)?")
_STYLE_END = re.compile(r"</style", re.I)


def _tags(html: str):
    """(tag, {attribute: value}) of each start tag and ("", css) of each <style> block,
    in one pass over the page: every character read once (a quote or a block left open
    runs to the end of the page, as in a browser)."""
    pos, end = 0, len(html)
    while m := _TAG.search(html, pos):
        tag, pos, attrs = m[1].lower(), m.end(), {}
        while pos < end and html[pos] != ">":
            a = _NAME.match(html, pos)
            if not a:
                pos += 1
                continue
            pos, value = a.end(), None
            if a[0].rstrip().endswith("="):
                if html[pos : pos + 1] in ("'", '"'):
                    close = html.find(html[pos], pos + 1)
                    close = end if close < 0 else close
                    value, pos = html[pos + 1 : close], close + 1
                else:
                    bare = re.compile(r"[^\s>]*").match(html, pos)
                    value, pos = bare[0], bare.end()
            attrs.setdefault(a[1].lower(), unescape(value) if value is not None else None)
        yield tag, attrs
        if tag == "style":
            close = _STYLE_END.search(html, pos)
            yield "", {"style": html[pos : close.start() if close else end]}
            pos = close.end() if close else end


def _loaded(html: str) -> list[str]:
    """Every URL a page's HTML loads without a script, as the browser reads it: entities
    decoded, tabs and newlines dropped, blanks trimmed."""
    urls = []
    for tag, attrs in _tags(html):
        given = {k: v for k, v in attrs.items() if v is not None}
        if tag == "link" and _is_hint(given.get("rel")):
            continue
        for name in _LOADS.get(tag, ()):
            found = given.get(name)
            if found is not None and name == "srcset":
                urls += [c.split()[0] for c in found.split(",") if c.split()]
            elif found is not None:
                urls.append(found)
        if tag == "meta" and given.get("http-equiv", "").lower() == "refresh":
            refresh = _REFRESH.match(given.get("content", ""))
            urls += [refresh[1]] if refresh else []
        if "style" in given:
            css = _CSS_ESCAPE.sub(lambda e: e[2] or _char(e[1]), given["style"])
            urls += [a or b for a, b in _CSS_URL.findall(css)]
    return [re.sub(r"[\t\n\r]", "", u).strip() for u in urls]


def _char(code: str) -> str:
    return chr(int(code, 16)) if 0 < int(code, 16) <= 0x10FFFF else "\ufffd"


_REMOTE = re.compile(r"^(?:https?:)?//", re.I)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_EPOCH = (1980, 1, 1, 0, 0, 0)
PDF = "handout.pdf"
NOTE = "README.txt"


def problems(site: Path) -> list[str]:
    """Why `site` would not work from file:// with no network (empty when it would)."""
    out = []
    if not (site / "index.html").is_file():
        return [f"{site}/index.html not found: build the site first"]
    if not (site / "search" / "search_index.js").is_file():
        out.append(
            "search/search_index.js is missing: build with Material's offline plugin "
            "enabled (in mkdocs.yml, `plugins:` needs `- offline`)"
        )
    if not (site / SHIM).is_file():
        out.append(
            f"{SHIM} is missing: the kubecapture plugin adds it when the offline plugin is enabled"
        )
    for page in sorted(site.rglob("*.html")):
        name = page.relative_to(site).as_posix()
        text = page.read_text(encoding="utf-8", errors="replace")
        for url in filter(None, _loaded(text)):
            if _REMOTE.match(url):
                out.append(f"{name}: loads {url} from the network")
            elif where := _outside(url, name):
                out.append(f"{name}: loads {url}, {where}: only the site's own files may be")
    return out


def _outside(url: str, page: str) -> str | None:
    """Why a page's resource URL is not one of the site's files (None when it is)."""
    url = url.replace("&amp;", "&")
    if url.lower().startswith("file:"):
        return "a file of the computer"
    if _SCHEME.match(url) or url.startswith("#") or not url:
        return None  # data:, blob:, javascript: and the like load no file
    if url.startswith("/"):
        return "the root of the disk when opened from it"
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), url.split("#")[0]))
    return "outside the site" if target == ".." or target.startswith("../") else None


def _is_hint(rel: str | None) -> bool:
    """<link rel="canonical|alternate|…"> names a URL without loading it."""
    loads = {"stylesheet", "preload", "modulepreload", "icon", "manifest", "prefetch"}
    return bool(rel) and not (set(rel.lower().split()) & loads)


def setup_problems(site: sitebuild.SiteInfo) -> list[str]:
    """What the site's mkdocs.yml lacks for a zip that works from disk, each with what to
    add (empty when nothing)."""
    file = site.config_file
    if site.theme != "material":
        return [
            f"{file}: the zip is built with Material for MkDocs' offline plugin: set "
            "`theme: {name: material, font: false}` and add `- offline` under `plugins:` "
            "(pip install mkdocs-material)"
        ]
    out = []
    if site.offline is None:
        out.append(
            f"{file}: add `- offline` under `plugins:` (Material's offline plugin: links "
            "that work from disk, the search index in the site)"
        )
    elif not site.offline:
        out.append(
            f"{file}: Material's offline plugin is disabled: set its `enabled: true` "
            "(or the environment variable its `!ENV` names)"
        )
    if site.font is not False:
        out.append(
            f"{file}: add `font: false` under `theme:` (Material loads its fonts from Google "
            "Fonts, which needs the network; readers' own fonts are used instead)"
        )
    return out


def mermaid_problems(site_dir: Path, javascript: list[str]) -> list[str]:
    """Material loads Mermaid from unpkg.com unless the site serves it itself."""
    if any("mermaid" in Path(js).name.lower() for js in javascript):
        return []
    pages = [
        p.relative_to(site_dir).as_posix()
        for p in sorted(site_dir.rglob("*.html"))
        if 'class="mermaid"' in p.read_text(encoding="utf-8", errors="replace")
    ]
    if not pages:
        return []
    return [
        f"{pages[0]} (and {len(pages) - 1} more) has Mermaid diagrams, which Material loads "
        "from unpkg.com: save mermaid.min.js under docs/ (e.g. docs/assets/javascripts/) and "
        "list it under `extra_javascript:` in mkdocs.yml"
        if len(pages) > 1
        else f"{pages[0]} has Mermaid diagrams, which Material loads from unpkg.com: save "
        "mermaid.min.js under docs/ (e.g. docs/assets/javascripts/) and list it under "
        "`extra_javascript:` in mkdocs.yml"
    ]


def extra_problems(extra: list[Path], base: Path | None = None) -> list[str]:
    """Why a `--with` folder cannot go into the zip (empty when every one can)."""
    out = []
    for folder in extra:
        if folder.is_absolute() or ".." in folder.parts or not folder.parts:
            out.append(f"{folder}: give a folder inside the site's one (it keeps its path)")
        elif link := link_on_the_way(base or Path(), folder.parts):
            name = link.relative_to(base or Path()).as_posix()
            out.append(f"{folder}: {name} is a link; give the folder it leads to, if it is yours")
        elif not ((base or Path()) / folder).is_dir():
            out.append(f"{folder}: no such folder")
    return out


NOTES = {
    "ja": {
        "title": "{name}: 配布用の zip",
        "unzip": "1. この zip をすべて展開します "
        "(zip の中から直接開くと、リンクや検索が動きません)。",
        "open": "2. 展開したフォルダーの site/index.html をブラウザ "
        "(Chrome、Edge、Firefox、Safari) で開きます。\n"
        "   ネットワークにつながっていなくても、すべてのページと検索が使えます。",
        "pdf": "- handout.pdf: 印刷用の資料 ({date} に作成)。",
        "with": "- {folder}/: ノートのコマンド (kubectl apply -f {folder}/...) で使うファイル。"
        "\n  展開したフォルダーでコマンドを実行すると、ノートと同じパスで見つかります。",
        "made": "この zip は {date} に作成しました。",
    },
    "en": {
        "title": "{name}: the shared zip",
        "unzip": "1. Unzip all of it (opened from inside the zip, links and search do not work).",
        "open": "2. Open site/index.html of the unzipped folder in a browser (Chrome, Edge, "
        "Firefox, Safari).\n   Every page and search work with no network.",
        "pdf": "- handout.pdf: the handout to print (made {date}).",
        "with": "- {folder}/: files the notes' commands use (kubectl apply -f {folder}/...).\n"
        "  Run the commands in the unzipped folder and they find them where the notes say.",
        "made": "Zip made {date}.",
    },
}


def note(site_name: str, language: str, extra: list[Path], pdf_date: str | None, today: str):
    t = NOTES.get(language.split("-")[0], NOTES["en"])
    lines = [t["title"].format(name=site_name), "", t["unzip"], t["open"], ""]
    if pdf_date:
        lines.append(t["pdf"].format(date=pdf_date))
    lines += [t["with"].format(folder=f.as_posix()) for f in extra]
    lines += ["", t["made"].format(date=today), ""]
    return "\n".join(lines)


def write_zip(
    site: Path,
    out: Path,
    folder: str = "site",
    extra: list[Path] = (),
    files: dict[str, bytes] | None = None,
    base: Path | None = None,
) -> int:
    """Zip every file of `site` under `folder/`, of each `extra` folder under its own
    (relative to `base`) path, and `files` (name -> bytes), sorted, with fixed timestamps.
    Written to a temporary file first: an earlier zip stays whole until the new one is."""
    base = base or Path()
    entries = [(f"{folder}/{p.relative_to(site).as_posix()}", p) for p in _files(site)]
    for d in extra:
        entries += [(p.relative_to(base).as_posix(), p) for p in _files(base / d, hidden=False)]
    contents: list[tuple[str, Path | bytes]] = [*entries, *(files or {}).items()]
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(contents, key=lambda entry: entry[0]):
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            if isinstance(data, bytes):
                z.writestr(info, data)
                continue
            with data.open("rb") as src, z.open(info, "w") as dst:  # a file at a time
                shutil.copyfileobj(src, dst, 1 << 20)
    tmp.replace(out)
    return len(contents)


def _files(folder: Path, hidden: bool = True) -> list[Path]:
    """The regular files under `folder` (walked without following links). A link, a FIFO,
    a device raises ShareError: the zip takes a folder's own files, never what a link in
    it (a pull request can add one) leads to, ~/.kube/config or /proc/self/environ.
    Without `hidden`, hidden files and folders (`.git`, `.env`) are left out, as MkDocs
    leaves them out of docs/."""
    found, refused = [], []
    for top, dirs, names in os.walk(folder, followlinks=False):
        if not hidden:
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            names = [n for n in names if not n.startswith(".")]
        for name in (*dirs, *names):
            path = Path(top) / name
            if _UNZIPS_ELSEWHERE.search(name):
                refused.append(
                    f"{path}: a name with a backslash, a colon or a control character, which "
                    "unzips elsewhere on Windows (..\\..\\x.bat, C:x); rename it"
                )
            elif path.is_symlink():
                refused.append(f"{path}: a link (to {os.readlink(path)}); {_ONLY_OWN}")
            elif name in names and not stat.S_ISREG(path.lstat().st_mode):
                refused.append(f"{path}: not a regular file (a FIFO, a device); {_ONLY_OWN}")
            elif name in names:
                found.append(path)
    if refused:
        raise ShareError(refused)
    return sorted(found)


# A zip entry's name is read with `/` as its only separator; Windows' unzippers also
# split at `\\` (a file `..\\..\\x.bat` lands outside the folder) and read `C:`.
_UNZIPS_ELSEWHERE = re.compile(r"[\\:\x00-\x1f\x7f]")
_ONLY_OWN = "the zip takes only the folder's own files, not what a link leads to"


def share(
    config_file: Path,
    out: Path,
    extra: list[Path],
    pdf: Path | None,
    site_dir: Path | None = None,
    today: str | None = None,
) -> list[str]:
    """Build (unless `site_dir` is given), check and zip the site of `config_file`. Returns
    what to tell the author; raises ShareError with every problem found."""
    info = sitebuild.read(config_file)
    root = config_file.parent
    found = setup_problems(info) + extra_problems(extra, root)
    if pdf is not None and not pdf.is_file():
        found.append(f"{pdf}: no such file (make it with `kubecapture handout`)")
    if found:
        raise ShareError(found)
    told = []
    with tempfile.TemporaryDirectory(prefix="kubecapture-share-") as tmp:
        if site_dir is None:
            site_dir = Path(tmp) / "site"
            sitebuild.build(config_file, site_dir)
        found = problems(site_dir) + mermaid_problems(site_dir, info.javascript)
        if found:
            raise ShareError(found)
        files: dict[str, bytes] = {}
        pdf_date = None
        if pdf is not None:
            files[PDF] = pdf.read_bytes()
            made = datetime.fromtimestamp(pdf.stat().st_mtime, UTC)
            pdf_date = made.date().isoformat()
            newer = _newest_source(info, root)
            if newer is not None and newer[0] > pdf.stat().st_mtime:
                told.append(
                    f"{pdf} is older than {newer[1]}: run `kubecapture handout` again for a "
                    "handout that matches the site"
                )
        today = today or datetime.now(UTC).date().isoformat()
        name = _site_name(site_dir)
        files[NOTE] = note(name, info.language, extra, pdf_date, today).encode("utf-8")
        count = write_zip(site_dir, out, extra=extra, files=files, base=root)
    with_pdf = f", {PDF}" if pdf is not None else ""
    told.insert(
        0,
        f"{out}: {count} files (site/{with_pdf}, {NOTE}); unzip it and open "
        "site/index.html (works offline, search included)",
    )
    return told


def _newest_source(info: sitebuild.SiteInfo, root: Path) -> tuple[float, str] | None:
    """(mtime, name) of the newest page or capture file of the site."""
    newest = None
    for folder in (info.docs_dir, info.captures_dir):
        for p in folder.rglob("*") if folder.is_dir() else ():
            if (
                p.is_file()
                and p.suffix in (".md", ".yaml")
                and (newest is None or p.stat().st_mtime > newest[0])
            ):
                newest = (p.stat().st_mtime, os.path.relpath(p, root))
    return newest


def _site_name(site_dir: Path) -> str:
    html = (site_dir / "index.html").read_text(encoding="utf-8", errors="replace")
    found = re.search(r'class="md-header__topic">\s*<span class="md-ellipsis">(.*?)</span>', html)
    found = found or re.search(r"<title>(.*?)</title>", html, re.S)
    return unescape(re.sub(r"<[^>]+>", "", found[1])).strip() if found else ""


class ShareError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


USAGE = "usage: python -m kubecapture.tools.share [SITE_DIR] [ZIP] [--with DIR]...\n"


def main(argv: list[str] | None = None) -> int:
    """Zip a site built already (`kubecapture share` builds it too)."""
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
    # A page's URL, a link's target: a stranger's text, its control characters shown.
    stdout, stderr = PrintableStream(sys.stdout), PrintableStream(sys.stderr)
    try:
        found = problems(site) + extra_problems(extra)
        count = None if found else write_zip(site, out, extra=extra)
    except ShareError as e:
        found = e.problems
    if found:
        for line in found:
            stderr.write(f"share: {line}\n")
        return 1
    stdout.write(
        f"{out}: {count} files; unzip it and open site/index.html (works offline, "
        "search included)\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
