"""Which kubectl, which context, is it reachable, which versions; and API access for the
modules that ask the cluster directly (sandbox.py, secrets.py).

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


def context_note(context: str, notes: dict[str, str]) -> str:
    """The author's description of the cluster behind `context` (`context_notes`): its own
    entry, else the first entry whose key is a pattern it matches (`kubecapture-*`)."""
    if context in notes:
        return notes[context]
    return next((note for key, note in notes.items() if fnmatch.fnmatchcase(context, key)), "")


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
        nodes = list_items(client.CoreV1Api(api).list_node)
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


# --- API access, shared by sandbox.py and secrets.py --------------------------------------
#
# Every request carries a timeout. The `kubernetes` client is imported lazily: a replay
# build never needs it (it costs ~0.2 s to import).

REQUEST_TIMEOUT = (5, 30)  # connect, read (seconds)
_clients: dict[str, object] = {}
_clients_lock = threading.Lock()


def api_for(cluster: Cluster):
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


def error_reason(e: Exception) -> str:
    from kubernetes import client

    if isinstance(e, client.ApiException):
        try:
            message = json.loads(e.body or "{}").get("message")
        except ValueError:
            message = None
        return message or f"{e.status} {e.reason}"
    return str(getattr(e, "reason", None) or e).splitlines()[0][:160]


def get_json(call, *args, **params) -> dict | None:
    """Call a generated `kubernetes` API method for its plain JSON (no model classes:
    faster, and every field kept); None when it does not exist (404).

    The raw response (`_preload_content=False`) is what every allowed `kubernetes` client
    has (29 on); `ApiClient.param_serialize` only came in 37.
    """
    from kubernetes import client

    try:
        resp = call(*args, **params, _preload_content=False, _request_timeout=REQUEST_TIMEOUT)
    except client.ApiException as e:
        if e.status == 404:
            return None
        raise
    try:
        return json.loads(resp.data)
    finally:
        resp.release_conn()  # the connection goes back to the pool for the next call


def list_items(call, *args, **params) -> list[dict]:
    """The items of a list; none when the namespace or the kind does not exist (yet)."""
    data = get_json(call, *args, **params)
    return (data or {}).get("items") or []
