"""render.py (Capture -> HTML), the fold, titles, provenance; the offline shim; share."""

from __future__ import annotations

import hashlib
import html as htmllib
import importlib.util
import re
import zipfile
from pathlib import Path

import markdown
import pytest
from kubecapture.base.snippets import page_key, parse_page
from kubecapture.captures import store
from kubecapture.site import fence, offline, render
from kubecapture.site.render import View
from kubecapture.tools import share
from sites import build, make_site, offline_env

FIXTURE = Path(__file__).parent / "fixtures" / "browser"
PROV = store.Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T00:42:00Z", "test fixture")


def cap(*results: tuple[str, str] | tuple[str, str, str, int]) -> store.SnippetCapture:
    out = []
    for r in results:
        command, stdout, stderr, code = (*r, "", 0) if len(r) == 2 else r
        out.append(store.CommandResult(command, code, stdout, stderr))
    return store.SnippetCapture("k", out, PROV)


def data_copy(html: str) -> str:
    return htmllib.unescape(re.search(r'data-copy="([^"]*)"', html)[1])


def code_text(html: str) -> str:
    """What the <code> shows, tags stripped (prompts included)."""
    code = re.search(r"<code>(.*?)</code>", html, re.S)[1]
    return htmllib.unescape(re.sub(r"<[^>]+>", "", code))


# --- copy -------------------------------------------------------------------------------


def test_copy_is_the_commands_one_per_line_without_prompt_or_output():
    commands = ["kubectl get namespace", "kubectl get pods \\\n  --namespace kube-system"]
    view = View(commands, cap((commands[0], "NAME\n"), (commands[1], "coredns\n")), lang="ja")
    html = render.render(view)
    assert data_copy(html) == "\n".join(commands)
    assert data_copy(html).splitlines() == [
        "kubectl get namespace",
        "kubectl get pods \\",
        "  --namespace kube-system",
    ]
    assert "$" not in data_copy(html)
    # the page shows prompts and output; the prompt cannot be selected
    assert code_text(html).startswith("$ kubectl get namespace\nNAME\n$ kubectl get pods \\\n")
    assert '<span class="gp">$ </span>' in html


def test_copy_escapes_what_html_would_break():
    command = (
        """kubectl get pods -o jsonpath='{.items[*].metadata.name}' -l 'a in (x,y)' """
        '--sort-by="<&>"'
    )
    html = render.render(View([command], None))
    assert data_copy(html) == command
    assert "<&>" not in html.replace("&lt;&amp;&gt;", "")


# --- states -----------------------------------------------------------------------------


def test_missing_shows_only_commands_and_a_placeholder_never_output():
    html = render.render(View(["kubectl get node"], None, lang="ja"))
    assert 'class="kubecapture kc-missing"' in html
    assert code_text(html) == "$ kubectl get node\n"
    assert 'class="kc-placeholder"' in html and "まだキャプチャされていません" in html
    assert "kc-provenance" not in html


def test_captured_has_a_quiet_provenance_line_with_full_details():
    html = render.render(View(["kubectl get node"], cap(("kubectl get node", "NAME\n")), lang="ja"))
    # recorded elsewhere than a build (here a test fixture): said so, also in the summary
    assert 'class="kubecapture kc-captured kc-imported"' in html
    summary = re.search(r"<summary[^>]*>(.*?)</summary>", html, re.S)[1]
    assert re.sub(r"<[^>]+>", "", summary) == (
        "キャプチャ minikube · v1.24.0 · 2026-11-26 · test fixture"
    )
    details = dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", html))
    assert details == {
        "コンテキスト": "minikube",
        "サーバー": "v1.24.0",
        "kubectl": "v1.37.1",
        "取得日時": "2026-11-26T00:42:00Z",
        "出典": "test fixture",
    }
    hover = htmllib.unescape(re.search(r'<summary title="([^"]*)"', html)[1])
    assert "kubectl: v1.37.1" in hover and "出典: test fixture" in hover
    assert "kc-placeholder" not in html


def test_live_source_and_stale_are_spelled_out():
    live = cap(("kubectl get node", "x\n"))
    live.provenance = store.Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T00:42:00Z")
    html = render.render(View(["kubectl get node"], live, stale=True, lang="ja"))
    assert 'class="kubecapture kc-stale"' in html  # live: not kc-imported
    # A replayed output was recorded when its date says: its source claims no build time.
    assert "<dd>kubectl を実行して記録</dd>" in html and "ビルド時" not in html
    assert "minikube · v1.24.0 · 2026-11-26 · 古いキャプチャ</summary>" in html
    assert "スニペットが変更された後" in html


def test_stderr_and_exit_code_are_shown_apart_from_stdout():
    html = render.render(
        View(
            ["kubectl get pod x"],
            cap(("kubectl get pod x", "", 'Error from server (NotFound): pods "x" not found\n', 1)),
            lang="ja",
        )
    )
    assert '<span class="go kc-stderr">Error from server' in html
    assert '<span class="kc-exit">終了コード 1</span>' in html
    html0 = render.render(View(["kubectl get node"], cap(("kubectl get node", "NAME\n"))))
    assert "kc-exit" not in html0


