"""The fence path: the same snippet HTML from `mkdocs build` and `zensical build`.

Zensical reads mkdocs.yml and runs Python-Markdown extensions but no MkDocs plugins,
so the kubecapture.fence extension finds each page's capture itself. The fixture site
(tests/fixtures/zensical) is built both ways from captures written here, and the
rendered snippet elements (not whole pages: the themes differ) must be identical.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from kubecapture.base.atomic import write_atomic
from kubecapture.captures import store
from kubecapture.run import planning

FIXTURE = Path(__file__).parent / "fixtures" / "zensical"
REPO = Path(__file__).resolve().parent.parent

pytest.importorskip("zensical")

PROVENANCE = store.Provenance(
    context="minikube",
    server_version="v1.33.1",
    kubectl_version="v1.33.1",
    captured_at="2025-01-02T03:04:05Z",
    source="test fixture",
)


# --- the fixture site and its captures -----------------------------------------------


def _result(command: str, page: str) -> store.CommandResult:
    if "does-not-exist" in command:
        return store.CommandResult(
            command, 1, "", 'Error from server (NotFound): pods "does-not-exist" not found\n'
        )
    if command == "kubectl api-resources":
        rows = "".join(f"resource{i:02d}   v1   true   Kind{i:02d}\n" for i in range(30))
        return store.CommandResult(command, 0, "NAME   APIVERSION   NAMESPACED   KIND\n" + rows)
    return store.CommandResult(command, 0, f"output of <{command}> on {page}\n")


def _capture(site: Path, page: str, text: str | None = None, keep: int | None = None) -> None:
    """Write the capture of `page` as a live run of `text` (default: the page) would."""
    settings = planning.Settings(captures_dir=site / "captures", workdir=site)
    source = text if text is not None else (site / "docs" / page).read_text(encoding="utf-8")
    plan = planning.plan_page(page, source, settings)
    snippets = [
        store.SnippetCapture(s.key, [_result(c.text, page) for c in s.commands], PROVENANCE, s.id)
        for s in plan.snippets[:keep]
    ]
    store.save(plan.capture_file, store.PageCapture(page, plan.key, snippets))


def make_site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    shutil.copytree(FIXTURE, site)
    for page in ("index.md", "sandbox.md", "guide/nested.md", "twin-a.md", "twin-b.md", "warn.md"):
        _capture(site, page)
    # stale.md changed after its capture: its first snippet ran another command, so the
    # second, which ran after it, may print otherwise now.
    old = (site / "docs/stale.md").read_text(encoding="utf-8").replace("get nodes", "get node")
    _capture(site, "stale.md", old)
    # partial.md: a capture that holds the first snippet only.
    _capture(site, "partial.md", keep=1)
    _drift_report(site)
    return site


def _drift_report(site: Path) -> None:
    """A drift report as a re-capture of index.md would leave it: one output changed."""
    from kubecapture.drift import driftreport, report

    settings = planning.Settings(captures_dir=site / "captures", workdir=site)
    plan = planning.plan_page("index.md", (site / "docs/index.md").read_text("utf-8"), settings)
    new = store.load(plan.capture_file)
    old = store.load(plan.capture_file)
    old.snippets[0].results[0].stdout = "NAME       STATUS\nminikube   NotReady\n"
    new.snippets[0].results[0].stdout = "NAME       STATUS\nminikube   Ready\n"
    result = driftreport.build_report(driftreport.page_pairs(old, new, plan.snippets))
    write_atomic(site / "captures" / report.REPORT_FILE, result.to_json().encode("utf-8"))


EXPECTED_STATES = {
    "index": ["captured"] * 7,
    "stale": ["missing", "stale"],
    "sandbox": ["captured", "captured"],
    "missing": ["missing"],
    "partial": ["captured", "missing"],
    "guide/nested": ["captured"],
    "twin-a": ["captured"],
    "twin-b": ["captured"],
    "plain": ["console"],
    "warn": ["captured"],
}


# --- building -------------------------------------------------------------------------


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", KUBECAPTURE_MODE="replay", NO_COLOR="1")
    env["KUBECONFIG"] = "/nonexistent/kubeconfig"
    proc = subprocess.run(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def build_mkdocs(site: Path, config: str = "mkdocs.yml", out: str = "site-mkdocs") -> Path:
    _run(["mkdocs", "build", "-f", config, "-d", out], cwd=site)
    return site / out


def build_zensical(site: Path, cwd: Path, clean: bool = True, config: str = "mkdocs.yml"):
    """Zensical does not chdir to the config's folder: build from elsewhere on purpose."""
    args = ["zensical", "build", "-f", str(site / config)] + (["--clean"] if clean else [])
    return site / "site", _run(args, cwd=cwd)


