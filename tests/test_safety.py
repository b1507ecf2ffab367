"""Safe live runs: context guard, command guard, sandbox namespaces, settle, redaction.

The unit tests check the guard's decisions; the others build throwaway sites with the
real `mkdocs build` and the real kubectl against the API stand-in.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from kubecapture.base import config
from kubecapture.base.snippets import SnippetError, parse_page
from kubecapture.captures import store
from kubecapture.run import cluster as kube
from kubecapture.run import planning, sandbox
from kubecapture.trust import kubectl_args, manifests
from sites import build, make_site, page_html

FIXTURES = Path(__file__).parent / "fixtures" / "safety"
RECORDINGS = Path(__file__).parent / "recordings" / "workloads.json"
PASSWORD = "notes-s3cret-pw"
PASSWORD_B64 = "bm90ZXMtczNjcmV0LXB3"
PLACEHOLDER = "まだキャプチャされていません"


def page(*blocks: str, front: str | None = None) -> str:
    """A page whose snippets are the given blocks (each `info\\ncommands`)."""
    head = f"---\n{front}\n---\n\n" if front else ""
    body = "\n".join(
        f"```kubectl {b.split(chr(10), 1)[0]}\n{b.split(chr(10), 1)[1]}\n```\n" for b in blocks
    )
    return f"{head}# Page\n\n{body}"


SANDBOX = "kubecapture: {sandbox: true}"


def capture_of(config_file: Path, name: str = "index.md") -> store.PageCapture | None:
    return store.load(store.capture_path(config_file.parent / "captures", name))


def outputs(config_file: Path, name: str = "index.md") -> list[str]:
    cap = capture_of(config_file, name)
    assert cap is not None
    return [r.stdout for s in cap.snippets for r in s.results]


def namespace(standin, name: str) -> dict | None:
    with standin.cluster.lock:
        return standin.cluster.get_obj(("", "namespaces"), "", name)


def gone(standin, name: str, within: float = 5.0) -> bool:
    """True once the namespace no longer exists (deletion finishes in the background)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if namespace(standin, name) is None:
            return True
        time.sleep(0.05)
    return False


# --- the command guard (no cluster) ------------------------------------------------------


def plan(markdown: str, sandbox: bool = False, workdir: Path = FIXTURES):
    # the fixtures' manifests/ stand for a site's snippets/ (kubectl may read files there)
    settings = planning.Settings(
        captures_dir=workdir / "captures",
        workdir=workdir,
        sandbox=sandbox,
        content_dirs=(workdir,),
    )
    return planning.plan_page("notes/p.md", markdown, settings)


def refused(markdown: str, **kw) -> str:
    with pytest.raises(SnippetError) as e:
        plan(markdown, **kw)
    return str(e.value)


@pytest.mark.parametrize(
    "command",
    [
        "kubectl get pods --context prod",
        "kubectl get pods --context=prod",
        "kubectl --kubeconfig /tmp/other get pods",
        "kubectl get pods --server https://prod.example:6443",
        "kubectl get pods -s https://prod.example:6443",
        "kubectl get pods --cluster=prod",
        "kubectl get pods --user admin",
        "kubectl get pods --token=abc",
        "kubectl get pods --client-key=/tmp/k",
    ],
)
def test_flags_that_leave_the_pinned_context_are_refused(command):
    message = refused(page(f'id="x"\n{command}'))
    flag = next(a for a in command.split() if a.startswith("-")).split("=")[0]
    assert message.startswith(f"notes/p.md:4: `{flag}` is not allowed in a kubectl snippet")
    assert "pinned context" in message and "`context` option" in message


@pytest.mark.parametrize(
    "command",
    [
        "kubectl config use-context prod",
        "kubectl config set-context --current --namespace=prod",
        "kubectl config set-cluster minikube --server=https://prod:6443",
        "kubectl config delete-context minikube",
        "kubectl kuberc set --section=aliases --name=g --command=get",
        "kubectl ctx prod",
        "kubectl ns kube-system",
    ],
)
def test_kubeconfig_writes_and_plugins_are_refused(command):
    message = refused(page(f"\n{command}"))
    assert message.startswith("notes/p.md:4: `kubectl ")


