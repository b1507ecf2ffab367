"""Adversarial corpus, the kubectl process and the cluster's side: hostile pages against
the sealed kubectl process, the sandboxes and redaction by value (issue 18, items 2, 3
and 5). Real `mkdocs build`, real kubectl, the API stand-in.

Every case asserts the property (the plugin never ran, the marker is in no file under
the captures or the site, the bearer token never reached a second listener, the victim
namespace still exists, no piece of the Secret is published), not a message. A case
holds whichever layer stops the attack (the allowlist may refuse the command before it
runs; then nothing ran, and the property holds all the same).
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from kubecapture.base import config
from kubecapture.run import cluster as kube
from sites import build, make_site
from standin import StandIn

TOKEN = "adversary-bearer-" + secrets.token_hex(16)  # the build's credential


def page(*commands: str, front: str | None = None) -> str:
    head = f"---\n{front}\n---\n\n" if front else ""
    body = "".join(f'```kubectl id="s{i}"\n{c}\n```\n\n' for i, c in enumerate(commands))
    return f"{head}# Page\n\n{body}"


def published(site: Path) -> dict[Path, bytes]:
    """Every file a build wrote for readers and the repository: captures and site."""
    root = site.parent
    files = {}
    for top in (root / "captures", root / "site"):
        for path in top.rglob("*") if top.is_dir() else ():
            if path.is_file():
                files[path] = path.read_bytes()
    return files


def forms(value: str) -> list[bytes]:
    """The value as it may appear in a file: itself, and inside base64 text at any of the
    three byte offsets (what `--from-file` of a binary file turns into). Fragments shorter
    than 6 characters are left out: they would be found by chance (in a font, in a bundle)."""
    raw = value.encode()
    found = [raw]
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + raw)
        # drop the characters that mix the padding or the next byte in
        start = (pad * 8 + 5) // 6
        found.append(encoded[start : len(encoded) - 4])
    return [f for f in found if len(f) >= 6]


def leaked(site: Path, value: str) -> list[str]:
    """The published files holding `value` in any of its forms."""
    return [
        str(path) for path, data in published(site).items() if any(f in data for f in forms(value))
    ]


def tokened_kubeconfig(path: Path, server: str, extra: dict[str, str] | None = None) -> Path:
    """A kubeconfig whose user authenticates with TOKEN; `extra` adds contexts (name ->
    token) of other clusters, as an author's ~/.kube/config has."""
    extra = extra or {}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "minikube", "cluster": {"server": server}}]
        + [{"name": n, "cluster": {"server": f"https://{n}.example:6443"}} for n in extra],
        "users": [{"name": "minikube", "user": {"token": TOKEN}}]
        + [{"name": n, "user": {"token": t}} for n, t in extra.items()],
        "contexts": [{"name": "minikube", "context": {"cluster": "minikube", "user": "minikube"}}]
        + [{"name": n, "context": {"cluster": n, "user": n}} for n in extra],
        "current-context": "minikube",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path


def recording_kubectl(tmp_path: Path, kubectl_bin: Path) -> tuple[Path, Path]:
    """A kubectl that writes down, for every process, its environment and the kubeconfig
    it was given, then runs the real one (the review's logging wrapper). Python with an
    absolute path: it needs nothing from PATH."""
    log = tmp_path / "kubectl-seen.jsonl"
    wrapper = tmp_path / "wrapper" / "kubectl"
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    # The environment as the process got it (/proc: Python adds LC_CTYPE to its own).
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "raw = open('/proc/self/environ', 'rb').read().split(b'\\0')\n"
        "env = dict(v.decode().split('=', 1) for v in raw if v)\n"
        "try:\n    config = open(env.get('KUBECONFIG', '')).read()\n"
        "except OSError:\n    config = None\n"
        f"with open({str(log)!r}, 'a') as f:\n"
        "    f.write(json.dumps({'argv': sys.argv[1:], 'env': env, 'kubeconfig': config}))\n"
        "    f.write('\\n')\n"
        f"os.execve({str(kubectl_bin)!r}, [{str(kubectl_bin)!r}, *sys.argv[1:]], env)\n"
    )
    wrapper.chmod(0o755)
    return wrapper, log


