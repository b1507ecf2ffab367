"""Fidelity of the API stand-in: the real kubectl must print against it what it printed
against a real v1.24 API server (tests/recordings/), plus the stand-in's scenario controls."""

from __future__ import annotations

import functools
import json
import re
import shlex
import shutil
import subprocess
import time

import pytest
from standin import StandIn

RECORDINGS = __import__("pathlib").Path(__file__).resolve().parent / "recordings"
SCENARIOS = ("seed-notes", "workloads", "errors")

# Commands whose recorded output the stand-in does not reproduce, with the reason.
XFAIL: dict[tuple[str, str], str] = {}


@functools.cache
def recorded_commands(scenario: str) -> list[dict]:
    return json.loads((RECORDINGS / f"{scenario}.json").read_text())["commands"]


# --- masking of what differs on every run (local to this test on purpose) -----------------

_MASKS = [
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"), "<TIME>"),
    (re.compile(r"[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}"), "<TIME>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<UID>"),
    (re.compile(r'(resourceVersion"?:\s*)"\d+"'), r'\1"<RV>"'),
    (re.compile(r"\b10\.\d+\.\d+\.\d+\b"), "<IP>"),  # pod and ClusterIPs
    # pod-template-hash and generated-name suffixes (k8s rand alphabet, no vowels)
    (re.compile(r"(?<=[a-z0-9]-)[bcdfghjklmnpqrstvwxz2456789]{5}\b"), "<SUFFIX>"),
    (re.compile(r"(?<=[a-z0-9]-)[bcdfghjklmnpqrstvwxz2456789]{9,10}\b"), "<HASH>"),
    (re.compile(r"\b\d+[smhdy](\d+[smh])?\b"), "<AGE>"),  # AGE cells, "x ago", durations
    (re.compile(r" {2,}"), "  "),  # column widths follow from the masked values
]


def mask(text: str) -> str:
    for pattern, repl in _MASKS:
        text = pattern.sub(repl, text)
    return "\n".join(line.rstrip() for line in text.split("\n"))


def test_mask_keeps_what_matters():
    line = "web-7899ff8f4d-vw7f2   1/1     Running   0          3s    10.244.0.34   minikube"
    assert mask(line) == "web-<HASH>-<SUFFIX>  1/1  Running  0  <AGE>  <IP>  minikube"
    assert mask("minikube   Ready    control-plane   16m   v1.24.0") == (
        "minikube  Ready  control-plane  <AGE>  v1.24.0"
    )


# --- running kubectl -----------------------------------------------------------------------


def env_for(base: dict, kubeconfig, home) -> dict:
    env = dict(base)
    env.update(KUBECONFIG=str(kubeconfig), HOME=str(home), KUBECACHEDIR=str(home / "cache"))
    return env


def run(kubectl, env, *args, cwd=None, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(kubectl), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


def run_scenario(scenario: str, kubectl, tmp, base_env) -> list[subprocess.CompletedProcess]:
    work = tmp / "work"
    shutil.copytree(RECORDINGS / "manifests", work / "manifests")
    results = []
    with StandIn() as server:
        # The recorded cluster's simulated node started containers at once; so do we.
        server.ready_delay = 0
        kubeconfig = server.write_kubeconfig(tmp / "kubeconfig", namespace="default")
        env = env_for(base_env, kubeconfig, tmp)
        for cmd in recorded_commands(scenario):
            args = shlex.split(cmd["command"])
            assert args[0] == "kubectl"
            results.append(run(kubectl, env, *args[1:], cwd=work))
    return results


@pytest.fixture(scope="module")
def scenario_results(kubectl_bin, tmp_path_factory):
    """Each scenario file runs once, all commands in order, in a stand-in of its own."""
    import os

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("KUBECTL_")}
    cache: dict[str, list] = {}

    def get(scenario: str):
        if scenario not in cache:
            cache[scenario] = run_scenario(
                scenario, kubectl_bin, tmp_path_factory.mktemp(scenario), base_env
            )
        return cache[scenario]

    return get


CASES = [
    pytest.param(
        s,
        i,
        c["command"],
        id=f"{s}:{i:02d}:{c['command'].removeprefix('kubectl ')}",
        marks=(
            [pytest.mark.xfail(reason=XFAIL[(s, c["command"])], strict=True)]
            if (s, c["command"]) in XFAIL
            else []
        ),
    )
    for s in SCENARIOS
    for i, c in enumerate(recorded_commands(s))
]