@pytest.mark.parametrize(
    "command",
    [
        "kubectl config view",
        "kubectl config view --minify -o json",
        "kubectl config current-context",
        "kubectl config get-contexts",
        "kubectl create clusterrolebinding r --clusterrole=view --user alice --dry-run=client",
        "kubectl auth can-i get pods --as=system:serviceaccount:default:default",
        "kubectl get pods -A",
    ],
)
def test_reading_and_in_cluster_commands_are_allowed(command):
    assert plan(page(f"\n{command}")).snippets


@pytest.mark.parametrize(
    "command",
    [
        "kubectl create rolebinding r --clusterrole=view --user=alice",
        "kubectl set subject rolebinding r --user=bob",
    ],
)
def test_rbac_in_the_namespace_runs_where_the_page_allows_it(command):
    """Granting rights is a permission a reviewer sees in the front matter."""
    assert "allow_rbac: true" in refused(page(f"\n{command}"))
    assert plan(page(f"\n{command}", front="kubecapture: {allow_rbac: true}")).snippets


def test_exec_runs_in_the_sandbox_and_what_follows_dash_dash_is_the_containers():
    # `--token x --context y` after `--` is the container's command, not kubectl's flags
    command = "kubectl exec nginx -- env --token x --context y"
    assert plan(page(f"\n{command}", front=SANDBOX)).snippets
    assert "has no sandbox namespace" in refused(page(f"\n{command}"))


@pytest.mark.parametrize(
    "command",
    [
        "kubectl get --raw /api/v1/namespaces",
        "kubectl config view --raw --minify -o json",
        "kubectl delete -k overlays/dev",
    ],
)
def test_flags_outside_the_allowlist_are_refused(command):
    flag = next(a for a in command.split() if a.startswith("-"))
    assert refused(page(f"\n{command}")).startswith(
        f"notes/p.md:4: `{flag}` is not allowed in a kubectl snippet (`{command}`): "
    )


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("kubectl delete pod nginx", "this page has no sandbox namespace"),
        ("kubectl drain minikube --ignore-daemonsets", "has no sandbox"),
        ("kubectl cordon minikube", "has no sandbox"),
    ],
)
def test_destructive_commands_need_a_sandbox_or_permission(command, why):
    message = refused(page(f"\n{command}"))
    assert message.startswith(f"notes/p.md:4: refusing to run `{command}`: ")
    assert why in message
    assert "add `allow_destructive: true` under `kubecapture:`" in message
    assert plan(page(f"\n{command}", front="kubecapture: {allow_destructive: true}"))


@pytest.mark.parametrize(
    ("command", "why"),
    [
        ("kubectl delete pod nginx -n kube-system", "namespace kube-system, outside"),
        ("kubectl delete pods --all -A", "all namespaces"),
        ("kubectl delete node minikube", "nodes are cluster-wide"),
        ("kubectl delete ns kube-public", "namespaces are cluster-wide"),
        ("kubectl delete clusterrole.rbac.authorization.k8s.io/view", "clusterroles"),
        ("kubectl drain minikube", "acts on nodes"),
        ("kubectl uncordon minikube", "acts on nodes"),
        ("kubectl taint nodes minikube key=value:NoSchedule", "acts on nodes"),
        ("kubectl apply --prune -l app=web -f manifests/", "apply --prune"),
        ("kubectl replace --force -f manifests/other-namespace.yaml", "namespace prod"),
        ("kubectl delete -f manifests/namespace.yaml", "holds a Namespace"),
        ("kubectl delete -f https://example.com/x.yaml", "is a URL"),
    ],
)
def test_destructive_commands_outside_the_sandbox_are_refused(command, why):
    message = refused(page(f"\n{command}", front=SANDBOX))
    assert message.startswith(f"notes/p.md:8: refusing to run `{command}`: "), message
    assert why in message


@pytest.mark.parametrize(
    "command",
    [
        "kubectl delete pod nginx",
        "kubectl delete deploy,svc -l app=web",
        "kubectl delete all --all",
        "kubectl delete pod/nginx svc/web",
        "kubectl -n kc-notes-p delete pod nginx",
        "kubectl delete -f manifests/pod.yaml",
        "kubectl replace --force -f manifests/deployment.yaml",
        "kubectl delete namespace kc-notes-p",
        "kubectl delete node minikube --dry-run=client",
        "kubectl scale deployment web --replicas=0",
    ],
)
def test_destructive_commands_inside_the_sandbox_are_allowed(command):
    assert not plan(page(f"\n{command}", front=SANDBOX)).permits


