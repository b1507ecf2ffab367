"""The cluster side: which kubectl, which context, is it reachable, which versions.

Uses the `kubernetes` client for everything it asks the API server directly and
kubectl only for `kubectl version --client` and `kubectl config view`, so the
pinned kubeconfig is exactly what kubectl itself would use. Knows nothing of Markdown.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ALLOWED_CONTEXTS = (
    "minikube",
    "kind-*",
    "docker-desktop",
    "k3d-*",
    "rancher-desktop",
    "orbstack",
    "colima",
)


class ClusterUnavailable(Exception):
    """Live runs are not possible; the message is one sentence saying why and what to do."""


@dataclass(frozen=True)
class Cluster:
    context: str
    server_version: str
    kubectl: str  # path of the kubectl binary
    kubectl_version: str
    kubeconfig: Path  # minified, flattened, pinned to `context`; private to this build
    namespace: str  # the context's namespace
    nodes: str = ""  # the nodes' kubelet versions ("v1.25.0", or "a, b"); "" if unknown


def find_kubectl(configured: str | None = None) -> str | None:
    """The configured kubectl, else the one installed beside this Python (the `kubectl`
    extra), else the one on PATH."""
    if configured:
        return shutil.which(configured) or (configured if Path(configured).is_file() else None)
    beside = Path(sys.executable).parent / "kubectl"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("kubectl")


def current_context(kubeconfig_env: str | None = None) -> str | None:
    from kubernetes import config as kconfig

    try:
        _contexts, active = kconfig.list_kube_config_contexts(config_file=kubeconfig_env)
    except (kconfig.ConfigException, OSError, TypeError):
        return None
    return active["name"] if active else None


def context_allowed(context: str, patterns) -> bool:
    return any(fnmatch.fnmatchcase(context, p) for p in patterns)


def connect(
    *,
    context: str | None,
    allow_contexts,
    kubectl: str | None,
    workdir: Path,
    connect_timeout: float = 3.0,
) -> Cluster:
    """Resolve and check everything a live run needs, once per build.

    Raises ClusterUnavailable with a one-sentence reason when live runs are not possible.
    """
    kubectl_path = find_kubectl(kubectl)
    if not kubectl_path:
        raise ClusterUnavailable(
            "kubectl was not found; install it (pip install 'mkdocs-kubecapture[kubectl]') "
            "or set the plugin's `kubectl` option"
        )
    ctx = context or current_context()
    if not ctx:
        raise ClusterUnavailable(
            "no kube context is set (no kubeconfig, or it has no current-context); "
            "start a local cluster or set the plugin's `context` option"
        )
    if not context_allowed(ctx, allow_contexts):
        raise ClusterUnavailable(
            f'refusing to run snippets against kube context "{ctx}": it is not in '
            f"allow_contexts ({', '.join(allow_contexts)}); add it to the kubecapture "
            "plugin's allow_contexts in mkdocs.yml to allow it"
        )
    data, namespace = _remembered(
        ("kubeconfig", kubectl_path, ctx, *_kubeconfig_stamps()),
        lambda: _pinned_kubeconfig(kubectl_path, ctx),
    )
    kubeconfig = write_kubeconfig(data, workdir, "kubeconfig")
    server_version, nodes = _server_versions(kubeconfig, ctx, connect_timeout)
    return Cluster(
        context=ctx,
        server_version=server_version,
        kubectl=kubectl_path,
        kubectl_version=_remembered(
            ("kubectl", kubectl_path, *_stamps([kubectl_path])),
            lambda: _kubectl_version(kubectl_path),
        ),
        kubeconfig=kubeconfig,
        namespace=namespace,
        nodes=nodes,
    )


# What two kubectl processes tell about the client side, remembered while their inputs
# (the kubectl binary, the kubeconfig files) are unchanged: `mkdocs serve` connects on
# every rebuild, and these were two of the kubectl processes each edit started.
_memo: dict[tuple, object] = {}


def _remembered(key: tuple, compute):
    if key not in _memo:
        _memo[key] = compute()
    return _memo[key]


def _kubeconfig_stamps() -> tuple:
    paths = os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    return (paths, *_stamps(p for p in paths.split(os.pathsep) if p))


def _stamps(paths) -> tuple:
    out = []
    for path in paths:
        try:
            st = os.stat(path)
            out.append((path, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((path, None, None))
    return tuple(out)


def _pinned_kubeconfig(kubectl: str, context: str) -> tuple[dict, str]:
    """A kubeconfig holding only `context` (credentials embedded), as its current context,
    and the context's namespace.

    Commands then run against that context without `--context` in the displayed command,
    and a command cannot reach another context by accident.
    """
    proc = subprocess.run(
        [
            kubectl,
            "config",
            "view",
            "--minify",
            "--flatten",
            "--raw",
            "-o",
            "json",
            f"--context={context}",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ClusterUnavailable(f'kube context "{context}" cannot be used: {reason}')
    data = json.loads(proc.stdout)
    data["current-context"] = context
    ctx_entry = data["contexts"][0]["context"]
    namespace = ctx_entry.get("namespace") or "default"
    return data, namespace


def write_kubeconfig(data: dict, workdir: Path, name: str) -> Path:
    """Private (0600) kubeconfig file in this build's work dir."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)
    return path