def namespace(standin, name: str) -> dict | None:
    with standin.cluster.lock:
        return standin.cluster.get_obj(("", "namespaces"), "", name)


def seen(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


# --- plugins never run -------------------------------------------------------------------


@pytest.fixture
def plugins_on_path(tmp_path, kube_env) -> tuple[dict[str, str], Path]:
    """kubectl plugins on the author's PATH (`kubectl-create-foo`: kubectl resolves plugins
    for `create` subcommands) that leave a file behind when they run."""
    bin_dir = tmp_path / "plugins"
    bin_dir.mkdir()
    ran = tmp_path / "plugin-ran"
    for name in ("kubectl-create-foo", "kubectl-foo", "kubectl-get-foo"):
        plugin = bin_dir / name
        plugin.write_text(f'#!/bin/sh\necho "$0" >> "{ran}"\nenv >> "{ran}"\n')
        plugin.chmod(0o755)
    env = dict(kube_env, PATH=os.pathsep.join([str(bin_dir), kube_env["PATH"]]))
    return env, ran


def test_a_kubectl_plugin_on_the_authors_path_never_runs(tmp_path, standin, plugins_on_path):
    env, ran = plugins_on_path
    site = make_site(
        tmp_path / "site",
        {"index.md": page("kubectl create foo", "kubectl foo"), "b.md": page("kubectl get pod")},
    )
    build(site, env, mode="refresh")
    assert not ran.exists()


def test_the_sealed_environment_finds_no_plugin_where_the_authors_does(
    tmp_path, standin, plugins_on_path, kubectl_bin, monkeypatch
):
    """The same kubectl, the same command: the author's environment runs the plugin (the
    threat is real), the sealed one does not."""
    env, ran = plugins_on_path
    argv = [str(kubectl_bin), "create", "foo"]
    subprocess.run(argv, env=env, capture_output=True, timeout=30)
    assert ran.exists()  # control: kubectl does resolve it from the author's PATH
    ran.unlink()
    monkeypatch.setenv("PATH", env["PATH"])
    sealed = kube.kubectl_env(tmp_path / "work", Path(env["KUBECONFIG"]))
    proc = subprocess.run(argv, env=sealed, capture_output=True, timeout=30)
    assert not ran.exists() and proc.returncode != 0


# --- nothing of the build's environment reaches kubectl -----------------------------------


def test_the_build_environment_is_in_no_capture_and_no_page(
    tmp_path, standin, kube_env, kubectl_bin, monkeypatch
):
    """Two layers: the guard refuses reading /proc (the build writes nothing of it), and
    the sealed process would not hand kubectl the build's variables even if a read got
    through (the same command, run directly: the author's environment leaks, the sealed
    one does not)."""
    marker = "adversary-env-" + secrets.token_hex(12)
    env = dict(kube_env, KUBECAPTURE_ADVERSARY_MARKER=marker, GITHUB_TOKEN=marker + "-gh")
    dump = "--dry-run=client -o yaml"
    site = make_site(
        tmp_path / "site",
        {
            "index.md": page(
                f"kubectl create configmap env --from-file=/proc/self/environ {dump}",
                f"kubectl create configmap env2 --from-env-file=/proc/self/environ {dump}",
                "kubectl config view --raw",
            ),
        },
    )
    build(site, env, mode="refresh")
    assert leaked(site, marker) == []

    argv = [str(kubectl_bin), "create", "configmap", "env", "--from-file=/proc/self/environ"]
    argv += dump.split()
    author = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
    assert marker in base64_or_plain(author.stdout)  # control: the threat is real
    monkeypatch.setenv("PATH", env["PATH"])
    sealed = kube.kubectl_env(tmp_path / "work", Path(env["KUBECONFIG"]))
    proc = subprocess.run(argv, env=sealed, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert marker not in base64_or_plain(proc.stdout)


def base64_or_plain(text: str) -> str:
    """`text` and the decoded form of every base64 value in it (configmap binaryData)."""
    decoded = []
    for word in re.findall(r"[A-Za-z0-9+/=]{16,}", text):
        try:
            decoded.append(base64.b64decode(word + "==").decode("utf-8", "replace"))
        except ValueError:
            continue
    return "\n".join([text, *decoded])


def test_kubectl_gets_only_the_sealed_environment_and_one_context(
    tmp_path, standin, kube_env, kubectl_bin
):
    """What every kubectl process of a build really got (a logging wrapper): the pinned
    kubeconfig with exactly one context and its credentials, a private HOME, a PATH with
    no plugin directory, and none of the build's variables."""
    other = "prod-token-" + secrets.token_hex(12)
    kubeconfig = tokened_kubeconfig(
        tmp_path / "home" / ".kube" / "config", standin.url, {"prod-eu": other}
    )
    wrapper, log = recording_kubectl(tmp_path, kubectl_bin)
    marker = "adversary-env-" + secrets.token_hex(12)
    env = dict(kube_env, KUBECONFIG=str(kubeconfig), KUBECAPTURE_ADVERSARY_MARKER=marker)
    env["HTTPS_PROXY"] = env["HTTP_PROXY"] = "http://127.0.0.1:9"
    site = make_site(
        tmp_path / "site",
        {
            "index.md": page(
                "kubectl config get-contexts -o name",
                "kubectl config view -o jsonpath={.users[*].name}",
                "kubectl get pod",
            )
        },
        kubectl=str(wrapper),
    )
    built = build(site, env, mode="refresh")
    runs = seen(log)
    # the snippets' processes (not the version probe, not the pinning `config view`)
    snippets = [r for r in runs if r["argv"][0] == "config" and "--minify" not in r["argv"]]
    snippets += [r for r in runs if r["argv"][0] == "get"]
    assert len(snippets) == 3, built.log
    for run in runs:
        child = run["env"]
        assert marker not in json.dumps(child)
        assert not {k for k in child if k.upper().endswith("_PROXY")}
        home = Path(child["HOME"])
        assert home != Path(env["HOME"]) and home.parent == Path(child["PATH"]).parent
        assert str(tmp_path) not in child["PATH"]  # neither the wrapper's nor the plugins'
        assert set(child) <= {
            *kube.PASSED_THROUGH,
            "HOME",
            "KUBECACHEDIR",
            "PATH",
            "KUBERC",
            "KUBECONFIG",
        }
    for run in snippets:
        config = yaml.safe_load(run["kubeconfig"])
        assert [c["name"] for c in config["contexts"]] == ["minikube"]
        assert len(config["users"]) == 1 and len(config["clusters"]) == 1
        assert other not in run["kubeconfig"]
    assert leaked(site, other) == [] and leaked(site, TOKEN) == []


@pytest.fixture
def tls_standin():
    """The stand-in over HTTPS: kubectl sends credentials only over TLS."""
    server = StandIn(tls=True).start()
    try:
        yield server
    finally:
        server.stop()


def test_an_exec_credential_plugin_still_runs_in_the_sealed_process(
    tmp_path, tls_standin, kube_env
):
    """What kubectl needs still works: a user whose credentials come from an exec plugin
    found on the author's PATH (kubectl's own PATH is private: the pinned kubeconfig
    names the plugin by its absolute path)."""
    bin_dir = tmp_path / "auth-bin"
    bin_dir.mkdir()
    ran = tmp_path / "auth-ran"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": TOKEN},
    }
    plugin = bin_dir / "kc-test-auth"
    plugin.write_text(f"#!/bin/sh\necho \"$KUBERC\" >> '{ran}'\necho '{json.dumps(credential)}'\n")
    plugin.chmod(0o755)
    kubeconfig = tls_standin.write_kubeconfig(tmp_path / "home" / ".kube" / "config")
    config = yaml.safe_load(kubeconfig.read_text())
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "kc-test-auth",
            "interactiveMode": "Never",
        }
    }
    kubeconfig.write_text(yaml.safe_dump(config))
    env = dict(kube_env, KUBECONFIG=str(kubeconfig))
    env["PATH"] = os.pathsep.join([str(bin_dir), env["PATH"]])
    site = make_site(tmp_path / "site", {"index.md": page("kubectl get pod -A -o name")})
    built = build(site, env, "--strict", mode="refresh")
    assert built.returncode == 0, built.log
    cap = yaml.safe_load((site.parent / "captures" / "index.yaml").read_text())
    assert "pod/kube-proxy-" in json.dumps(cap)
    assert "off" in ran.read_text().split()  # run by a sealed kubectl (KUBERC=off)