def test_deleting_what_the_page_created_is_allowed_if_the_create_succeeds():
    p = plan(
        page(
            "\nkubectl create namespace demo",
            "\nkubectl get ns demo",
            "\nkubectl delete namespace demo",
        )
    )
    assert list(p.permits) == [12]
    assert p.permits[12].creator_lines == (4,) and p.permits[12].targets == "namespaces/demo"
    # a second delete needs a second create
    message = refused(
        page("\nkubectl create ns demo", "\nkubectl delete ns demo", "\nkubectl delete ns demo")
    )
    assert message.startswith("notes/p.md:12: refusing")
    # a create in another namespace does not cover a delete in this one
    refused(
        page(
            "\nkubectl create deployment web --image=nginx -n other",
            "\nkubectl delete deployment web",
        )
    )
    # a dry-run create creates nothing
    refused(page("\nkubectl create ns demo --dry-run=client", "\nkubectl delete ns demo"))
    assert plan(page("\nkubectl run web --image=nginx", "\nkubectl delete pod web")).permits


def test_front_matter_flags_must_be_booleans():
    message = refused(page("\nkubectl get pods", front='kubecapture: {allow_destructive: "yes"}'))
    assert (
        message == "notes/p.md:2: front matter kubecapture.allow_destructive must be true or false"
    )
    assert "kubecapture.sandbox" in refused(
        page("\nkubectl get pods", front="kubecapture: {sandbox: 1}")
    )


def test_touched_namespaces():
    snippets = parse_page(
        page(
            "\nkubectl get pods -n kube-system",
            "\nkubectl apply -f manifests/other-namespace.yaml",
            "\nkubectl create namespace demo",
        ),
        "p.md",
    )
    assert manifests.touched_namespaces(parsed(snippets), "kc-p", FIXTURES) == {
        "kc-p",
        "kube-system",
        "prod",
        "demo",
    }
    for everything in (
        "kubectl get secrets -A",
        "kubectl get --raw /api/v1/secrets",
        "kubectl apply -k overlays/dev",
    ):
        snippets = parse_page(page(f"\n{everything}"), "p.md")
        assert manifests.touched_namespaces(parsed(snippets), "default", FIXTURES) is None


def parsed(snippets):
    """The page's commands parsed (`--raw` and `-k` too, which the guard refuses)."""
    return [kubectl_args.parse(c.argv, allowed_only=False) for s in snippets for c in s.commands]


# --- the context guard --------------------------------------------------------------------

PAGE = page(
    'id="ctx"\nkubectl config current-context\nkubectl config get-contexts -o name',
    'id="nodes"\nkubectl get nodes',
)


def contexts_env(standin, kube_env, tmp_path, current: str, other: str) -> dict[str, str]:
    """kube_env with a kubeconfig of two contexts on the stand-in, `current` selected."""
    path = standin.write_kubeconfig(
        tmp_path / f"{current}.yaml", context=current, extra_contexts=(other,)
    )
    return dict(kube_env, KUBECONFIG=str(path))


def test_a_context_outside_allow_contexts_is_refused_and_the_site_replays(
    tmp_path, standin, kube_env
):
    env = contexts_env(standin, kube_env, tmp_path, current="prod-eu", other="minikube")
    site = make_site(tmp_path / "site", {"index.md": PAGE})
    for mode in (None, "refresh"):
        built = build(site, env, mode=mode)
        assert built.returncode == 0, built.log
        warnings = [line for line in built.lines("WARNING") if "prod-eu" in line]
        assert len(warnings) == 1, built.log
        assert 'refusing to run snippets against kube context "prod-eu"' in warnings[0]
        assert "allow_contexts" in warnings[0]
        assert standin.requests == []  # not one request: not even a version probe
        assert PLACEHOLDER in page_html(site)
        assert capture_of(site) is None

    # the setting the message names lets it run, against that context only
    site = make_site(tmp_path / "site", {"index.md": PAGE}, allow_contexts=["prod-*"])
    built = build(site, env, "--strict")
    assert built.returncode == 0, built.log
    assert outputs(site)[:2] == ["prod-eu\n", "prod-eu\n"]