@pytest.mark.parametrize(("scenario", "index", "command"), CASES)
def test_recorded_command(scenario_results, scenario, index, command):
    want = recorded_commands(scenario)[index]
    got = scenario_results(scenario)[index]
    seen = f"exit {got.returncode}\n--- stdout\n{got.stdout}--- stderr\n{got.stderr}"
    assert got.returncode == want["exit_code"], seen
    assert mask(got.stderr) == mask(want["stderr"]), seen
    assert mask(got.stdout) == mask(want["stdout"]), seen


# --- scenario controls ---------------------------------------------------------------------


@pytest.fixture
def k(kubectl_bin, kube_env, tmp_path):
    """kubectl against the `standin` fixture, run from a copy of the recorded manifests."""
    work = tmp_path / "work"
    shutil.copytree(RECORDINGS / "manifests", work / "manifests")

    def kubectl(*args, timeout=60):
        return run(kubectl_bin, kube_env, *args, cwd=work, timeout=timeout)

    kubectl.work = work
    return kubectl


def test_hang_makes_kubectl_hit_its_own_request_timeout(standin, k):
    standin.hang = True
    start = time.monotonic()
    got = k("get", "pods", "--request-timeout=300ms", timeout=30)
    elapsed = time.monotonic() - start
    assert got.returncode == 1
    # kubectl tries discovery 5 times, each cut off by its own timeout, then gives up
    last = got.stderr.splitlines()[-1]
    assert last.startswith("Unable to connect to the server: "), got.stderr
    assert "Client.Timeout exceeded" in last or "context deadline exceeded" in last
    assert elapsed < 10
    assert [r[:2] for r in standin.requests] == [("GET", "/api")] * 5


def test_stop_refuses_connections(standin, k):
    port = standin.port
    assert k("get", "ns").returncode == 0
    standin.stop()
    got = k("get", "ns")
    assert got.returncode == 1
    assert f"The connection to the server 127.0.0.1:{port} was refused" in got.stderr


def test_set_server_version_upgrades_version_and_node(standin, k):
    def server_version():
        got = k("version", "-o", "json")
        return json.loads(got.stdout)["serverVersion"]["gitVersion"]

    assert server_version() == "v1.24.0"
    assert "v1.24.0" in k("get", "node").stdout
    standin.set_server_version("v1.31.0")
    assert server_version() == "v1.31.0"
    node = k("get", "node").stdout.splitlines()
    assert node[1].split()[-1] == "v1.31.0"
    wide = k("get", "node", "-o", "wide").stdout
    assert "v1.24.0" not in wide


def test_version_warns_about_skew_like_a_real_server(k, kubectl_version):
    got = k("version")
    assert got.returncode == 0
    assert "Server Version: v1.24.0" in got.stdout
    client = ".".join(kubectl_version.lstrip("v").split(".")[:2])
    assert got.stderr == (
        f"Warning: version difference between client ({client}) and server (1.24) "
        "exceeds the supported minor version skew of +/-1\n"
    )


def test_ready_delay_pods_start_later_and_wait_waits(standin, k):
    standin.ready_delay = 1.5
    assert k("run", "slow", "--image=nginx:1.27").returncode == 0
    pods = k("get", "pods").stdout
    assert re.search(r"slow\s+0/1\s+ContainerCreating", pods), pods
    start = time.monotonic()
    got = k("wait", "--for=condition=Ready", "pod/slow", "--timeout=20s")
    assert got.returncode == 0, got.stderr
    assert got.stdout == "pod/slow condition met\n"
    assert re.search(r"slow\s+1/1\s+Running", k("get", "pods").stdout)
    assert time.monotonic() - start < 10


def test_rollout_status_reports_progress_then_success(standin, k):
    standin.ready_delay = 1.5
    assert k("apply", "-f", "manifests/deployment.yaml").returncode == 0
    got = k("rollout", "status", "deployment/web", "--timeout=30s")
    assert got.returncode == 0, got.stderr
    lines = got.stdout.splitlines()
    assert lines[-1] == 'deployment "web" successfully rolled out'
    assert any(line.startswith('Waiting for deployment "web" rollout to finish') for line in lines)


