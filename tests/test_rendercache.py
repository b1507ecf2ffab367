"""Rendered snippets kept between builds (rendercache.py): a build whose inputs did not
change shows the same HTML and says the same warnings without parsing a capture file or
rendering a snippet; any change of an input renders again; a planted entry is a miss.
Builds run in this process, so the test can see what is parsed and rendered."""

from __future__ import annotations

import logging

import pytest
import yaml
from kubecapture.captures import readcache, rendercache, store
from kubecapture.drift import history
from kubecapture.run import planning
from kubecapture.site import render
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from mkdocs.exceptions import Abort
from sites import make_site

PAGE = """# Nodes

```kubectl id="nodes" title="ノード"
kubectl get node
```

Prose between.

```kubectl
kubectl get pod -n nope
```
"""
LIVE = store.Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T01:00:00Z")
OLD = store.Provenance("minikube", "v1.22.2", "", "", "the original notes")


def capture_site(tmp_path, page: str = PAGE, newest: str = "new-node    Ready\n", **options):
    """A site whose first snippet has two outputs (tabs, change marker) and whose second
    exited with 1 although the page expects 0 (a warning on every build)."""
    site = make_site(tmp_path / "site", {"index.md": page}, **options)
    settings = planning.Settings(captures_dir=site.parent / "captures", workdir=site.parent)
    plan = planning.plan_page("index.md", page, settings)
    nodes, pods = plan.snippets
    older = store.SnippetCapture(
        nodes.key, [store.CommandResult("kubectl get node", 0, "old-node    Ready\n")], OLD
    )
    fresh = store.SnippetCapture(
        nodes.key, [store.CommandResult("kubectl get node", 0, newest)], LIVE
    )
    fresh.id = older.id = "nodes"
    failed = store.CommandResult("kubectl get pod -n nope", 1, "", "namespaces not found\n")
    snippets = [history.merge(older, fresh, keep=5), store.SnippetCapture(pods.key, [failed], LIVE)]
    store.save(plan.capture_file, store.PageCapture(plan.page, plan.key, snippets))
    return site


def build_here(site, monkeypatch, caplog) -> tuple[str, list[str]]:
    """Build in this process (replay); the page's HTML and the warnings said."""
    monkeypatch.setenv("KUBECAPTURE_MODE", "replay")
    monkeypatch.chdir(site.parent)
    store.forget_loaded()  # as a new process would
    caplog.clear()
    with caplog.at_level(logging.INFO):
        mkdocs_build(load_config(str(site)))
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    html = (site.parent / "site" / "index.html").read_text(encoding="utf-8")
    return html, [w for w in warnings if "index.md" in w]