# --- credentials never leave through a proxy from the environment -------------------------


def _outward_address() -> str | None:
    """A non-loopback IPv4 address of this machine: Go never proxies loopback hosts, so a
    proxy from the environment can only matter for one of these."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


class Listener:
    """A second listener on 127.0.0.1 that records every byte anyone sends it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.received = bytearray()
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.settimeout(2)
            try:
                while chunk := conn.recv(65536):
                    self.received += chunk
                    if b"\r\n\r\n" in chunk:
                        conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass
            finally:
                conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def outward_standin():
    address = _outward_address()
    if address is None:
        pytest.skip("no non-loopback IPv4 address: a proxy from the environment never applies")
    server = StandIn(host=address).start()
    try:
        yield server
    finally:
        server.stop()


def test_proxy_variables_never_carry_the_bearer_token(
    tmp_path, outward_standin, kube_env, kubectl_bin
):
    proxy = Listener()
    try:
        kubeconfig = tokened_kubeconfig(tmp_path / "home" / ".kube" / "config", outward_standin.url)
        env = dict(kube_env, KUBECONFIG=str(kubeconfig))
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
            env[name] = proxy.url
        env.pop("NO_PROXY", None)
        env.pop("no_proxy", None)
        # control: the author's own kubectl, in this environment, does go through it (over
        # http it leaves the token out, the `kubernetes` client does not)
        subprocess.run([str(kubectl_bin), "get", "ns"], env=env, capture_output=True, timeout=30)
        assert proxy.connections > 0 and b"/api" in proxy.received
        proxy.received.clear()
        proxy.connections = 0

        site = make_site(
            tmp_path / "site",
            {"index.md": page("kubectl get pod", "kubectl get namespace -o name")},
        )
        built = build(site, env, "--strict", mode="refresh")
        assert built.returncode == 0, built.log
        assert any(p.startswith("/api/v1/namespaces") for _, p, _ in outward_standin.requests)
        assert proxy.connections == 0 and TOKEN.encode() not in proxy.received
    finally:
        proxy.close()