def test_stuck_image_never_becomes_available(standin, k):
    standin.stuck_images = {"nginx:broken"}
    assert k("create", "deployment", "broken", "--image=nginx:broken").returncode == 0
    got = k("rollout", "status", "deployment/broken", "--timeout=1s")
    assert got.returncode == 1
    assert "timed out waiting for the condition" in got.stderr
    assert re.search(r"broken-\w+-\w+\s+0/1\s+ContainerCreating", k("get", "pods").stdout)
    assert "0/1" in k("get", "deploy", "broken").stdout


def test_requests_log_shows_the_namespace_used(standin, k):
    standin.requests.clear()
    assert k("get", "pods", "-n", "kube-system").returncode == 0
    paths = [path for method, path, _query in standin.requests if method == "GET"]
    assert "/api/v1/namespaces/kube-system/pods" in paths
    assert not any("/namespaces/default/" in p for p in paths)


def test_kubeconfig_extra_contexts(standin, kubectl_bin, tmp_path):
    home = tmp_path / "h"
    kubeconfig = standin.write_kubeconfig(tmp_path / "kc", extra_contexts=("prod-eu",))
    env = env_for({}, kubeconfig, home)
    got = run(kubectl_bin, env, "config", "get-contexts", "-o", "name")
    assert sorted(got.stdout.split()) == ["minikube", "prod-eu"]
    assert run(kubectl_bin, env, "config", "current-context").stdout == "minikube\n"
    assert run(kubectl_bin, env, "--context", "prod-eu", "get", "ns").returncode == 0


def test_apply_twice_then_change(standin, k):
    standin.ready_delay = 0
    assert k("apply", "-f", "manifests/deployment.yaml").stdout == "deployment.apps/web created\n"
    assert k("apply", "-f", "manifests/deployment.yaml").stdout == (
        "deployment.apps/web unchanged\n"
    )
    manifest = k.work / "manifests" / "deployment.yaml"
    manifest.write_text(manifest.read_text().replace("nginx:1.26", "nginx:1.27"))
    assert k("apply", "-f", "manifests/deployment.yaml").stdout == (
        "deployment.apps/web configured\n"
    )
    assert (
        k("get", "deploy", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image}").stdout
        == "nginx:1.27"
    )
    assert k("rollout", "status", "deployment/web", "--timeout=30s").returncode == 0
    history = k("rollout", "history", "deployment/web").stdout
    assert history.split("\n")[2:4] == ["1         <none>", "2         <none>"]
    rs = k("get", "rs").stdout.splitlines()
    assert len(rs) == 3 and re.search(r"web-\w+\s+0\s+0\s+0", "\n".join(rs))


def test_server_side_apply(k):
    got = k("apply", "--server-side", "-f", "manifests/pod.yaml")
    assert got.stdout == "pod/nginx serverside-applied\n", got.stderr
    assert k("apply", "--server-side", "-f", "manifests/pod.yaml").returncode == 0


def test_kubectl_create_kinds_sent_as_protobuf(standin, k):
    standin.ready_delay = 0
    for args, out in [
        (("create", "namespace", "team-a"), "namespace/team-a created\n"),
        (
            ("create", "deployment", "hello", "--image=nginx:1.27", "--replicas=2"),
            "deployment.apps/hello created\n",
        ),
        (("create", "secret", "generic", "s1", "--from-literal=a=b"), "secret/s1 created\n"),
        (("create", "configmap", "c1", "--from-literal=a=b"), "configmap/c1 created\n"),
        (("create", "service", "clusterip", "svc1", "--tcp=80:8080"), "service/svc1 created\n"),
        (("create", "serviceaccount", "robot"), "serviceaccount/robot created\n"),
        (("create", "job", "once", "--image=busybox"), "job.batch/once created\n"),
        (
            ("create", "cronjob", "often", "--image=busybox", "--schedule=*/5 * * * *"),
            "cronjob.batch/often created\n",
        ),
    ]:
        got = k(*args)
        assert (got.returncode, got.stdout) == (0, out), got.stderr
    assert re.search(r"hello\s+2/2\s+2\s+2", k("get", "deploy").stdout)
    assert k("get", "secret", "s1", "-o", "jsonpath={.data.a}").stdout == "Yg=="
    svc = k("get", "svc", "svc1", "-o", "json")
    assert json.loads(svc.stdout)["spec"]["ports"][0]["targetPort"] == 8080
    assert "robot" in k("get", "sa").stdout


