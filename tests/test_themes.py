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
        Path(__file__).parents[1]
        / "plugins"
        / "kubecapture"
        / "site"
        / "assets"
        / "kubecapture.css"
    ).read_text(encoding="utf-8")
    other = [block for block in css.split("}") if ":not(.md-typeset *)" in block]
    selectors = " ".join(other)
    for part in (".kc-fold:not(.kc-open)", ".kc-fold-toggle", ".kc-provenance", ".kc-placeholder"):
        assert part in selectors, part
    assert "--md-" not in selectors
