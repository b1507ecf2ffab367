"""Japanese search as readers type it (issue 20): the notes site opened from disk with no
network, every query of tests/data/search-learner-queries.json typed into Material's
search box (recall, where Enter lands, the course before the author guide), the
normalization (width, case, long-vowel mark), Material's result markup kept and the
site's text never turned into markup, and the plugin's settings for the script.

Learners' questions (issue 27): issue 27's own query sets (tuning, held-out) against
floors below their measured figures, and each ranking rule on a small index of its own:
a definition before a mention, the commands for a question for how, the notes before the
author guide, synonyms, typos.

The figures before and after are in benchmarks/README.md (bench_search.py).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import sites
from kubecapture.site import search_rank
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


@pytest.mark.parametrize("path", bench.LEARNER_SETS, ids=lambda p: p.stem)
def test_the_learner_queries_point_at_sections_of_the_notes(site, path):
    queries = bench.load_learner_queries(path)
    assert len(queries) >= 60
    locations = {doc["location"] for doc in search_index(site)["docs"]}
    gone = [(q.query, e) for q in queries for e in q.expect if e not in locations]
    assert gone == [], "expected sections that the notes no longer have"
    copied = [q.query for q in queries if any(e.endswith("#" + q.query) for e in q.expect)]
    assert len(copied) <= 2, f"headings copied as queries: {copied}"


def test_the_learner_sets_share_no_query():
    """A held-out query is no check if the same query is tuned on in another set."""
    seen: dict[str, str] = {}
    shared = []
    for path in bench.LEARNER_SETS:
        for q in bench.load_learner_queries(path):
            if q.query in seen:
                shared.append((q.query, seen[q.query], path.name))
            seen[q.query] = path.name
    assert shared == []


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


# Issue 27's sets: floors a few points below the figures measured when they were written
# (benchmarks/README.md), so that an edit of the notes elsewhere does not fail them while a
# change that loses several queries does. Read from the script's answer (bench.answer_items:
# the same result, without typing; bench_search.py types them).
FLOORS = {
    "search-learner-queries-tuning": 0.92,
    "search-learner-queries-heldout": 0.88,
    "search-learner-queries-heldout2": 0.9,
    "search-learner-queries-heldout3": 0.93,
    "search-learner-queries-heldout4": 0.92,  # 84.9% at its one measurement, then tuned on: 95.0%
    # 87.6% at its one measurement (blind), then tuned on in round 6: 93.4%
    "search-learner-queries-heldout5": 0.9,
    # 85.0% at its one measurement (blind), then tuned on in round 7: 92.5%
    "search-learner-queries-heldout6": 0.89,
    # 93.3% first hit (95.0% first page) at its one measurement (blind), then tuned on in
    # round 8: 99.2%
    "search-learner-queries-heldout7": 0.95,
    # 85.8% first hit (94.2% first page) at its one measurement (blind), then tuned on in
    # round 9: 88.3% (97.5%)
    "search-learner-queries-heldout8": 0.84,
    # never tuned on: 91.7% first hit (99.2% first page) at its one measurement (blind)
    "search-learner-queries-heldout9": 0.88,
}


@pytest.mark.browser
@pytest.mark.parametrize("name", FLOORS)
def test_issue_27_learner_sets_find_their_section(disk_page, name):
    queries = bench.load_learner_queries(ROOT / "tests" / "data" / f"{name}.json")
    summary = bench.LearnerSummary(
        [bench.LearnerOutcome(q, bench.answer_items(disk_page, q.query)) for q in queries]
    )
    missed = [
        f"{o.query.query}: lands on {o.items[0].lands if o.items else '(nothing)'}"
        for o in summary.outcomes
        if not o.first_hit
    ]
    report = "\n".join([*missed, *summary.lines()])
    assert summary.recall() >= 0.97, report
    assert [o.query.query for o in summary.outcomes if o.listed and not o.course_first] == []
    assert summary.first_hit_rate() >= FLOORS[name], report


@pytest.mark.browser
def test_answer_items_agree_with_typing(disk_page):
    """The shortcut the sets above use gives what the search box shows."""
    sample = [q.query for q in bench.load_learner_queries(bench.HELDOUT2)][::10]
    for query in ["etcd とは", "全部のリソースを表示", "kubeconfig の場所", *sample]:
        typed = bench.search_items(disk_page, query)
        assert bench.answer_items(disk_page, query) == typed, query


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


# --- learners' questions (issue 27): each rule on an index of its own ----------------------

# Notes under course/, and a page of the notes site's `search_last` (the author guide).
RULES = {
    "config": {"lang": ["ja"]},
    "docs": [
        {"location": "course/a.html", "title": "ページ", "text": "<p>はじめに</p>"},
        {
            "location": "course/a.html#order",
            "title": "一覧の並び順",
            "text": "<p>一覧の並び順は API サーバーが返した順です。etcd に保存するクラスター"
            "では名前順です。etcd の代わりに SQLite を使うと、etcd の順ではありません。</p>",
        },
        {
            "location": "course/a.html#parts",
            "title": "構成",
            "text": "<ul><li><code>etcd</code>: 設定などを格納するキーバリューストア</li>"
            "<li><code>kube-scheduler</code>: スケジューラー</li></ul>",
        },
        {
            "location": "course/a.html#pod",
            "title": "Pod",
            "text": "<p>Pod は k8s におけるデプロイの最小単位です。</p>",
        },
        {
            "location": "course/a.html#apply",
            "title": "マニフェスト",
            "text": "<p>マニフェストを適用します。</p> Pod を作成"
            "<pre><code>$ kubectl apply -f pod.yaml\npod/nginx created\n</code></pre>",
        },
        {
            "location": "course/a.html#all",
            "title": "まとめて確認",
            "text": "<p>作ったリソースを見ます。</p> 作成したもの"
            "<pre><code>$ kubectl get all\nNAME READY\n</code></pre>",
        },
        {
            "location": "course/a.html#node",
            "title": "ノード",
            "text": "<p>ノードのリソースです。</p><pre><code>Allocatable:\n  cpu: 2\n</code></pre>",
        },
        {
            "location": "course/a.html#context",
            "title": "コンテキスト",
            "text": "<p><code>~/.kube/config</code> に kubectl の設定が追加されます。</p>",
        },
        {
            "location": "course/a.html#namespace",
            "title": "Namespace",
            "text": "<p>Namespace は仮想クラスターです。</p>",
        },
        {
            "location": "course/a.html#delete",
            "title": "後片付け",
            "text": "<p>名前空間を削除します。</p>",
        },
        {
            "location": "course/a.html#erase",
            "title": "メモ",
            "text": "<p>名前空間を消しておきます。</p>",
        },
        {
            "location": "how-it-works.html#settings",
            "title": "プラグインの設定",
            "text": "<p>kubeconfig の場所と、kubectl の設定ファイルを指定します。</p>",
        },
    ],
}


def answer_on(page, index: dict):
    """The script given `index` in place of the site's: query -> the locations it lists,
    best first; `.words(query)`: the query's words as the script reads them."""
    page.evaluate("([q, i]) => window.kubecaptureSearch.answer(q, i)", ["x", index])

    def ranked(query: str) -> list[str]:
        found = page.evaluate("q => window.kubecaptureSearch.explain(q)", query)
        return [r["location"] for r in found]

    def words(query: str) -> list[str]:
        found = page.evaluate("q => window.kubecaptureSearch.words(q)", query)
        return [w["text"] for w in found]

    ranked.words = words
    return ranked


