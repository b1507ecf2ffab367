"""The published notes, built as `make site` builds them: real output under every snippet,
and what they teach is true (issue 20): corrections where the original notes were wrong,
hands-on beyond the original notes marked, the simulated cluster's differences said where
they show, the author guide's examples shown as written, one name per page."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
import yaml
from sites import build, offline_env

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SEED = ROOT.parent / "shared" / "seed"  # the original notes (../shared beside the clone)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("notes") / "site"
    built = build(ROOT / "mkdocs.yml", offline_env(), "--strict", "-d", str(out), mode="replay")
    assert built.returncode == 0, built.log
    return out


@pytest.fixture(scope="module")
def seed() -> str:
    texts = sorted(SEED.glob("*.txt"))
    if not texts:
        pytest.skip(f"the original notes are not at {SEED}")
    return texts[0].read_text(encoding="utf-8")


def text(html: str) -> str:
    """The words of some HTML, without tags, on one line."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def prose(html: str) -> str:
    """The text of a page's article without its code blocks and admonitions."""
    article = html[html.index("<article") : html.index("</article>")]
    article = re.sub(r"<pre\b.*?</pre>", " ", article, flags=re.S)
    article = re.sub(r'<div class="admonition\b.*?</div>', " ", article, flags=re.S)
    return text(article)


def admonitions(html: str) -> list[str]:
    return [text(a) for a in re.findall(r'<div class="admonition\b.*?</div>', html, re.S)]


def sections(markdown: str) -> list[tuple[str, str]]:
    """(heading, body) of every heading of a Markdown page, in order."""
    parts = re.split(r"^(#{1,6} .*)$", markdown, flags=re.M)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def fences(body: str) -> list[tuple[str, list[str], int]]:
    """The kubectl fences of a piece of Markdown: (id, commands, offset)."""
    found = []
    for m in re.finditer(r'^```kubectl\b[^\n]*?id="([^"]+)"[^\n]*\n(.*?)^```', body, re.M | re.S):
        body_lines = m[2].replace("\\\n", " ").splitlines()
        commands = [" ".join(c.split()) for c in body_lines if c.strip().startswith("kubectl")]
        found.append((m[1], commands, m.start()))
    return found


def test_every_snippet_shows_real_output_with_its_provenance(site):
    snippets = provenance = 0
    for page in site.rglob("*.html"):
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


# --- the facts (issue 20, item 4) -----------------------------------------------------------


def test_a_pod_is_not_said_to_have_a_replica_count(site, seed):
    """The original notes gave a Pod's settings as containers, ports and a replica count;
    the replica count belongs to a ReplicaSet or Deployment. The page says what a Pod has,
    and a note says where the original notes were wrong."""
    assert "レプリカ数" in seed  # the original remark the page corrects
    html = (site / "course" / "01-introduction.html").read_text(encoding="utf-8")
    claims = [s for s in re.split(r"。", prose(html)) if "Pod には" in s]
    assert claims and not [s for s in claims if "レプリカ数" in s], claims
    notes = [a for a in admonitions(html) if "元のノート" in a and "レプリカ数" in a]
    assert notes and "ReplicaSet" in notes[0] and "Deployment" in notes[0]


def _manifests(body: str) -> list[dict]:
    return [
        yaml.safe_load((ROOT / "snippets" / path).read_text(encoding="utf-8"))
        for path in re.findall(r'--8<-- "([^"]+)"', body)
    ]


def test_only_resources_that_manage_pods_are_filed_as_workload_resources(site, seed):
    """Section 5 defines a workload resource as one that creates and manages Pods from a
    Pod template: every manifest applied under that heading has one (spec.template), and
    Secret and Service, which have none, are sections of their own (the page's table of
    contents follows the headings)."""
    assert re.search(r"ワークロードリソース[^\n]*\n(?:.*\n)*?\s*• Secret", seed)  # as noted
    markdown = (DOCS / "course" / "05-resources.md").read_text(encoding="utf-8")
    level, inside, kinds = 0, False, {}
    for heading, body in sections(markdown):
        depth = len(heading.split()[0])
        if "ワークロードリソース" in heading:
            level, inside = depth, True
            continue
        if inside and depth <= level:
            inside = False
        for manifest in _manifests(body):
            kinds[manifest["kind"]] = (inside, "template" in manifest.get("spec", {}))
    assert {"ReplicaSet", "Deployment", "Secret", "Service"} <= kinds.keys()
    assert {k: v for k, v in kinds.items() if v[0] != v[1] and k != "Pod"} == {}, kinds
    html = (site / "course" / "05-resources.html").read_text(encoding="utf-8")
    assert any("元のノート" in a and "Secret" in a and "Service" in a for a in admonitions(html))


