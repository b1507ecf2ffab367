"""Which kubectl, which context, is it reachable, which versions; the sealed environment
every kubectl runs in; and API access for the modules that ask the cluster directly
(sandbox.py, secrets.py).

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

from ..base import plainjson


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
    runtime: str = ""  # the nodes' container runtimes, as they report them
    images: str = ""  # the nodes' word on local images standing in for public ones


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
    connect_timeout: float,
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
    private = make_private_dirs(workdir)
    data, namespace = _remembered(
        ("kubeconfig", kubectl_path, ctx, *_kubeconfig_stamps()),
        lambda: _pinned_kubeconfig(kubectl_path, ctx, private),
    )
    kubeconfig = write_kubeconfig(data, workdir, "kubeconfig")
    server_version, nodes = _server_versions(kubeconfig, ctx, connect_timeout)
    node_facts = _node_facts(nodes)
    return Cluster(
        context=ctx,
        server_version=server_version,
        kubectl=kubectl_path,
        kubectl_version=_remembered(
            ("kubectl", kubectl_path, *_stamps([kubectl_path])),
            lambda: _kubectl_version(kubectl_path, private),
        ),
        kubeconfig=kubeconfig,
        namespace=namespace,
        **node_facts,
    )


# --- the sealed kubectl process -----------------------------------------------------------
#
# A snippet is a stranger's command line: kubectl gets what it needs and nothing else.
# - PATH is a private directory holding nothing but the system `diff` (which `kubectl diff`
#   runs): no `kubectl-*` plugin on the author's PATH can resolve (kubectl has no switch
#   that turns plugins off; `create foo` looks for `kubectl-create-foo`). kubectl itself
#   runs by its absolute path.
# - HOME and the cache dir are private to the build (removed with its work dir): no
#   ~/.kube/config with other contexts, no kuberc, no shared discovery cache. TMPDIR is
#   not set: `kubectl diff` prints its temporary paths (/tmp/LIVE-…), as before.
# - KUBECONFIG is the pinned single-context kubeconfig; no proxy variables (a proxy the
#   cluster needs is the kubeconfig's own `proxy-url`), no tokens, no build secrets.

# Go runtime settings for the kubectl processes, unless the environment sets them. Pages
# run side by side, so a short-lived kubectl needs one OS thread and no garbage collection
# below a generous heap: ~20% less CPU per process on a 2-core machine, same output.
KUBECTL_GO_RUNTIME = {"GOMAXPROCS": "1", "GOGC": "off", "GOMEMLIMIT": "256MiB"}
# Passed through from the build's environment: they carry no secret and change only how
# kubectl runs (Go runtime) or which zone `describe` prints times in (TZ).
PASSED_THROUGH = (*KUBECTL_GO_RUNTIME, "TZ")
# Where `diff` is looked for: system directories only, never a directory of the project.
SYSTEM_BIN = ("/usr/bin", "/bin", "/usr/local/bin")


def private_home(workdir: Path) -> Path:
    """The HOME of this build's kubectl processes."""
    return workdir / "kubectl" / "home"


def make_private_dirs(workdir: Path) -> Path:
    """The private HOME and bin directories of this build's kubectl processes, under the
    build's work dir (removed with it)."""
    private = private_home(workdir).parent
    if (private / "bin").is_dir():
        return private
    for sub in ("home", "bin"):
        (private / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    diff = shutil.which("diff", path=os.pathsep.join(SYSTEM_BIN))
    if diff:
        (private / "bin" / "diff").symlink_to(diff)
    return private


def sealed_env(private: Path, kubeconfig: Path | None) -> dict[str, str]:
    """The whole environment of a kubectl process (see above)."""
    home = private / "home"
    env = {k: os.environ[k] for k in PASSED_THROUGH if os.environ.get(k)}
    return {
        **KUBECTL_GO_RUNTIME,
        **env,
        "HOME": str(home),
        "KUBECACHEDIR": str(home / ".kube" / "cache"),
        "PATH": str(private / "bin"),
        # the author's kubectl preferences (aliases, default flags) must not change what
        # runs or what it prints
        "KUBERC": "off",
        "KUBECONFIG": str(kubeconfig) if kubeconfig else os.devnull,
    }


def kubectl_env(workdir: Path, kubeconfig: Path) -> dict[str, str]:
    """The sealed environment of a snippet's kubectl: this build's private directories
    (under `workdir`) and this pinned kubeconfig."""
    return sealed_env(make_private_dirs(workdir), kubeconfig)


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


def _pinned_kubeconfig(kubectl: str, context: str, private: Path) -> tuple[dict, str]:
    """A kubeconfig holding only `context`, its cluster and its user (credentials
    embedded), as its current context, and the context's namespace.

    Commands then run against that context without `--context` in the displayed command,
    and a command cannot reach another context by accident. Read from the author's
    kubeconfig (KUBECONFIG, else ~/.kube/config) by a kubectl that gets nothing else.
    """
    env = sealed_env(private, None)
    env["KUBECONFIG"] = os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
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
        env=env,
    )
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["unknown error"])[-1]
        raise ClusterUnavailable(f'kube context "{context}" cannot be used: {reason}')
    data = _only_context(plainjson.loads(proc.stdout), context)
    ctx_entry = data["contexts"][0]["context"]
    namespace = ctx_entry.get("namespace") or "default"
    return data, namespace