@pytest.fixture
def ranked(disk_page):
    """query -> the locations the script lists for it on RULES, best first."""
    on_rules = answer_on(disk_page, RULES)
    return lambda query: [loc.removeprefix("course/a.html") for loc in on_rules(query)]


@pytest.mark.browser
def test_a_question_for_a_definition_lands_on_the_definition(ranked):
    # The list-order aside names etcd three times, the list defines it once (「etcd: …」).
    assert ranked("etcd とは")[0] == "#parts"
    assert ranked("etcdってなに")[0] == "#parts"
    assert ranked("Podとは")[0] == "#pod"  # 「Pod は…」 rather than 「Pod を作成」


@pytest.mark.browser
def test_a_question_for_how_lands_on_the_command_that_does_it(ranked):
    assert ranked("Podの作り方")[0] == "#apply"  # the command's title: Pod を作成
    assert ranked("Podを作成する方法")[0] == "#apply"


@pytest.mark.browser
def test_the_notes_come_before_the_author_guide(ranked):
    # The guide's section holds every word; the notes' holds most, and comes first.
    found = ranked("kubectlの設定ファイル")
    assert found.index("#context") < found.index("how-it-works.html#settings")
    assert ranked("kubeconfig の場所")[0] == "#context"  # 場所 asks; ~/.kube/config
    assert ranked("プラグインの設定")[0] == "how-it-works.html#settings"  # its own words