def test_imported_outputs_without_date_or_kubectl_version():
    imported = cap(("kubectl get node", "x\n"))
    imported.provenance = store.Provenance("minikube", "v1.22.2", "", "", "the original notes")
    html = render.render(View(["kubectl get node"], imported, lang="ja"))
    assert "minikube · v1.22.2 · 日付不明 · 元のノート (手で貼り付けた出力)</summary>" in html
    assert "<dt>出典</dt><dd>元のノート (手で貼り付けた出力)</dd>" in html
    assert "<dt>kubectl</dt><dd>不明</dd>" in html


def test_english_strings_for_other_languages():
    html = render.render(View(["kubectl get node"], None, lang="de"))
    assert "Not captured yet" in html


# --- titles: Material's own markup ------------------------------------------------------


def test_title_uses_materials_code_block_title_markup():
    html = render.render(View(["kubectl get node"], None, title="ノード <一覧>"))
    ours = re.search(
        r'<div class="[^"]*highlight[^"]*">(<span class="filename">.*?</span>)<pre>', html
    )
    assert ours and ours[1] == '<span class="filename">ノード &lt;一覧&gt;</span>'
    theirs = markdown.Markdown(extensions=["pymdownx.highlight", "pymdownx.superfences"]).convert(
        '```console title="ノード <一覧>"\n$ x\n```'
    )
    assert '<span class="filename">ノード &lt;一覧&gt;</span><pre>' in theirs


# --- fold -------------------------------------------------------------------------------


def lines(n: int) -> str:
    return "".join(f"line {i}\n" for i in range(1, n + 1))


def test_long_output_folds_but_is_all_in_the_page():
    html = render.render(
        View(
            ["kubectl api-resources"], cap(("kubectl api-resources", lines(57))), fold=40, lang="ja"
        )
    )
    assert '<span class="kc-fold" style="--kc-fold-lines:40">' in html
    assert "line 57" in html  # no JS: everything is there
    button = re.search(r"<button[^>]*>(.*?)</button>", html)
    assert "hidden" in button[0] and 'aria-expanded="false"' in button[0]
    assert button[1] == "すべて表示 (57 行)"
    assert 'data-kc-hide="折りたたむ"' in button[0]
    assert "すべて表示" not in data_copy(html)


@pytest.mark.parametrize(
    ("count", "fold", "folded"),
    [
        (45, 40, False),  # a handful over the limit: not worth a click
        (46, 40, True),
        (16, 10, True),
        (500, 0, False),  # fold="0": never
    ],
)
def test_fold_threshold(count, fold, folded):
    html = render.render(View(["kubectl x"], cap(("kubectl x", lines(count))), fold=fold))
    assert ("kc-fold" in html) is folded


def test_fold_option_of_a_fence_wins_over_the_plugin_setting():
    text = (
        '```kubectl fold="10"\nkubectl describe node\n```\n\n'
        "```kubectl\nkubectl describe node\n```\n"
    )

    snippets = parse_page(text, "p.md")
    key = page_key(snippets, {"sandbox": False})
    captures = [
        store.SnippetCapture(
            s.key, [store.CommandResult("kubectl describe node", 0, lines(30))], PROV
        )
        for s in snippets
    ]
    context = fence.PageContext(
        "p.md", snippets, store.PageCapture("p.md", key, captures), key, fold=40
    )
    fences = [
        {
            "name": "kubectl",
            "class": "kubectl",
            "validator": fence.validator,
            "format": fence.formatter,
        }
    ]
    fence.set_page(context)
    try:
        html = markdown.Markdown(
            extensions=["pymdownx.highlight", "pymdownx.superfences"],
            extension_configs={"pymdownx.superfences": {"custom_fences": fences}},
        ).convert(text)
    finally:
        fence.set_page(None)
    assert html.count("--kc-fold-lines:10") == 1 and "--kc-fold-lines:40" not in html


def test_css_folds_only_once_the_script_runs_and_scrolls_long_lines():
    css = (Path(offline.ASSETS) / "kubecapture.css").read_text()
    assert ".kc-js .kc-fold:not(.kc-open)" in css  # no JS, no fold
    assert "white-space: pre; overflow-x: auto" in css
    assert "overflow-y: clip" in css  # a folded block still scrolls sideways
    assert "http" not in css and "@import" not in css  # nothing from a CDN
    js = (Path(offline.ASSETS) / "kubecapture.js").read_text()
    assert "http" not in js


# --- offline shim and share -------------------------------------------------------------


def test_vendored_shim_is_iframe_worker_1_0_4_with_its_license():
    shim = (offline.ASSETS / "iframe-worker-shim.js").read_bytes()
    assert hashlib.sha256(shim).hexdigest() == (
        "e8e412dbcfea9b7e31b5ffa288d7b6035915e714c542f4176a0cdbe262fc9609"
    )
    assert "Martin Donath" in (offline.ASSETS / "iframe-worker-LICENSE.txt").read_text()