def with_namespace(kubeconfig: Path, namespace: str, workdir: Path, name: str) -> Path:
    """A copy of a pinned kubeconfig whose context namespace is `namespace`."""
    data = json.loads(kubeconfig.read_text())
    data["contexts"][0]["context"]["namespace"] = namespace
    return write_kubeconfig(data, workdir, name)


def api_client(kubeconfig: Path):
    """A `kubernetes` client for the pinned kubeconfig; no retries, so an unreachable
    cluster is known after one connect timeout, not several."""
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    configuration.retries = False
    return client.ApiClient(configuration)


def _server_versions(kubeconfig: Path, context: str, connect_timeout: float) -> tuple[str, str]:
    """The API server's version and the nodes' kubelet versions (asked on every build: a
    cluster may be upgraded while `mkdocs serve` runs)."""
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    api = api_client(kubeconfig)
    try:
        info = client.VersionApi(api).get_code(
            _request_timeout=(connect_timeout, connect_timeout + 2)
        )
    except (HTTPError, OSError, client.ApiException) as e:
        reason = str(getattr(e, "reason", None) or e).splitlines()[0][:160]
        api.close()
        raise ClusterUnavailable(
            f'the cluster of kube context "{context}" is not reachable ({reason})'
        ) from None
    try:
        nodes = _list(client.CoreV1Api(api).list_node)
    except (HTTPError, OSError, client.ApiException):
        nodes = []  # not allowed to list nodes: the versions stay unknown
    finally:
        api.close()
    versions = sorted(
        {n.get("status", {}).get("nodeInfo", {}).get("kubeletVersion") or "?" for n in nodes}
    )
    return info.git_version, ", ".join(versions)


def _kubectl_version(kubectl: str) -> str:
    try:
        proc = subprocess.run(
            [kubectl, "version", "--client", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
        return json.loads(proc.stdout)["clientVersion"]["gitVersion"]
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return "unknown"


def new_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="kubecapture-"))


# --- sandbox namespaces, settle, secrets (used by capture.Session) -------------------
#
# Every call below is bounded: API requests carry a timeout, loops a deadline, and the
# loops also stop early when `cancel` (the build's interrupt flag) is set.

MANAGED_BY = {"app.kubernetes.io/managed-by": "kubecapture"}
REQUEST_TIMEOUT = (5, 30)  # connect, read (seconds)
POLL = 0.25  # seconds between two looks at a namespace that is settling


class NamespaceTaken(ClusterUnavailable):
    """A namespace of the sandbox's name exists and kubecapture did not make it."""


_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


def _api(cluster: Cluster):
    """One shared `kubernetes` ApiClient per pinned kubeconfig (thread-safe, reused by the
    page workers: building one reads and parses the kubeconfig)."""
    key = str(cluster.kubeconfig)
    with _clients_lock:
        api = _clients.get(key)
        if api is None:
            api = _clients[key] = api_client(cluster.kubeconfig)
        return api


def close_clients() -> None:
    with _clients_lock:
        for api in _clients.values():
            api.close()
        _clients.clear()


def _reason(e: Exception) -> str:
    from kubernetes import client

    if isinstance(e, client.ApiException):
        try:
            message = json.loads(e.body or "{}").get("message")
        except ValueError:
            message = None
        return message or f"{e.status} {e.reason}"
    return str(getattr(e, "reason", None) or e).splitlines()[0][:160]


