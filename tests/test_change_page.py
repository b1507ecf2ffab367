"""The change page (「クラスター更新による変化」): what it says about each step, and that what
strangers wrote (cluster data, capture files, drift-report.json) lands on it as text.

The real histories: tests/data/real-upgrade (the original notes on minikube v1.22.2, then
the local control plane `litekube` with its node at v1.24.0, then at v1.25.0) and
tests/data/drift (the original notes' outputs and outputs recorded on a v1.24.0 server).
Pages are read as HTML (html.parser), never by substring of the markup.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from data.drift.outputs import SEED, recorded
from kubecapture.captures import store
from kubecapture.captures.store import CommandResult, PageCapture, Provenance, SnippetCapture
from kubecapture.drift import driftreport, report, reportfile, reportpage
from kubecapture.drift.drift import Difference
from kubecapture.drift.driftreport import DriftReport, build_report
from kubecapture.run import planning
from sites import build, make_site, offline_env, page_html

REPO = Path(__file__).resolve().parent.parent
REAL = Path(__file__).parent / "data" / "real-upgrade"
NOTES = Provenance("minikube", "v1.22.2", "", "", "the original notes")


# ---------------------------------------------------------------------------------------
# Reading HTML


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag, self.attrs = tag, attrs
        self.children: list[Element | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self, tag: str | None = None):
        for c in self.children:
            if isinstance(c, Element):
                if tag is None or c.tag == tag:
                    yield c
                yield from c.iter(tag)

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class _Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse(html: str) -> Element:
    tree = _Tree()
    tree.feed(html)
    tree.close()
    return tree.root


def article(html: str) -> Element:
    """The page's content (Material: <article class="md-content__inner">)."""
    return next(e for e in parse(html).iter("article"))


def steps_of(markdown: str) -> list[tuple[str, Element]]:
    """(heading, the step's HTML) of each step of the page's Markdown."""
    found = re.findall(r"^## (.*)\n\n(<div .*)$", markdown, re.M)
    return [(heading, parse(block)) for heading, block in found]


def real_history() -> DriftReport:
    pages = [(store.load(path), ()) for path in store.all_capture_files(REAL)]
    return driftreport.history_report(pages)


def real_page(lang: str = "ja", directory_urls: bool = False) -> str:
    report_ = real_history()
    titles = report.links.titles_of(REPO / "docs", {e.page for e in report_.entries})
    return reportpage.markdown(report_, lang, "cluster-changes.md", titles, directory_urls)


def entry(report_: DriftReport, page: str, ref: str, before_context: str):
    return next(
        e
        for e in report_.entries
        if (e.page, e.ref, e.before.context) == (page, ref, before_context)
    )


# ---------------------------------------------------------------------------------------
# What each step says


def test_the_seed_history_is_a_change_of_cluster_not_an_upgrade():
    """minikube v1.22.2 (the original notes) -> litekube v1.24.0+0: another cluster and
    another version at once; its changes are not put down to the version."""
    history = real_history()
    seed_step = next(s for s in history.steps() if s.before.context == "minikube")
    assert seed_step.kind == "cluster" and seed_step.version_changed
    assert {e.after.context for e in seed_step.report.entries} == {"litekube"}
    headings = [h for h, _ in steps_of(real_page())]
    seed_heading = next(h for h in headings if "minikube" in h)
    assert seed_heading.startswith("クラスターの変更: minikube → litekube")
    assert "バージョンアップ" not in seed_heading
    block = dict(steps_of(real_page()))[seed_heading]
    step_div = next(block.iter("div"))
    assert step_div.has_class("kc-step-cluster")
    # the table of the two setups marks the context as what differs
    differing = [r.text() for r in block.iter("tr") if r.has_class("kc-differs")]
    assert any(
        r.startswith("コンテキスト") and "minikube" in r and "litekube" in r for r in differing
    )
    assert any(r.startswith("クラスターの説明") and "模擬ノード" in r for r in differing)