# --- sandboxes that cannot be hijacked ----------------------------------------------------


def test_a_namespace_labelled_as_kubecapture_s_is_not_deleted_by_a_later_sandbox(
    tmp_path, standin, kube_env, kubectl_bin
):
    """A page puts kubecapture's own label on someone's namespace; a later page names its
    sandbox after it. The namespace and its data stay."""

    def kubectl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(kubectl_bin), *args], env=kube_env, capture_output=True, text=True, timeout=30
        )

    assert kubectl("create", "namespace", "team-data").returncode == 0
    assert kubectl("-n", "team-data", "create", "configmap", "precious").returncode == 0
    uid = namespace(standin, "team-data")["metadata"]["uid"]
    label = "app.kubernetes.io/managed-by=kubecapture"
    pages = {
        "a.md": page(f"kubectl label namespace team-data {label} --overwrite"),
        "b.md": page("kubectl get configmap", front="kubecapture: {sandbox: team-data}"),
    }
    site = make_site(tmp_path / "site", pages, settle_timeout=3)
    build(site, kube_env, mode="refresh")
    kubectl("label", "namespace", "team-data", label, "--overwrite")  # whatever a.md did
    build(site, kube_env, mode="refresh")

    ns = namespace(standin, "team-data")
    with standin.cluster.lock:
        kept = standin.cluster.get_obj(("", "configmaps"), "team-data", "precious")
    assert ns is not None and ns["metadata"]["uid"] == uid
    assert not ns["metadata"].get("deletionTimestamp")
    assert kept is not None
    assert not [r for r in standin.requests if r[:2] == ("DELETE", "/api/v1/namespaces/team-data")]


