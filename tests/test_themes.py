"""The plugin does not need Material: with MkDocs' own theme a replayed site shows every
output and its provenance, and the Material-only touches (the copy button, Material's
colour variables) are simply absent. The same site with Material for comparison."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "themes"))
import site_fixture  # noqa: E402

sys.path.pop(0)

from sites import build, offline_env  # noqa: E402


def check_site(site: Path, theme: str) -> str:
    """What every theme must show; returns the page's HTML."""
    html = (site / "index.html").read_text(encoding="utf-8")
    classes = re.findall(r'<div class="(kubecapture [^"]*)"', html)
    assert classes == [
        "kubecapture kc-captured",
        "kubecapture kc-captured",
        "kubecapture kc-captured",
        "kubecapture kc-missing",
    ], theme
    # outputs, stderr and the exit code, as text in the page
    assert "themes-node    Ready    control-plane" in html
    assert "team-07           Active" in html
    assert "pods &quot;does-not-exist&quot; not found" in html and "exit code 1" in html
    # provenance: where and when, on every captured snippet; a placeholder for the other
    assert html.count("kind-themes · v1.31.4 · 2026-11-28") == 3
    assert "kubectl</dt><dd>v1.36.3" in html
    assert html.count('class="kc-placeholder"') == 1
    # the plugin's own assets are served and linked
    assert 'href="assets/kubecapture.css"' in html and 'src="assets/kubecapture.js"' in html
    assert (site / "assets" / "kubecapture.css").is_file()
    return html


@pytest.mark.parametrize("theme", ["mkdocs", "material"])
def test_replayed_site_shows_outputs_and_provenance(tmp_path, theme):
    config = site_fixture.make(tmp_path / theme, theme)
    built = build(config, offline_env(), "--strict", mode="replay")
    assert built.returncode == 0, built.log
    html = check_site(config.parent / "site", theme)
    if theme == "mkdocs":
        assert "md-typeset" not in html and "md-clipboard" not in html


def test_css_has_rules_for_themes_other_than_material():
    """Material's rules are scoped to .md-typeset; other themes get their own small set
    (fold, provenance line, placeholder) that uses none of Material's variables."""
    css = (
        Path(__file__).parents[1] / "plugins" / "kubecapture" / "assets" / "kubecapture.css"
    ).read_text(encoding="utf-8")
    other = [block for block in css.split("}") if ":not(.md-typeset *)" in block]
    selectors = " ".join(other)
    for part in (".kc-fold:not(.kc-open)", ".kc-fold-toggle", ".kc-provenance", ".kc-placeholder"):
        assert part in selectors, part
    assert "--md-" not in selectors


@pytest.mark.browser
def test_with_mkdocs_theme_the_fold_works_and_provenance_is_one_line(tmp_path):
    """In Chromium: the long output is folded and the toggle opens it; the provenance is
    one visible line under each block, its details a click away."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip(f"no Chromium at {chromium}: apt-get install chromium (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api")
    config = site_fixture.make(tmp_path / "mkdocs", "mkdocs")
    built = build(config, offline_env(), "--strict", mode="replay")
    assert built.returncode == 0, built.log
    url = (config.parent / "site" / "index.html").as_uri()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(chromium), args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            page = browser.new_page()
            page.goto(url)
            long = page.locator("#kc-long")
            fold = long.locator(".kc-fold")
            toggle = long.locator(".kc-fold-toggle")
            assert toggle.is_visible()
            height = fold.evaluate("e => [e.clientHeight, e.scrollHeight]")
            assert height[0] < height[1] / 2, height  # 3 of 9 lines show
            toggle.click()
            height = fold.evaluate("e => [e.clientHeight, e.scrollHeight]")
            assert height[0] == height[1], height
            summary = page.locator("#kc-nodes .kc-provenance > summary")
            assert summary.is_visible()
            assert "kind-themes · v1.31.4 · 2026-11-28" in summary.inner_text()
            box = summary.bounding_box()
            assert box and box["height"] < 30, box  # one line, not a card
            assert not page.locator("#kc-nodes .kc-provenance dl").is_visible()
            summary.click()
            assert page.locator("#kc-nodes .kc-provenance dl").is_visible()
        finally:
            browser.close()
