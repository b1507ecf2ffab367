"""The published notes, built as `make site` builds them: real output under every snippet."""

from __future__ import annotations

import re
from pathlib import Path

from sites import build, offline_env

ROOT = Path(__file__).resolve().parents[1]


def test_every_snippet_shows_real_output_with_its_provenance(tmp_path):
    out = tmp_path / "site"
    built = build(ROOT / "mkdocs.yml", offline_env(), "--strict", "-d", str(out), mode="replay")
    assert built.returncode == 0, built.log
    snippets = provenance = 0
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert "kc-missing" not in html, f"{page}: a snippet shows the placeholder"
        snippets += len(re.findall(r'<div class="kubecapture kc-', html))
        provenance += len(re.findall(r'<details class="kc-provenance"', html))
        # an output of the local control plane says its node is simulated
        for summary in re.findall(r'<span class="kc-label">.*?</summary>', html, re.S):
            if "litekube" in summary:
                assert "模擬ノード (コンテナは動いていません)" in summary, summary
    assert snippets >= 47  # every kubectl snippet of the notes, and the guide's examples
    assert provenance >= snippets  # each output (and each earlier one in a tab) says where