def test_a_version_change_on_the_same_cluster_is_an_upgrade():
    history = real_history()
    node_step = next(s for s in history.steps() if s.before.context == "litekube")
    assert (node_step.kind, node_step.cluster_changed) == ("upgrade", False)
    assert (node_step.server_changed, node_step.nodes_changed) == (False, True)
    headings = [h for h, _ in steps_of(real_page())]
    assert headings[0].startswith("バージョンアップ: ノード v1.24.0 → v1.25.0")
    # the newest step first
    assert headings[1].startswith("クラスターの変更")


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (("minikube", "v1.24.0", "", "v1.30.0"), ("minikube", "v1.31.0", "", "v1.30.0"), "upgrade"),
        (("minikube", "v1.31.0", "", "v1.30.0"), ("minikube", "v1.24.0", "", "v1.30.0"), "version"),
        (("kind-a", "v1.31.0", "", "v1.30.0"), ("kind-a", "v1.31.0", "", "v1.31.0"), "kubectl"),
        (("kind-a", "v1.31.0", "", "v1.30.0"), ("kind-b", "v1.31.0", "", "v1.30.0"), "cluster"),
        (("kind-a", "v1.31.0", "", "v1.30.0"), ("kind-a", "v1.31.0", "sim", "v1.30.0"), "cluster"),
        (("kind-a", "v1.31.0", "", "v1.30.0"), ("kind-a", "v1.31.0", "", "v1.30.0"), "same"),
        (("", "", "", ""), ("kind-a", "v1.31.0", "", "v1.30.0"), "unknown"),
    ],
)
def test_what_a_step_is_follows_what_differs(before, after, kind):
    def provenance(values, when):
        context, server, cluster, kubectl = values
        return Provenance(context, server, kubectl, when, cluster=cluster)

    old = SnippetCapture("k", [CommandResult("kubectl get ns", 0, "a\n")], provenance(before, "1"))
    new = SnippetCapture("k", [CommandResult("kubectl get ns", 0, "b\n")], provenance(after, "2"))
    [step] = build_report([("p.md", "ns", ["kubectl get ns"], old, new)]).steps()
    assert step.kind == kind


def test_the_roles_change_is_a_cell_change_and_the_node_name_is_a_rename():
    """After replacing the names that changed with the cluster, the node's row pairs with
    its namesake: ROLES and VERSION are cell changes, not a row removed and a row added;
    `current-context` only shows the context's new name."""
    history = real_history()
    nodes = entry(history, "course/04-kubectl.md", "get-node", "minikube")
    assert nodes.renamed == {"minikube": "litekube"}
    assert Difference("cell", "ROLES", "control-plane,master", "control-plane", "litekube") in (
        nodes.differences
    )
    assert not [d for d in nodes.differences if d.kind in ("row_removed", "row_added")]
    context = entry(history, "course/04-kubectl.md", "current-context", "minikube")
    assert (context.status, context.differences) == ("renamed", [])

    seed_heading, block = next((h, b) for h, b in steps_of(real_page()) if "minikube" in h)
    items = [li.text() for li in block.iter("li")]
    assert "ROLES: control-plane,master → control-plane (litekube の行)" in items
    renamed_list = next(h for h in block.iter("h3") if h.text().startswith("名前の変化のみ"))
    assert renamed_list.text() == "名前の変化のみ (1)"


def test_the_same_roles_change_on_one_cluster_needs_no_rename():
    """The original notes' minikube v1.22.2 and a v1.24.0 server named minikube."""
    node = "kubectl get node"
    live = Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T00:43:00Z")
    old = SnippetCapture("k", [CommandResult(node, 0, SEED[node])], NOTES, "nodes")
    new = SnippetCapture("k", [CommandResult(node, 0, recorded(node))], live, "nodes")
    report_ = build_report([("course/04-kubectl.md", "nodes", [node], old, new)])
    [step] = report_.steps()
    assert step.kind == "upgrade"
    [e] = report_.entries
    assert e.renamed == {}
    assert [str(d) for d in e.differences] == [
        "ROLES: control-plane,master → control-plane (minikube)",
        "VERSION: v1.22.2 → v1.24.0 (minikube)",
    ]


# ---------------------------------------------------------------------------------------
# Japanese throughout; English kept for English sites


