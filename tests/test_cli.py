"""`kubecapture status` and `check`: what an author and CI see without a cluster."""

from __future__ import annotations

from pathlib import Path

from kubecapture.captures import store
from sites import kubecapture, make_site, offline_env

PAGE = '# A\n\n```kubectl id="ns"\nkubectl get namespace\n```\n'
OTHER = '# B\n\n```kubectl id="nodes"\nkubectl get node\n```\n'
ROOT = Path(__file__).resolve().parents[1]


def test_status_and_check_follow_the_captures(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"a.md": PAGE, "b.md": OTHER, "prose.md": "# Prose\n"})
    status = kubecapture(site, kube_env, "status")
    assert status.returncode == 0
    rows = {line.split()[0]: line.split() for line in status.stdout.splitlines()[1:]}
    assert set(rows) == {"a.md", "b.md"}
    assert rows["a.md"][1:4] == ["1", "0", "missing"]

    # Never captured: honest placeholders pass `check`, but not `check --complete`.
    assert kubecapture(site, kube_env, "check").returncode == 0
    assert kubecapture(site, kube_env, "check", "--complete").returncode == 1

    assert kubecapture(site, kube_env, "refresh", "a.md").returncode == 0
    rows = {
        line.split()[0]: line for line in kubecapture(site, kube_env, "status").stdout.splitlines()
    }
    assert "fresh" in rows["a.md"] and "minikube v1.24.0" in rows["a.md"]
    assert "missing" in rows["b.md"]

    # A snippet changed after capture: stale, and `check` fails naming the page.
    (site.parent / "docs" / "a.md").write_text(PAGE.replace("namespace", "namespaces"))
    check = kubecapture(site, offline_env(), "check")
    assert check.returncode == 1
    assert "a.md: its captures are stale" in check.stderr

    # A capture file whose page is gone.
    (site.parent / "docs" / "a.md").write_text("# A, no snippets now\n")
    check = kubecapture(site, offline_env(), "check")
    assert check.returncode == 1
    assert "a.yaml: capture file of no page with snippets" in check.stderr


def test_check_names_a_malformed_capture_file(tmp_path):
    site = make_site(tmp_path / "site", {"a.md": PAGE})
    path = store.capture_path(site.parent / "captures", "a.md")
    path.parent.mkdir(parents=True)
    path.write_text("version: 1\npage: [\n")
    check = kubecapture(site, offline_env(), "check")
    assert check.returncode == 2
    assert f"{path}: malformed capture file" in check.stderr
    assert "Traceback" not in check.stderr


def test_refresh_without_cluster_is_one_sentence(tmp_path):
    site = make_site(tmp_path / "site", {"a.md": PAGE})
    result = kubecapture(site, offline_env(), "refresh")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "kubecapture:" in result.stderr


def test_the_shipped_notes_pass_check_complete():
    """CI keeps the published notes honest: every snippet captured (no placeholder), no
    stale capture, no orphan capture file."""
    result = kubecapture(ROOT / "mkdocs.yml", offline_env(), "check", "--complete")
    assert result.returncode == 0, result.log


TWO = PAGE + '\n```kubectl id="nodes"\nkubectl get node\n```\n'
BEFORE = '# A\n\n```kubectl id="first"\nkubectl get node\n```\n\n' + PAGE.removeprefix("# A\n\n")


def test_a_first_capture_says_so_and_a_second_says_no_change(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"a.md": PAGE})
    first = kubecapture(site, kube_env, "refresh")
    assert first.returncode == 0, first.log
    assert "captured a.md: 1 snippet(s)" in first.log and "first capture" in first.log
    assert "no change" not in first.log
    again = kubecapture(site, kube_env, "refresh")
    assert "no change" in again.log and "first capture" not in again.log


def test_a_snippet_added_after_the_captured_ones_leaves_them_current(tmp_path, standin, kube_env):
    """Issue 27: one snippet added to a captured page made the whole page stale, so a
    strict replay build failed. The snippets before it ran as they did when captured:
    they replay as captured (not flagged stale), the new one is a placeholder, a strict
    replay build passes and says so; `check --complete` still fails (CI). A snippet added
    before a captured one changes what ran before it: that one is stale."""
    from sites import build, page_html, snippet_classes

    site = make_site(tmp_path / "site", {"a.md": PAGE})
    assert kubecapture(site, kube_env, "refresh").returncode == 0
    docs = site.parent / "docs"
    (docs / "a.md").write_text(TWO)
    status = kubecapture(site, offline_env(), "status").stdout.splitlines()[1].split()
    assert status[:4] == ["a.md", "2", "1", "partial"]
    assert kubecapture(site, offline_env(), "check").returncode == 0
    complete = kubecapture(site, offline_env(), "check", "--complete")
    assert complete.returncode == 1 and "a.md: only partly captured" in complete.stderr
    built = build(site, offline_env(), "--strict", mode="replay")
    assert built.returncode == 0, built.log
    assert "a.md: 1 of 2 snippet(s) not captured yet" in built.log
    assert "stale" not in built.log
    classes = snippet_classes(page_html(site, "a/index.html"))
    assert ["stale" in c for c in classes] == [False, False]
    assert "kc-placeholder" in page_html(site, "a/index.html")

    # Added before the captured snippet instead: that snippet's capture is stale.
    (docs / "a.md").write_text(BEFORE)
    built = build(site, offline_env(), "--strict", mode="replay")
    assert built.returncode == 1 and "captures are stale" in built.log
    check = kubecapture(site, offline_env(), "check")
    assert check.returncode == 1 and "a.md: its captures are stale" in check.stderr


def test_commands_piped_into_head_end_quietly(tmp_path, standin, kube_env):
    """`kubecapture status | head -1`: no BrokenPipeError traceback."""
    import subprocess
    import sys

    pages = {f"p{i}.md": PAGE.replace("# A", f"# P{i}") for i in range(40)}
    site = make_site(tmp_path / "site", pages)
    assert kubecapture(site, kube_env, "refresh").returncode == 0
    for command in ("status", "history", "matrix"):
        done = subprocess.run(
            f"{sys.executable} -m kubecapture.tools.cli -f {site} {command} | head -1",
            shell=True,
            capture_output=True,
            text=True,
            env=offline_env(),
            timeout=120,
        )
        assert done.stdout.count("\n") == 1, (command, done.stdout)
        assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