@pytest.mark.browser
def test_synonyms_find_the_notes_words_and_count_less_than_the_typed_word(ranked):
    assert ranked("全部のリソース")[0] == "#all"  # kubectl get all
    assert "#node" not in ranked("全部")  # all is a whole word: not Allocatable
    assert ranked("名前空間を消す")[:2] == ["#erase", "#delete"]
    assert ranked("名前空間を削除")[:2] == ["#delete", "#erase"]


@pytest.mark.browser
def test_typos_of_glossary_words_and_of_the_sites_words(ranked):
    assert ranked("ネームスペイス")[0] == "#namespace"  # ネームスペース = Namespace
    assert ranked("kubctl")[0] in ("#apply", "#all", "#context")  # kubectl
    assert ranked("ノート") == []  # short words are not guessed at: ノート is not ノード
    assert ranked("ap") == []  # a Latin word of two letters stands whole (vm is not vmodule)
    assert ranked("app")[0] == "#apply"  # longer ones as a word's start


@pytest.mark.browser
def test_asking_words_inside_a_query(ranked):
    assert ranked("etcdの役割")[0] == "#parts"  # what etcd does: what etcd is
    assert ranked("etcdの仕事")[0] == "#parts"
    assert ranked("Podの作成方法")[0] == "#apply"  # 作成方法: 作成 + 方法, a question for how
    assert ranked("Podを作る")[0] == "#apply"  # a verb after を asks how too
    assert ranked("k8sの中のPod")[0] == "#pod"  # 中 says where, as a particle does


# A word of its own, and the same characters inside a longer glossary word (名前空間).
PARTS = {
    "config": {"lang": ["ja"]},
    "docs": [
        {"location": "a.html", "title": "ページ", "text": "<p>はじめに</p>"},
        {
            "location": "a.html#ns",
            "title": "作成",
            "text": "<p>名前空間を作成します。名前空間の一覧です。</p>",
        },
        {"location": "a.html#name", "title": "ラベル", "text": "<p>Pod の名前は小文字です。</p>"},
    ],
}


@pytest.mark.browser
def test_a_word_inside_a_longer_glossary_word_is_not_found_whole_there(disk_page):
    assert answer_on(disk_page, PARTS)("名前")[0] == "a.html#name"


# Definitions in a side clause: a name glossed in brackets, a cleft sentence (「…のは X です」);
# typos of words the notes hold in another form; a command; 理由; a synonym.
ASIDES = {
    "config": {"lang": ["ja"]},
    "docs": [
        {"location": "a.html", "title": "ページ", "text": "<p>はじめに</p>"},
        {
            "location": "a.html#list",
            "title": "一覧",
            "text": "<p>Pod が並びます。static Pod と kube-proxy と CoreDNS もあります。"
            "static Pod と kube-proxy と CoreDNS の一覧です。名前空間の一覧です。</p>",
        },
        {
            "location": "a.html#static",
            "title": "このサイトの出力",
            "text": "<p>コンポーネントが static Pod (kubelet が直接起動する Pod) "
            "として並びます。</p>",
        },
        {
            "location": "a.html#svc",
            "title": "Service",
            "text": "<p>名前を引けるようにするのは"
            "クラスターの DNS サーバー (kind では CoreDNS) で、"
            "アクセスを Pod に振り分けるのは、各ノードの kube-proxy です。</p>",
        },
        {
            "location": "a.html#get",
            "title": "確かめる",
            "text": "<p>作ったものを確かめます。</p> Pod の一覧"
            "<pre><code>$ kubectl get pods\nNAME READY\n</code></pre>"
            "<p>名前空間を作成します。</p>",
        },
        {
            "location": "a.html#note",
            "title": "注意",
            "text": "<p>模擬ノードでは kubectl logs や kubectl exec は使えません。"
            "kubectl logs は空です。</p>",
        },
        {
            "location": "a.html#logs",
            "title": "読む",
            "text": "<p>nginx が書いたものを読みます。</p> 出力"
            "<pre><code>$ kubectl logs nginx\nstart\n</code></pre>",
        },
        {
            "location": "a.html#why",
            "title": "名前空間",
            "text": "<p>名前空間でクラスターを分けます。メリットは権限管理です。</p>",
        },
        {
            "location": "a.html#guide",
            "title": "設定",
            "text": "<p>名前空間の理由: 分けるための設定です。</p>",
        },
        {
            "location": "a.html#scoped",
            "title": "範囲",
            "text": "<p>名前空間に属するリソースと、"
            "クラスター全体で使われるリソースがあります。</p>",
        },
    ],
}