def test_a_configured_context_is_checked_and_pinned(tmp_path, standin, kube_env):
    env = contexts_env(standin, kube_env, tmp_path, current="prod-eu", other="minikube")
    # current-context is prod-eu, but the site names minikube: commands see only minikube
    site = make_site(tmp_path / "site", {"index.md": PAGE}, context="minikube")
    built = build(site, env, "--strict")
    assert built.returncode == 0, built.log
    assert outputs(site)[:2] == ["minikube\n", "minikube\n"]
    assert "--context" not in page_html(site)

    standin.requests.clear()
    site = make_site(tmp_path / "site2", {"index.md": PAGE}, context="prod-eu")
    built = build(site, kube_env)
    assert any('kube context "prod-eu"' in line for line in built.lines("WARNING")), built.log
    assert standin.requests == []


def test_a_snippet_cannot_pick_its_own_context(tmp_path, standin, kube_env):
    env = contexts_env(standin, kube_env, tmp_path, current="minikube", other="prod-eu")
    site = make_site(
        tmp_path / "site", {"index.md": page('id="x"\nkubectl get pods --context prod-eu')}
    )
    for mode in (None, "replay"):
        built = build(site, env, mode=mode)
        assert built.returncode == 1
        assert "index.md:4: `--context` is not allowed in a kubectl snippet" in built.log
        assert "Traceback" not in built.log
    assert standin.requests == []


def test_a_destructive_command_fails_the_build_before_anything_runs(tmp_path, standin, kube_env):
    site = make_site(
        tmp_path / "site",
        {
            "index.md": page('id="ok"\nkubectl get nodes', 'id="rm"\nkubectl delete node minikube'),
        },
    )
    built = build(site, kube_env)
    assert built.returncode == 1
    assert (
        "index.md:8: refusing to run `kubectl delete node minikube`: it deletes or changes "
        "objects and this page has no sandbox namespace"
    ) in built.log
    assert standin.requests == []
    with standin.cluster.lock:
        assert standin.cluster.get_obj(("", "nodes"), "", "minikube") is not None


# --- sandbox namespaces --------------------------------------------------------------------


SANDBOX_PAGE = page(
    'id="make"\nkubectl create configmap demo --from-literal=color=blue',
    'id="where"\nkubectl get configmap demo -o jsonpath={.metadata.namespace}',
    'id="phase"\nkubectl get namespace kc-index -o jsonpath={.status.phase}',
    front=SANDBOX,
)


def test_sandboxed_page_runs_in_its_own_namespace_which_is_gone_after(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"index.md": SANDBOX_PAGE})
    built = build(site, kube_env, "--strict")
    assert built.returncode == 0, built.log
    assert outputs(site) == ["configmap/demo created\n", "kc-index", "Active"]
    html = page_html(site)
    assert 'data-copy="kubectl get configmap demo -o jsonpath={.metadata.namespace}"' in html
    assert "-n kc-index" not in html and "kubeconfig" not in html
    assert ("POST", "/api/v1/namespaces", "") in standin.requests
    assert gone(standin, "kc-index")
    with standin.cluster.lock:  # nothing landed in the context's namespace
        assert standin.cluster.get_obj(("", "configmaps"), "default", "demo") is None


def test_plugin_option_makes_sandbox_the_default_and_pages_opt_out(tmp_path, standin, kube_env):
    where = (
        'id="where"\n'
        "kubectl create configmap demo --from-literal=a=b -o jsonpath={.metadata.namespace}"
    )
    site = make_site(
        tmp_path / "site",
        {
            "a.md": page(where),
            "b.md": page(where, front="kubecapture: {sandbox: false}"),
        },
        sandbox=True,
    )
    built = build(site, kube_env, "--strict")
    assert built.returncode == 0, built.log
    assert outputs(site, "a.md") == ["kc-a"]
    assert outputs(site, "b.md") == ["default"]
    assert gone(standin, "kc-a")


