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
    kubeconfig, namespace = _pinned_kubeconfig(kubectl_path, ctx, workdir)
    server_version = _server_version(kubeconfig, ctx, connect_timeout)
    return Cluster(
        context=ctx,
        server_version=server_version,
        kubectl=kubectl_path,
        kubectl_version=_kubectl_version(kubectl_path),
        kubeconfig=kubeconfig,
        namespace=namespace,
    )


def _pinned_kubeconfig(kubectl: str, context: str, workdir: Path) -> tuple[Path, str]:
    """A kubeconfig holding only `context` (credentials embedded), as its current context.

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
    return write_kubeconfig(data, workdir, "kubeconfig"), namespace


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


def _server_version(kubeconfig: Path, context: str, connect_timeout: float) -> str:
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    api = api_client(kubeconfig)
    try:
        info = client.VersionApi(api).get_code(
            _request_timeout=(connect_timeout, connect_timeout + 2)
        )
    except (HTTPError, OSError, client.ApiException) as e:
        reason = str(getattr(e, "reason", None) or e).splitlines()[0][:160]
        raise ClusterUnavailable(
            f'the cluster of kube context "{context}" is not reachable ({reason})'
        ) from None
    finally:
        api.close()
    return info.git_version


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


def create_namespace(cluster: Cluster, name: str, timeout: float = 60) -> None:
    """Create the page's sandbox; waits for an earlier one of the same name to go first."""
    import time

    from kubernetes import client

    api = api_client(cluster.kubeconfig)
    core = client.CoreV1Api(api)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                core.create_namespace(
                    client.V1Namespace(
                        metadata=client.V1ObjectMeta(
                            name=name, labels={"app.kubernetes.io/managed-by": "kubecapture"}
                        )
                    )
                )
                return
            except client.ApiException as e:
                if e.status != 409 or time.monotonic() > deadline:
                    raise ClusterUnavailable(
                        f"cannot create namespace {name}: {e.reason}"
                    ) from None
                _delete_ns(core, name)  # left over from an interrupted build
                time.sleep(0.5)
    finally:
        api.close()


def delete_namespace(cluster: Cluster, name: str) -> None:
    from kubernetes import client

    api = api_client(cluster.kubeconfig)
    try:
        _delete_ns(client.CoreV1Api(api), name)
    finally:
        api.close()


def _delete_ns(core, name: str) -> None:
    from kubernetes import client

    try:
        core.delete_namespace(name, propagation_policy="Background")
    except client.ApiException as e:
        if e.status != 404:
            raise


def settle(cluster: Cluster, namespace: str, timeout: float) -> str | None:
    """Wait until the namespace's workloads are at their desired state.

    Returns None when settled, else one sentence naming what did not settle.
    """
    import time

    from kubernetes import client

    api = api_client(cluster.kubeconfig)
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    deadline = time.monotonic() + timeout
    try:
        while True:
            pending = _unsettled(core, apps, namespace)
            if not pending:
                return None
            if time.monotonic() > deadline:
                return f"these objects did not settle within {timeout:g} s: {', '.join(pending)}"
            time.sleep(0.2)
    finally:
        api.close()


def _unsettled(core, apps, namespace: str) -> list[str]:
    pending = []
    for d in apps.list_namespaced_deployment(namespace).items:
        want = d.spec.replicas if d.spec.replicas is not None else 1
        s = d.status
        if (
            (s.observed_generation or 0) < (d.metadata.generation or 0)
            or (s.updated_replicas or 0) < want
            or (s.available_replicas or 0) < want
            or (s.replicas or 0) > want
        ):
            pending.append(f"deployment/{d.metadata.name}")
    for rs in apps.list_namespaced_replica_set(namespace).items:
        want = rs.spec.replicas if rs.spec.replicas is not None else 1
        if (rs.status.ready_replicas or 0) < want or (rs.status.replicas or 0) != want:
            pending.append(f"replicaset/{rs.metadata.name}")
    for pod in core.list_namespaced_pod(namespace).items:
        phase = pod.status.phase if pod.status else None
        if pod.metadata.deletion_timestamp:
            pending.append(f"pod/{pod.metadata.name} (terminating)")
        elif phase in ("Succeeded", "Failed"):
            continue
        elif not any(
            c.type == "Ready" and c.status == "True" for c in (pod.status.conditions or [])
        ):
            pending.append(f"pod/{pod.metadata.name}")
    return pending


def secret_values(cluster: Cluster, namespaces) -> set[str]:
    """Every Secret value (decoded) in these namespaces, to mask in outputs."""
    import base64

    from kubernetes import client

    api = api_client(cluster.kubeconfig)
    core = client.CoreV1Api(api)
    values: set[str] = set()
    try:
        for ns in namespaces:
            try:
                items = core.list_namespaced_secret(ns).items
            except client.ApiException:
                continue  # no such namespace (yet), or not allowed to list: nothing to mask
            for secret in items:
                for encoded in (secret.data or {}).values():
                    try:
                        values.add(base64.b64decode(encoded).decode("utf-8"))
                    except (ValueError, UnicodeDecodeError):
                        continue
    finally:
        api.close()
    return {v for v in values if v}