_OPEN = re.compile(r'<div class="(?:kubecapture |kc-console")')
_TAG = re.compile(r"<(/?)div\b")


def snippet_elements(html: str) -> list[str]:
    """Each rendered snippet, in order: its outer <div class="kubecapture …"> … </div>
    (and each plain console block's <div class="kc-console">, for its copy button)."""
    out = []
    for m in _OPEN.finditer(html):
        depth = 0
        for tag in _TAG.finditer(html, m.start()):
            depth += -1 if tag[1] else 1
            if depth == 0:
                # Zensical drops data-search-exclude once it has left the element out of
                # its search index; Material's search plugin leaves it in the page.
                element = html[m.start() : tag.end() + 1]
                out.append(element.replace(" data-search-exclude", ""))
                break
    return out


def snippets_by_page(site_dir: Path) -> dict[str, list[str]]:
    pages = {}
    for path in sorted(site_dir.rglob("*.html")):
        name = path.relative_to(site_dir).with_suffix("").as_posix()
        if name != "404":
            pages[name] = snippet_elements(path.read_text(encoding="utf-8"))
    return pages


def states(elements: list[str]) -> list[str]:
    return [
        re.match(r'<div class="(?:kubecapture kc-(\w+)|(kc-console))', e)[1] or "console"
        for e in elements
    ]


# --- tests ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("zensical")
    site = make_site(tmp_path)
    mkdocs_dir = build_mkdocs(site)
    zensical_dir, proc = build_zensical(site, cwd=tmp_path)
    return site, snippets_by_page(mkdocs_dir), snippets_by_page(zensical_dir), proc


def test_zensical_renders_the_same_snippets_as_mkdocs(built):
    _site, mkdocs_pages, zensical_pages, _proc = built
    with_snippets = {p: e for p, e in mkdocs_pages.items() if e}
    assert {p: states(e) for p, e in with_snippets.items()} == EXPECTED_STATES
    assert set(zensical_pages) == set(mkdocs_pages)
    for page, elements in mkdocs_pages.items():
        assert zensical_pages[page] == elements, page


def test_each_page_shows_its_own_capture(built):
    _site, mkdocs_pages, zensical_pages, _proc = built
    for pages in (mkdocs_pages, zensical_pages):
        # Twins share a page key; by path each still gets its own capture.
        assert "on twin-a.md" in pages["twin-a"][0] and "on twin-b.md" in pages["twin-b"][0]
        # A sandboxed page (front matter changes its key) is found, not stale.
        assert "on sandbox.md" in pages["sandbox"][1]
        changed, stale = pages["stale"]
        assert "on stale.md" in stale and "古いキャプチャ" in stale
        assert "kc-placeholder" in changed and "get nodes" in changed
        index = pages["index"]
        assert 'id="kc-nodes"' in index[0] and "ノード" in index[0]
        assert index[3].count("kc-stderr") == 1 and "does-not-exist" in index[3]
        assert "kc-fold" in index[4]  # fold="5" on a 31-line output
        assert "<code>" in pages["index"][5] and "kubectl get service" in index[5]
        # The ````markdown example is not a snippet.
        assert not any("kubectl get pod example" in e for e in index)


def article(html: str) -> str:
    """The page's rendered Markdown: from its first heading to the end of the article."""
    return html[html.index("<h1") : html.index("</article>")].strip()


