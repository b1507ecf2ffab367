"""Capture history in a real browser: the notes' section 4 and the version matrix as a
reader opens them from disk.

Built like `make site` (offline-capable, opened from file://, no network): every output
of a snippet as tabs, the original notes' output the last, copy in every tab, phone width,
dark mode; the version matrix at laptop and phone widths.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kubecapture.captures import store
from kubecapture.drift import history
from test_browser import copied, shot

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def notes(notes_site) -> Path:
    return notes_site  # built like `make site`: offline-capable, opened from file://


def open_page(
    browser, notes: Path, width: int = 1100, scheme: str = "light", path="course/04-kubectl.html"
):
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        color_scheme=scheme,
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.route("http*://**", lambda route: route.abort())  # offline
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((notes / path).as_uri())
    return page, errors


def stored(snippet_id: str) -> store.SnippetCapture:
    page = store.load(ROOT / "snippets" / "captures" / "course" / "04-kubectl.yaml")
    return next(s for s in page.snippets if s.id == snippet_id)


def test_original_and_current_output_as_tabs_copy_in_each(browser, notes):
    page, errors = open_page(browser, notes)
    snippet = page.locator("#kc-get-node")
    expected = [history.tab_label(e, "日付不明") for e in stored("get-node").entries]
    texts = snippet.locator(".tabbed-labels > label").all_text_contents()
    assert texts == expected
    assert expected[-1] == "v1.22.2 · 日付不明"

    newest = snippet.locator(".tabbed-block").nth(0)
    context = stored("get-node").provenance.context
    assert newest.is_visible() and context in newest.inner_text()
    marker = newest.locator(".kc-change")
    assert f"{expected[1]} と比べて: 出力が変わりました" in marker.inner_text()
    assert copied(page, newest.locator(".kc-terminal")) == "kubectl get node"

    snippet.locator(".tabbed-labels > label").last.click()
    original = snippet.locator(".tabbed-block").last
    assert original.is_visible() and not newest.is_visible()
    assert "minikube   Ready    control-plane,master   7m21s   v1.22.2" in original.inner_text()
    assert "元のノート" in original.locator(".kc-provenance summary").inner_text()
    assert copied(page, original.locator(".kc-terminal")) == "kubectl get node"
    shot(page, "history-tabs")
    assert errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tabs_fit_a_phone_in_light_and_dark(browser, notes, scheme):
    page, errors = open_page(browser, notes, width=390, scheme=scheme)
    snippet = page.locator("#kc-get-pod-kube-system")
    snippet.scroll_into_view_if_needed()
    labels = snippet.locator(".tabbed-labels > label")
    assert labels.count() == len(stored("get-pod-kube-system").entries) >= 2
    # the first label fits; more labels than fit scroll inside their row, as Material's
    # tabs do, and the page itself never scrolls sideways (nor do wide outputs)
    box = labels.nth(0).bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    labels.last.click()  # the original notes' output, the last tab, scrolled to
    box = labels.last.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert "coredns" in snippet.locator(".tabbed-block").last.inner_text()
    shot(page, f"history-phone-{scheme}")
    assert errors == []


def test_the_copy_button_in_an_opened_diff_copies_the_diff(browser, notes):
    """Issue 20: every code block of a history had the same id (the snippet's anchor), so
    the diff's copy button copied the newest output's commands."""
    page, errors = open_page(browser, notes)
    ids = page.evaluate(
        "() => [...document.querySelectorAll('[id]')].map(e => e.id)"
        ".filter((id, i, all) => all.indexOf(id) !== i)"
    )
    assert ids == [], "ids used more than once once Material's scripts ran"
    entries = stored("get-node").entries
    diff = history.change(entries[0], entries[1]).diff
    assert diff, "the newest output of get-node differs from the original notes'"
    snippet = page.locator("#kc-get-node")
    snippet.locator(".kc-drift-diff > summary").first.click()
    opened = snippet.locator(".kc-drift-diff .highlight").first
    assert copied(page, opened) == "\n".join(diff).rstrip()
    assert copied(page, snippet.locator(".kc-terminal").first) == "kubectl get node"
    assert errors == []


def test_the_version_matrix_fits_a_laptop_and_a_phone(browser, notes):
    """Five cluster setups side by side: at 1280 px the table fits the page and each cell
    reads on one line (Material's admonition box broke 変化あり into a character a
    line); on a phone each snippet is a block of label: cell lines, nothing wider."""
    page, errors = open_page(browser, notes, width=1280, path="versions.html")
    table = page.locator(".kc-matrix table")
    assert page.locator(".kc-matrix thead th").count() >= 6  # the snippet and 5 setups
    assert table.evaluate("t => t.parentElement.scrollWidth <= t.parentElement.clientWidth")
    summaries = page.locator(".kc-matrix details.kc-matrix-diff > summary")
    assert summaries.count() > 10
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.kc-matrix td')).lineHeight)"
    )
    heights = summaries.evaluate_all("s => s.map(e => e.getBoundingClientRect().height)")
    assert max(heights) < 1.5 * line, heights
    shot(page, "matrix-laptop")
    phone, phone_errors = open_page(browser, notes, width=390, path="versions.html")
    assert phone.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert errors == phone_errors == []


@pytest.mark.parametrize(("width", "scheme"), [(1280, "light"), (390, "dark")])
def test_every_version_tab_is_in_view(browser, notes, width, scheme):
    """Issue 27: five versions did not fit even at 1280 px (the v1.22.2 tab that section 4
    tells readers to open showed as 「v1.22..」 behind a scroll arrow; a phone showed 2 of
    5). Each tab is whole in its row, no row scrolls; a phone shows the versions alone."""
    page, errors = open_page(browser, notes, width=width, scheme=scheme)
    snippet = page.locator("#kc-get-node")
    snippet.scroll_into_view_if_needed()
    labels = snippet.locator(".tabbed-labels > label")
    assert labels.count() == len(stored("get-node").entries) >= 5
    row = snippet.locator(".tabbed-labels").first
    assert row.evaluate("r => r.scrollWidth <= r.clientWidth")
    right = row.bounding_box()["x"] + row.bounding_box()["width"]
    for i in range(labels.count()):
        box = labels.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= min(right, width) + 0.5, i
    last = labels.last.inner_text().split("\n")
    assert last[0] == "v1.22.2" and (last[1:] == ["日付不明"] if width > 700 else last[1:] == [])
    assert float(labels.last.evaluate("l => getComputedStyle(l).fontSize")[:-2]) >= 12
    labels.last.click()
    assert "v1.22.2" in snippet.locator(".tabbed-block").last.inner_text()
    shot(page, f"history-tabs-{width}-{scheme}")
    assert errors == []