def no_rendering(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("rendered or parsed again")

    monkeypatch.setattr(render, "render", refuse)
    monkeypatch.setattr(store, "_parse", refuse)
    monkeypatch.setattr(readcache, "parsed", refuse)


def test_an_unchanged_page_is_shown_again_without_parsing_or_rendering(
    tmp_path, monkeypatch, caplog
):
    site = capture_site(tmp_path)
    first, warned = build_here(site, monkeypatch, caplog)
    assert "new-node    Ready" in first and "old-node    Ready" in first  # both tabs
    assert any("exited with 1 (expected 0)" in w for w in warned)

    no_rendering(monkeypatch)
    again, warned_again = build_here(site, monkeypatch, caplog)
    assert again == first
    assert warned_again == warned  # `--strict` keeps failing until the page is fixed


def test_a_stale_page_says_so_again_from_the_cache(tmp_path, monkeypatch, caplog):
    site = capture_site(tmp_path)
    # A snippet added after the capture, before the captured ones: they may print
    # otherwise now (one added after them leaves them current: test_cli).
    grown = PAGE.replace("# Nodes\n", "# Nodes\n\n```kubectl\nkubectl get namespace\n```\n")
    (site.parent / "docs" / "index.md").write_text(grown, encoding="utf-8")
    first, warned = build_here(site, monkeypatch, caplog)
    said = [r.getMessage() for r in caplog.records if "not captured yet" in r.getMessage()]
    assert any("captures are stale" in w for w in warned) and said

    no_rendering(monkeypatch)
    again, warned_again = build_here(site, monkeypatch, caplog)
    assert again == first and warned_again == warned
    assert [r.getMessage() for r in caplog.records if "not captured yet" in r.getMessage()] == said


@pytest.mark.parametrize(
    "change",
    ["output", "fence title", "plugin fold", "theme language", "kubecapture's code", "cache"],
)
def test_a_changed_input_renders_the_page_again(tmp_path, monkeypatch, caplog, change):
    site = capture_site(tmp_path)
    first, _ = build_here(site, monkeypatch, caplog)
    rendered = []
    real_render = render.render
    monkeypatch.setattr(render, "render", lambda view: rendered.append(1) or real_render(view))
    config = yaml.safe_load(site.read_text())
    if change == "output":
        capture_site(tmp_path, newest="new-node    NotReady\n")
    elif change == "fence title":
        page = PAGE.replace('title="ノード"', 'title="ノード一覧"')
        (site.parent / "docs" / "index.md").write_text(page, encoding="utf-8")
    elif change == "plugin fold":
        config["plugins"][0]["kubecapture"]["fold"] = 7
    elif change == "theme language":
        config["theme"]["language"] = "en"
    elif change == "kubecapture's code":
        monkeypatch.setattr(rendercache, "code_digest", lambda: b"another version")
    elif change == "cache":
        config["plugins"][0]["kubecapture"]["cache"] = False
    site.write_text(yaml.safe_dump(config, allow_unicode=True))

    again, _ = build_here(site, monkeypatch, caplog)
    # A fence's own text and options key it alone; the rest is the whole page's.
    assert len(rendered) == (1 if change == "fence title" else 2)
    if change == "output":
        assert "new-node    NotReady" in again
    elif change == "fence title":
        assert "ノード一覧" in again
    elif change == "theme language":
        assert again != first


def test_the_cache_off_keeps_no_entries(tmp_path, monkeypatch, caplog):
    site = capture_site(tmp_path, cache=False)
    build_here(site, monkeypatch, caplog)
    assert not (site.parent / ".cache").exists()


def test_a_planted_or_changed_entry_is_a_miss_never_html_on_the_page(tmp_path, monkeypatch, caplog):
    """The cache folder is in the checkout, where a pull request can put files: an entry
    counts only with this machine's tag over what it holds."""
    site = capture_site(tmp_path)
    first, _ = build_here(site, monkeypatch, caplog)
    entries = list((site.parent / ".cache" / "plugin" / "kubecapture").iterdir())
    assert len(entries) == 2  # the parsed capture file and the page's rendered snippets
    for entry in entries:  # the same bytes, one of them flipped
        data = bytearray(entry.read_bytes())
        data[-1] ^= 1
        entry.write_bytes(bytes(data))
    again, _ = build_here(site, monkeypatch, caplog)
    assert again == first


def test_a_capture_file_that_does_not_load_is_refused_on_every_build(tmp_path, monkeypatch, caplog):
    """No kept render stands in for a capture file that cannot be read: its one sentence,
    the failed build and the same placeholders come back every time."""
    site = capture_site(tmp_path)
    path = store.capture_path(site.parent / "captures", "index.md")
    path.write_text(path.read_text().replace("snippets:", "snippets: [", 1))
    pages = []
    for _ in range(3):
        monkeypatch.setenv("KUBECAPTURE_MODE", "replay")
        monkeypatch.chdir(site.parent)
        store.forget_loaded()
        caplog.clear()
        with pytest.raises(Abort):
            mkdocs_build(load_config(str(site)))
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert any("malformed capture file" in e for e in errors), errors
        pages.append((site.parent / "site" / "index.html").read_text(encoding="utf-8"))
    assert pages[0].count("kc-missing") == 2  # both snippets: a placeholder
    assert pages[1] == pages[0] and pages[2] == pages[0]


def test_hostile_output_is_as_escaped_from_the_cache_as_when_rendered(
    tmp_path, monkeypatch, caplog
):
    """A capture's output that looks like markup, or like the placeholders asides use,
    comes back from a kept render escaped exactly as rendering escapes it."""
    hostile = (
        "</code></pre><script>alert(1)</script>\n"
        "<!--kc-held-000000000000-0-0--> <!--kc-shown-000000000000-->\n"
    )
    site = capture_site(tmp_path, newest=hostile)
    first, _ = build_here(site, monkeypatch, caplog)
    no_rendering(monkeypatch)
    again, _ = build_here(site, monkeypatch, caplog)
    assert again == first
    assert "<script>alert" not in again and "&lt;script&gt;alert(1)&lt;/script&gt;" in again
    assert "<!--kc-" not in again