def test_scale_expose_and_endpoints(standin, k):
    standin.ready_delay = 0
    assert k("create", "deployment", "web", "--image=nginx:1.27").returncode == 0
    assert k("scale", "deployment", "web", "--replicas=3").stdout == (
        "deployment.apps/web scaled\n"
    )
    assert len(re.findall(r"web-\w+-\w+\s+1/1\s+Running", k("get", "pods").stdout)) == 3
    assert k("expose", "deployment", "web", "--port=80").stdout == "service/web exposed\n"
    ep = k("get", "endpoints", "web").stdout.splitlines()
    assert ep[0].split() == ["NAME", "ENDPOINTS", "AGE"]
    assert len(ep[1].split()[1].split(",")) == 3
    desc = k("describe", "svc", "web").stdout
    assert re.search(r"Endpoints:\s+10\.244\.\d+\.\d+:80,", desc)


def test_delete_cascades_to_replicasets_and_pods(standin, k):
    standin.ready_delay = 0
    assert k("create", "deployment", "web", "--image=nginx:1.27").returncode == 0
    assert "web-" in k("get", "pods").stdout
    got = k("delete", "deployment", "web")
    assert got.stdout == 'deployment.apps "web" deleted from default namespace\n'
    assert k("get", "rs").stderr == "No resources found in default namespace.\n"
    assert k("get", "pods").stderr == "No resources found in default namespace.\n"


def test_namespace_terminates_then_disappears(standin, k):
    standin.namespace_delete_delay = 2.0
    assert k("create", "namespace", "tmp").returncode == 0
    assert k("run", "p", "--image=nginx:1.27", "-n", "tmp").returncode == 0
    assert k("delete", "namespace", "tmp", "--wait=false").returncode == 0
    assert re.search(r"tmp\s+Terminating", k("get", "ns", "tmp").stdout)
    got = k("run", "q", "--image=nginx:1.27", "-n", "tmp")
    assert "because it is being terminated" in got.stderr
    deadline = time.monotonic() + 15
    while (got := k("get", "ns", "tmp")).returncode == 0:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert got.stderr == 'Error from server (NotFound): namespaces "tmp" not found\n'
    assert k("get", "pods", "-A").stdout.count("tmp") == 0


def test_delete_namespace_waits_until_gone(standin, k):
    standin.namespace_delete_delay = 0.5
    assert k("create", "namespace", "tmp").returncode == 0
    start = time.monotonic()
    got = k("delete", "namespace", "tmp")
    assert got.stdout == 'namespace "tmp" deleted\n'
    assert time.monotonic() - start >= 0.5


def test_error_statuses(k):
    got = k("create", "namespace", "default")
    assert got.stderr == 'Error from server (AlreadyExists): namespaces "default" already exists\n'
    bad = k.work / "bad.yaml"
    bad.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n"
        "  selector:\n    matchLabels:\n      app: a\n  template:\n    metadata:\n"
        "      labels:\n        app: b\n    spec:\n      containers:\n"
        "      - name: c\n        image: nginx\n"
    )
    got = k("apply", "-f", "bad.yaml")
    assert got.returncode == 1
    assert got.stderr == (
        'The Deployment "bad" is invalid: spec.template.metadata.labels: Invalid value: '
        'map[string]string{"app":"b"}: `selector` does not match template `labels`\n'
    )
    cs = k.work / "cs.yaml"
    cs.write_text("apiVersion: v1\nkind: ComponentStatus\nmetadata:\n  name: x\n")
    got = k("create", "-f", "cs.yaml", "--validate=false")
    assert "(MethodNotAllowed)" in got.stderr, got.stderr