@pytest.mark.browser
def test_definitions_in_brackets_and_cleft_sentences(disk_page):
    on_asides = answer_on(disk_page, ASIDES)

    def first(query: str) -> str:
        return on_asides(query)[0]

    assert first("static podとは") == "a.html#static"  # static Pod (kubelet が…する Pod)
    assert first("kube-proxyって何") == "a.html#svc"  # …のは、各ノードの kube-proxy です
    assert first("CoreDNS とは") == "a.html#svc"  # DNS サーバー (kind では CoreDNS)
    assert first("kube-proxy 何に使う") == "a.html#svc"  # 何に使う asks what it is
    assert first("CoreDNS 何をする") == "a.html#svc"
    assert first("ポット 一覧") == "a.html#get"  # ポット: ポッド; 一覧 asks for a command
    assert first("namesapce 作成") == "a.html#get"  # namespace, with its glossary forms
    assert first("kubeclt logs") == "a.html#logs"  # Latin words only: a command, which runs
    assert first("名前空間を分ける理由") == "a.html#why"  # 理由 asks, as 意味 does
    assert first("名前空間に入らないリソース") == "a.html#scoped"  # 入る: 属する, a synonym


# Issue 27, round 6: how the query's words are read (hiragana for katakana, compounds the
# notes never hold whole, a second typo), and where Enter lands on the right page.
ROUND6 = {
    "config": {"lang": ["ja"]},
    "docs": [
        {
            "location": "s.html",
            "title": "bizpy 勉強会",
            "text": "<p>bizpy の勉強会の資料です。</p>",
        },
        {
            "location": "s.html#series",
            "title": "シリーズについて",
            "text": "<p>この勉強会は連続シリーズです。あと 1 回で終わりにします。</p>",
        },
        {"location": "s.html#doc", "title": "資料作り", "text": "<p>参加者は 10 人。</p>"},
        {
            "location": "a.html#ns",
            "title": "名前空間",
            "text": "<p>名前空間を指定して、Pod の一覧を取得します。</p> 名前空間の一覧"
            "<pre><code>$ kubectl get namespace\nNAME\n</code></pre> kube-system 名前空間の Pod"
            "<pre><code>$ kubectl get pods -n kube-system\nNAME\n</code></pre>",
        },
        {
            "location": "a.html#pods",
            "title": "オブジェクト",
            "text": "<p>作ります。</p> Pod の一覧"
            "<pre><code>$ kubectl get pods\nNAME\n</code></pre> Pod の詳細"
            "<pre><code>$ kubectl describe pod nginx\nName: nginx\n</code></pre>"
            "<p>コンテナの中でコマンドを実行します。</p>",
        },
        {
            "location": "a.html#intro",
            "title": "最小単位",
            "text": "<p>Pod は最小単位です。詳細は後で見ます。一覧も。"
            "Pod はコンテナをまとめます。コマンドで作ります。</p>",
        },
        {
            "location": "a.html#describe",
            "title": "describe",
            "text": "<p>ノードの詳細を表示します。</p> ノード"
            "<pre><code>$ kubectl describe node\nName: node\n</code></pre>",
        },
        {
            "location": "a.html#format",
            "title": "出力",
            "text": "<p>ノードは 1 つです。Pod の詳細をコマンドで見ます。</p>",
        },
        {"location": "a.html#s1", "title": "Secret", "text": "<p>Secret は機密情報です。</p>"},
        {
            "location": "a.html#s2",
            "title": "確かめる",
            "text": "<p>Secret を確かめます。</p>"
            "<pre><code>$ kubectl describe secret db\nName: db\n</code></pre>",
        },
        {
            "location": "a.html#shell",
            "title": "シェル",
            "text": "<p>ここで打つのはシェルのコマンドです。</p>",
        },
        {"location": "a.html#opts", "title": "グローバルなオプション", "text": "<p>共通です。</p>"},
        {"location": "a.html#list", "title": "リソースの一覧", "text": "<p>種類の一覧です。</p>"},
        {
            "location": "a.html#rs",
            "title": "ReplicaSet",
            "text": "<p>ReplicaSet は Pod の数を保ちます。Deployment が作ります。</p>",
        },
        {
            "location": "a.html#objects",
            "title": "k8s オブジェクト",
            "text": "<p>ReplicaSet、Deployment、Pod などの種類があります。違いは spec です。"
            "ReplicaSet と Deployment と Pod。Deployment と ReplicaSet。</p>",
        },
        {"location": "a.html#deploy", "title": "Deployment", "text": "<p>ロールアウトします。</p>"},
        {"location": "a.html#limit", "title": "制限", "text": "<p>1 時間待ちます。</p>"},
        {"location": "how-it-works.html#t", "title": "timeout", "text": "<p>制限時間です。</p>"},
    ],
}