def test_drift_report_page_renders_the_same_under_both(built):
    """Zensical cannot generate the plugin's report page; a page holding the marker
    `<!-- kubecapture: drift-report -->` gets the same report from the extension."""
    site, *_ = built
    pages = [(site / d / "changes.html").read_text("utf-8") for d in ("site-mkdocs", "site")]
    assert article(pages[0]) == article(pages[1])
    assert "クラスター更新による変化" in pages[1]
    # The snippet's anchor, named by its page's title (both know use_directory_urls: false)
    assert '<a href="index.html#kc-nodes">取得済みのページ</a>' in pages[1]
    assert "NotReady" in pages[1] and "kubecapture: drift-report" not in pages[1]


def test_drift_report_marker_in_a_code_block_stays_as_written(tmp_path):
    from kubecapture.site.markers import report_lines

    lines = [
        "```markdown",
        "<!-- kubecapture: drift-report -->",
        "```",
        "",
        "<!-- kubecapture: drift-report -->",
    ]
    out = report_lines(lines, tmp_path, "ja", "report.md")
    assert out[:4] == lines[:4] and out[4].startswith("# ") and len(out) > 5


def test_zensical_warns_as_the_plugin_does(built):
    site, *_, proc = built
    log = proc.stdout + proc.stderr
    assert "stale.md: captures are stale" in log
    assert "kubectl fence was rendered without captures" not in log
    # An unexpected exit code, at the line of the page file (front matter included).
    expected = "warn.md:11: `kubectl get pod does-not-exist` exited with 1 (expected 0)"
    assert expected in log
    assert expected in _run(["mkdocs", "build", "-d", "site-again"], cwd=site).stderr