class FakeOffline:
    __module__ = "material.plugins.offline.plugin"

    def __init__(self, enabled):
        self.config = type("C", (), {"enabled": enabled})()


class FakeConfig:
    def __init__(self, enabled, polyfills=None):
        self.plugins = {"search": object(), "material/offline": FakeOffline(enabled)}
        self.extra = {"polyfills": polyfills} if polyfills is not None else {}


@pytest.mark.parametrize(
    "before",
    [
        None,
        [],
        ["https://unpkg.com/iframe-worker/shim"],
        ["assets/other.js", "https://unpkg.com/iframe-worker/shim"],
    ],
)
def test_local_shim_replaces_the_cdn_whatever_the_plugin_order(before):
    config = FakeConfig(True, before)
    assert offline.use_local_shim(config)
    polyfills = config.extra["polyfills"]
    assert polyfills[-1] == offline.SHIM
    assert not any("unpkg" in p for p in polyfills)
    # Material's offline plugin, configuring after us, adds its CDN URL only when no
    # polyfill mentions iframe-worker.
    assert any("iframe-worker" in url for url in polyfills)


def test_no_shim_without_the_offline_plugin():
    config = FakeConfig(False)
    assert not offline.use_local_shim(config)
    assert "polyfills" not in config.extra


def load_fixture_site():
    spec = importlib.util.spec_from_file_location("fixture_site", FIXTURE / "fixture_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_offline_build_needs_no_network_and_zips(tmp_path):
    site = load_fixture_site().build(tmp_path / "src", offline=True)
    assert share.problems(site) == []
    page = (site / "index.html").read_text()
    assert '<script src="assets/iframe-worker-shim.js">' in page
    assert "unpkg.com" not in page
    assert (site / "assets" / "iframe-worker-LICENSE.txt").is_file()
    out = tmp_path / "site.zip"
    assert share.main([str(site), str(out)]) == 0
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
    assert "site/index.html" in names and "site/search/search_index.js" in names
    assert names == sorted(names)
    first = out.read_bytes()
    assert share.main([str(site), str(out)]) == 0 and out.read_bytes() == first  # stable


def test_share_refuses_a_site_that_needs_the_network(tmp_path, capsys):
    site = load_fixture_site().build(tmp_path / "src", offline=False)
    assert share.main([str(site), str(tmp_path / "site.zip")]) == 1
    err = capsys.readouterr().err
    assert "search/search_index.js is missing" in err
    assert not (tmp_path / "site.zip").exists()
    (site / "search" / "search_index.js").write_text("var __index = {}")
    (site / offline.SHIM).write_text("")
    (site / "extra.html").write_text(
        '<script src="https://unpkg.com/x"></script>'
        '<link rel="canonical" href="https://example.org/">'
    )
    found = share.problems(site)
    assert "extra.html: loads https://unpkg.com/x from the network" in found
    # Built without the offline plugin, MkDocs' 404 page links from `/`: from disk, the
    # disk's root. That is a problem too; nothing else is.
    others = [p for p in found if "from the network" not in p]
    assert others and all(p.startswith("404.html: loads /") for p in others), others


def test_share_refuses_a_page_that_loads_files_from_outside_the_site(tmp_path):
    """Issue 26: only the site's own files may be loaded, from disk as in the handout:
    an iframe, object or image leading to the computer's files is refused, by name."""
    site = load_fixture_site().build(tmp_path / "src", offline=True)
    assert share.problems(site) == []
    (site / "evil.html").write_text(
        '<iframe src="../../../outside/x"></iframe><object data="file:///etc/passwd"></object>'
        '<embed src="/etc/hostname"><img src="assets/ok.png"><a href="../elsewhere.html">x</a>'
        '<iframe src="data:text/html,hi"></iframe>'
    )
    found = share.problems(site)
    assert found == [
        "evil.html: loads ../../../outside/x, outside the site: only the site's own files may be",
        "evil.html: loads file:///etc/passwd, a file of the computer: only the site's own "
        "files may be",
        "evil.html: loads /etc/hostname, the root of the disk when opened from it: only the "
        "site's own files may be",
    ]


def test_a_link_to_a_snippets_anchor_on_another_page_is_valid(tmp_path):
    """MkDocs validates links to anchors against the ids it saw in the Markdown; a
    snippet's anchor is in the fence's HTML. With anchor validation as a warning, --strict
    passes for a link to a snippet and still fails for a link to no anchor."""
    fence_page = '# A\n\n```kubectl id="get-node"\nkubectl get node\n```\n'
    for anchor, ok in (("kc-get-node", True), ("kc-no-such-snippet", False)):
        site = make_site(
            tmp_path / anchor,
            {"a.md": fence_page, "b.md": f"# B\n\n[the nodes](a.md#{anchor})\n"},
        )
        site.write_text(site.read_text() + "validation:\n  anchors: warn\n")
        built = build(site, offline_env(), "--strict", mode="replay")
        assert (built.returncode == 0) is ok, built.log
        assert ("does not contain an anchor" in built.log) is not ok