def create_namespace(
    cluster: Cluster, name: str, timeout: float = 60, cancel: threading.Event | None = None
) -> None:
    """Create the page's sandbox namespace.

    A namespace of that name left by an earlier build (it carries the kubecapture label)
    is deleted first and waited for; one that kubecapture did not make is never touched.
    Raises ClusterUnavailable with one sentence when the namespace cannot be made.
    """
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    core = client.CoreV1Api(_api(cluster))
    body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=dict(MANAGED_BY)))
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                core.create_namespace(body, _request_timeout=REQUEST_TIMEOUT)
                return
            except client.ApiException as e:
                if e.status != 409:
                    raise ClusterUnavailable(
                        f"cannot create sandbox namespace {name}: {_reason(e)}"
                    ) from None
            existing = _read_namespace(core, name)
            if existing is not None:
                labels = existing.get("metadata", {}).get("labels") or {}
                if labels.get("app.kubernetes.io/managed-by") != "kubecapture":
                    raise NamespaceTaken(
                        f"namespace {name} already exists and was not made by kubecapture, "
                        "so it is not used as a sandbox; delete or rename it"
                    )
                if not existing.get("metadata", {}).get("deletionTimestamp"):
                    _delete_ns(core, name)  # left over from an interrupted or kept build
            if time.monotonic() > deadline:
                raise ClusterUnavailable(
                    f"sandbox namespace {name} from an earlier build was still being deleted "
                    f"after {timeout:g} s"
                )
            if _wait(cancel, POLL):
                raise ClusterUnavailable(f"sandbox namespace {name} was not created (interrupted)")
    except (HTTPError, OSError) as e:
        raise ClusterUnavailable(f"cannot create sandbox namespace {name}: {_reason(e)}") from None


def _wait(cancel: threading.Event | None, seconds: float) -> bool:
    """Sleep; True when the build was interrupted meanwhile."""
    if cancel is None:
        time.sleep(seconds)
        return False
    return cancel.wait(seconds)


def _read_namespace(core, name: str) -> dict | None:
    return _get_json(core.read_namespace, name)


def delete_namespace(cluster: Cluster, name: str) -> None:
    """Ask for the namespace's deletion (Kubernetes finishes it in the background).
    Raises ClusterUnavailable when the request fails; a missing namespace is fine."""
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    try:
        _delete_ns(client.CoreV1Api(_api(cluster)), name)
    except (client.ApiException, HTTPError, OSError) as e:
        raise ClusterUnavailable(f"cannot delete sandbox namespace {name}: {_reason(e)}") from None


def _delete_ns(core, name: str) -> None:
    from kubernetes import client

    try:
        core.delete_namespace(
            name, propagation_policy="Background", _request_timeout=REQUEST_TIMEOUT
        )
    except client.ApiException as e:
        if e.status != 404:
            raise


def settle(
    cluster: Cluster, namespace: str, timeout: float, cancel: threading.Event | None = None
) -> str | None:
    """Wait until the namespace's workloads are where they are going: Deployments,
    ReplicaSets and StatefulSets at their desired replicas, DaemonSets scheduled and
    ready, Pods Ready or finished, and deletions done.

    Returns None when settled (or when `cancel` is set), else one sentence naming what did
    not settle within `timeout` seconds.
    """
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    api = _api(cluster)
    deadline = time.monotonic() + timeout
    pending: list[str] = []
    while True:
        try:
            pending = _unsettled(api, namespace)
        except (client.ApiException, HTTPError, OSError) as e:
            pending = [f"(the API server did not answer: {_reason(e)})"]
        if not pending:
            return None
        if time.monotonic() > deadline:
            shown = ", ".join(pending[:8])
            if len(pending) > 8:
                shown += f" and {len(pending) - 8} more"
            return f"these objects were not ready within settle_timeout ({timeout:g} s): {shown}"
        if _wait(cancel, POLL):
            return None


def _get_json(call, *args) -> dict | None:
    """Call a generated `kubernetes` API method for its plain JSON (no model classes:
    faster, and every field kept); None when it does not exist (404).

    The raw response (`_preload_content=False`) is what every allowed `kubernetes` client
    has (29 on); `ApiClient.param_serialize` only came in 37.
    """
    from kubernetes import client

    try:
        resp = call(*args, _preload_content=False, _request_timeout=REQUEST_TIMEOUT)
    except client.ApiException as e:
        if e.status == 404:
            return None
        raise
    try:
        return json.loads(resp.data)
    finally:
        resp.release_conn()  # the connection goes back to the pool for the next call


def _list(call, *args) -> list[dict]:
    """The items of a list; none when the namespace or the kind does not exist (yet)."""
    data = _get_json(call, *args)
    return (data or {}).get("items") or []