def test_sandbox_is_deleted_after_a_failing_and_a_timed_out_command(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"index.md": SANDBOX_PAGE})
    assert build(site, kube_env).returncode == 0
    assert gone(standin, "kc-index")

    failing = page('id="missing"\nkubectl get pod nope', front=SANDBOX)
    (site.parent / "docs" / "index.md").write_text(failing)
    built = build(site, kube_env)
    assert "index.md:8: `kubectl get pod nope` exited with 1 (expected 0)" in built.log
    assert gone(standin, "kc-index")
    # an unexpected exit code is a warning: the page is captured, as it ran
    before = store.capture_path(site.parent / "captures", "index.md").read_bytes()
    assert b'pods "nope" not found' in before

    hanging = page('id="watch" timeout="1.5"\nkubectl get pods -w', front=SANDBOX)
    (site.parent / "docs" / "index.md").write_text(hanging)
    built = build(site, kube_env)
    assert "index.md:8: `kubectl get pods -w` did not finish within 1.5 s" in built.log
    assert gone(standin, "kc-index")
    assert store.capture_path(site.parent / "captures", "index.md").read_bytes() == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_build_deletes_the_sandbox_and_keeps_the_capture(
    tmp_path, standin, kube_env, signum
):
    site = make_site(
        tmp_path / "site",
        {"index.md": SANDBOX_PAGE, "other.md": SANDBOX_PAGE.replace("kc-index", "kc-other")},
    )
    assert build(site, kube_env, "--strict").returncode == 0
    capture_file = store.capture_path(site.parent / "captures", "index.md")
    before = capture_file.read_bytes()

    slow = SANDBOX_PAGE + '\n```kubectl id="slow" timeout="120"\nkubectl get pods -w\n```\n'
    (site.parent / "docs" / "index.md").write_text(slow)
    (site.parent / "docs" / "other.md").write_text(slow.replace("kc-index", "kc-other"))
    standin.requests.clear()
    env = dict(kube_env, NO_MKDOCS_2_WARNING="1")
    env.pop("KUBECAPTURE_MODE", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(site)],
        cwd=site.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        watching = set()
        while len(watching) < 2:  # both pages are in their slow snippet
            assert time.monotonic() < deadline and proc.poll() is None, proc.communicate()
            watching = {
                path
                for method, path, query in list(standin.requests)
                if "watch=" in query and path.endswith("/pods")
            }
            time.sleep(0.05)
        assert namespace(standin, "kc-index") is not None
        start = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert time.monotonic() - start < 15, err
    assert proc.returncode != 0
    assert "interrupted: stopping kubectl and deleting sandbox namespaces" in err
    assert gone(standin, "kc-index") and gone(standin, "kc-other")
    assert capture_file.read_bytes() == before
    assert (
        capture_of(site, "other.md").key
        != planning.plan_page(
            "other.md", slow, planning.Settings(site.parent / "captures", site.parent)
        ).key
    )
    assert not _kubectl_running_in(site.parent)