def test_the_remarks_of_the_original_notes_are_kept(site, seed):
    """Two remarks of the original notes the site had dropped: why a Japanese course, and
    that writing YAML is a matter of getting used to it."""
    words = text((site / "index.html").read_text(encoding="utf-8"))
    for remark in ("日本語のコース", "慣れの問題"):
        assert remark in seed and remark in words, remark
    assert "英語" in words


MARK = "補足のハンズオン"


def test_hands_on_beyond_the_original_notes_is_marked(seed):
    """Every snippet of the course whose commands the original notes do not have stands in
    a part of its section that a 補足のハンズオン admonition opens."""
    original = {" ".join(c.split()) for c in re.findall(r"^\$ (kubectl .*)$", seed, re.M)}
    assert "kubectl api-resources --namespaced=true" in original
    unmarked, beyond = [], 0
    for page in sorted((DOCS / "course").glob("*.md")):
        for heading, body in sections(page.read_text(encoding="utf-8")):
            mark = body.find(f'!!! example "{MARK}"')
            for snippet, commands, at in fences(body):
                if set(commands) <= original:
                    continue
                beyond += 1
                if mark < 0 or mark > at:
                    unmarked.append(f"{page.name} {heading}: {snippet}")
    assert beyond >= 15 and unmarked == []


# --- where the simulated cluster differs (item 6) -----------------------------------------


def _newest_output(page: str, snippet: str) -> str:
    data = yaml.safe_load((ROOT / "snippets" / "captures" / page).read_text(encoding="utf-8"))
    found = next(s for s in data["snippets"] if s["id"] == snippet)
    return "".join(r.get("stdout", "") + r.get("stderr", "") for r in found["results"])


def _said_near(markdown: str, snippet: str) -> str:
    """The prose of the section that holds a snippet (what a reader reads around it)."""
    for _heading, body in sections(markdown):
        if f'id="{snippet}"' in body:
            return re.sub(r"^```.*?^```", " ", body, flags=re.M | re.S)
    raise AssertionError(f"no snippet {snippet}")


def _empty_said_of_the_newest(text: str) -> list[str]:
    """The sentences of `text` that call something empty (空) without putting it down to
    the simulated node's earlier outputs (模擬)."""
    return [
        t
        for t in re.split(r"(?<=。)", text)
        if "空" in t.replace("名前空間", "") and "模擬" not in t  # 名前空間 is no 空
    ]


def test_the_simulated_clusters_differences_are_said_where_they_show():
    """Where the newest output shows what a learner's own minikube or kind would not (a
    simulated node: no kubelet events in `describe pod`, an empty kube-system; a list not in
    name order), the section says so; where the newest output comes from a real node, the
    section does not say it lacks them (only the simulated node's earlier outputs do)."""
    kubectl = (DOCS / "course" / "04-kubectl.md").read_text(encoding="utf-8")
    resources = (DOCS / "course" / "05-resources.md").read_text(encoding="utf-8")
    events = _newest_output("course/05-resources.yaml", "describe-pod").split("Events:")[1]
    near = _said_near(resources, "describe-pod")
    if "Started" not in events:
        assert "Pulling" in near and "Started" in near
    else:
        assert _empty_said_of_the_newest(near) == []
    # section 5's kube-system bullet, up to the next bullet
    bullet = next(line for line in resources.splitlines() if "`kube-system`:" in line)
    said = bullet + resources.split(bullet, 1)[1].split("\n- ", 1)[0]
    if "No resources found" in _newest_output("course/04-kubectl.yaml", "get-pod-kube-system"):
        near = _said_near(kubectl, "get-pod-kube-system")
        assert "No resources found" in near and "プロセス" in near
        # section 5 does not claim section 4 showed its components
        assert "確認しました" not in said and "空" in said
    else:
        assert _empty_said_of_the_newest(said) == []
    table = _newest_output("course/04-kubectl.yaml", "get-namespace").splitlines()[1:]
    names = [row.split()[0] for row in table if row.strip()]
    if names != sorted(names):
        assert "並び順" in _said_near(kubectl, "get-namespace")


