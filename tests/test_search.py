"""Japanese search as readers type it (issue 20): the notes site opened from disk with no
network, every query of tests/data/search-learner-queries.json typed into Material's
search box (recall, where Enter lands, the course before the author guide), the
normalization (width, case, long-vowel mark), Material's result markup kept and the
site's text never turned into markup, and the plugin's settings for the script.

The figures before and after are in benchmarks/README.md (bench_search.py).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import sites
from kubecapture import search_rank
from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]


bench = sites.bench_search()


@pytest.fixture
def site(notes_site) -> Path:
    """The notes site as `make site` builds it (conftest: built once per session)."""
    return notes_site


@pytest.fixture
def disk_page(browser, site):
    """The site's home page opened from file://, in a context that refuses (and records)
    every request to the network; page errors are recorded too."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.requested = []

    def refuse(route):
        context.requested.append(route.request.url)
        route.abort()

    context.route("http://*/**", refuse)
    context.route("https://*/**", refuse)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto((site / "index.html").as_uri())
    yield page
    assert context.requested == [], "the site asked the network for something"
    assert page.errors == []
    context.close()


def search_index(site: Path) -> dict:
    return json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))


# --- the learner queries ------------------------------------------------------------------


def test_the_learner_queries_point_at_sections_of_the_notes(site):
    queries = bench.load_learner_queries()
    assert len(queries) >= 60
    locations = {doc["location"] for doc in search_index(site)["docs"]}
    gone = [(q.query, e) for q in queries for e in q.expect if e not in locations]
    assert gone == [], "expected sections that the notes no longer have"
    copied = [q.query for q in queries if any(e.endswith("#" + q.query) for e in q.expect)]
    assert len(copied) <= 2, f"headings copied as queries: {copied}"


@pytest.mark.browser
def test_learner_queries_find_their_section_from_disk(disk_page):
    """Every learner query typed into the search box of the site opened from file://:
    its page is listed, Enter lands on an expected section for at least 95% of them,
    and no author guide page stands above the expected course page."""
    summary = bench.measure_learner_page(disk_page, disk_page.url, bench.load_learner_queries())
    assert disk_page.url.startswith("file://")
    unlisted = [o.query.query for o in summary.outcomes if not o.listed]
    guide_first = [o.query.query for o in summary.outcomes if o.listed and not o.course_first]
    missed = [
        f"{o.query.query}: lands on {o.items[0].lands if o.items else '(nothing)'}"
        for o in summary.outcomes
        if not o.first_hit
    ]
    report = "\n".join([*missed, *summary.lines()])
    assert unlisted == [], report
    assert guide_first == [], report
    assert summary.first_hit_rate() >= 0.95, report


@pytest.mark.browser
def test_enter_opens_the_section_with_the_words_marked(disk_page):
    """Material's keyboard stays: Enter goes to the best section, the page marks the
    words there (?h=); the arrow keys walk the result links."""
    bench.search_items(disk_page, "名前空間を作成")
    box = disk_page.locator("input.md-search__input")
    box.press("ArrowDown")
    focused = disk_page.evaluate(
        "document.activeElement.closest('.md-search-result__item') !== null"
    )
    assert focused
    box.focus()
    with disk_page.expect_navigation():
        box.press("Enter")
    url = urlsplit(disk_page.url)
    assert url.path.endswith("/course/05-resources.html")
    assert unquote(url.fragment) == "名前空間の作成"
    marks = disk_page.locator("article mark[data-md-highlight]").all_inner_texts()
    assert "名前空間" in marks and "作成" in marks


# --- normalization and the result Material gets --------------------------------------------


@pytest.mark.browser
def test_width_case_and_the_long_vowel_mark_do_not_matter(disk_page):
    same = [
        ("ＫＵＢＥＣＴＬ", "kubectl"),
        ("ｶﾀｶﾅ", "カタカナ"),
        ("ﾃﾞﾌﾟﾛｲﾒﾝﾄ", "デプロイメント"),
        ("サーバー", "サーバ"),
        ("クラスター", "クラスタ"),
        ("ReplicaSet", "replicaset"),
        ("ワークロード リソース", "ワークロードリソース"),
        ("k8s クラスター", "k8sクラスタ"),
    ]
    normalize = "t => window.kubecaptureSearch.normalize(t)"
    for a, b in same:
        assert disk_page.evaluate(normalize, a) == disk_page.evaluate(normalize, b), (a, b)
    assert disk_page.evaluate(normalize, "kubectl  get pods") == "kubectl get pods"
    # Marks are placed by a character-by-character normalization: it agrees with the whole.
    tricky = [
        "コンテナ・ランタイム (Container Runtime)",
        "ｶﾞｲﾄﾞ と ｶﾞｲﾄﾞ゛",
        "Ｐｏｄ を「作成」する",
        "サーバー、ﾜｰｶｰﾉｰﾄﾞ！　k8s クラスター",
        "ウィンドウ ㌔ ① 𠮷野家",
    ]
    for text in tricky:
        whole, by_char = disk_page.evaluate(
            "t => [window.kubecaptureSearch.normalize(t), window.kubecaptureSearch.mapped(t)]",
            text,
        )
        assert whole == by_char, text