def test_a_sandbox_replaced_by_another_namespace_of_its_name_is_not_deleted(
    tmp_path, standin, kube_env, kubectl_bin, monkeypatch
):
    """The sandbox is deleted by the UID its creation answered: a namespace made under the
    same name meanwhile (the page deleted its sandbox and someone made another) is another
    object, and stays with its data."""
    from kubecapture.run import owned, sandbox

    monkeypatch.setenv("KUBECONFIG", kube_env["KUBECONFIG"])
    monkeypatch.setenv("HOME", kube_env["HOME"])
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    cluster = kube.connect(
        context=None,
        allow_contexts=config.default("allow_contexts"),
        kubectl=str(kubectl_bin),
        workdir=tmp_path / "work",
        connect_timeout=config.default("connect_timeout"),
    )
    try:
        uid = sandbox.create_namespace(cluster, "kc-swap")
        assert owned.is_ours(uid)

        def kubectl(*args: str) -> None:
            subprocess.run([str(kubectl_bin), *args], env=kube_env, check=True, capture_output=True)

        kubectl("delete", "namespace", "kc-swap", "--wait=true")
        kubectl("create", "namespace", "kc-swap")
        kubectl("-n", "kc-swap", "create", "configmap", "precious")
        sandbox.delete_namespace(cluster, "kc-swap", uid)
    finally:
        kube.close_clients()
    ns = namespace(standin, "kc-swap")
    with standin.cluster.lock:
        kept = standin.cluster.get_obj(("", "configmaps"), "kc-swap", "precious")
    assert ns is not None and ns["metadata"]["uid"] != uid
    assert not ns["metadata"].get("deletionTimestamp") and kept is not None
    assert not owned.is_ours(uid)  # that sandbox is gone: nothing left to remember


