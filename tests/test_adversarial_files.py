"""Hostile capture files, read-cache entries, pages and options (issue 18, items 4 and 6).

Each case asserts a property, not a message: the alias bomb is refused before it grows
(memory bounded), a capture of the wrong shape fails the build and is never rewritten,
a tampered cache entry changes nothing on the page, markup from any field of a capture
is inert text in the built HTML (parsed, not searched for), and a bad page or option
refuses that page or option alone: nothing of it runs, the other pages are captured,
existing captures keep their bytes.
"""

from __future__ import annotations

import hashlib
import json
import marshal
import os
import re
import secrets
import sys
import textwrap
import tracemalloc
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from kubecapture.base.snippets import SnippetError
from kubecapture.captures import readcache, store
from kubecapture.drift import history
from kubecapture.run import planning
from kubecapture.site import render
from sites import build, kubecapture, make_site, page_html

XSS = "<img src=x onerror=alert(1)>"
PAGE = '# Page\n\n```kubectl id="nodes"\nkubectl get node\n```\n'
GOOD_OUTPUT = "NAME       STATUS\nminikube   Ready\n"


# --- helpers -----------------------------------------------------------------------------


class Elements(HTMLParser):
    """Every element of a page as a browser's parser sees it, and its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_inert(html: str) -> Elements:
    """No element the payload could have made: no event-handler attribute, no image."""
    page = parsed(html)
    handlers = [(tag, a) for tag, attrs in page.elements for a in attrs if a.startswith("on")]
    assert handlers == []
    assert [attrs for tag, attrs in page.elements if tag == "img"] == []
    return page


def plan_of(site_root: Path, page: str, name: str = "index.md") -> planning.PagePlan:
    settings = planning.Settings(captures_dir=site_root / "captures", workdir=site_root)
    return planning.plan_page(name, page, settings)


def good_capture(plan: planning.PagePlan, stdout: str = GOOD_OUTPUT) -> store.PageCapture:
    prov = store.Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T01:00:00Z")
    snippets = [
        store.SnippetCapture(
            s.key, [store.CommandResult(c.text, 0, stdout) for c in s.commands], prov, s.id
        )
        for s in plan.snippets
    ]
    return store.PageCapture(plan.page, plan.key, snippets)


def replay_site(tmp_path: Path, capture_text: str | None = None, **options):
    """A site of one page whose capture file is `capture_text` (else a good capture)."""
    site = make_site(tmp_path / "site", {"index.md": PAGE}, **options)
    plan = plan_of(site.parent, PAGE)
    if capture_text is None:
        store.save(plan.capture_file, good_capture(plan))
    else:
        plan.capture_file.parent.mkdir(parents=True, exist_ok=True)
        plan.capture_file.write_text(capture_text, encoding="utf-8")
    return site, plan


def hermetic(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    """The read cache's key in a folder of this test (not the user's ~/.cache)."""
    return dict(env, XDG_CACHE_HOME=str(tmp_path / "user-cache"), HOME=str(tmp_path / "home"))


def header(plan: planning.PagePlan) -> str:
    """A capture file's first lines for `plan`'s page (the key planning compares)."""
    covers = store.covers_digest(s.key for s in plan.snippets)
    return f"version: 2\npage: index.md\nkey: {plan.key}\ncovers: {covers}\n"


def snippet_yaml(plan: planning.PagePlan, stdout: str = "'ok\\n'") -> str:
    return textwrap.dedent(
        f"""\
        snippets:
        - key: {plan.snippets[0].key}
          id: nodes
          provenance:
            context: minikube
            server_version: v1.24.0
            kubectl_version: v1.37.1
            captured_at: '2026-11-26T01:00:00Z'
          results:
          - command: kubectl get node
            exit_code: 0
            stdout: {stdout}
            stderr: ''
        """
    )


# --- YAML that expands: refused before anything is built ---------------------------------


def alias_bomb(plan: planning.PagePlan) -> str:
    """A capture file of ~2.5 KB whose `stdout` names 10**9 strings through aliases."""
    levels = ["a0: &a0 'lol lol lol lol lol lol lol lol'"]
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    bomb = "\n".join("  " + line for line in levels)
    text = header(plan) + "bomb:\n" + bomb + "\n" + snippet_yaml(plan, stdout="*a9")
    return text + "# " + "padding " * ((2500 - len(text)) // 8) + "\n"


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path):
    plan = plan_of(tmp_path, PAGE)
    text = alias_bomb(plan)
    assert 2000 < len(text.encode()) <= 2600
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    tracemalloc.start()
    try:
        with pytest.raises(store.CaptureFileError) as refused:
            store.load(path, tmp_path / "cache")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # 10**9 strings would be gigabytes
    assert str(path) in str(refused.value) and "\n" not in str(refused.value)
    assert not (tmp_path / "cache").exists()  # nothing cached for it either


@pytest.mark.parametrize(
    "yaml_text",
    [
        "version: 2\npage: &p index.md\nkey: *p\n",  # an alias of a scalar
        "version: 2\npage: index.md\nkey: &k k\n",  # an anchor alone
        "base: &b {page: index.md}\n<<: *b\nversion: 2\nkey: k\n",  # a merge key
        "version: 2\npage: index.md\nkey: k\n<<: {covers: x}\n",  # a merge key, no alias
    ],
)
def test_anchors_aliases_and_merge_keys_are_refused(tmp_path, yaml_text):
    path = tmp_path / "p.yaml"
    path.write_text(yaml_text)
    with pytest.raises(store.CaptureFileError):
        store.load(path)


def test_an_alias_bomb_fails_the_build_and_keeps_its_bytes(tmp_path):
    site, plan = replay_site(tmp_path)
    bomb = alias_bomb(plan)
    plan.capture_file.write_text(bomb)
    for args in (("--strict",), ()):
        built = build(site, hermetic(dict(os.environ), tmp_path), *args, mode="replay")
        assert built.returncode == 1
        assert "Traceback" not in built.log
    assert plan.capture_file.read_text() == bomb
    assert "lol lol" not in page_html(site)


@pytest.mark.parametrize(
    "yaml_text",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than any capture: no RecursionError
        "version: 2\npage: a.md\nkey: k\n---\nversion: 2\n",  # a second document
        "version: 2\npage: a.md\nkey: !!python/object:os.system k\n",
        "version: 2\npage: a.md\nkey: !!binary aGVsbG8=\n",
        "version: 2\npage: a.md\nkey: k\nsnippets: !!set {a}\n",
        "version: 2\npage: a.md\n? [a, b]\n: k\n",  # a key that is a list
    ],
)
def test_yaml_beyond_plain_data_is_refused(tmp_path, yaml_text):
    path = tmp_path / "p.yaml"
    path.write_text(yaml_text)
    with pytest.raises(store.CaptureFileError):
        store.load(path)


def test_a_duplicate_key_is_refused_not_resolved(tmp_path):
    """A reviewer reads the first `stdout`; YAML would keep the second."""
    plan = plan_of(tmp_path, PAGE)
    text = header(plan) + snippet_yaml(plan).replace(
        "    stderr: ''\n", f"    stderr: ''\n    stdout: '{XSS}'\n"
    )
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(store.CaptureFileError):
        store.load(path)


def test_an_oversized_capture_file_is_refused_unread(tmp_path):
    path = tmp_path / "big.yaml"
    with path.open("wb") as f:
        f.truncate(store.MAX_FILE_BYTES + 4096)  # sparse: no disk used
    tracemalloc.start()
    try:
        with pytest.raises(store.CaptureFileError):
            store.load(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024  # its size is enough: not one byte of it is read


def test_outputs_too_big_to_read_back_are_not_written(tmp_path):
    path = tmp_path / "p.yaml"
    plan = plan_of(tmp_path, PAGE)
    store.save(path, good_capture(plan))
    before = path.read_bytes()
    with pytest.raises(store.CaptureFileError):
        store.save(path, good_capture(plan, stdout="x" * (store.MAX_FILE_BYTES + 1)))
    assert path.read_bytes() == before


# --- wrong types: typed on load, the build fails, the file is kept ------------------------

WRONG = {
    "exit_code as a string": ("exit_code: 0", "exit_code: '0'"),
    "exit_code as markup": ("exit_code: 0", f"exit_code: '{XSS}'"),
    "exit_code as a bool": ("exit_code: 0", "exit_code: true"),
    "exit_code as a float": ("exit_code: 0", "exit_code: 0.0"),
    "exit_code out of range": ("exit_code: 0", "exit_code: 100000"),
    "stdout as a number": ("stdout: 'ok\\n'", "stdout: 12"),
    "stdout as a list": ("stdout: 'ok\\n'", "stdout: [a, b]"),
    "stdout as null": ("stdout: 'ok\\n'", "stdout:"),
    "context as a mapping": ("context: minikube", "context: {a: b}"),
    "captured_at as a timestamp": (
        "captured_at: '2026-11-26T01:00:00Z'",
        "captured_at: 2026-11-26T01:00:00Z",
    ),
    "results as a mapping": ("  results:\n  - command", "  results:\n    command"),
    "an unknown key in a result": ("exit_code: 0", "exit_code: 0\n    html: x"),
    "an unknown key in provenance": ("context: minikube", "context: minikube\n    raw: x"),
    "an unknown key in a snippet": ("  id: nodes", "  id: nodes\n  format: html"),
    "an unknown key at the top": ("version: 2", "version: 2\nextra: x"),
    "a missing key": ("    exit_code: 0\n", ""),
    "version as a string": ("version: 2", "version: '2'"),
    "key as a number": ("- key: ", "- key: 12345\n  x: "),
    "an id as a list": ("  id: nodes", "  id: [nodes]"),
}


@pytest.mark.parametrize("name", WRONG)
def test_a_value_of_the_wrong_type_is_refused_naming_the_file(tmp_path, name):
    old, new = WRONG[name]
    plan = plan_of(tmp_path, PAGE)
    good = header(plan) + snippet_yaml(plan)
    assert old in good
    path = tmp_path / "p.yaml"
    path.write_text(good)
    assert store.load(path) is not None  # the file before the edit is fine
    path.write_text(good.replace(old, new, 1))
    for cache in (None, tmp_path / "cache"):
        with pytest.raises(store.CaptureFileError) as refused:
            store.load(path, cache)
        assert str(refused.value).startswith(f"{path}: ") and "\n" not in str(refused.value)


def test_history_entries_and_change_markers_are_typed_too(tmp_path):
    prov = store.Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T01:00:00Z")
    new_prov = store.Provenance("minikube", "v1.25.0", "v1.37.1", "2026-11-27T01:00:00Z")
    old = store.SnippetCapture("k", [store.CommandResult("kubectl get node", 0, "a\n")], prov)
    new = store.SnippetCapture("k", [store.CommandResult("kubectl get node", 0, "b\n")], new_prov)
    path = tmp_path / "p.yaml"
    store.save(path, store.PageCapture("p.md", "key", [history.merge(old, new, keep=5)]))
    good = path.read_text()
    for old_text, new_text in (
        ("  history:\n  - key: k\n", "  history:\n  - key: k\n    id: other\n"),
        ("    status: changed", "    status: 1"),
        ("    status: changed", f"    status: '{XSS}'"),
        ("      exit_code: 0", "      exit_code: '0'"),
        ("  history:\n", "  history: {}\n"),
    ):
        assert old_text in good, old_text
        path.write_text(good.replace(old_text, new_text, 1))
        with pytest.raises(store.CaptureFileError):
            store.load(path)


@pytest.mark.parametrize("name", ["exit_code as markup", "stdout as a number", "a missing key"])
def test_a_capture_of_the_wrong_type_fails_the_strict_build_and_keeps_its_bytes(tmp_path, name):
    """It used to render the snippet as inline code with --strict passing."""
    site, plan = replay_site(tmp_path)
    old, new = WRONG[name]
    bad = header(plan) + snippet_yaml(plan).replace(old, new, 1)
    plan.capture_file.write_text(bad)
    env = hermetic(dict(os.environ), tmp_path)
    for mode in ("replay", "auto"):
        built = build(site, env, "--strict", mode=mode)
        assert built.returncode == 1, built.log
        assert "Traceback" not in built.log
        assert plan.capture_file.read_text() == bad
    html = page_html(site)
    assert_inert(html)
    assert "<code>kubectl get node</code>" not in html  # not degraded to inline code


# --- the read cache can never change what the YAML says -----------------------------------


def cache_entry(cache_dir: Path, path: Path) -> Path:
    name = hashlib.blake2b(str(path.resolve()).encode(), digest_size=12).hexdigest()
    return cache_dir / name


def forged(data: dict) -> dict:
    data = json.loads(json.dumps(data))
    data["snippets"][0]["results"][0]["stdout"] = f"FORGED {XSS}\n"
    return data


def old_layout_entry(raw: bytes, payload: bytes) -> bytes:
    """An entry as the read cache wrote them before: the digest of the YAML's bytes, then
    marshal. Anyone can compute that digest."""
    stamp = f"kubecapture-readcache 1 marshal {marshal.version} py{sys.version_info[:2]}"
    hasher = hashlib.blake2b(stamp.encode(), digest_size=16)
    hasher.update(raw)
    return hasher.digest() + payload


def tag_with(key: bytes, raw: bytes, payload: bytes) -> bytes:
    return readcache._tag(key, store.SCHEMA, raw, payload) + payload


@pytest.mark.parametrize("forgery", ["content swapped", "old layout", "another machine's key"])
def test_a_tampered_cache_entry_does_not_change_what_is_loaded(tmp_path, forgery):
    plan = plan_of(tmp_path, PAGE)
    path, cache = tmp_path / "p.yaml", tmp_path / "cache"
    store.save(path, good_capture(plan))
    raw = path.read_bytes()
    assert store.load(path, cache) == good_capture(plan)
    entry = cache_entry(cache, path)
    stored = entry.read_bytes()
    payload = marshal.dumps(forged(yaml.safe_load(raw)))
    tag = stored[:32]
    entry.write_bytes(
        {
            "content swapped": tag + payload,  # the entry's tag, another content
            "old layout": old_layout_entry(raw, payload),
            "another machine's key": tag_with(secrets.token_bytes(32), raw, payload),
        }[forgery]
    )
    store.forget_loaded()  # this process parsed it already: read the entry
    loaded = store.load(path, cache)
    assert loaded == good_capture(plan)
    assert entry.read_bytes() == stored  # the forgery was replaced by this machine's entry


def test_an_entry_shipped_in_a_checkout_changes_nothing_on_the_page(tmp_path):
    """A pull request can add files under .cache/ (git add -f). Its entry, made with the
    YAML's exact bytes and any key but this user's, is not used."""
    site, plan = replay_site(tmp_path)
    raw = plan.capture_file.read_bytes()
    entry = cache_entry(site.parent / ".cache" / "plugin" / "kubecapture", plan.capture_file)
    entry.parent.mkdir(parents=True)
    payload = marshal.dumps(forged(yaml.safe_load(raw)))
    for shipped in (old_layout_entry(raw, payload), tag_with(b"k" * 32, raw, payload)):
        entry.write_bytes(shipped)
        built = build(site, hermetic(dict(os.environ), tmp_path), "--strict", mode="replay")
        assert built.returncode == 0, built.log
        html = page_html(site)
        assert "FORGED" not in html and "minikube   Ready" in html
        assert_inert(html)
    assert plan.capture_file.read_bytes() == raw


def test_the_key_lives_outside_the_checkout_and_only_its_user_reads_it(tmp_path):
    plan = plan_of(tmp_path, PAGE)
    path = tmp_path / "p.yaml"
    store.save(path, good_capture(plan))
    store.load(path, tmp_path / "cache")
    key = readcache.key_dir() / "readcache.key"
    assert key.is_file() and (key.stat().st_mode & 0o077) == 0
    assert not key.resolve().is_relative_to(tmp_path)


# --- markup from every field of a capture is text on the page ------------------------------


def xss_capture(plan: planning.PagePlan) -> store.SnippetCapture:
    """The payload in every string a capture holds, an earlier output, and a saved change
    marker (its diff) that the build shows as it is."""

    def provenance(version: str) -> store.Provenance:
        return store.Provenance(
            XSS, XSS + version, XSS, XSS, source=XSS, nodes=XSS, cluster=XSS, namespace=XSS
        )

    snippet = plan.snippets[0]
    older = store.SnippetCapture(
        snippet.key, [store.CommandResult(XSS, 3, XSS + "\n", XSS)], provenance("1"), "x"
    )
    newer = store.SnippetCapture(
        snippet.key, [store.CommandResult(XSS, 3, XSS + " 2\n", XSS)], provenance("2"), "x"
    )
    marker = store.Change(history.change_digest(newer, older), "changed", [XSS, "+" + XSS])
    newer.history = [older]
    newer.change = marker
    return newer


def test_markup_in_every_capture_field_is_inert_text_in_the_built_site(tmp_path):
    page = f'# Page\n\n```kubectl id="x" title="{XSS}"\nkubectl get node\n```\n'
    site = make_site(tmp_path / "site", {"index.md": page}, context_notes={"minikube": XSS})
    config = yaml.safe_load(site.read_text())
    config["plugins"].insert(0, "search")
    site.write_text(yaml.safe_dump(config, allow_unicode=True))
    plan = plan_of(site.parent, page)
    capture = xss_capture(plan)
    store.save(plan.capture_file, store.PageCapture("index.md", plan.key, [capture]))
    loaded = store.load(plan.capture_file).snippets[0]
    assert loaded.change == capture.change  # the saved marker, shown as saved

    built = build(site, hermetic(dict(os.environ), tmp_path), mode="replay")
    assert built.returncode == 0, built.log
    html = page_html(site)
    text = "".join(assert_inert(html).text)
    # every field reached the page, as text: outputs, commands, provenance, labels, diff
    assert text.count(XSS) >= 20, text
    index = json.loads((site.parent / "site" / "search" / "search_index.json").read_text())
    for doc in index["docs"]:  # Material shows search results as HTML
        assert_inert(doc["text"])
        assert_inert(doc["title"])


def test_every_renderer_escapes_each_field_on_its_own():
    """Field by field (a payload in one field only), through tabs and the plain list."""
    prov = dict(context="c", server_version="v1", kubectl_version="k", captured_at="2026-01-01")
    fields = {
        "command": lambda v: store.CommandResult(v, 0, "o\n"),
        "stdout": lambda v: store.CommandResult("kubectl get node", 0, v),
        "stderr": lambda v: store.CommandResult("kubectl get node", 1, "", v),
    }
    cases = [
        (store.SnippetCapture("k", [make(XSS)], store.Provenance(**prov)), name)
        for name, make in fields.items()
    ]
    for name in ("context", "server_version", "kubectl_version", "captured_at"):
        one = store.Provenance(**{**prov, name: XSS})
        result = store.CommandResult("kubectl get node", 0, "o\n")
        cases.append((store.SnippetCapture("k", [result], one), name))
    for name in ("source", "nodes", "cluster", "namespace"):
        one = store.Provenance(**prov, **{name: XSS})
        result = store.CommandResult("kubectl get node", 0, "o\n")
        cases.append((store.SnippetCapture("k", [result], one), name))
    for capture, name in cases:
        with_history = history.merge(
            capture,
            store.SnippetCapture(
                "k", capture.results, store.Provenance(**{**prov, "server_version": "v2"})
            ),
            keep=5,
        )
        for snippet in (capture, with_history):
            for tabs in (True, False):
                view = render.View(["kubectl get node"], snippet, title=XSS, tabs=tabs, stale=True)
                html = render.render(view)
                page = assert_inert(html)
                assert XSS in "".join(page.text) or any(
                    XSS in value for _, attrs in page.elements for value in attrs.values()
                ), name


# --- bad pages among good ones: the bad one is refused, the others captured ----------------

BAD_SNIPPETS = {
    "a NUL byte": "kubectl get namespace evil-marker\x00x",
    "a 128 KiB argument": "kubectl get namespace evil-marker" + "a" * (128 * 1024),
    "a huge fence": "\n".join(["kubectl get namespace evil-marker"] * 20_000),
    "an escape sequence": "kubectl get namespace evil-marker\x1b[2J",
    "too many commands": "\n".join(["kubectl get namespace evil-marker"] * 101),
}


def logging_kubectl(tmp_path: Path, kubectl_bin: Path) -> tuple[Path, Path]:
    """A kubectl that records the arguments of every process started through it."""
    calls = tmp_path / "kubectl-calls.log"
    calls.touch()
    wrapper = tmp_path / "bin" / "kubectl"
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\nexec "{kubectl_bin}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, calls


def three_pages(tmp_path: Path, kubectl: Path) -> Path:
    pages = {
        "a.md": '# A\n\n```kubectl id="ns"\nkubectl get namespace\n```\n',
        "bad.md": '# Bad\n\n```kubectl id="ns"\nkubectl get namespace\n```\n',
        "c.md": '# C\n\n```kubectl id="node"\nkubectl get node\n```\n',
    }
    return make_site(tmp_path / "site", pages, kubectl=str(kubectl))


@pytest.mark.parametrize("bad", BAD_SNIPPETS)
def test_a_bad_page_is_refused_and_the_other_pages_are_captured(
    tmp_path, standin, kube_env, kubectl_bin, bad
):
    wrapper, calls = logging_kubectl(tmp_path, kubectl_bin)
    site = three_pages(tmp_path, wrapper)
    env = hermetic(kube_env, tmp_path)
    assert build(site, env, "--strict").returncode == 0
    captures = site.parent / "captures"
    kept = (captures / "bad.yaml").read_bytes()
    before = {name: (captures / name).read_bytes() for name in ("a.yaml", "c.yaml")}
    page = site.parent / "docs" / "bad.md"
    page.write_text(page.read_text() + f'\n```kubectl id="evil"\n{BAD_SNIPPETS[bad]}\n```\n')
    calls.write_text("")

    built = build(site, env, mode="refresh")
    assert built.returncode == 1
    assert "Traceback" not in built.log
    assert "evil-marker" not in calls.read_text()  # nothing of the bad page ran
    assert (captures / "bad.yaml").read_bytes() == kept
    ran = calls.read_text().splitlines()
    assert any(line.startswith("get namespace") for line in ran)  # a.md
    assert any(line.startswith("get node") for line in ran)  # c.md
    for name, old in before.items():  # captured again: a new capture time
        assert (captures / name).read_bytes() != old
        assert store.load(captures / name).snippets[0].results[0].exit_code == 0
    for html_page in ("a/index.html", "c/index.html", "bad/index.html"):
        assert_inert(page_html(site, html_page))
    assert "kube-system" in page_html(site, "bad/index.html")  # its kept output, shown


def test_the_cli_refuses_the_bad_pages_and_refreshes_the_others(
    tmp_path, standin, kube_env, kubectl_bin
):
    wrapper, calls = logging_kubectl(tmp_path, kubectl_bin)
    site = three_pages(tmp_path, wrapper)
    env = hermetic(kube_env, tmp_path)
    assert kubecapture(site, env, "refresh").returncode == 0
    captures = site.parent / "captures"
    kept = (captures / "bad.yaml").read_bytes()
    page = site.parent / "docs" / "bad.md"
    evil = "".join(f"\n```kubectl\n{snippet}\n```\n" for snippet in BAD_SNIPPETS.values())
    page.write_text(page.read_text() + evil)
    calls.write_text("")
    done = kubecapture(site, env, "refresh")
    assert done.returncode == 1
    assert "Traceback" not in done.log
    assert "evil-marker" not in calls.read_text()
    assert (captures / "bad.yaml").read_bytes() == kept
    assert {line.split()[1] for line in calls.read_text().splitlines()} >= {"namespace", "node"}
    check = kubecapture(site, env, "check")
    assert check.returncode == 1 and "Traceback" not in check.log
    assert "delete it" not in check.log  # the refused page's capture is still its own


# --- bad option values: one sentence, nothing runs, captures kept --------------------------

BAD_OPTIONS = {
    "connect_timeout": -1,
    "timeout": 0,
    "settle_timeout": float("inf"),
    "jobs": -1,
    "fold": True,
    "keep_versions": 1.5,
    "context": "mini\x00kube",
    "allow_contexts": ["minikube", 5],
    "captures_dir": 5,
    "context_notes": {"minikube": ["a"]},
    "report_page": "changes.html",
}


@pytest.mark.parametrize("option", BAD_OPTIONS)
def test_a_bad_option_value_is_refused_before_anything_runs(tmp_path, standin, kube_env, option):
    site, plan = replay_site(tmp_path)
    # a live run would be due: the capture is of other snippets
    (site.parent / "docs" / "index.md").write_text(PAGE.replace("get node", "get namespace"))
    config = yaml.safe_load(site.read_text())
    config["plugins"][0]["kubecapture"][option] = BAD_OPTIONS[option]
    site.write_text(yaml.dump(config, allow_unicode=True))
    kept = plan.capture_file.read_bytes()
    env = hermetic(kube_env, tmp_path)
    for done in (build(site, env), kubecapture(site, env, "refresh")):
        assert done.returncode != 0
        assert "Traceback" not in done.log
        assert [line for line in done.log.splitlines() if option in line]
    assert standin.requests == []
    assert plan.capture_file.read_bytes() == kept


def test_a_control_character_in_a_fence_option_is_refused(tmp_path):
    page = '# P\n\n```kubectl title="a\x1b[2Jb"\nkubectl get node\n```\n'
    with pytest.raises(SnippetError):
        plan_of(tmp_path, page)


def test_the_refusals_name_page_and_line_in_one_sentence(tmp_path):
    """What the author reads: one line each, the page and the fence's line first."""
    for name, snippet in BAD_SNIPPETS.items():
        page = f"# P\n\ntext\n\n```kubectl\n{snippet}\n```\n"
        with pytest.raises(SnippetError) as refused:
            plan_of(tmp_path, page, "dir/p.md")
        message = str(refused.value)
        assert re.match(r"dir/p\.md:\d+: ", message), name
        assert "\n" not in message and len(message) < 300, name