@pytest.fixture
def round6(disk_page):
    return answer_on(disk_page, ROUND6)


@pytest.mark.browser
def test_hiragana_typed_for_a_katakana_term(round6):
    # ぽっど: the glossary's ポッド (normalized: no long-vowel mark, small kana large).
    assert round6.words("ぽっど 一覧") == ["ポツド", "一覧"]
    assert round6.words("ぽっどのろぐ") == ["ポツド", "の", "ログ"]  # a short one after a particle
    assert round6.words("まとめて") == ["まとめて"]  # no katakana word: hiragana stays


@pytest.mark.browser
def test_a_compound_the_notes_never_hold_is_cut_into_words_they_hold(round6):
    assert round6.words("グローバルオプション") == ["グロバル", "オプシヨン"]
    assert round6("グローバルオプション 一覧")[0] == "a.html#opts"
    assert round6.words("勉強会参加者") == ["勉強会", "参加者"]
    assert round6.words("資料作り") == ["資料作", "り"]  # held whole: as it is
    # A kanji compound the author guide holds is a word, not the notes' 制限 and 時間.
    assert round6.words("制限時間") == ["制限時間"]


@pytest.mark.browser
def test_the_one_command_that_holds_the_query_counts(round6):
    # a.html#ns holds Pod and 一覧 in two commands; a.html#pods in one, 「Pod の一覧」.
    assert round6("ぽっど 一覧")[0] == "a.html#pods"
    # Not a question for how, but one command holds it all: 「Pod の詳細」.
    assert round6("pod 詳細")[0] == "a.html#pods"


@pytest.mark.browser
def test_kubectl_verbs_and_the_command_a_query_asks_for(round6):
    # コマンド asks (a.html#format holds it, the describe section does not).
    assert round6("ノードの詳細を見るコマンド")[0] == "a.html#describe"
    assert round6("secretの詳細")[0] == "a.html#s2"  # 詳細 = describe
    assert round6("コンテナの中でコマンド打つには")[0] == "a.html#pods"  # 打つ = 実行


@pytest.mark.browser
def test_a_pages_title_is_context_in_its_opening_too(round6):
    assert round6("勉強会はあと何回")[0] == "s.html#series"


@pytest.mark.browser
def test_a_question_for_a_difference_asks_about_both_things(round6):
    # 違い is light: the sections about either thing, not the one that says 違い.
    assert round6("ReplicaSetとDeploymentの違い")[0] in ("a.html#rs", "a.html#deploy")


@pytest.mark.browser
def test_a_long_latin_typo_two_edits_away(round6):
    found = round6("deplymnet")
    assert found and found[0] == "a.html#deploy"


# --- the plugin's side ----------------------------------------------------------------------


def test_the_script_carries_its_settings_as_ascii_json():
    text = search_rank.script(["how-it-works.html", "guide/"])
    head = text.split("/*kubecapture:config*/")
    assert len(head) == 1, "the settings placeholder is left in the script"
    start = text.index("const CONFIG = ") + len("const CONFIG = ")
    settings, _ = json.JSONDecoder().raw_decode(text[start:])
    assert settings["last"] == ["how-it-works.html", "guide/"]
    assert ["pod", "ポッド"] in settings["glossary"]
    assert ["all", "全部"] in settings["synonyms"]
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


# --- round 7 (held-out set 6 tuned on): a small index of its own ------------------------------