def test_the_page_speaks_of_outputs_not_of_tabs_where_it_is_printed():
    """The course pages are printed in the handout, where there are no tabs: they refer to
    an output by its version, never to a tab."""
    for page in sorted((DOCS / "course").glob("*.md")):
        assert "タブ" not in page.read_text(encoding="utf-8"), page.name


# --- the author guide and the names (item 5, item 7) --------------------------------------


def test_the_guide_shows_the_snippets_line_as_written(site):
    html = (site / "how-it-works.html").read_text(encoding="utf-8")
    blocks = [text(b) for b in re.findall(r"<pre\b.*?</pre>", html, re.S)]
    assert any('--8<-- "manifests/pod.yaml"' in b for b in blocks)
    pod = (ROOT / "snippets" / "manifests" / "pod.yaml").read_text(encoding="utf-8")
    assert not any(pod.splitlines()[0] in b for b in blocks), "the manifest was pasted in"


def test_the_guide_says_how_to_install_and_capture_on_minikube_and_kind(site):
    markdown = (DOCS / "how-it-works.md").read_text(encoding="utf-8")
    install = next(body for heading, body in sections(markdown) if "インストール" in heading)
    # Not on PyPI: a clone, a wheel, a git URL (tests/test_wheel.py installs each way).
    for way in ("pip install './kubecapture[", "python -m build --wheel", "@ git+<URL>@"):
        assert way in install, way
    assert "PyPI" in install and "chromium" in install
    start, end = markdown.index("## クイックスタート"), markdown.index("### kubectl とクラスター")
    quick = markdown[start:end]
    assert "mkdocs.yml" in quick and "- kubecapture:" in quick and "- offline" in quick
    for words in ("minikube start", "kind create cluster", "tests/cluster/cluster start"):
        assert words in quick, words
    for words in ("kubecapture refresh", "kubecapture share", "kubecapture handout"):
        assert words in quick, words
    capture = next(body for heading, body in sections(markdown) if "kind" in heading)
    for words in ("minikube start", "kind create cluster", "kind-", "make capture"):
        assert words in capture, words


def _nav_pages(nav) -> list[tuple[str, str]]:
    out = []
    for item in nav:
        for title, value in item.items():
            out += _nav_pages(value) if isinstance(value, list) else [(title, value)]
    return out