def test_change_lines_and_diff_headers_are_japanese():
    text = "\n".join(b.text() for _, b in steps_of(real_page("ja")))
    for english in ("line removed:", "line added:", "row removed:", "row added:", "table "):
        assert english not in text
    for english in ("--- before", "+++ after", "[stderr]", "(empty)"):
        assert english not in text
    assert "--- 更新前: kubectl get node" in text and "+++ 更新後: kubectl get node" in text
    assert "標準エラー出力: 加わった行: No resources found in kube-system namespace." in text
    assert "[標準エラー出力] No resources found in kube-system namespace." in text

    en = "\n".join(b.text() for _, b in steps_of(real_page("en")))
    assert "--- before: kubectl get node" in en
    assert "ROLES: control-plane,master → control-plane (row litekube)" in en
    assert "Another cluster: minikube → litekube" in real_page("en")


# ---------------------------------------------------------------------------------------
# Links: the snippet's anchor, the page's title


@pytest.mark.parametrize(
    ("directory_urls", "href"),
    [(False, "course/04-kubectl.html#kc-get-node"), (True, "../course/04-kubectl/#kc-get-node")],
)
def test_links_go_to_the_snippets_anchor_with_the_pages_title(directory_urls, href):
    blocks = [b for _, b in steps_of(real_page(directory_urls=directory_urls))]
    links = [a for b in blocks for a in b.iter("a")]
    nodes = [a for a in links if a.attrs["href"] == href]
    assert nodes and nodes[0].text() == "セクション4 kubectl"
    for a in links:  # never a file path as link text, never a link off the site
        assert not a.text().endswith(".md") and "://" not in a.attrs["href"]
        assert a.attrs["href"].split("#")[0].endswith((".html", "/"))


def test_titles_come_from_the_pages():
    titles = report.links.titles_of(REPO / "docs", ["course/05-resources.md", "how-it-works.md"])
    assert titles == {
        "course/05-resources.md": "セクション5 Kubernetes リソース",
        "how-it-works.md": "このサイトの仕組み",
    }
    assert report.links.titles_of(REPO / "docs", ["../pyproject.md", "/etc/x.md"]) == {}


# ---------------------------------------------------------------------------------------
# drift-report.json is typed on load


def valid_report() -> dict:
    return json.loads(real_history().to_json())


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("entries", 0, "ref"), ["x"]),
        (("entries", 0, "ref"), True),
        (("entries", 0, "after", "context"), 7),
        (("entries", 0, "status"), "<b>new</b>"),
        (("entries", 0, "differences"), [{"kind": "script"}]),
        (("entries", 0, "differences"), [{"kind": "cell", "subject": {"a": 1}}]),
        (("entries", 0, "diff"), [1, 2]),
        (("entries", 0, "renamed"), {"a": ["b"]}),
        (("entries", 0, "before"), "minikube"),
        (("entries", 0, "surprise"), 1),
        (("entries",), {"0": {}}),
    ],
)
def test_a_report_of_wrong_types_is_refused_in_one_sentence(path, value):
    data = valid_report()
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(ValueError) as refused:
        reportfile.load(json.dumps(data))
    message = str(refused.value)
    assert "\n" not in message and len(message) < 200, message