def _kubectl_running_in(directory: Path) -> list[int]:
    """kubectl processes whose working directory is `directory` (left behind)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if cmdline and cmdline[0].endswith(b"kubectl") and Path(cwd) == directory:
            found.append(int(pid))
    return found


def test_keep_sandbox_leaves_it_and_the_next_build_starts_fresh(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"index.md": SANDBOX_PAGE}, keep_sandbox=True)
    built = build(site, kube_env, "--strict")
    assert built.returncode == 0, built.log
    assert "sandbox namespace kc-index of index.md kept" in built.log
    ns = namespace(standin, "kc-index")
    assert ns["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kubecapture"
    uid = ns["metadata"]["uid"]
    again = build(site, kube_env, "--strict", mode="refresh")
    assert again.returncode == 0, again.log  # configmap/demo created again: a new namespace
    assert namespace(standin, "kc-index")["metadata"]["uid"] != uid


def test_a_sandbox_still_terminating_is_waited_for_before_shared_pages(tmp_path, standin, kube_env):
    """Kubernetes deletes a namespace in the background: right after a build its sandbox is
    still Terminating. The next build's shared pages wait for it, so `kubectl get
    namespace` prints the same in two refreshes in a row."""
    standin.namespace_delete_delay = 5.0
    pages = {
        "a.md": page('id="make"\nkubectl create configmap demo --from-literal=a=b', front=SANDBOX),
        "b.md": page('id="all"\nkubectl get namespace -o name'),
    }
    site = make_site(tmp_path / "site", pages)
    first = build(site, kube_env, mode="refresh")
    assert first.returncode == 0, first.log
    assert namespace(standin, "kc-a")["metadata"].get("deletionTimestamp")  # still going
    listed = outputs(site, "b.md")
    assert "namespace/kc-a" not in listed[0] and "namespace/default" in listed[0]
    again = build(site, kube_env, mode="refresh")
    assert again.returncode == 0, again.log
    assert outputs(site, "b.md") == listed


def test_a_user_who_may_not_list_namespaces_still_captures(tmp_path, standin, kube_env):
    """The wait for terminating sandboxes is best effort: RBAC that forbids listing
    namespaces (a user with rights in one namespace) does not stop the live run."""
    standin.forbidden.add(("GET", "/api/v1/namespaces"))
    site = make_site(tmp_path / "site", {"b.md": page('id="pods"\nkubectl get pod')})
    built = build(site, kube_env, "--strict", mode="refresh")
    assert built.returncode == 0, built.log
    listed = [q for m, path, q in standin.requests if path == "/api/v1/namespaces"]
    assert [unquote(q) for q in listed] == [
        "labelSelector=app.kubernetes.io/managed-by=kubecapture"
    ]

    assert capture_of(site, "b.md").snippets[0].results[0].exit_code == 0


def test_a_namespace_kubecapture_did_not_make_is_never_used_or_deleted(
    tmp_path, standin, kube_env, kubectl_bin
):
    subprocess.run(
        [str(kubectl_bin), "create", "namespace", "kc-index"],
        env=kube_env,
        check=True,
        capture_output=True,
    )
    site = make_site(tmp_path / "site", {"index.md": SANDBOX_PAGE}, settle_timeout=3)
    built = build(site, kube_env)
    assert (
        "index.md:7: namespace kc-index already exists and was not made by kubecapture, "
        "so it is not used as a sandbox; delete or rename it"
    ) in built.log, built.log
    assert namespace(standin, "kc-index") is not None
    assert capture_of(site) is None


def test_a_delete_of_what_the_page_did_not_create_is_stopped_at_run_time(
    tmp_path, standin, kube_env
):
    site = make_site(
        tmp_path / "site",
        {
            "index.md": page(
                'id="make" returncode="1"\nkubectl create namespace kube-public',
                'id="rm"\nkubectl delete namespace kube-public',
                front=SANDBOX,
            )
        },
    )
    built = build(site, kube_env)
    assert (
        "index.md:12: refusing to run `kubectl delete namespace kube-public`: "
        "namespaces/kube-public may not be this page's own, since the command at line 8 "
        "that creates it failed"
    ) in built.log, built.log
    assert namespace(standin, "kube-public") is not None
    assert not [r for r in standin.requests if r[0] == "DELETE" and "kube-public" in r[1]]
    assert gone(standin, "kc-index")

    ok = page(
        'id="make"\nkubectl create namespace demo-ns',
        'id="rm"\nkubectl delete namespace demo-ns --wait=false',
        front=SANDBOX,
    )
    (site.parent / "docs" / "index.md").write_text(ok)
    built = build(site, kube_env, "--strict")
    assert built.returncode == 0, built.log
    assert outputs(site) == ["namespace/demo-ns created\n", 'namespace "demo-ns" deleted\n']
    assert gone(standin, "demo-ns")


# --- settle --------------------------------------------------------------------------------

CREATE = 'id="create"{opt}\nkubectl create deployment web --image={image} --replicas=2'
GET = 'id="get"\nkubectl get deployment web -o jsonpath={.status.readyReplicas}/{.spec.replicas}'


def test_settle_waits_for_a_deployment_before_the_next_snippet(tmp_path, standin, kube_env):
    standin.ready_delay = 1.5
    site = make_site(
        tmp_path / "site",
        {
            "settled.md": page(CREATE.format(opt="", image="nginx:1.27"), GET, front=SANDBOX),
            "raw.md": page(
                CREATE.format(opt=' settle="off"', image="nginx:1.27"), GET, front=SANDBOX
            ),
        },
    )
    built = build(site, kube_env, "--strict")
    assert built.returncode == 0, built.log
    assert outputs(site, "settled.md")[1] == "2/2"
    assert outputs(site, "raw.md")[1] == "/2"  # in between: no pod ready yet
    assert gone(standin, "kc-settled") and gone(standin, "kc-raw")


def test_settle_also_between_the_commands_of_one_snippet(tmp_path, standin, kube_env):
    """A fence that changes the cluster and then reads it shows the settled state, as two
    fences do, not whatever the controllers had done by then (which flaps run to run)."""
    standin.ready_delay = 1.5
    both = CREATE.split(chr(10), 1)[1] + chr(10) + GET.split(chr(10), 1)[1]
    site = make_site(
        tmp_path / "site",
        {
            "settled.md": page('id="both"' + chr(10) + both, front=SANDBOX),
            "raw.md": page('id="both" settle="off"' + chr(10) + both, front=SANDBOX),
        },
    )
    built = build(site, kube_env, "--strict")
    assert built.returncode == 0, built.log
    assert outputs(site, "settled.md")[1] == "2/2"
    assert outputs(site, "raw.md")[1] == "/2"  # settle="off": the state right after create


def test_settle_times_out_naming_what_is_not_ready(tmp_path, standin, kube_env):
    standin.stuck_images = {"nginx:stuck"}
    site = make_site(
        tmp_path / "site",
        {
            "index.md": page(CREATE.format(opt="", image="nginx:stuck"), GET, front=SANDBOX),
        },
        settle_timeout=2,
    )
    built = build(site, kube_env)
    assert built.seconds < 30
    line = next(x for x in built.lines("WARNING") if "after this snippet" in x)
    assert (
        "index.md:7: after this snippet, these objects were not ready within "
        "settle_timeout (2 s): deployment/web (0/2 available)"
    ) in line
    assert "pod/web-" in line and "ContainerCreating, not ready" in line
    assert "(kept the previous capture)" in line
    assert capture_of(site) is None
    assert gone(standin, "kc-index")
    assert "Traceback" not in built.log


@pytest.fixture
def pinned(standin, kube_env, kubectl_bin, tmp_path, monkeypatch):
    """The build's pinned cluster, as live.Session gets it."""
    monkeypatch.setenv("KUBECONFIG", kube_env["KUBECONFIG"])
    monkeypatch.setenv("HOME", kube_env["HOME"])
    cluster = kube.connect(
        context=None,
        allow_contexts=config.default("allow_contexts"),
        kubectl=str(kubectl_bin),
        workdir=tmp_path / "work",
        connect_timeout=config.default("connect_timeout"),
    )
    yield cluster
    kube.close_clients()


def test_settle_directly_waits_then_returns_and_bounds_a_stuck_one(pinned, standin, kube_env):
    standin.ready_delay = 1.0
    uid = sandbox.create_namespace(pinned, "kc-direct")
    assert namespace(standin, "kc-direct")["metadata"]["uid"] == uid
    kubectl = [pinned.kubectl, "-n", "kc-direct"]
    subprocess.run(
        [*kubectl, "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2"],
        env=kube_env,
        check=True,
        capture_output=True,
    )
    start = time.monotonic()
    assert sandbox.settle(pinned, "kc-direct", timeout=10) is None
    assert 0.8 < time.monotonic() - start < 5

    standin.stuck_images = {"nginx:stuck"}
    subprocess.run(
        [*kubectl, "set", "image", "deployment/web", "nginx=nginx:stuck"],
        env=kube_env,
        check=True,
        capture_output=True,
    )
    start = time.monotonic()
    problem = sandbox.settle(pinned, "kc-direct", timeout=1.5)
    assert 1.5 <= time.monotonic() - start < 4
    assert problem.startswith(
        "these objects were not ready within settle_timeout (1.5 s): deployment/web ("
    )

    import threading

    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    start = time.monotonic()
    assert sandbox.settle(pinned, "kc-direct", timeout=30, cancel=cancel) is None
    assert time.monotonic() - start < 2
    sandbox.delete_namespace(pinned, "kc-direct", uid)
    assert gone(standin, "kc-direct")


# --- redaction end to end ------------------------------------------------------------------


def workloads_page() -> str:
    """The recorded workloads walk-through as a sandboxed page: no namespace commands and
    no `-n notes-sandbox` (the sandbox replaces them), one snippet per command."""
    blocks = []
    for c in json.loads(RECORDINGS.read_text())["commands"]:
        command = c["command"]
        if command.startswith(("kubectl create namespace", "kubectl delete namespace")):
            continue
        # a site's manifests live in snippets/ (kubectl reads no file outside the notes)
        command = command.replace(" -n notes-sandbox", "").replace(
            " manifests/", " snippets/manifests/"
        )
        blocks.append("\n" + command)
    return page(*blocks, front=SANDBOX)


def test_workloads_walkthrough_leaves_no_secret_in_captures_site_or_log(
    tmp_path, standin, kube_env
):
    site = make_site(tmp_path / "site", {"workloads.md": workloads_page()})
    shutil.copytree(
        FIXTURES / "manifests",
        site.parent / "snippets" / "manifests",
        ignore=shutil.ignore_patterns("other-namespace.yaml", "namespace.yaml"),
    )
    assert PASSWORD in (site.parent / "snippets" / "manifests" / "secret.yaml").read_text()
    built = build(site, kube_env, "--strict")
    assert built.returncode == 0, built.log
    cap = capture_of(site, "workloads.md")
    texts = {r.command: r.stdout for s in cap.snippets for r in s.results}
    assert texts["kubectl get secret db-credentials -o jsonpath={.data.password}"] == "********"
    as_yaml = texts["kubectl get secret db-credentials -o yaml"]
    assert "password: ********" in as_yaml and "namespace: kc-workloads" in as_yaml
    assert "password:  15 bytes" in texts["kubectl describe secret db-credentials"]
    assert "deployment.apps/web rolled back" in texts["kubectl rollout undo deployment/web"]

    leaks = []
    for root in (site.parent / "captures", site.parent / "site"):
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                leaks += [f"{path}: {s}" for s in (PASSWORD, PASSWORD_B64) if s.encode() in data]
    assert leaks == []
    assert PASSWORD not in built.log and PASSWORD_B64 not in built.log
    assert gone(standin, "kc-workloads")


def test_redact_off_shows_values_and_warns(tmp_path, standin, kube_env):
    site = make_site(
        tmp_path / "site",
        {
            "index.md": page(
                'id="make"\nkubectl create secret generic demo --from-literal=word=visible-dummy',
                'id="masked"\nkubectl get secret demo -o jsonpath={.data.word}',
                'id="shown" redact="off"\nkubectl get secret demo -o jsonpath={.data.word}',
                front=SANDBOX,
            )
        },
    )
    built = build(site, kube_env)
    assert built.returncode == 0, built.log
    assert 'index.md:15: redact="off": secret values are not masked in this snippet' in built.log
    assert outputs(site)[1:] == ["********", "dmlzaWJsZS1kdW1teQ=="]
    assert build(site, kube_env, "--strict").returncode == 0  # replay: no warning again


def test_a_page_that_only_reads_masks_secrets_its_commands_show(tmp_path, standin, kube_env):
    """A read-only page runs its commands side by side (planning.side_by_side): each is
    still followed by its Secret listing, so what they show is masked as in order."""
    reads = page(
        'id="word"\nkubectl get secret demo -o jsonpath={.data.word}',
        'id="yaml"\nkubectl get secret demo -o yaml',
        'id="nodes"\nkubectl get node',
    )
    site = make_site(
        tmp_path / "site",
        {
            "a.md": page(
                'id="make"\nkubectl create secret generic demo --from-literal=word=s3-word'
            ),
            "b.md": reads,  # after a.md in nav order (no nav: by name)
        },
    )
    settings = planning.Settings(tmp_path, tmp_path)
    assert planning.side_by_side(planning.plan_page("b.md", reads, settings))
    built = build(site, kube_env)
    assert built.returncode == 0, built.log
    texts = outputs(site, "b.md")
    assert texts[0] == "********"
    assert "word: ********" in texts[1] and "minikube" in texts[2]
    for path in (site.parent / "captures").rglob("*.yaml"):
        assert "czMtd29yZA==" not in path.read_text()  # base64 of the value


def test_unknown_front_matter_option_names_page_and_line(tmp_path):
    page = (
        "---\nkubecapture:\n  sandbox: true\n  sandbx: true\n---\n"
        "# x\n\n```kubectl\nkubectl get ns\n```\n"
    )
    with pytest.raises(SnippetError) as info:
        planning.plan_page("typo.md", page, planning.Settings(tmp_path, tmp_path))
    assert str(info.value).startswith("typo.md:4: unknown front matter option kubecapture.sandbx")
