"""The live suite against a real cluster (marker `cluster`), skipped unless KUBECONFIG is set.

    KUBECONFIG=~/.kube/config .venv/bin/python -m pytest -m cluster

Everything here runs in sandbox namespaces or only reads; the cluster is left as it was.
Its context must be allowed (minikube, kind-*, docker-desktop, ...).
"""

from __future__ import annotations

import json
import subprocess

import pytest
from kubecapture import store
from sites import build, kubecapture, make_site, page_html

pytestmark = pytest.mark.cluster

READS = """# Reads

```kubectl id="nodes"
kubectl get node
```

```kubectl id="missing" returncode="1"
kubectl get pod does-not-exist
```
"""

SANDBOX = """---
kubecapture:
  sandbox: true
---
# Sandbox

```kubectl id="apply"
kubectl apply -f manifests/app.yaml
```

```kubectl id="get"
kubectl get deploy,secret
```

```kubectl id="secret"
kubectl get secret live-test -o jsonpath={.data.password}
```
"""

MANIFEST = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.k8s.io/pause:3.9
---
apiVersion: v1
kind: Secret
metadata:
  name: live-test
stringData:
  password: kc-live-s3cret
"""


def namespaces(kubectl, env) -> set[str]:
    out = subprocess.run(
        [str(kubectl), "get", "ns", "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {item["metadata"]["name"] for item in json.loads(out)["items"]}


def test_round_trip_on_a_real_cluster(tmp_path, real_cluster_env, kubectl_bin):
    site = make_site(tmp_path / "site", {"reads.md": READS, "sandbox.md": SANDBOX})
    (site.parent / "manifests").mkdir()
    (site.parent / "manifests" / "app.yaml").write_text(MANIFEST)
    before = namespaces(kubectl_bin, real_cluster_env)

    live = build(site, real_cluster_env, "--strict", mode="refresh")
    assert live.returncode == 0, live.log
    html = page_html(site, "sandbox/index.html")
    assert "deployment.apps/web" in html
    assert "kc-live-s3cret" not in html
    captures = (site.parent / "captures" / "sandbox.yaml").read_text()
    assert "kc-live-s3cret" not in captures and "a2MtbGl2ZS1zM2NyZXQ=" not in captures
    assert namespaces(kubectl_bin, real_cluster_env) - before == set()  # sandbox gone

    reads = store.load(site.parent / "captures" / "reads.yaml")
    assert reads.snippets[1].results[0].exit_code == 1

    replay = build(site, real_cluster_env, "--strict", mode="replay")
    assert replay.returncode == 0, replay.log
    assert page_html(site, "sandbox/index.html") == html

    # Nothing changed in the cluster: a second live run reports no substantial change.
    again = kubecapture(site, real_cluster_env, "refresh")
    assert again.returncode == 0, again.log
    report = json.loads((site.parent / "captures" / "drift-report.json").read_text())
    assert [e for e in report["entries"] if e["status"] == "changed"] == []