ROUND7 = {
    "config": {"lang": ["ja"]},
    "docs": [
        {"location": "a.html", "title": "ノート", "text": "<p>ノートです。</p>"},
        {
            "location": "a.html#opts",
            "title": "グローバルなオプション",
            "text": "<p>すべてのコマンドで使えるオプションです。</p> グローバルなオプション"
            "<pre><code>$ kubectl options\n --namespace='': the namespace scope\n"
            " --context='': the name of the kubeconfig context to use\n</code></pre>",
        },
        {
            "location": "a.html#ns0",
            "title": "名前空間",
            "text": "<p>名前空間は区切りです。名前空間の一覧もあります。</p>",
        },
        {
            "location": "a.html#ns",
            "title": "名前空間",
            "text": "<p>名前空間を指定します。</p> kube-system の Pod"
            "<pre><code>$ kubectl get pod --namespace kube-system\nNAME\n</code></pre>",
        },
        {
            "location": "a.html#ctx",
            "title": "コンテキスト",
            "text": "<p>クラスターは <code>kubectl config use-context NAME</code>"
            " で切り替えます。</p>",
        },
        {
            "location": "a.html#intro",
            "title": "はじめに",
            "text": "<p>Pod の詳細 (describe) を見るとイベントが少ないことがあります。</p>",
        },
        {
            "location": "a.html#pods",
            "title": "オブジェクト",
            "text": "Pod の詳細<pre><code>$ kubectl describe pod nginx\nEvents:\n Scheduled\n"
            "</code></pre>",
        },
        {
            "location": "a.html#redo",
            "title": "作り直す",
            "text": "<p>見た目を分けます。分けたものはまた分けます。ほかにもいろいろなことを"
            "ここに書いておきます。仕組みを作ります。その仕組みの仕組み。</p>",
        },
        {
            "location": "a.html#ct",
            "title": "コンテナ",
            "text": "<p>カーネルの名前空間の仕組みは、プロセスから見えるものを"
            "コンテナごとに分けます。</p>",
        },
        {"location": "a.html#p", "title": "Pod", "text": "<p>Pod はデプロイの最小単位です。</p>"},
        {"location": "a.html#hist", "title": "履歴", "text": "<p>ページの履歴です。</p>"},
        {
            "location": "a.html#d",
            "title": "Deployment",
            "text": "ロールアウトの履歴"
            "<pre><code>$ kubectl rollout history deployment/web\n</code></pre>",
        },
        {
            "location": "a.html#obj",
            "title": "k8s オブジェクト",
            "text": "<p>マニフェストには共通の 3 つのフィールドがあります。</p>",
        },
        {
            "location": "how-it-works.html#g",
            "title": "設定",
            "text": "<p>マニフェストの項目を書きます。</p>",
        },
    ],
}


@pytest.fixture
def round7(disk_page):
    return answer_on(disk_page, ROUND7)


@pytest.mark.browser
def test_a_flag_typed_finds_the_command_that_uses_it(round7):
    # Not the list of every flag (a.html#opts, whose title says オプション), nor the other
    # section on namespaces (a.html#ns0, first): the section whose command line uses
    # --namespace. With a flag, オプション names the flag.
    assert round7("--namespace オプション")[0] == "a.html#ns"


@pytest.mark.browser
def test_a_hyphened_name_stands_whole(round7):
    # a.html#opts holds use, context and 使 apart; a.html#ctx holds use-context.
    assert round7("use-context 使い方")[0] == "a.html#ctx"


@pytest.mark.browser
def test_latin_words_a_command_holds_together_are_a_name(round7):
    # a.html#intro holds describe, Pod, イベント and 少 apart; a.html#pods the command
    # 「kubectl describe pod」.
    assert round7("describe pod イベント 少ない")[0] == "a.html#pods"


@pytest.mark.browser
def test_the_words_as_typed_together_count(round7):
    # a.html#redo holds 見, 分 and 仕組み apart (and comes first); a.html#ct 「見えるもの」.
    assert round7("見えるものを分ける仕組み")[0] == "a.html#ct"


@pytest.mark.browser
def test_deploy_in_katakana_is_a_deployment(round7):
    assert round7("デプロイの履歴 見る")[0] == "a.html#d"
    # A typo of デプロイメント is not cut at デプロイ.
    assert round7.words("デプロイメンと")[0] == "デプロイメン"