def _only_context(data: dict, context: str) -> dict:
    """`data` reduced to `context`, its cluster and its user (what --minify promises, made
    sure of: the kubeconfig kubectl sees holds one set of credentials), with an exec
    credential plugin's command as an absolute path (kubectl's PATH is private)."""
    contexts = [c for c in data.get("contexts") or [] if c.get("name") == context][:1]
    if not contexts:
        raise ClusterUnavailable(f'kube context "{context}" is not in the kubeconfig')
    entry = contexts[0].get("context") or {}
    clusters = [c for c in data.get("clusters") or [] if c.get("name") == entry.get("cluster")]
    users = [u for u in data.get("users") or [] if u.get("name") == entry.get("user")]
    # where the author's shell finds it; relative PATH entries (the project, as the working
    # directory) left out
    search = [p for p in os.environ.get("PATH", "").split(os.pathsep) if os.path.isabs(p)]
    for user in users[:1]:
        exec_ = (user.get("user") or {}).get("exec")
        if isinstance(exec_, dict) and isinstance(exec_.get("command"), str):
            found = shutil.which(exec_["command"], path=os.pathsep.join(search))
            if found:
                exec_["command"] = found
    return {
        **data,
        "contexts": contexts,
        "clusters": clusters[:1],
        "users": users[:1],
        "current-context": context,
    }


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
    data = plainjson.loads(kubeconfig.read_text())
    data["contexts"][0]["context"]["namespace"] = namespace
    return write_kubeconfig(data, workdir, name)


def api_client(kubeconfig: Path):
    """A `kubernetes` client for the pinned kubeconfig; no retries, so an unreachable
    cluster is known after one connect timeout, not several."""
    from kubernetes import client, config

    configuration = client.Configuration()
    # Proxies from the environment never apply (newer clients read HTTPS_PROXY & co.): the
    # bearer token goes to the API server, or through the kubeconfig's own `proxy-url`.
    configuration.proxy = None
    configuration.no_proxy = None
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    configuration.retries = False
    return client.ApiClient(configuration)


# The node's own word on which local images stand in for public ones (tests/cluster sets it).
STAND_IN_ANNOTATION = "kubecapture.dev/stand-in-images"
_NODE_FACT_CHARS = 300  # a node's answer is a stranger's text: kept short


def _node_facts(nodes: list[dict]) -> dict[str, str]:
    """What the nodes say about themselves: kubelet versions, container runtimes (so a
    capture says whether a real or a simulated node answered, whatever the context is
    called), and the local images standing in for public ones."""

    def joined(values) -> str:
        return ", ".join(sorted({str(v)[:_NODE_FACT_CHARS] for v in values if v}))

    info = [n.get("status", {}).get("nodeInfo", {}) for n in nodes]
    notes = [n.get("metadata", {}).get("annotations", {}).get(STAND_IN_ANNOTATION) for n in nodes]
    return {
        "nodes": ", ".join(sorted({i.get("kubeletVersion") or "?" for i in info})),
        "runtime": joined(i.get("containerRuntimeVersion") for i in info),
        "images": joined(notes),
    }


def _server_versions(kubeconfig: Path, context: str, connect_timeout: float) -> tuple[str, list]:
    """The API server's version and the nodes (asked on every build: a cluster may be
    upgraded while `mkdocs serve` runs)."""
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
    return info.git_version, [n for n in nodes if isinstance(n, dict)]


def _kubectl_version(kubectl: str, private: Path) -> str:
    try:
        proc = subprocess.run(
            [kubectl, "version", "--client", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            env=sealed_env(private, None),
        )
        return plainjson.loads(proc.stdout)["clientVersion"]["gitVersion"]
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
            message = plainjson.loads(e.body or "{}").get("message")
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
        return plainjson.loads(resp.data)
    finally:
        resp.release_conn()  # the connection goes back to the pool for the next call


def list_items(call, *args, **params) -> list[dict]:
    """The items of a list; none when the namespace or the kind does not exist (yet)."""
    data = get_json(call, *args, **params)
    return (data or {}).get("items") or []
