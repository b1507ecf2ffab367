"""`kubecapture status` and `check`: what an author and CI see without a cluster."""

from __future__ import annotations

from pathlib import Path

from kubecapture import store
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