@pytest.mark.browser
def test_a_learners_word_for_a_field(round7):
    # 項目 = フィールド: the notes' section, not the guide's that says 項目.
    assert round7("マニフェストに書く項目")[0] == "a.html#obj"


# Round 8 (held-out set 7 tuned on): a name typed is one word, a number on a glossary word
# names a page, a command a sentence names does what the sentence says.
ROUND8 = {
    "config": {"lang": ["ja"]},
    "docs": [
        {"location": "a.html", "title": "ノート", "text": "<p>ノートです。</p>"},
        {
            "location": "a.html#parts",
            "title": "構造",
            "text": "<ul><li><code>kube-scheduler</code> (sched): スケジューラー</li>"
            "<li><code>etcd</code>: 設定を格納する</li></ul>",
        },
        {
            "location": "a.html#out",
            "title": "出力フォーマット",
            "text": "<p>ノードの一覧です。ノードの詳細もノードの状態も見ます。</p> ノード一覧"
            "<pre><code>$ kubectl get node\nNAME\ndemo-node Ready\ndemo-node\n</code></pre>",
        },
        {
            "location": "a.html#ns",
            "title": "名前空間",
            "text": "<p>kube-system 名前空間では kube-apiserver、kube-scheduler が Pod として"
            "動きます。kube-proxy と kube-dns もあります。以前の出力 (2026-12-03 の v1.2.3)"
            " は空です。「v1.2.2」の出力は古い出力です。</p>"
            "<pre><code>$ kubectl get pod -n kube-system\nkube-scheduler-demo 1/1\n"
            "</code></pre>",
        },
        {
            "location": "a.html#read",
            "title": "読み方",
            "text": "<p>ノード名は <code>minikube</code> ではなく <code>demo-node</code> です。"
            "同じクラスターを v1.1.0 → v1.2.3 と更新しながら出力を取りました。出力の下の"
            "1 行を見ます。出力はタブで切り替えて見比べられます。クラスターごとに出力が"
            "違います。</p>",
        },
        {
            "location": "a.html#ctx",
            "title": "コンテキスト",
            "text": "<p>複数のクラスターがあるときは、<code>kubectl config use-context"
            " NAME</code> で切り替えます。</p>",
        },
        {
            "location": "a.html#opts",
            "title": "グローバルなオプション",
            "text": "<p>すべてのコマンドで使える、グローバルなオプションを確認します。</p>",
        },
        {
            "location": "a.html#obj",
            "title": "オブジェクト",
            "text": "<p>マニフェストには全リソース共通のフィールドがあります。コマンドで"
            "作ります。</p>",
        },
        {
            "location": "a.html#list",
            "title": "ページ一覧",
            "text": "<p>セクション1 はじめに。セクション5 Kubernetes リソース: Pod、"
            "ReplicaSet、Deployment、名前空間。セクション3 のノートはありません。</p>",
        },
        {
            "location": "a.html#remake",
            "title": "ノートを作り直す",
            "text": "<p>ノートを作り直すときは、ノートのキャプチャを取り直します。ノートは"
            "どこでもビルドできます。</p>",
        },
        {"location": "c.html", "title": "セクション5 リソース", "text": "<p>リソースです。</p>"},
        {
            "location": "c.html#ns",
            "title": "Namespace",
            "text": "<p>Namespace (名前空間) はクラスターを分けます。</p>",
        },
    ],
}


@pytest.fixture
def round8(disk_page):
    return answer_on(disk_page, ROUND8)


@pytest.mark.browser
def test_a_name_counts_where_it_stands_whole(round8):
    # a.html#out says ノード (node) in prose and demo-node only in its command's output;
    # a.html#read names demo-node in a sentence.
    assert round8("demo-node")[0] == "a.html#read"
    # a.html#ns says kube-… often and names kube-scheduler once, as a.html#parts does,
    # which defines it: a name alone is a term, not a command asked for.
    assert round8("kube-scheduler")[0] == "a.html#parts"


@pytest.mark.browser
def test_a_version_is_a_name(round8):
    # a.html#ns holds 2 close before 出力 (「v1.2.2」の出力), not v1.2.3.
    assert round8("v1.2.3 の出力")[0] == "a.html#read"