def test_every_page_has_one_name(site):
    """The navigation names a page by its heading (or the heading's first words)."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    differ = {}
    for title, page in _nav_pages(config["nav"]):
        if page in ("index.md", "cluster-changes.md"):  # home; the generated change page
            continue
        html = (site / page.replace(".md", ".html")).read_text(encoding="utf-8")
        h1 = text(re.search(r"<h1\b.*?</h1>", html, re.S)[0]).replace("¶", "").strip()
        if not h1.startswith(title):
            differ[page] = (title, h1)
    assert differ == {}


def test_one_spelling_of_cluster(site):
    """クラスター, never クラスタ, in the site's own words (outputs and the generated change
    page aside)."""
    found = {}
    for page in sorted(site.rglob("*.html")):
        if page.name in ("cluster-changes.html", "404.html", "handout.html"):
            continue
        words = prose(page.read_text(encoding="utf-8"))
        if hits := re.findall(r".{0,10}クラスタ(?!ー).{0,10}", words):
            found[str(page.relative_to(site))] = hits
    assert found == {}


# --- issue 27: what the notes teach (items 5, 6, 7) -------------------------------------


def _sentences(html: str) -> list[str]:
    return [s for s in re.split(r"[。\n]", prose(html)) if s.strip()]


def test_a_pod_is_never_said_to_move_to_another_node(site, seed):
    """A Pod is never moved: a controller makes a new one, and a Pod created directly is
    gone with its node. Sections 1 and 5 say so, and a note says where the original
    notes were wrong."""
    assert "別の Worker で起動" in seed and "他のノードにデプロイされる" in seed
    for page in ("01-introduction", "05-resources"):
        html = (site / "course" / f"{page}.html").read_text(encoding="utf-8")
        moved = [
            s
            for s in _sentences(html)
            if re.search(r"(別の Worker|他のノード).*(起動し直|デプロイされ)", s)
        ]
        assert moved == [], page
        said = " ".join(_sentences(html))
        assert "新しい Pod" in said and re.search("移(る|される)ことはありません", said), page
        assert "代わりは作られ" in said, page  # the Pod without a controller
        notes = [a for a in admonitions(html) if "元のノート" in a and "新しい Pod" in a]
        assert notes, page


def test_the_fields_said_to_be_required_hold_for_every_manifest_applied(site):
    """Every manifest section 5 applies has the fields the page calls common; one without
    `spec` (the Secret) is named where the fields are listed."""
    markdown = (DOCS / "course" / "05-resources.md").read_text(encoding="utf-8")
    manifests = _manifests(markdown)
    assert len(manifests) == 5
    listed = next(body for heading, body in sections(markdown) if "k8s オブジェクト" in heading)
    for manifest in manifests:
        assert {"apiVersion", "kind", "metadata"} <= manifest.keys(), manifest["kind"]
        if "spec" not in manifest:
            assert manifest["kind"] in listed and "`spec` の代わりに" in listed


def test_what_get_all_leaves_out_is_said_and_a_reader_can_clean_up(site):
    """`kubectl get all` is not every kind: each kind the page created that its output
    does not list is named beside it. A reader following on their own cluster (where
    everything lands in `default`) is told how to delete what they made."""
    markdown = (DOCS / "course" / "05-resources.md").read_text(encoding="utf-8")
    listed = _newest_output("course/05-resources.yaml", "get-all")
    near = _said_near(markdown, "get-all")
    kinds = set(re.findall(r"^([a-z]+)(?:\.[\w.]+)?/", listed, re.M))  # pod/, deployment.apps/
    left_out = [m["kind"] for m in _manifests(markdown) if m["kind"].lower() not in kinds]
    assert left_out == ["Secret"] and "Secret" in near and "出てきません" in near
    cleanup = next(body for heading, body in sections(markdown) if "後片付け" in heading)
    assert "kubectl delete" in cleanup and "`default`" in cleanup


def test_isolation_and_the_api_server_are_credited_rightly(site, seed):
    """Section 2: namespaces separate what a process sees, cgroups limit what it uses; the
    API server is what every component talks to, not only the kubelet."""
    assert "Kernel Namespaces を利用し" in seed and "api: kubelet と通信するサーバー" in seed
    html = (site / "course" / "02-overview.html").read_text(encoding="utf-8")
    said = " ".join(_sentences(html))
    assert "cgroups" in said and "リソースの量" in said
    api = next(s for s in _sentences(html) if "kube-apiserver (api)" in s)
    assert "kubelet と通信する API サーバー" not in api and "窓口" in api
    notes = [a for a in admonitions(html) if "元のノート" in a]
    assert any("cgroups" in a for a in notes) and any("kubelet だけ" in a for a in notes)


def test_a_services_dns_and_load_balancing_are_said_to_need_a_real_node(site):
    """A Service's name is resolved by the cluster's DNS and its traffic spread by
    kube-proxy: the page says what does it, and that an output taken on a simulated node
    (its provenance line says so) had neither."""
    markdown = (DOCS / "course" / "05-resources.md").read_text(encoding="utf-8")
    near = _said_near(markdown, "describe-svc")
    assert "CoreDNS" in near and "kube-proxy" in near and "模擬ノード" in near


# --- the newest outputs come from a real node (review of the notes against the captures) ---


def _outputs(page: str, snippet: str) -> list[tuple[dict, str]]:
    """(provenance, output) of a snippet's newest output and of every earlier one."""
    data = yaml.safe_load((ROOT / "snippets" / "captures" / page).read_text(encoding="utf-8"))
    found = next(s for s in data["snippets"] if s["id"] == snippet)
    return [
        (h["provenance"], "".join(r.get("stdout", "") + r.get("stderr", "") for r in h["results"]))
        for h in [found, *found.get("history", [])]
    ]