def _unsettled(api, namespace: str) -> list[str]:
    from kubernetes import client

    pending: list[str] = []
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    for kind, items in (
        ("deployment", _list(apps.list_namespaced_deployment, namespace)),
        ("replicaset", _list(apps.list_namespaced_replica_set, namespace)),
        ("statefulset", _list(apps.list_namespaced_stateful_set, namespace)),
    ):
        for obj in items:
            meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
            name = f"{kind}/{meta['name']}"
            if meta.get("deletionTimestamp"):
                pending.append(f"{name} (being deleted)")
                continue
            want = spec.get("replicas", 1)
            ready = status.get("availableReplicas" if kind == "deployment" else "readyReplicas", 0)
            if status.get("observedGeneration", 0) < meta.get("generation", 0):
                pending.append(f"{name} (its controller has not caught up)")
            elif (
                ready < want
                or status.get("replicas", 0) != want
                or (kind == "deployment" and status.get("updatedReplicas", 0) < want)
            ):
                word = "available" if kind == "deployment" else "ready"
                pending.append(f"{name} ({ready}/{want} {word})")
    for ds in _list(apps.list_namespaced_daemon_set, namespace):
        status = ds.get("status") or {}
        want = status.get("desiredNumberScheduled", 0)
        if ds["metadata"].get("deletionTimestamp"):
            pending.append(f"daemonset/{ds['metadata']['name']} (being deleted)")
        elif (ready := status.get("numberReady", 0)) < want:
            pending.append(f"daemonset/{ds['metadata']['name']} ({ready}/{want} ready)")
    for pod in _list(core.list_namespaced_pod, namespace):
        name = f"pod/{pod['metadata']['name']}"
        status = pod.get("status") or {}
        phase = status.get("phase")
        if pod["metadata"].get("deletionTimestamp"):
            pending.append(f"{name} (terminating)")
        elif phase in ("Succeeded", "Failed"):
            continue
        elif not any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        ):
            waiting = [
                (c.get("state") or {}).get("waiting", {}).get("reason")
                for c in status.get("containerStatuses") or []
            ]
            why = next((w for w in waiting if w), None) or phase or "not scheduled"
            pending.append(f"{name} ({why}, not ready)")
    return pending


def secret_values(cluster: Cluster, namespaces) -> set[str]:
    """Every Secret value (decoded) in these namespaces (None: in all namespaces), to mask
    in outputs. A namespace that does not exist (yet, or any more) holds nothing."""
    import base64

    from kubernetes import client
    from urllib3.exceptions import HTTPError

    core = client.CoreV1Api(_api(cluster))
    if namespaces is None:
        lists = [(core.list_secret_for_all_namespaces,)]
    else:
        lists = [(core.list_namespaced_secret, ns) for ns in sorted(namespaces)]
    values: set[str] = set()
    for call, *args in lists:
        try:
            items = _list(call, *args)
        except (client.ApiException, HTTPError, OSError) as e:
            raise ClusterUnavailable(
                f"cannot read Secrets to redact outputs: {_reason(e)}"
            ) from None
        for secret in items:
            for encoded in (secret.get("data") or {}).values():
                try:
                    values.add(base64.b64decode(encoded).decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    values.add(encoded)  # binary: its base64 form is what kubectl prints
            values.update(v for v in (secret.get("stringData") or {}).values() if v)
    return {v for v in values if v}


def credential_values(cluster: Cluster) -> set[str]:
    """The credentials in the pinned kubeconfig (tokens, passwords, client keys), so that an
    output showing them (`kubectl config view --raw`) is masked."""
    import base64

    try:
        data = json.loads(Path(cluster.kubeconfig).read_text())
    except (OSError, ValueError):
        return set()
    values: set[str] = set()
    for user in data.get("users") or []:
        u = user.get("user") or {}
        for key in ("token", "password", "client-key-data"):
            if isinstance(u.get(key), str) and u[key]:
                values.add(u[key])
        if isinstance(u.get("client-key-data"), str):
            try:
                values.add(base64.b64decode(u["client-key-data"]).decode())
            except (ValueError, UnicodeDecodeError):
                pass
        provider = (u.get("auth-provider") or {}).get("config") or {}
        for key in ("id-token", "refresh-token", "access-token", "client-secret"):
            if isinstance(provider.get(key), str) and provider[key]:
                values.add(provider[key])
    return values