def test_snippet_error_stops_the_zensical_build_naming_page_and_line(tmp_path):
    site = make_site(tmp_path)
    page = site / "docs/guide/nested.md"
    page.write_text(page.read_text().replace('id="nested"', 'colour="red"'))
    proc = subprocess.run(
        [sys.executable, "-m", "zensical", "build", "--clean", "-f", str(site / "mkdocs.yml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert 'guide/nested.md:3: unknown option "colour"' in proc.stdout + proc.stderr


def test_assets_come_inline_under_zensical_and_as_files_under_the_plugin(built):
    site, *_ = built
    zensical = (site / "site" / "index.html").read_text(encoding="utf-8")
    assert zensical.count("<style data-kubecapture>") == 1
    assert zensical.count("<script data-kubecapture>") == 1
    assert ".kubecapture .kc-terminal" in zensical
    plain = (site / "site" / "plain.html").read_text(encoding="utf-8")
    assert "data-kubecapture" not in plain
    mkdocs = (site / "site-mkdocs" / "index.html").read_text(encoding="utf-8")
    assert "data-kubecapture" not in mkdocs and "assets/kubecapture.css" in mkdocs
    assert (site / "site-mkdocs" / "assets" / "kubecapture.css").is_file()


def test_mkdocs_without_the_plugin_finds_captures_by_their_snippets(built):
    """The extension alone under MkDocs: no page path, so captures are found by page key
    (either sandbox choice: MkDocs hides front matter) or, for a stale page, by the
    snippets they share. Twins are alike by definition: one of them gets the other's."""
    site, mkdocs_pages, _zensical, _proc = built
    alone = snippets_by_page(build_mkdocs(site, "mkdocs-no-plugin.yml", out="site-alone"))
    for page, elements in mkdocs_pages.items():
        if page != "twin-b":
            assert alone[page] == elements, page
    assert states(alone["twin-b"]) == ["captured"]


def test_zensical_rerenders_when_a_capture_changes(tmp_path):
    """Zensical caches rendered pages by their Markdown; `watch: [captures]` in the
    config makes a new capture file invalidate that cache (mtimes, whole seconds)."""
    site = make_site(tmp_path)
    out, _ = build_zensical(site, cwd=tmp_path, clean=True)
    assert "on guide/nested.md" in (out / "guide/nested.html").read_text(encoding="utf-8")
    path = store.capture_path(site / "captures", "guide/nested.md")
    page = store.load(path)
    page.snippets[0].results[0].stdout = "a newer output\n"
    store.save(path, page)
    later = path.stat().st_mtime + 5
    os.utime(path, (later, later))
    build_zensical(site, cwd=tmp_path, clean=False)
    html = (out / "guide/nested.html").read_text(encoding="utf-8")
    assert "a newer output" in html and "on guide/nested.md" not in html


def test_malformed_capture_stops_the_zensical_build_naming_the_file(tmp_path):
    """As under the plugin: a page's unreadable capture is an error, not placeholders."""
    site = make_site(tmp_path)
    path = store.capture_path(site / "captures", "guide/nested.md")
    path.write_text(path.read_text().replace("snippets:", "snippets: [", 1))
    proc = subprocess.run(
        [sys.executable, "-m", "zensical", "build", "--clean", "-f", str(site / "mkdocs.yml")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert f"{path}: malformed capture file" in proc.stdout + proc.stderr


# --- the notes site ---------------------------------------------------------------------

FENCE_CONFIG = """\
        - name: kubectl
          class: kubectl
          validator: !!python/name:kubecapture.fence.validator
          format: !!python/name:kubecapture.fence.formatter
        - name: console
          class: console
          validator: !!python/name:kubecapture.console.validator
          format: !!python/name:kubecapture.console.formatter
"""


def zensical_ready(config: str) -> str:
    """The notes' mkdocs.yml plus what a Zensical build needs (see guide-zensical.md)."""
    if "kubecapture.fence" in config:
        return config
    config = config.replace(
        "  - pymdownx.superfences:\n",
        "  - kubecapture.fence:\n      lang: ja\n  - pymdownx.superfences:\n",
        1,
    )
    anchor = "          format: !!python/name:pymdownx.superfences.fence_code_format\n"
    assert anchor in config, "the notes' superfences config changed; update this test"
    config = config.replace(anchor, anchor + FENCE_CONFIG, 1)
    if not re.search(r"^watch:", config, re.M):
        config += "\nwatch:\n  - snippets/captures\n"
    return config


def test_notes_site_shows_the_same_snippets_under_zensical(tmp_path):
    notes = tmp_path / "notes"
    notes.mkdir()
    for name in ("docs", "snippets"):
        shutil.copytree(REPO / name, notes / name)
    (notes / "snippets" / "captures").mkdir(exist_ok=True)  # `watch` wants it to exist
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    # The drift report: a page with the marker instead of the plugin's report_page.
    report_page = re.search(r"^\s*report_page:\s*(\S+)\s*$", config, re.M)
    if report_page:
        config = config.replace(report_page[0] + "\n", "")
        page = notes / "docs" / report_page[1]
        if not page.exists():
            page.write_text("<!-- kubecapture: drift-report -->\n", encoding="utf-8")
    (notes / "mkdocs.yml").write_text(zensical_ready(config), encoding="utf-8")
    mkdocs_dir = build_mkdocs(notes)
    mkdocs_pages = snippets_by_page(mkdocs_dir)
    # pymdownx.snippets' base_path is relative to the working directory (both builders).
    zensical_dir, _ = build_zensical(notes, cwd=notes)
    zensical_pages = snippets_by_page(zensical_dir)
    assert sum(len(e) for e in mkdocs_pages.values()) > 0
    for page, elements in mkdocs_pages.items():
        if elements:
            assert zensical_pages.get(page) == elements, page
    # kubecapture.cjk runs under both: no line break of the source shows as a space
    # between Japanese characters (tests/test_cjk.py checks the MkDocs build in full).
    from test_cjk import soft_breaks

    for builder in (mkdocs_dir, zensical_dir):
        overview = (builder / "course" / "02-overview.html").read_text("utf-8")
        assert "<article" in overview and "ためのオープンソース" in overview, builder
        assert soft_breaks(overview) == [], builder
    if report_page:
        name = Path(report_page[1]).with_suffix(".html")
        pages = [(d / name).read_text("utf-8") for d in (mkdocs_dir, zensical_dir)]
        assert article(pages[0]) == article(pages[1])
    # Only the newest output of a snippet is searchable, under both builders: section 4's
    # `get pod -n kube-system` shows minikube's `storage-provisioner` only in the original
    # notes' output (the newest, on the project's real node, has no such addon).
    indexes = {
        "mkdocs": json.loads((mkdocs_dir / "search" / "search_index.json").read_text("utf-8"))[
            "docs"
        ],
        "zensical": json.loads((zensical_dir / "search.json").read_text("utf-8"))["items"],
    }
    newest = store.load(REPO / "snippets/captures/course/04-kubectl.yaml").snippets[0]
    context = newest.provenance.context  # the newest outputs' cluster
    for builder, items in indexes.items():
        section4 = " ".join(
            json.dumps(i, ensure_ascii=False)
            for i in items
            if i["location"].startswith("course/04-kubectl.html")
        )
        assert context in section4 and "storage-provisioner" not in section4, builder


# --- kubecapture refresh ------------------------------------------------------------------


@pytest.mark.parametrize("config", [REPO / "mkdocs.yml", FIXTURE / "mkdocs.yml"])
def test_refresh_plans_pages_in_the_order_mkdocs_builds_them(config):
    """Pages share the cluster, so `kubecapture refresh` must run them in the plugin's
    order (MkDocs' file order), or a page could see another page's objects differently."""
    from kubecapture.tools import cli
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    site = cli.load(config, "replay")
    with_snippets = {p.page for p in site.plans}
    expected = [
        f.src_uri
        for f in get_files(load_config(str(config))).documentation_pages()
        if f.src_uri in with_snippets
    ]
    assert [p.page for p in site.plans] == expected and len(expected) >= 3


def _captures(site: Path) -> dict[str, store.PageCapture]:
    out = {}
    for path in store.all_capture_files(site / "captures"):
        page = store.load(path)
        for snippet in page.snippets:
            snippet.provenance.captured_at = "(when)"
            for result in snippet.results:  # a just-created object is 0s or 1s old
                result.stdout = re.sub(r"\b\d{1,2}s\b", "(age)", result.stdout)
        out[path.relative_to(site / "captures").as_posix()] = page
    return out


def test_refresh_writes_the_captures_a_live_mkdocs_build_writes(tmp_path, standin, kube_env):
    """Live capture without MkDocs: `kubecapture refresh` is the plugin's code path."""
    from sites import build, kubecapture

    built = tmp_path / "built"
    shutil.copytree(FIXTURE, built)
    live = build(built / "mkdocs.yml", kube_env)
    assert live.returncode == 0, live.log

    refreshed = tmp_path / "refreshed"
    shutil.copytree(FIXTURE, refreshed)
    run = kubecapture(refreshed / "mkdocs.yml", kube_env, "refresh")
    assert run.returncode == 0, run.log

    expected = _captures(built)
    assert len(expected) == 9  # every page with snippets, and nothing else
    assert _captures(refreshed) == expected
    # The drift report too: first captures, so every snippet is new and the saved
    # history report has no step yet.
    reports = [(d / "captures/drift-report.json").read_text("utf-8") for d in (built, refreshed)]
    when = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
    assert when.sub("(when)", reports[0]) == when.sub("(when)", reports[1])
    assert '"entries": []' in reports[1]
    for log in (live.log, run.log):
        assert "drift: 0 changed, 0 volatile only, 0 unchanged, 18 new (18 snippets)" in log

    # Named pages: only those run, and a Zensical build then shows them.
    only = tmp_path / "only"
    shutil.copytree(FIXTURE, only)
    run = kubecapture(only / "mkdocs.yml", kube_env, "refresh", "index.md", "docs/sandbox.md")
    assert run.returncode == 0, run.log
    assert set(_captures(only)) == {"index.yaml", "sandbox.yaml"}
    out, _ = build_zensical(only, cwd=tmp_path)
    assert states(snippet_elements((out / "sandbox.html").read_text("utf-8"))) == [
        "captured",
        "captured",
    ]