def test_watch_streams_changes(standin, kubectl_bin, kube_env):
    import threading

    proc = subprocess.Popen(
        [str(kubectl_bin), "get", "ns", "-w"],
        env=kube_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 15
        while not any("watch=true" in q for _m, _p, q in standin.requests):
            assert time.monotonic() < deadline, standin.requests
            time.sleep(0.05)
        subprocess.run(
            [str(kubectl_bin), "create", "namespace", "watched"],
            env=kube_env,
            check=True,
            capture_output=True,
        )
        while not any(line.startswith("watched ") for line in lines):
            assert time.monotonic() < deadline, lines
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert lines[0].split() == ["NAME", "STATUS", "AGE"]
    assert [line.split()[:2] for line in lines if line.startswith("watched ")] == [
        ["watched", "Active"]
    ]


def test_tables_for_other_kinds(standin, k):
    standin.ready_delay = 0
    assert k("create", "deployment", "web", "--image=nginx:1.27").returncode == 0
    assert k("expose", "deployment", "web", "--port=80").returncode == 0
    headers = {
        "secrets": ["NAME", "TYPE", "DATA", "AGE"],
        "configmaps": ["NAME", "DATA", "AGE"],
        "endpoints": ["NAME", "ENDPOINTS", "AGE"],
        "serviceaccounts": ["NAME", "SECRETS", "AGE"],
        "events": ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"],
        "leases": ["NAME", "HOLDER", "AGE"],
    }
    k("create", "secret", "generic", "s", "--from-literal=a=b")
    for kind, header in headers.items():
        ns = ["-n", "kube-node-lease"] if kind == "leases" else []
        got = k("get", kind, *ns)
        assert got.stdout.splitlines()[0].split() == header, (kind, got.stdout, got.stderr)
    events = k("get", "events").stdout
    assert "Scaled up replica set web-" in events
    assert "Successfully assigned default/web-" in events
    assert re.search(r"kube-root-ca\.crt\s+1\s+", k("get", "cm").stdout)


def test_describe_pod_events_and_logs(standin, k):
    standin.ready_delay = 0
    assert k("run", "p", "--image=nginx:1.27").returncode == 0
    desc = k("describe", "pod", "p").stdout
    assert "Successfully assigned default/p to minikube" in desc
    assert k("logs", "p").returncode == 0


def test_job_runs_to_completion(standin, k):
    standin.ready_delay = 0
    standin.cluster.job_duration = 0.2
    assert k("create", "job", "once", "--image=busybox:1.36").returncode == 0
    got = k("wait", "--for=condition=complete", "job/once", "--timeout=10s")
    assert got.stdout == "job.batch/once condition met\n", got.stderr
    assert re.search(r"once\s+1/1\s+", k("get", "jobs").stdout)
    assert re.search(r"once-\w+\s+0/1\s+Completed", k("get", "pods").stdout)


def test_statefulset_and_daemonset_roll_out(standin, k):
    standin.ready_delay = 0.1
    (k.work / "sts.yaml").write_text(
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n"
        "  serviceName: db\n  replicas: 2\n  selector:\n    matchLabels: {app: db}\n"
        "  template:\n    metadata:\n      labels: {app: db}\n    spec:\n      containers:\n"
        "      - name: db\n        image: postgres:16\n---\n"
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n"
        "  selector:\n    matchLabels: {app: agent}\n  template:\n    metadata:\n"
        "      labels: {app: agent}\n    spec:\n      containers:\n"
        "      - name: agent\n        image: busybox:1.36\n"
    )
    assert k("apply", "-f", "sts.yaml").returncode == 0
    got = k("rollout", "status", "sts/db", "--timeout=10s")
    assert got.returncode == 0, got.stderr
    assert re.match(
        r"statefulset rolling update complete 2 pods at revision db-\w+\.\.\.",
        got.stdout.splitlines()[-1],
    )
    got = k("rollout", "status", "ds/agent", "--timeout=10s")
    assert got.stdout.splitlines()[-1] == 'daemon set "agent" successfully rolled out'
    pods = k("get", "pods").stdout
    assert re.search(r"db-0\s+1/1\s+Running", pods) and re.search(r"db-1\s+1/1", pods)
    assert k("scale", "sts", "db", "--replicas=1").returncode == 0
    assert "db-1" not in k("get", "pods").stdout


def test_auth_can_i_and_endpoint_slices(k):
    assert k("auth", "can-i", "create", "pods").stdout == "yes\n"
    slices = k("get", "endpointslices").stdout.splitlines()
    assert slices[1].split()[:4] == ["kubernetes", "IPv4", "8443", "192.168.49.2"]