@pytest.mark.browser
def test_a_number_on_a_glossary_word_names_a_page(round8):
    # section3 is セクション 3: the page list, not the section that says ノート most.
    assert round8.words("section3 のノートはどこ")[:2] == ["section", "3"]
    assert round8("section3 のノートはどこ")[0] == "a.html#list"
    # セクション5 is the page whose title says it, not the page list that names it.
    assert round8("section5 名前空間")[0].startswith("c.html")


@pytest.mark.browser
def test_common_is_global(round8):
    assert round8("全コマンド共通のオプションを調べる")[0] == "a.html#opts"


@pytest.mark.browser
def test_a_command_a_sentence_names_does_what_it_says(round8):
    # どうすれば asks how; 「`kubectl config use-context NAME` で切り替えます」 is a command
    # that switches, not a.html#read's tabs (切り替えて見比べられます).
    assert round8("クラスターを切り替えるにはどうすればいいですか")[0] == "a.html#ctx"


# Round 9 (held-out set 8 tuned on): a question asked politely is the same question;
# 結果 is a command's output; using a thing asks which, not being able to is the trouble;
# what a thing stores asks what it is; チェック asks as 確認 does.
ROUND9 = {
    "config": {"lang": ["ja"]},
    "docs": [
        {"location": "a.html", "title": "ノート", "text": "<p>ノートです。</p>"},
        {
            "location": "a.html#parts",
            "title": "構造",
            "text": "<ul><li><code>etcd</code>: 設定を格納する</li></ul>",
        },
        {
            "location": "a.html#store",
            "title": "並び順",
            "text": "<p>etcd に保存するクラスターでは、保存した順ではなく名前順です。</p>",
        },
        {
            "location": "a.html#read",
            "title": "読み方",
            "text": "<p>どのコンテキストを使って取ったかを書きます。使ったクラスターも書きます。"
            "YAML で書いたマニフェストを使います。</p>",
        },
        {
            "location": "a.html#ctx",
            "title": "コンテキスト",
            "text": "<p>コンテキストは接続先です。</p> 現在のコンテキスト"
            "<pre><code>$ kubectl config current-context\nminikube\n</code></pre>",
        },
        {
            "location": "a.html#fmt",
            "title": "フォーマット",
            "text": "<p>出力のフォーマットです。</p> ノードの詳細 (YAML)"
            "<pre><code>$ kubectl get node -o yaml\nkind: Node\n</code></pre>",
        },
        {
            "location": "a.html#p",
            "title": "Pod",
            "text": "<p>nginx の Pod をチェックします。</p>",
        },
        {
            "location": "a.html#pods",
            "title": "オブジェクト",
            "text": "Pod の詳細<pre><code>$ kubectl describe pod nginx\nName: nginx\n</code></pre>",
        },
        {
            "location": "a.html#logs",
            "title": "ログ",
            "text": "<p><code>kubectl logs</code> でログを読みます。</p>",
        },
        {
            "location": "a.html#node",
            "title": "模擬ノード",
            "text": "<p>模擬ノードでは <code>kubectl logs</code> が使えません。</p>",
        },
    ],
}


@pytest.fixture
def round9(disk_page):
    return answer_on(disk_page, ROUND9)


@pytest.mark.browser
def test_a_polite_question_is_the_same_question(round9):
    # 見たいです asks how, as 見たい does: the command that shows YAML, not a.html#read,
    # which says YAML and 書 more; 結果 is what the notes call 出力.
    assert round9("YAML で見たい")[0] == "a.html#fmt"
    assert round9("結果を YAML で見たいです")[0] == "a.html#fmt"


@pytest.mark.browser
def test_using_asks_which_and_not_being_able_to_is_the_trouble(round9):
    # 使ってる is light: the section on contexts with its command, not a.html#read, which
    # holds コンテキスト and 使 together.
    assert round9("今どのコンテキストを使ってるか確認")[0] == "a.html#ctx"
    # 使えない is what the reader sees: the section that says it.
    assert round9("kubectl logs が使えない")[0] == "a.html#node"


@pytest.mark.browser
def test_what_a_thing_stores_asks_what_it_is(round9):
    # The section whose sentence defines etcd, not a.html#store, which says 保存 as typed.
    assert round9("etcd 何を保存してる")[0] == "a.html#parts"


@pytest.mark.browser
def test_check_asks_as_confirm_does(round9):
    # チェック is light and asks how: the command 「Pod の詳細」, not the sentence that says
    # チェック.
    assert round9("nginxのPodの詳細をチェック")[0] == "a.html#pods"