def test_the_pod_name_hash_is_said_to_change_as_the_captures_show_it():
    """A Deployment's Pods are named <deployment>-<pod-template-hash>-<random>: the random
    suffix changes every run, the hash only with the Pod template (and the defaults a
    Kubernetes version fills in). The home page says of the hash what the captures show:
    the same hash for two captures of one version means it is not a per-run value; a hash
    it quotes is the newest output's."""
    by_version: dict[str, set[str]] = {}
    for provenance, out in _outputs("course/05-resources.yaml", "get-deploy-rs-pods"):
        if provenance.get("source") != "live":
            continue
        hashes = re.findall(r"^replicaset\.apps/web-([0-9a-z]+)\s", out, re.M)
        assert len(hashes) == 1, out
        by_version.setdefault(provenance["server_version"], set()).update(hashes)
    home = (DOCS / "index.md").read_text(encoding="utf-8").replace("\n", "")
    said = [s for s in home.split("。") if "ハッシュ" in s]
    per_run = [s for s in said if re.search(r"ハッシュ[^、。]*?(毎回|たびに)変わる", s)]
    stable = [s for s in said if "毎回は変わりません" in s]
    if any(len(h) > 1 for h in by_version.values()):  # one version, two hashes: per run
        assert stable == [], stable
    else:
        assert per_run == [], per_run
        assert [s for s in stable if "Pod テンプレート" in s], said
        if len(set().union(*by_version.values())) > 1:  # versions differ in their hash
            assert [s for s in stable if "バージョン" in s], said
    newest = _outputs("course/05-resources.yaml", "get-deploy-rs-pods")[0][1]
    for quoted in re.findall(r"`web-([0-9a-z]+)-\.\.\.`", home):
        assert f"replicaset.apps/web-{quoted} " in newest, quoted


def test_the_service_box_says_whether_the_newest_cluster_runs_dns_and_kube_proxy():
    """Section 5's box on what resolves a Service's name (CoreDNS) and spreads its traffic
    (kube-proxy): where the newest kube-system output (section 4) lists both, the box says
    this site's newest cluster runs them; where it does not, the box does not say so."""
    pods = _newest_output("course/04-kubectl.yaml", "get-pod-kube-system")
    names = [row.split()[0] for row in pods.splitlines()[1:] if row.strip()]
    runs = any(n.startswith("coredns-") for n in names) and any(
        n.startswith("kube-proxy-") for n in names
    )
    resources = (DOCS / "course" / "05-resources.md").read_text(encoding="utf-8")
    near = _said_near(resources, "describe-svc").replace("\n    ", "")
    newest = [s for s in near.split("。") if "最新の出力" in s and "模擬" not in s]
    said_to_run = [s for s in newest if "coredns" in s and "kube-proxy" in s and "動いて" in s]
    if runs:
        assert said_to_run, newest
        assert _empty_said_of_the_newest(near) == []
    else:
        assert said_to_run == [], said_to_run


def test_the_home_page_says_what_the_line_under_an_output_shows(site):
    """The line under an output names the context and the server's version; the kubectl
    that took it is in the details the line opens. The home page says where each is."""
    html = (site / "course" / "04-kubectl.html").read_text(encoding="utf-8")
    summary = re.search(
        r'<details class="kc-provenance".*?<summary\b[^>]*>(.*?)</summary>', html, re.S
    )
    line = text(summary[1]).removeprefix("キャプチャ").strip()
    details = text(html[summary.end(0) : html.index("</details>", summary.end(0))])
    newest = yaml.safe_load(
        (ROOT / "snippets" / "captures" / "course" / "04-kubectl.yaml").read_text(encoding="utf-8")
    )["snippets"][0]["provenance"]
    assert newest["context"] in line and newest["server_version"] in line, line
    home = (DOCS / "index.md").read_text(encoding="utf-8").replace("\n  ", "")
    said = next(s for s in home.split("。") if "どの kubectl で取ったか" in s)
    if "kubectl" not in line:  # the line does not name the kubectl: opening it does
        assert "kubectl" in details and newest["kubectl_version"] in details, details
        assert re.search(r"どの kubectl で取ったかは[^、]*開く", said), said
    else:
        assert "開く" not in said.split("どの kubectl で取ったか", 1)[1], said


def test_no_list_is_swallowed_by_a_table_above_it(site):
    """A list right under a table with no blank line between becomes the table's rows
    (`<td>- <strong>…`): the security page's limits were shown so."""
    swallowed = {
        page.relative_to(site).as_posix()
        for page in site.rglob("*.html")
        if re.search(r"<td>\s*[-*] ", page.read_text(encoding="utf-8"))
    }
    assert swallowed == set()