# A section whose text holds markup as text (escaped), and a title with a tag in it.
TRAP = {
    "config": {"lang": ["ja"]},
    "docs": [
        {"location": "a.html", "title": "ページ", "text": "<p>はじめに</p>"},
        {
            "location": "a.html#b",
            "title": "名前空間の<code>作成</code>",
            "text": '<p>&lt;img src=x onerror="window.pwned=1"&gt; 名前空間を作成します</p>'
            "<pre><code>$ kubectl create namespace demo</code></pre>",
        },
    ],
}

# Each element of `html` by tag, and the text: what the search result would render.
PARSE = """html => {
  const div = document.createElement('template');
  div.innerHTML = html;
  return [Array.from(div.content.querySelectorAll('*')).map(e => e.tagName.toLowerCase()).sort(),
          div.content.textContent];
}"""


@pytest.mark.browser
def test_results_are_materials_items_with_marks_added_and_nothing_else(disk_page):
    result = disk_page.evaluate(
        "([q, i]) => window.kubecaptureSearch.answer(q, i)", ["名前空間の作成 ヘルム", TRAP]
    )
    [group] = result["items"]
    best = group[0]
    assert best["location"] == "a.html#b"
    assert [i["location"] for i in group].count("a.html") == 1  # the page is in its entry
    assert best["terms"] == {"名前空間": True, "作成": True, "ヘルム": False}
    original = TRAP["docs"][1]
    for field in ("title", "text"):
        tags, text = disk_page.evaluate(PARSE, best[field])
        tags_before, text_before = disk_page.evaluate(PARSE, original[field])
        assert [t for t in tags if t != "mark"] == tags_before  # only marks were added
        assert "mark" in tags
        assert text == text_before  # the text is the same text
    assert "img" not in disk_page.evaluate(PARSE, best["text"])[0]
    assert disk_page.evaluate("window.pwned") is None


@pytest.mark.browser
def test_a_query_no_section_holds_leaves_materials_answer(disk_page):
    result = disk_page.evaluate(
        "([q, i]) => window.kubecaptureSearch.answer(q, i)", ["ヘルムチャート", TRAP]
    )
    assert result == {"items": []}


# --- the plugin's side ----------------------------------------------------------------------


def test_the_script_carries_its_settings_as_ascii_json():
    text = search_rank.script(["how-it-works.html", "guide/"])
    head = text.split("/*kubecapture:config*/")
    assert len(head) == 1, "the settings placeholder is left in the script"
    start = text.index("const CONFIG = ") + len("const CONFIG = ")
    settings, _ = json.JSONDecoder().raw_decode(text[start:])
    assert settings["last"] == ["how-it-works.html", "guide/"]
    assert ["pod", "ポッド"] in settings["glossary"]
    assert text[start : start + len(json.dumps(settings))].isascii()


def test_search_last_names_pages_by_their_source(tmp_path, caplog):
    def page(path: str) -> File:
        return File(path, str(tmp_path / "docs"), str(tmp_path / "site"), False)

    files = Files([page("how-it-works.md"), page("guide/a.md"), page("index.md")])
    with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.kubecapture"):
        urls = search_rank.last_urls(["how-it-works.md", "guide/", "nope.md"], files)
    assert urls == ["how-it-works.html", "guide/"]
    assert [r.getMessage() for r in caplog.records] == [
        "search_last: 'nope.md' is not a page of the docs folder; it is ignored"
    ]


def test_the_notes_site_puts_the_guide_last(site):
    script = (site / "assets" / "search-rank.js").read_text(encoding="utf-8")
    start = script.index("const CONFIG = ") + len("const CONFIG = ")
    settings, _ = json.JSONDecoder().raw_decode(script[start:])
    assert "how-it-works.html" in settings["last"]
    assert not any(p.startswith("course/") for p in settings["last"])