def test_a_bad_report_file_leaves_the_page_to_the_captures(tmp_path, caplog):
    captures = tmp_path / "captures"
    for path in store.all_capture_files(REAL):
        target = captures / path.relative_to(REAL)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    data = valid_report()
    data["entries"][0]["after"]["nodes"] = {"<img src=x onerror=alert(1)>": 1}
    (captures / report.REPORT_FILE).write_text(json.dumps(data), encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.kubecapture"):
        page = report.page_markdown(captures, "ja")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "drift-report.json" in warnings[0], warnings
    assert "\n" not in warnings[0]
    assert [h for h, _ in steps_of(page)] == [h for h, _ in steps_of(real_page())]


# ---------------------------------------------------------------------------------------
# Escaped by construction: a site built from hostile data


HOSTILE = {
    "kubelet": "<img src=x onerror=alert(1)>",
    "context": "[click](javascript:alert(2))",
    "cluster": "<script>alert(3)</script>",
    "server": 'v1.24.0"><svg onload=alert(4)>',
    "kubectl": "v1.30.0 <a href=javascript:alert(5)>x</a>",
}
SECRET = "KC-SECRET-MARKER-51d0"
NODES_PAGE = """# Nodes <img src=x onerror=alert(6)> [t](javascript:alert(7))

```kubectl id="nodes"
kubectl get node
```
"""
# Lines a Markdown preprocessor would act on if they reached it as they are.
FENCE_AND_INCLUDE = '```kubectl\nkubectl get secret\n```\n--8<-- "secret.txt"\n{{ config }}\n'


def hostile_site(root: Path) -> Path:
    site = make_site(
        root,
        {"nodes.md": NODES_PAGE, "changes.md": "<!-- kubecapture: drift-report -->\n"},
        report_page="generated.md",
    )
    config = (site.read_text(encoding="utf-8")).replace(
        "- pymdownx.superfences\n",
        "- pymdownx.superfences\n- toc\n- md_in_html\n- attr_list\n"
        "- pymdownx.snippets:\n    base_path: ['.']\n",
    )
    site.write_text(config, encoding="utf-8")
    (root / "secret.txt").write_text(SECRET + "\n", encoding="utf-8")
    settings = planning.Settings(captures_dir=root / "captures", workdir=root)
    plan = planning.plan_page("nodes.md", NODES_PAGE, settings)
    [snippet] = plan.snippets
    command = "kubectl get node"
    old = SnippetCapture(
        snippet.key,
        [CommandResult(command, 0, "NAME   STATUS   VERSION\nnode   Ready    v1.24.0\n")],
        Provenance("kind-a", "v1.24.0", "v1.30.0", "2026-11-01T00:00:00Z", nodes="v1.24.0"),
    )
    evil = Provenance(
        HOSTILE["context"],
        HOSTILE["server"],
        HOSTILE["kubectl"],
        "2026-11-02T00:00:00Z",
        nodes=HOSTILE["kubelet"],
        cluster=HOSTILE["cluster"],
    )
    table = f"NAME   STATUS   VERSION\nnode   Ready    {HOSTILE['kubelet']}\n"
    output = table + "\n" + FENCE_AND_INCLUDE
    new = SnippetCapture(snippet.key, [CommandResult(command, 0, output)], evil, "nodes", [old])
    store.save(plan.capture_file, PageCapture("nodes.md", plan.key, [new]))
    return site


def assert_inert(html: str, hostile: dict[str, str]) -> None:
    """The page's content holds each hostile string as text, and none of it as markup
    (in the content, and in the table of contents that its headings make)."""
    page = parse(html)
    content = article(html)
    text = content.text()
    for value in hostile.values():
        assert value in text, value
    toc = [n for n in page.iter("nav") if n.has_class("md-nav--secondary")]
    for element in [*content.iter(), *(e for n in toc for e in n.iter())]:
        assert element.tag not in ("img", "svg", "script") or element.attrs.get("src") != "x"
        assert not any(name.startswith("on") for name in element.attrs), element.attrs
        assert not (element.attrs.get("href") or "").lower().startswith("javascript:")
    assert not list(content.iter("img")) and not list(content.iter("svg"))
    assert not [s for s in content.iter("script")]
    # no fence ran and no file was included: the lines are in the diff as text
    assert not [d for d in content.iter("div") if d.has_class("kubecapture")]
    assert SECRET not in html
    assert '--8<-- "secret.txt"' in text and "```kubectl" in text and "{{ config }}" in text


def test_a_hostile_history_lands_on_the_page_as_text(tmp_path):
    site = hostile_site(tmp_path / "site")
    built = build(site, offline_env(), mode="replay")
    assert built.returncode == 0, built.log
    for page in ("changes/index.html", "generated/index.html"):
        html = page_html(site, page)
        assert_inert(html, HOSTILE)
        content = article(html)
        # the step is a version change of the node seen from another context: a cluster change
        assert [d for d in content.iter("div") if d.has_class("kc-step-cluster")]
        # the anchor link lands on the snippet, named by the page's title (as text)
        links = [a for a in content.iter("a") if a.attrs["href"] == "../nodes/#kc-nodes"]
        assert links and links[0].text() == NODES_PAGE.splitlines()[0][2:]
    nodes = page_html(site, "nodes/index.html")
    assert 'id="kc-nodes"' in nodes


def test_a_hostile_report_file_lands_on_the_page_as_text(tmp_path):
    """drift-report.json of the right types, and every string in it hostile."""
    site = hostile_site(tmp_path / "site")
    data = json.loads(real_history().to_json())
    e = next(x for x in data["entries"] if x["status"] == "changed")
    e["page"] = "javascript:alert(8).md"
    e["ref"] = 'x" onmouseover="alert(9)'
    e["label"] = "<iframe src=javascript:alert(10)>"
    e["differences"] = [
        {"kind": "cell", "subject": "<b onclick=alert(11)>ROLES</b>", "row": "`x`"},
        {"kind": "line_added", "subject": FENCE_AND_INCLUDE, "command": "<u>k</u>"},
    ]
    e["diff"] = [
        "--- before: <i>x</i>",
        "+++ after: y",
        "@@ -1 +1 @@",
        *FENCE_AND_INCLUDE.split("\n"),
    ]
    e["after"]["nodes"] = HOSTILE["kubelet"]
    (site.parent / "captures" / report.REPORT_FILE).write_text(json.dumps(data), encoding="utf-8")
    built = build(site, offline_env(), mode="replay")
    assert built.returncode == 0, built.log
    hostile = {
        "label": e["label"],
        "subject": "<b onclick=alert(11)>ROLES</b>",
        "command": "<u>k</u>",
        "kubelet": HOSTILE["kubelet"],
    }
    for page in ("changes/index.html", "generated/index.html"):
        html = page_html(site, page)
        assert_inert(html, hostile)
        content = article(html)
        assert not list(content.iter("iframe")) and not list(content.iter("b"))
        assert not [a for a in content.iter("a") if "javascript" in a.attrs["href"]]


def test_one_old_name_that_became_a_context_and_a_node_is_a_rename_in_both():
    """minikube's context and node are both `minikube`; kind's are `kind-kind` and
    `kind-control-plane`. `current-context` and `get node` are each only renamed."""
    before = Provenance("minikube", "v1.31.0", "v1.31.0", "1")
    after = Provenance("kind-kind", "v1.31.0", "v1.31.0", "2")
    ctx, node = "kubectl config current-context", "kubectl get node"
    rows = (
        "NAME{}   STATUS   ROLES           AGE   VERSION\n{}   Ready    control-plane   5m    v1\n"
    )
    old_node = rows.format(" " * 4, "minikube")
    new_node = rows.format(" " * 14, "kind-control-plane")

    def pair(ref, command, old, new):
        return (
            "p.md", ref, [command],
            SnippetCapture(ref, [CommandResult(command, 0, old)], before),
            SnippetCapture(ref, [CommandResult(command, 0, new)], after),
        )  # fmt: skip

    pairs = [pair("ctx", ctx, "minikube\n", "kind-kind\n"), pair("nodes", node, old_node, new_node)]
    pairs.append(pair("upgraded", node, old_node, new_node.replace(" v1\n", " v2\n")))
    context, nodes, upgraded = build_report(pairs).entries
    assert (context.status, context.renamed) == ("renamed", {"minikube": "kind-kind"})
    assert (nodes.status, nodes.renamed) == ("renamed", {"minikube": "kind-control-plane"})
    # a node row that changed beyond its name pairs with its new name all the same
    assert upgraded.renamed == {"minikube": "kind-control-plane"}
    assert upgraded.changes == ["VERSION: v1 → v2 (kind-control-plane)"]
    [step] = build_report(pairs).steps()
    assert step.renamed == [("minikube", "kind-control-plane"), ("minikube", "kind-kind")]


def test_a_report_saved_under_other_drift_rules_is_not_shown():
    """What a saved report says was said by the rules of its day: after drift's rules
    change (drift.RULES), the page is made from the captures instead."""
    saved = json.loads(driftreport.DriftReport([]).to_json())
    assert reportfile.load(json.dumps(saved)).entries == []
    saved["rules"] -= 1
    with pytest.raises(reportfile.OtherVersion):
        reportfile.load(json.dumps(saved))


# ---------------------------------------------------------------------------------------
# Causes as the evidence shows them (issue 27, item 9)

LITEKUBE = Provenance("litekube", "v1.24.0+0", "v1.37.1", "2026-11-29T23:12:48Z", nodes="v1.24.0")
LOCAL_135 = Provenance("kubecapture-local", "v1.35.4", "v1.37.1", "2026-12-03T01:09:16Z")
LOCAL_136 = Provenance("kubecapture-local", "v1.36.3", "v1.37.1", "2026-12-03T01:09:49Z")
EVENTS = (
    "Name:  node-a\nEvents:\n  Type    Reason          Age   From             Message\n"
    "  ----    ------          ----  ----             -------\n"
)
REGISTERED = "  Normal  RegisteredNode  {}   node-controller  Node node-a registered\n"


def _page(pairs) -> tuple[DriftReport, list[tuple[str, Element]]]:
    report_ = build_report(pairs)
    return report_, steps_of(reportpage.markdown(report_, "ja", "cluster-changes.md", {}, False))


def _capture(command: str, out: str, p: Provenance, id: str = "s") -> SnippetCapture:
    return SnippetCapture("k-" + id, [CommandResult(command, 0, out)], p, id)


def test_an_event_counted_again_in_an_upgrade_is_not_put_down_to_the_release():
    """Upgrading in place restarts the controller-manager, which registers the node once
    more: the step says the upgrade (not only the release) changed outputs, and the
    snippet says the same event was recorded again and what that shows."""
    old = EVENTS + REGISTERED.format("10m") * 2
    new = EVENTS + REGISTERED.format("5s") + REGISTERED.format("11m") * 2
    pair = ("n.md", "node", ["kubectl describe node"])
    _, [(heading, block)] = _page(
        [
            (
                *pair,
                _capture("kubectl describe node", old, LOCAL_135),
                _capture("kubectl describe node", new, LOCAL_136),
            )
        ]
    )
    assert heading.startswith("バージョンアップ")
    text = block.text()
    assert "同じイベントがもう一度記録されました: RegisteredNode (2 → 3 件)" in text
    assert "表に加わった行" not in text
    assert "アップグレードの作業 (コンポーネントの再起動など)" in text
    assert "同じ出来事 (たとえばコンポーネントの再起動) がもう一度起きた" in text
    assert "このバージョンの違いによるものです" not in text


def test_what_kubectl_answers_itself_is_not_put_down_to_the_cluster():
    """`kubectl options` asks no cluster: with the same kubectl on both sides, a changed
    default (`--cache-dir`, from the HOME kubectl ran with) comes from where kubectl ran,
    and the page says so; with another kubectl it may also be kubectl's version."""
    before = "    --cache-dir='/root/.kube/cache':\n\tDefault cache directory\n"
    after = "    --cache-dir='~/.kube/cache':\n\tDefault cache directory\n"
    pair = ("o.md", "options", ["kubectl options"])
    old, new = (
        _capture("kubectl options", before, LITEKUBE),
        _capture("kubectl options", after, LOCAL_135),
    )
    report_, [(heading, block)] = _page([(*pair, old, new)])
    assert heading.startswith("クラスターの変更") and report_.entries[0].note == "client"
    notes = [p.text() for p in block.iter("em")]
    assert notes == [
        next(n for n in notes if "kubectl を動かした環境" in n and "クラスターやバージョン" in n)
    ]
    newer = replace(LOCAL_135, kubectl_version="v1.38.0")
    _, [(_, block)] = _page([(*pair, old, _capture("kubectl options", after, newer))])
    assert "kubectl のバージョンか" in " ".join(p.text() for p in block.iter("em"))
    # A command that asks the cluster gets no such note.
    get = ("g.md", "ns", ["kubectl get ns"])
    report_, _ = _page(
        [
            (
                *get,
                _capture("kubectl get ns", "a\n", LITEKUBE),
                _capture("kubectl get ns", "b\n", LOCAL_135),
            )
        ]
    )
    assert report_.entries[0].note == ""


def test_snippets_are_named_by_their_titles_and_sources_claim_no_build_time():
    """A snippet with a title is named by it (its id is no word a reader has seen); the
    source of a recorded output says how it was recorded, not 「ビルド時に実行」: the page
    is made from outputs captured on other days."""
    page = '# ページ\n\n```kubectl id="nodes" title="ノード一覧"\nkubectl get node\n```\n'
    settings = planning.Settings(captures_dir=Path("/nonexistent"), workdir=Path("."))
    [snippet] = planning.plan_page("p.md", page, settings).snippets
    node = "kubectl get node"
    old = SnippetCapture(snippet.key, [CommandResult(node, 0, "NAME\na  v1\n")], LOCAL_135, "nodes")
    new = SnippetCapture(snippet.key, [CommandResult(node, 0, "NAME\na  v2\n")], LOCAL_136, "nodes")
    pages = [(PageCapture("p.md", "key", [replace(new, history=[old])]), [snippet])]
    report_ = driftreport.history_report(pages)
    assert report_.entries[0].title == "ノード一覧"
    assert reportfile.load(report_.to_json()).entries[0].title == "ノード一覧"
    [(_, block)] = steps_of(reportpage.markdown(report_, "ja", "cluster-changes.md", {}, False))
    assert [h.text() for h in block.iter("h4")] == ["p.md › ノード一覧"]
    assert "ビルド時に実行" not in block.text() and "kubectl を実行して記録" in block.text()


def test_before_and_after_are_an_update_only_for_an_upgrade():
    """更新前 / 更新後 for an upgrade; for another cluster (or a downgrade) the sides are
    変更前 / 変更後, in the table of setups and in the diffs."""
    get = ("g.md", "ns", ["kubectl get ns"])

    def sides(old_p, new_p):
        pair = (
            *get,
            _capture("kubectl get ns", "a\n", old_p),
            _capture("kubectl get ns", "b\n", new_p),
        )
        [(_, block)] = _page([pair])[1]
        head = [th.text() for th in next(block.iter("thead")).iter("th")][1:]
        diff = [s.text() for s in block.iter("span") if s.attrs.get("class") == "gh"]
        return head, [d.split(":")[0] for d in diff]

    assert sides(LOCAL_135, LOCAL_136) == (["更新前", "更新後"], ["--- 更新前", "+++ 更新後"])
    assert sides(LITEKUBE, LOCAL_135) == (["変更前", "変更後"], ["--- 変更前", "+++ 変更後"])
    assert sides(LOCAL_136, LOCAL_135)[0] == ["変更前", "変更後"]  # a downgrade


def test_the_matrix_and_the_change_page_classify_a_pair_alike():
    """Every snippet of the notes: its matrix cell for the output just before the newest
    says what the change page says of the same two outputs (名前の変化のみ is one on both,
    never 変化あり on one of them)."""
    from kubecapture.drift import matrix

    pages = [store.load(p) for p in store.all_capture_files(REPO / "snippets" / "captures")]
    pages = [p for p in pages if p]
    table = matrix.build(pages)
    history = driftreport.history_report((p, ()) for p in pages)
    said = {
        (e.page, e.ref if isinstance(e.ref, str) else e.ref + 1, e.before.captured_at): e.status
        for e in history.entries
    }
    as_matrix = {"unchanged": "same", "volatile": "same"}
    compared = 0
    for page in pages:
        for position, snip in enumerate(page.snippets, start=1):
            if len(snip.entries) < 2:
                continue
            row = next(r for r in table.rows if (r.page, r.ref) == (page.page, snip.id or position))
            second = snip.entries[1]
            column = table.setups.index(matrix.Setup.of(second.provenance))
            cell = row.cells[column].status
            status = said[(page.page, snip.id or position, second.provenance.captured_at)]
            if cell != "failed":
                assert cell == as_matrix.get(status, status), (page.page, row.ref)
                compared += 1
    assert compared > 30
    renamed = [c for r in table.rows for c in r.cells if c.status == "renamed"]
    assert renamed  # the notes' history has a cluster swap whose names changed