def test_a_delete_whose_uid_precondition_fails_deletes_nothing(
    tmp_path, target, kubectl_bin, monkeypatch
):
    """What the sandbox's deletion relies on, on the stand-in and on a real API server: a
    namespace delete with another object's UID as precondition is refused (409)."""
    from kubecapture.run import sandbox
    from kubernetes import client

    monkeypatch.setenv("KUBECONFIG", target.env["KUBECONFIG"])
    monkeypatch.setenv("HOME", target.env["HOME"] if "HOME" in target.env else str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    cluster = kube.connect(
        context=target.context,
        allow_contexts=[target.context],
        kubectl=str(kubectl_bin),
        workdir=tmp_path / "work",
        connect_timeout=config.default("connect_timeout"),
    )
    core = client.CoreV1Api(kube.api_for(cluster))
    name = "kc-precondition-" + secrets.token_hex(3)
    try:
        uid = sandbox.create_namespace(cluster, name)
        wrong = client.V1DeleteOptions(preconditions=client.V1Preconditions(uid=uid[::-1]))
        with pytest.raises(client.ApiException) as refused:
            core.delete_namespace(name, body=wrong)
        assert refused.value.status == 409
        assert not core.read_namespace(name).metadata.deletion_timestamp
        sandbox.delete_namespace(cluster, name, uid)
        assert core.read_namespace(name).metadata.deletion_timestamp
    finally:
        kube.close_clients()


# --- redaction by value: pieces of a Secret ----------------------------------------------


def test_a_secret_printed_in_pieces_by_a_go_template_is_not_published(
    tmp_path, standin, kube_env, kubectl_bin
):
    """A Secret the page did not make (its value is not in the page), read by a Go template
    that decodes it and prints it in slices, with separators and out of order."""
    # 24 characters of 64 kinds: a 6-character piece of hex (16 kinds) was found by chance
    # in the theme's files about once in a few runs
    value = secrets.token_urlsafe(18)
    made = subprocess.run(
        [str(kubectl_bin), "create", "secret", "generic", "db", f"--from-literal=pw={value}"],
        env=kube_env,
        capture_output=True,
        timeout=30,
    )
    assert made.returncode == 0, made.stderr
    decoded = '{{$v := index .data "pw" | base64decode}}'
    templates = [
        decoded + "{{slice $v 0 8}} {{slice $v 8 16}} {{slice $v 16}}",
        decoded + "{{slice $v 18}}|{{slice $v 12 18}}|{{slice $v 6 12}}|{{slice $v 0 6}}",
        '{{$b := index .data "pw"}}{{slice $b 0 10}}-{{slice $b 10 20}}-{{slice $b 20}}',
        decoded + '{{printf "%.7s" $v}}...',
    ]
    # control: these templates do print the value in pieces, as kubectl runs them
    direct = subprocess.run(
        [str(kubectl_bin), "get", "secret", "db", "-o", f"go-template={templates[0]}"],
        env=kube_env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert direct.stdout.replace(" ", "") == value
    commands = [f"kubectl get secret db -o go-template='{t}'" for t in templates]
    site = make_site(tmp_path / "site", {"index.md": page(*commands)})
    build(site, kube_env, mode="refresh")
    assert published(site)
    encoded = base64.b64encode(value.encode()).decode()
    for text in (value, encoded):
        pieces = {text[i : i + 6] for i in range(len(text) - 5)}
        found = [p for p in pieces if leaked(site, p)]
        assert found == [], found


def test_the_private_home_is_shown_as_tilde_and_two_runs_agree(tmp_path, standin, kube_env):
    """kubectl's HOME is a new private folder on every run; `kubectl options` prints it
    (--cache-dir). The capture shows it as `~`, so two runs give the same output and no
    build's temporary path is published."""
    site = make_site(tmp_path / "site", {"index.md": page("kubectl options")})
    outputs = []
    for _ in range(2):
        built = build(site, kube_env, mode="refresh")
        assert built.returncode == 0, built.log
        capture = yaml.safe_load((site.parent / "captures" / "index.yaml").read_text())
        outputs.append(json.dumps(capture["snippets"][0]["results"]))
    assert "--cache-dir='~/.kube/cache'" in outputs[0]
    assert "kubecapture-" not in outputs[0]
    assert outputs[0] == outputs[1]


def test_a_secret_key_that_is_a_piece_of_its_value_stays_readable(tmp_path, standin, kube_env):
    """The notes' Secret has key `password` and value `fake-password-for-notes`: pieces of
    what the page applies from its own files are no secret, so `describe` still names the
    key; the value itself stays masked."""
    site = make_site(tmp_path / "site", {"index.md": page(
        "kubectl apply -f snippets/secret.yaml",
        "kubectl describe secret db-credentials",
        "kubectl get secret db-credentials -o yaml",
    )})  # fmt: skip
    (site.parent / "snippets").mkdir(exist_ok=True)
    (site.parent / "snippets" / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: db-credentials}\n"
        "stringData: {password: fake-password-for-notes}\n"
    )
    built = build(site, kube_env, mode="refresh")
    assert built.returncode == 0, built.log
    capture = yaml.safe_load((site.parent / "captures" / "index.yaml").read_text())
    describe, value = (s["results"][0]["stdout"] for s in capture["snippets"][1:])
    assert re.search(r"^password:\s+23 bytes", describe, re.M), describe
    assert "password: ********" in value and not leaked(site, "fake-password-for-notes")