def test_a_malformed_capture_does_not_keep_the_other_pages_from_running(
    tmp_path, standin, kube_env, kubectl_bin
):
    wrapper, calls = logging_kubectl(tmp_path, kubectl_bin)
    site = three_pages(tmp_path, wrapper)
    plan = plan_of(site.parent, (site.parent / "docs" / "bad.md").read_text(), "bad.md")
    # no `covers` header: planning must read the whole file to know whether it is due
    broken = f"version: 2\npage: bad.md\nkey: {plan.key}\nsnippets: [\n"
    plan.capture_file.parent.mkdir(parents=True, exist_ok=True)
    plan.capture_file.write_text(broken)
    built = build(site, hermetic(kube_env, tmp_path))
    assert built.returncode == 1 and "Traceback" not in built.log
    assert plan.capture_file.read_text() == broken
    assert store.load(site.parent / "captures" / "a.yaml") is not None
    assert store.load(site.parent / "captures" / "c.yaml") is not None
    assert_inert(page_html(site, "bad/index.html"))


def test_escape_sequences_of_a_capture_never_reach_the_terminal(tmp_path):
    """A capture's stderr is logged on replay when its exit code is unexpected."""
    plan = plan_of(tmp_path, PAGE)
    snippet = plan.snippets[0]
    hostile = "\x1b]0;pwned\x07\x1b[2J\x9b31m"
    result = store.CommandResult("kubectl get node", 1, "", hostile)
    for message in planning.unexpected_exit("index.md", snippet, [result]):
        assert not re.search(r"[\x00-\x1f\x7f-\x9f]", message)
