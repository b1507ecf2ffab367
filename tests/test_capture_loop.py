"""The capture loop end to end: real kubectl, the API stand-in, real `mkdocs build`."""

from __future__ import annotations

import textwrap

from kubecapture.captures import store
from sites import build, make_site, page_html, snippet_classes

PAGE = textwrap.dedent(
    """\
    # ノート

    ```kubectl id="nodes" title="ノード"
    kubectl get node
    ```

    Some prose.

    ```kubectl id="missing" returncode="1"
    kubectl get pod does-not-exist
    ```

    ```kubectl id="two"
    kubectl get namespace
    # a comment
    kubectl get pods \\
      --namespace kube-system
    ```
    """
)


def capture_of(config_file, page="index.md"):
    return store.load(store.capture_path(config_file.parent / "captures", page))


def test_live_build_captures_and_replay_is_byte_identical(
    tmp_path, standin, kube_env, kubectl_version
):
    site = make_site(tmp_path / "site", {"index.md": PAGE})
    live = build(site, kube_env, "--strict")
    assert live.returncode == 0, live.log
    live_html = page_html(site)

    page = capture_of(site)
    assert [s.id for s in page.snippets] == ["nodes", "missing", "two"]
    nodes = page.snippets[0].results[0]
    assert nodes.command == "kubectl get node" and nodes.exit_code == 0
    assert nodes.stdout.startswith("NAME ") and "minikube" in nodes.stdout
    missing = page.snippets[1].results[0]
    assert missing.exit_code == 1
    assert 'pods "does-not-exist" not found' in missing.stderr
    two = page.snippets[2].results
    assert [r.command for r in two] == [
        "kubectl get namespace",
        "kubectl get pods \\\n  --namespace kube-system",
    ]
    assert "kube-system" in two[0].stdout and "etcd-minikube" in two[1].stdout
    prov = page.snippets[0].provenance
    assert (prov.context, prov.server_version, prov.kubectl_version) == (
        "minikube",
        "v1.24.0",
        kubectl_version,
    )

    # The page shows the command as written (no --context, no kubeconfig) and the output.
    assert "--context" not in live_html and "kubeconfig" not in live_html
    assert (
        'data-copy="kubectl get namespace\nkubectl get pods \\\n  --namespace kube-system"'
        in live_html
    )
    assert "etcd-minikube" in live_html and "minikube · v1.24.0" in live_html

    standin.stop()
    replay = build(site, kube_env, "--strict", mode="replay")
    assert replay.returncode == 0, replay.log
    assert page_html(site) == live_html
    # auto mode with the cluster gone needs nothing live: captures are valid.
    auto = build(site, kube_env, "--strict")
    assert auto.returncode == 0, auto.log
    assert page_html(site) == live_html


def test_prose_edit_runs_nothing_and_snippet_edit_reruns_that_page(tmp_path, standin, kube_env):
    other = '# Other\n\n```kubectl id="ns"\nkubectl get namespace\n```\n'
    site = make_site(tmp_path / "site", {"index.md": PAGE, "other.md": other})
    assert build(site, kube_env).returncode == 0
    first = capture_of(site, "other.md")

    standin.requests.clear()
    (site.parent / "docs" / "index.md").write_text(PAGE.replace("Some prose.", "Edited prose."))
    again = build(site, kube_env, "--strict")
    assert again.returncode == 0, again.log
    assert standin.requests == []  # no kubectl, not even a version probe

    (site.parent / "docs" / "index.md").write_text(PAGE.replace("get node", "get nodes"))
    edited = build(site, kube_env, "--strict")
    assert edited.returncode == 0, edited.log
    assert any("/nodes" in r[1] for r in standin.requests)
    assert capture_of(site, "other.md") == first  # untouched page kept its capture
    assert "captured index.md" in edited.log and "captured other.md" not in edited.log


def test_no_cluster_replay_shows_placeholders_and_builds_strict(tmp_path):
    from sites import offline_env

    site = make_site(tmp_path / "site", {"index.md": PAGE})
    built = build(site, offline_env(), "--strict", mode="replay")
    assert built.returncode == 0, built.log
    html = page_html(site)
    assert snippet_classes(html) == ["kubecapture kc-missing"] * 3
    assert html.count("まだキャプチャされていません") == 3
    assert "index.md: 3 of 3 snippet(s) not captured yet" in built.log


def test_connection_refused_is_one_warning_fast(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"index.md": PAGE, "b.md": PAGE})
    standin.stop()
    built = build(site, kube_env)
    assert built.returncode == 0, built.log
    skipped = [line for line in built.lines("WARNING") if "live runs skipped" in line]
    assert len(skipped) == 1, built.log
    assert "not reachable" in skipped[0]
    assert "Traceback" not in built.log
    assert built.seconds < 15
    assert "まだキャプチャされていません" in page_html(site)


def test_hanging_server_gives_up_within_the_connect_timeout(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"index.md": PAGE}, connect_timeout=1)
    standin.hang = True
    built = build(site, kube_env)
    assert built.returncode == 0, built.log
    assert any("live runs skipped" in line for line in built.lines("WARNING")), built.log
    assert built.seconds < 20


