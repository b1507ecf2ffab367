"""The reader's side in headless Chromium (Debian's /usr/bin/chromium): copy, fold, long
lines, provenance, Japanese search, and the shared zip opened from disk with no network.

The fixture site (tests/fixtures/browser) is built once per session in replay mode with
test captures; one browser (conftest.py) serves every test. Set KUBECAPTURE_SCREENSHOTS=DIR to keep
screenshots of what the tests saw (light and dark).
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import threading
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

FIXTURE = Path(__file__).parent / "fixtures" / "browser"
COPY = "button.md-code__button[data-md-type=copy]"
SHOTS = os.environ.get("KUBECAPTURE_SCREENSHOTS")


def fixture_site():
    spec = importlib.util.spec_from_file_location("fixture_site", FIXTURE / "fixture_site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def served(tmp_path_factory, browser):
    """The fixture site built normally, served over http://127.0.0.1 (search needs it)."""
    site = fixture_site().build(tmp_path_factory.mktemp("served"))
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def page(browser, served):
    context = browser.new_context(
        viewport={"width": 1100, "height": 900},
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


# --- copy -------------------------------------------------------------------------------


def copied(page, block) -> str:
    page.evaluate("navigator.clipboard.writeText('(nothing copied)')")
    block.hover()
    block.locator(COPY).click()
    page.wait_for_function(
        "navigator.clipboard.readText().then(t => t !== '(nothing copied)')", timeout=5000
    )
    return page.evaluate("navigator.clipboard.readText()")


def test_copy_button_copies_exactly_the_commands(page, served):
    page.goto(f"{served}/index.html")
    assert copied(page, page.locator("#kc-nodes")) == "kubectl get node"
    # several commands, one per line; the continuation as written (what a shell needs);
    # never the prompt, the comment, or output
    assert copied(page, page.locator("#kc-multi")) == (
        "kubectl get namespace\nkubectl get pod \\\n  --namespace kube-system"
    )
    assert copied(page, page.locator("#kc-missing")) == "kubectl get node -o yaml"


def test_copy_on_transcripts_and_plain_console_blocks(page, served):
    page.goto(f"{served}/transcripts.html")
    blocks = page.locator(".md-content .kubecapture, .md-content .kc-console")
    assert [copied(page, blocks.nth(i)) for i in range(blocks.count())] == [
        "kubectl config current-context\nkubectl get namespace",
        "minikube start\nkubectl get node",
        "kubectl get pod --namespace kube-system",
        "kubectl get pods -w",
        "minikube status",
    ]


# --- reading: fold, long lines, provenance, placeholders --------------------------------


def line_height(page, selector: str) -> float:
    return page.evaluate(
        f"parseFloat(getComputedStyle(document.querySelector('{selector}')).lineHeight)"
    )


def test_long_output_folds_and_toggles(page, served):
    page.goto(f"{served}/index.html")
    fold = page.locator("#kc-resources .kc-fold")
    button = page.locator("#kc-resources .kc-fold-toggle")
    lh = line_height(page, "#kc-resources code")
    assert button.is_visible() and button.inner_text().endswith("すべて表示 (57 行)")
    folded = fold.bounding_box()["height"]
    assert 38 * lh <= folded <= 41 * lh  # 40 lines
    button.click()
    assert fold.bounding_box()["height"] >= 57 * lh - 1
    assert button.get_attribute("aria-expanded") == "true" and "折りたたむ" in button.inner_text()
    button.click()
    assert fold.bounding_box()["height"] == pytest.approx(folded, abs=1)
    # fold="10" on the fence
    describe = page.locator("#kc-describe .kc-fold").bounding_box()["height"]
    assert 9 * lh <= describe <= 11 * lh


def test_without_javascript_everything_shows(browser, served):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{served}/index.html")
        assert page.locator("#kc-resources .kc-fold-toggle").is_hidden()
        fold = page.locator("#kc-resources .kc-fold")
        assert fold.bounding_box()["height"] > 57 * 14  # all 57 lines at any sane line height
        assert "flowschemas" in fold.inner_text() and "volumeattachments" in fold.inner_text()
    finally:
        context.close()


def test_long_lines_scroll_sideways_instead_of_wrapping(browser, served):
    context = browser.new_context(viewport={"width": 700, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{served}/index.html")
        for block in ("#kc-wide", "#kc-resources"):  # plain, and folded
            sizes = page.evaluate(
                f"(() => {{ const c = document.querySelector('{block} code');"
                " return [c.scrollWidth, c.clientWidth, getComputedStyle(c).whiteSpace]; })()"
            )
            assert sizes[0] > sizes[1] + 50 and sizes[2] == "pre", (block, sizes)
        # the table's header is one line, not wrapped into two
        lh = line_height(page, "#kc-wide code")
        header = page.locator("#kc-wide .go").bounding_box()["height"]
        assert header < 2.5 * lh  # two output lines (header + minikube), unwrapped
        # the wide text is reachable by scrolling
        page.locator("#kc-wide code").evaluate("c => c.scrollLeft = c.scrollWidth")
        assert page.locator("#kc-wide code").evaluate("c => c.scrollLeft") > 0
    finally:
        context.close()


def test_provenance_line_and_placeholders_look_different(page, served):
    page.goto(f"{served}/index.html")
    summary = page.locator("#kc-nodes .kc-provenance summary")
    assert " ".join(summary.inner_text().split()) == (
        "キャプチャ minikube · v1.24.0 · 2026-11-26 · test fixture"
    )
    assert "出典: test fixture" in summary.get_attribute("title")  # hover
    details = page.locator("#kc-nodes .kc-provenance dl")
    assert details.is_hidden()
    summary.click()
    assert details.is_visible() and "test fixture" in details.inner_text()
    assert "v1.37.1" in details.inner_text()
    # quiet: smaller and lighter than the text around it
    size = summary.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    body = page.locator(".md-content p").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size < body
    # a placeholder has no provenance, a dashed frame and a visible note
    missing = page.locator("#kc-missing")
    assert missing.locator(".kc-provenance").count() == 0
    assert missing.locator(".kc-placeholder").is_visible()
    style = "e => getComputedStyle(e).borderTopStyle"
    assert missing.locator("code").evaluate(style) == "dashed"
    assert page.locator("#kc-nodes code").evaluate(style) != "dashed"
    shot(page, "index-light")


def test_pasted_transcript_is_marked_and_dark_mode_renders(browser, served):
    context = browser.new_context(viewport={"width": 1100, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(f"{served}/transcripts.html")
        assert page.locator("body").get_attribute("data-md-color-scheme") == "slate"
        pasted = page.locator("#kc-pasted")
        assert pasted.locator(".kc-pasted-note").is_visible()
        assert "貼り付けられた出力" in pasted.inner_text()
        assert pasted.locator(".kc-provenance").count() == 0
        # code stays on Material's dark code background; text readable (light on dark)
        bg, fg = page.locator("#kc-pasted code").evaluate(
            "e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]"
        )
        assert _luma(bg) < 0.3 and _luma(fg) > 0.6
        shot(page, "transcripts-dark")
        page.goto(f"{served}/index.html")
        shot(page, "index-dark")
    finally:
        context.close()


def _luma(css_color: str) -> float:
    r, g, b = (float(x) for x in css_color[css_color.index("(") + 1 : -1].split(",")[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


# --- search -----------------------------------------------------------------------------


def search(page, query: str) -> list[str]:
    """Type into Material's search box; the result links."""
    page.locator("label.md-search__icon, .md-search__input").first.click()
    box = page.locator("input.md-search__input")
    box.fill("")  # the previous query's results must go first, or we would read them
    box.press("End")
    page.locator(".md-search-result__item").first.wait_for(state="detached", timeout=10_000)
    box.fill(query)
    box.press("End")  # Material searches on key events
    page.locator(".md-search-result__item").first.wait_for(timeout=10_000)
    return page.locator(".md-search-result__item > a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )


def test_japanese_search_finds_pages(page, served):
    page.goto(f"{served}/index.html")
    hits = search(page, "名前空間")
    assert any(h.split("?")[0].endswith("/index.html") for h in hits), hits
    hits = search(page, "コンテナ")
    assert any(h.split("?")[0].endswith("/transcripts.html") for h in hits), hits
    shot(page, "search")


# --- the shared zip, opened from disk, offline ------------------------------------------


@pytest.fixture(scope="session")
def unzipped(tmp_path_factory, browser) -> Path:
    from kubecapture.tools import share

    root = tmp_path_factory.mktemp("share")
    site = fixture_site().build(root / "src", offline=True)
    assert share.problems(site) == []
    zip_path = root / "site.zip"
    share.write_zip(site, zip_path)
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(root / "unzipped")
    return root / "unzipped" / "site"


def test_offline_zip_opened_from_disk_shows_pages_and_search(browser, unzipped):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    requested: list[str] = []

    def no_network(route):
        requested.append(route.request.url)
        route.abort()

    context.route("http://*/**", no_network)
    context.route("https://*/**", no_network)
    try:
        page = context.new_page()
        page.goto((unzipped / "index.html").as_uri())
        assert page.locator("h1").inner_text() == "kubecapture 表示テスト"
        assert "minikube" in page.locator("#kc-nodes").inner_text()
        hits = search(page, "コンテナ")
        assert any("transcripts.html" in h for h in hits), hits
        page.locator(".md-search-result__item > a").first.click()
        page.wait_for_url("**/transcripts.html*")
        assert page.url.startswith("file://")
        hits = search(page, "名前空間")
        assert any("index.html" in h for h in hits), hits
        shot(page, "offline-search")
        assert requested == []  # nothing from the network, not even tried
    finally:
        context.close()


# --- MkDocs' own theme (tests/fixtures/themes): the plugin without Material ------------


def test_mkdocs_theme_folds_long_outputs_and_shows_provenance_as_one_line(browser, tmp_path):
    """The long output is folded and the toggle opens it; the provenance is one visible
    line under each block, its details a click away."""
    spec = importlib.util.spec_from_file_location(
        "site_fixture", Path(__file__).parent / "fixtures" / "themes" / "site_fixture.py"
    )
    themes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(themes)
    from sites import build, offline_env

    config = themes.make(tmp_path / "mkdocs", "mkdocs")
    built = build(config, offline_env(), "--strict", mode="replay")
    assert built.returncode == 0, built.log
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        page.goto((config.parent / "site" / "index.html").as_uri())
        fold = page.locator("#kc-long .kc-fold")
        toggle = page.locator("#kc-long .kc-fold-toggle")
        assert toggle.is_visible()
        shown, full = fold.evaluate("e => [e.clientHeight, e.scrollHeight]")
        assert shown < full / 2, (shown, full)  # 3 of 9 lines
        toggle.click()
        shown, full = fold.evaluate("e => [e.clientHeight, e.scrollHeight]")
        assert shown == full, (shown, full)
        summary = page.locator("#kc-nodes .kc-provenance > summary")
        assert "kind-themes · v1.31.4 · 2026-11-28" in summary.inner_text()
        box = summary.bounding_box()
        assert box and box["height"] < 30, box  # one line, not a card
        details = page.locator("#kc-nodes .kc-provenance dl")
        assert not details.is_visible()
        summary.click()
        assert details.is_visible()
        shot(page, "mkdocs-theme")
    finally:
        context.close()
