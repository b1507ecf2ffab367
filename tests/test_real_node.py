"""What only a real node shows (marker `cluster`): kube-system as kubeadm lays it out,
container logs, exec, the kubelet's events, a rollout whose pods really start, a Service's
ClusterIP and its DNS name reached from another pod, and provenance that says a real node
answered. Runs against the cluster in KUBECONFIG when its node is real (a user's minikube
or kind, or tests/cluster with a real node); skipped on a simulated node, except in CI,
which sets KUBECAPTURE_REQUIRE_REAL_NODE=1: a run that fell back to the simulated node
fails there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from kubecapture.captures import store
from sites import build, make_site, page_html
from test_live_cluster import wait_gone

pytestmark = pytest.mark.cluster

POD = """apiVersion: v1
kind: Pod
metadata:
  name: nginx
spec:
  containers:
    - name: nginx
      image: nginx:1.27
"""

WORKLOAD = """---
kubecapture:
  sandbox: kc-real-node
---
# A real node

```kubectl id="apply"
kubectl apply -f snippets/manifests/nginx.yaml
kubectl wait --for=condition=Ready pod/nginx --timeout=90s
```

```kubectl id="logs"
kubectl logs nginx
```

```kubectl id="exec"
kubectl exec nginx -- nginx -v
```

```kubectl id="describe"
kubectl describe pod nginx
```

```kubectl id="web"
kubectl create deployment web --image=nginx:1.27 --replicas=2
kubectl expose deployment web --port=80
kubectl rollout status deployment/web --timeout=90s
```

```kubectl id="client"
kubectl run client --image=busybox:1.36 --restart=Never -- sleep 600
kubectl wait --for=condition=Ready pod/client --timeout=90s
```

```kubectl id="dns"
kubectl exec client -- nslookup web.kc-real-node.svc.cluster.local.
```

```kubectl id="service-ip"
kubectl get service web -o jsonpath={.spec.clusterIP}
```

```kubectl id="http"
kubectl exec client -- wget -q -O - http://web
```

```kubectl id="cleanup"
kubectl delete pod client --now
```
"""


def _nodes(kubectl_bin, env) -> list[dict]:
    done = subprocess.run(
        [str(kubectl_bin), "get", "node", "-o", "json"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["items"]


@pytest.fixture
def real_node(real_cluster_env, kubectl_bin) -> dict:
    """The cluster's node, when it is real (has a container runtime)."""
    nodes = _nodes(kubectl_bin, real_cluster_env)
    runtimes = [n["status"]["nodeInfo"]["containerRuntimeVersion"] for n in nodes]
    if any(r.startswith("simulated://") for r in runtimes):
        reason = f"the cluster's node is simulated ({', '.join(runtimes)}): no container runs"
        if os.environ.get("KUBECAPTURE_REQUIRE_REAL_NODE") == "1":
            pytest.fail(reason + " (KUBECAPTURE_REQUIRE_REAL_NODE=1)")
        pytest.skip(reason)
    return nodes[0]


def test_kube_system_is_laid_out_as_kubeadm_lays_it_out(real_node, real_cluster_env, kubectl_bin):
    """The control plane as static pods (mirror pods named after the node), kube-proxy
    and CoreDNS, all Running: what `kubectl get pod -n kube-system` shows on minikube."""
    done = subprocess.run(
        [str(kubectl_bin), "get", "pod", "-n", "kube-system", "-o", "json"],
        env=real_cluster_env,
        capture_output=True,
        text=True,
    )
    pods = {p["metadata"]["name"]: p["status"]["phase"] for p in json.loads(done.stdout)["items"]}
    node = real_node["metadata"]["name"]
    for component in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        assert pods.get(f"{component}-{node}") == "Running", pods
    for prefix in ("kube-proxy-", "coredns-"):
        assert any(n.startswith(prefix) and phase == "Running" for n, phase in pods.items()), pods


def test_logs_exec_events_service_and_dns_on_a_real_node(
    tmp_path, real_node, real_cluster_env, real_context, kubectl_bin
):
    """Captured through the plugin on a real node: a container's log, a program run in it,
    the kubelet's events, a rollout, a Service reached by its DNS name and ClusterIP from
    another pod; the provenance says a real node answered, with its runtime."""
    site = make_site(tmp_path / "site", {"real.md": WORKLOAD}, allow_contexts=[real_context])
    (site.parent / "snippets" / "manifests").mkdir(parents=True)
    (site.parent / "snippets" / "manifests" / "nginx.yaml").write_text(POD)
    result = build(site, real_cluster_env, "--strict", mode="refresh")
    assert result.returncode == 0, result.log
    page = store.load(site.parent / "captures" / "real.yaml")
    out = {s.id: s for s in page.snippets}

    def text(snippet_id: str) -> str:
        return "\n".join(r.stdout + r.stderr for r in out[snippet_id].results)

    assert all(r.exit_code == 0 for s in page.snippets for r in s.results), {
        s.id: [(r.command, r.exit_code, r.stderr) for r in s.results] for s in page.snippets
    }
    assert "[notice]" in text("logs") or "nginx" in text("logs")  # nginx's start-up log
    assert re.search(r"nginx version: nginx/\d", text("exec"))
    events = text("describe").split("Events:")[-1]
    for reason in ("Scheduled", "Pulled", "Created", "Started"):
        assert reason in events, events
    cluster_ip = text("service-ip").strip()
    dns = text("dns")
    assert "web.kc-real-node.svc.cluster.local" in dns and cluster_ip in dns, dns
    assert "Welcome to nginx!" in text("http")
    provenance = out["logs"].provenance
    assert provenance.runtime == real_node["status"]["nodeInfo"]["containerRuntimeVersion"]
    assert not provenance.runtime.startswith("simulated://")
    html = page_html(site, "real/index.html")
    assert "実ノード" in html and "模擬ノード" not in html
    # The sandbox is deleted; Kubernetes finishes that in the background (pods' grace: the
    # page deletes the client with --now, as its sleep ignores SIGTERM).
    wait_gone(kubectl_bin, real_cluster_env, "kc-real-node")