def test_command_timeout_kills_it_and_keeps_the_old_capture(tmp_path, standin, kube_env):
    page = '# Watch\n\n```kubectl id="watch"\nkubectl get namespace\n```\n'
    site = make_site(tmp_path / "site", {"index.md": page})
    assert build(site, kube_env).returncode == 0
    before = capture_of(site)

    # `get -w` never ends on its own: the snippet's timeout must kill it.
    hanging = '# Watch\n\n```kubectl id="watch" timeout="1.5"\nkubectl get namespace -w\n```\n'
    (site.parent / "docs" / "index.md").write_text(hanging)
    built = build(site, kube_env)
    assert built.seconds < 20
    message = [line for line in built.lines("WARNING") if "did not finish" in line]
    assert message == [
        "WARNING -  index.md:4: `kubectl get namespace -w` did not finish within 1.5 s and "
        "was killed (kept the previous capture)"
    ], built.log
    assert capture_of(site) == before


def test_unexpected_exit_code_warns_live_and_on_replay(tmp_path, standin, kube_env):
    page = '# Oops\n\n```kubectl id="oops"\nkubectl get pod nope\n```\n'
    site = make_site(tmp_path / "site", {"index.md": page})
    live = build(site, kube_env, "--strict")
    assert live.returncode == 1
    expected = (
        "index.md:4: `kubectl get pod nope` exited with 1 (expected 0): "
        'Error from server (NotFound): pods "nope" not found'
    )
    assert any(expected in line for line in live.lines("WARNING")), live.log
    standin.stop()
    replay = build(site, kube_env, "--strict", mode="replay")
    assert replay.returncode == 1
    assert any(expected in line for line in replay.lines("WARNING")), replay.log
    # The real output is on the page: stderr as a terminal shows it.
    assert "pods &quot;nope&quot; not found" in page_html(site)


def test_kubectl_missing_is_one_clear_warning(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"index.md": PAGE}, kubectl="/nonexistent/kubectl")
    built = build(site, kube_env)
    assert built.returncode == 0
    assert [line for line in built.lines("WARNING") if "kubectl was not found" in line], built.log
    assert "Traceback" not in built.log
    assert standin.requests == []


def test_unknown_context_is_one_clear_warning(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"index.md": PAGE}, context="kind-nope")
    built = build(site, kube_env)
    assert built.returncode == 0
    warning = [line for line in built.lines("WARNING") if "live runs skipped" in line]
    assert len(warning) == 1 and 'kube context "kind-nope" cannot be used' in warning[0], built.log
    assert standin.requests == []


def test_bad_fence_option_fails_the_build_naming_page_and_line(tmp_path, standin, kube_env):
    page = '# Bad\n\ntext\n\n```kubectl colour="red"\nkubectl get node\n```\n'
    site = make_site(tmp_path / "site", {"guide/bad.md": page})
    built = build(site, kube_env)
    assert built.returncode == 1
    assert 'guide/bad.md:5: unknown option "colour"' in built.log
    assert "Traceback" not in built.log
    assert standin.requests == []


def test_malformed_capture_file_is_an_error_naming_the_file(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"index.md": PAGE})
    assert build(site, kube_env).returncode == 0
    path = store.capture_path(site.parent / "captures", "index.md")
    broken = path.read_text().replace("snippets:", "snippets: [", 1)
    path.write_text(broken)
    for mode in ("replay", "auto", "refresh"):
        built = build(site, kube_env, mode=mode)
        assert built.returncode == 1, (mode, built.log)
        assert f"{path}: malformed capture file" in built.log, (mode, built.log)
        assert "Traceback" not in built.log
        assert path.read_text() == broken  # the author's file is never replaced


def test_replay_reads_unchanged_captures_from_the_cache_and_shows_edits_at_once(
    tmp_path, standin, kube_env
):
    """Parsed captures and rendered snippets are kept in `.cache/plugin/kubecapture` beside
    mkdocs.yml; a replay from the cache is the same page, and a hand edit of a capture
    shows in the next build (its entries replaced, not added to)."""
    site = make_site(tmp_path / "site", {"index.md": PAGE})
    assert build(site, kube_env, "--strict").returncode == 0
    cache = site.parent / ".cache" / "plugin" / "kubecapture"
    assert not cache.exists()  # the live build rendered what it had just captured
    html = page_html(site)
    for _ in range(2):  # parsed and cached, then read from the cache
        replay = build(site, kube_env, "--strict", mode="replay")
        assert replay.returncode == 0, replay.log
        assert page_html(site) == html
        assert len(list(cache.iterdir())) == 2  # the parsed file, the rendered snippets

    path = store.capture_path(site.parent / "captures", "index.md")
    page = store.load(path)
    page.snippets[0].results[0].stdout = "NAME       STATUS\nedited     Ready\n"
    store.save(path, page)
    assert build(site, kube_env, "--strict", mode="replay").returncode == 0
    assert "edited     Ready" in page_html(site)
    assert len(list(cache.iterdir())) == 2


def test_no_cache_with_cache_false(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"index.md": PAGE}, cache=False)
    assert build(site, kube_env, "--strict").returncode == 0
    assert build(site, kube_env, "--strict", mode="replay").returncode == 0
    assert not (site.parent / ".cache").exists()
