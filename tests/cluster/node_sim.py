"""A simulated node for the project's test cluster (in the spirit of kwok).

The control plane is real (kube-apiserver, kube-controller-manager, kube-scheduler
built from upstream); there is no kubelet and no container runtime. This process
registers one Node, keeps its Lease fresh, and reports the pods that the
scheduler binds to it as Running with ready containers and an IP from the node's
pod CIDR, so controllers (ReplicaSets, Deployments, rollouts, EndpointSlices)
behave as on a one-node cluster. Pods being deleted are removed at once. No
container ever runs: `kubectl logs` and `exec` fail, and no kubelet events
(Pulling, Started, ...) are written. The node says so about itself: its OS image
is "simulated node (no container runtime)" and it has the label
`kubecapture.dev/simulated=true`.

Standard library only (Python 3.11+, as the project), so it needs no venv:

    python3 node_sim.py --server https://127.0.0.1:16443 --ca ca.crt \\
        --cert admin.crt --key admin.key --node NAME --kubelet-version v1.37.2
    python3 node_sim.py ... --wait-ready 120   # wait for the API server, then exit
    python3 node_sim.py ... --wait-ready 120 --wait-node NAME --kubelet-version V
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import ipaddress
import json
import ssl
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

LEASE_SECONDS = 40  # as a kubelet: the node is NotReady 40 s after the last renewal
RENEW_EVERY = 10.0
STATUS_EVERY = 60.0  # a kubelet reports status at least every 5 min when nothing changes
WATCH_SECONDS = 5  # the watch returns this often, so the lease is renewed on time
NODE_IP = "127.0.0.1"
SIMULATED = "simulated node (no container runtime)"


class ApiError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status


class Api:
    """A minimal Kubernetes API client: JSON over HTTPS with a client certificate."""

    def __init__(self, server: str, ca: str, cert: str, key: str) -> None:
        url = urllib.parse.urlsplit(server)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 443
        self.tls = ssl.create_default_context(cafile=ca)
        self.tls.load_cert_chain(cert, key)

    def _connect(self, timeout: float) -> http.client.HTTPSConnection:
        return http.client.HTTPSConnection(self.host, self.port, context=self.tls, timeout=timeout)

    def call(
        self,
        method: str,
        path: str,
        body: dict | None = None,
        content_type: str = "application/json",
    ) -> dict:
        conn = self._connect(15)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Accept": "application/json", "User-Agent": "kubecapture-node-sim"}
            if data is not None:
                headers["Content-Type"] = content_type
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            if response.status >= 300:
                raise ApiError(response.status, text)
            if not response.getheader("Content-Type", "").startswith("application/json"):
                return {}  # /readyz answers "ok" in plain text
            return json.loads(text)
        finally:
            conn.close()

    def watch(self, path: str) -> Iterator[dict]:
        """The events of a watch, one dict each, until the server ends it."""
        conn = self._connect(WATCH_SECONDS + 15)
        try:
            conn.request("GET", path, headers={"Accept": "application/json"})
            response = conn.getresponse()
            if response.status >= 300:
                raise ApiError(response.status, response.read().decode("utf-8", "replace"))
            for line in response:
                if line.strip():
                    yield json.loads(line)
        finally:
            conn.close()


def now(micro: bool = False) -> str:
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ"
    return dt.datetime.now(dt.UTC).strftime(fmt)


def node_status(version: str, since: str) -> dict:
    """The status a kubelet reports; `since`: when the conditions last changed."""
    t = now()

    def condition(kind: str, status: str, reason: str, message: str) -> dict:
        return {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": t,
            "lastTransitionTime": since,
        }

    resources = {"cpu": "2", "memory": "8Gi", "pods": "110", "ephemeral-storage": "20Gi"}
    return {
        "status": {
            "conditions": [
                condition(
                    "MemoryPressure", "False", "KubeletHasSufficientMemory", "simulated node"
                ),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "simulated node"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "simulated node"),
                condition(
                    "Ready",
                    "True",
                    "KubeletReady",
                    "simulated node is ready (no container runtime)",
                ),
            ],
            "addresses": [
                {"type": "InternalIP", "address": NODE_IP},
            ],
            "capacity": resources,
            "allocatable": resources,
            "nodeInfo": {
                "kubeletVersion": version,
                "kubeProxyVersion": "",
                "osImage": SIMULATED,
                "kernelVersion": "simulated",
                "containerRuntimeVersion": "simulated://none",
                "operatingSystem": "linux",
                "architecture": "amd64",
                "machineID": "",
                "systemUUID": "",
                "bootID": "",
            },
        }
    }


class Node:
    def __init__(self, api: Api, name: str, version: str, start_delay: float = 0) -> None:
        self.api, self.name, self.version = api, name, version
        self.lease_path = f"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/{name}"
        self.ips: PodIPs | None = None
        self.since = ""  # when the node's conditions last changed
        self.start_delay = start_delay
        self.starting: set[str] = set()  # pods whose containers are being "created"
        self.lock = threading.Lock()

    def register(self) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.name,
                "labels": {
                    "kubernetes.io/hostname": self.name,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "node-role.kubernetes.io/control-plane": "",
                    "kubecapture.dev/simulated": "true",
                },
                "annotations": {"volumes.kubernetes.io/controller-managed-attach-detach": "true"},
            },
        }
        try:
            self.api.call("POST", "/api/v1/nodes", body)
        except ApiError as e:
            if e.status != 409:
                raise
        self.report_status()

    def report_status(self) -> None:
        if not self.since:
            # The conditions have held since the node's first report, also across a
            # restart of the simulator (an upgrade): a kubelet keeps that time too.
            node = self.api.call("GET", f"/api/v1/nodes/{self.name}")
            ready = [
                c.get("lastTransitionTime", "")
                for c in node.get("status", {}).get("conditions", [])
                if c.get("type") == "Ready" and c.get("status") == "True"
            ]
            self.since = next((t for t in ready if t and not t.startswith("0001")), now())
        self.api.call(
            "PATCH",
            f"/api/v1/nodes/{self.name}/status",
            node_status(self.version, self.since),
            "application/strategic-merge-patch+json",
        )

    def renew_lease(self) -> None:
        spec = {
            "holderIdentity": self.name,
            "leaseDurationSeconds": LEASE_SECONDS,
            "renewTime": now(micro=True),
        }
        try:
            self.api.call("PATCH", self.lease_path, {"spec": spec}, "application/merge-patch+json")
        except ApiError as e:
            if e.status != 404:
                raise
            uid = self.api.call("GET", f"/api/v1/nodes/{self.name}")["metadata"]["uid"]
            owner = {"apiVersion": "v1", "kind": "Node", "name": self.name, "uid": uid}
            self.api.call(
                "POST",
                "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {"name": self.name, "ownerReferences": [owner]},
                    "spec": spec,
                },
            )

    def pod_ips(self) -> PodIPs:
        """The pod CIDR the controller-manager allocated to the node (a fallback after 30 s)."""
        if self.ips is None:
            cidr = ""
            for _ in range(60):
                cidr = self.api.call("GET", f"/api/v1/nodes/{self.name}")["spec"].get("podCIDR", "")
                if cidr:
                    break
                time.sleep(0.5)
            self.ips = PodIPs(cidr or "10.244.0.0/24")
        return self.ips

    def pods_path(self, **query: str) -> str:
        query = {"fieldSelector": f"spec.nodeName={self.name}", **query}
        return "/api/v1/pods?" + urllib.parse.urlencode(query)

    def sync(self, pod: dict) -> None:
        """Bring one bound pod to what a kubelet would report: Running, or gone."""
        meta = pod["metadata"]
        ns, name, uid = meta["namespace"], meta["name"], meta["uid"]
        if meta.get("deletionTimestamp"):
            body = {"gracePeriodSeconds": 0, "preconditions": {"uid": uid}}
            try:
                self.api.call("DELETE", f"/api/v1/namespaces/{ns}/pods/{name}", body)
            except ApiError as e:
                if e.status not in (404, 409):
                    raise
            self.pod_ips().release(uid)
            return
        status = pod.get("status", {})
        if status.get("phase") == "Running" and running_images(status) == wanted_images(pod):
            return
        if status.get("phase") == "Running" or self.start_delay <= 0:
            self.patch_status(pod, running_status(pod, self.pod_ips().get(uid)))
            return
        with self.lock:
            if uid in self.starting:
                return
            self.starting.add(uid)
        # A kubelet pulls images and starts containers first: ContainerCreating for a
        # moment, as on a real node (so settling is tested for real), then Running.
        self.patch_status(pod, creating_status(pod))
        timer = threading.Timer(self.start_delay, self.start, (ns, name, uid))
        timer.daemon = True
        timer.start()

    def start(self, ns: str, name: str, uid: str) -> None:
        """The delayed half of sync: the pod's containers now run."""
        try:
            pod = self.api.call("GET", f"/api/v1/namespaces/{ns}/pods/{name}")
            if pod["metadata"]["uid"] == uid and not pod["metadata"].get("deletionTimestamp"):
                self.patch_status(pod, running_status(pod, self.pod_ips().get(uid)))
        except (OSError, ApiError, http.client.HTTPException, ValueError, KeyError) as e:
            sys.stderr.write(f"node_sim: {e}\n")  # the next list or watch event retries
        finally:
            with self.lock:
                self.starting.discard(uid)

    def patch_status(self, pod: dict, body: dict) -> None:
        meta = pod["metadata"]
        try:
            self.api.call(
                "PATCH",
                f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}/status",
                body,
                "application/strategic-merge-patch+json",
            )
        except ApiError as e:
            if e.status not in (404, 409):  # deleted meanwhile: the watch says so next
                raise


def wanted_images(pod: dict) -> list[str]:
    return [c.get("image", "") for c in pod["spec"].get("containers", [])]


def running_images(status: dict) -> list[str]:
    return [c.get("image", "") for c in status.get("containerStatuses", [])]


def creating_status(pod: dict) -> dict:
    """A pod's status while a kubelet creates its containers (no IP yet)."""
    started = now()
    waiting = {"waiting": {"reason": "ContainerCreating"}}
    containers = [
        {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "ready": False,
            "started": False,
            "restartCount": 0,
            "state": waiting,
        }
        for c in pod["spec"].get("containers", [])
    ]
    conditions = [
        {"type": "PodReadyToStartContainers", "status": "False", "lastTransitionTime": started},
        {"type": "Initialized", "status": "True", "lastTransitionTime": started},
        {
            "type": "Ready",
            "status": "False",
            "lastTransitionTime": started,
            "reason": "ContainersNotReady",
            "message": "containers with unready status: ["
            + " ".join(c["name"] for c in containers)
            + "]",
        },
        {
            "type": "ContainersReady",
            "status": "False",
            "lastTransitionTime": started,
            "reason": "ContainersNotReady",
            "message": "containers with unready status: ["
            + " ".join(c["name"] for c in containers)
            + "]",
        },
    ]
    body = {
        "phase": "Pending",
        "hostIP": NODE_IP,
        "hostIPs": [{"ip": NODE_IP}],
        "startTime": started,
        "conditions": conditions,
        "containerStatuses": containers,
    }
    return {"status": body}


def running_status(pod: dict, ip: str) -> dict:
    """A pod's status as a kubelet reports it once every container runs and is ready."""
    spec, status = pod["spec"], pod.get("status", {})
    started = status.get("startTime") or now()
    running = now()
    since = {"startedAt": running}
    containers = [
        {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "containerID": "",
            "ready": True,
            "started": True,
            "restartCount": 0,
            "state": {"running": since},
        }
        for c in spec.get("containers", [])
    ]
    inits = [
        {
            "name": c["name"],
            "image": c.get("image", ""),
            "imageID": "",
            "containerID": "",
            "ready": c.get("restartPolicy") == "Always",  # sidecars keep running
            "started": c.get("restartPolicy") == "Always",
            "restartCount": 0,
            "state": (
                {"running": since}
                if c.get("restartPolicy") == "Always"
                else {
                    "terminated": {
                        "exitCode": 0,
                        "reason": "Completed",
                        "startedAt": started,
                        "finishedAt": running,
                    }
                }
            ),
        }
        for c in spec.get("initContainers", [])
    ]
    # reason and message null: a strategic merge patch would keep ContainersNotReady
    conditions = [
        {"type": "Initialized", "status": "True", "lastTransitionTime": started},
        *(
            {
                "type": kind,
                "status": "True",
                "lastTransitionTime": running,
                "reason": None,
                "message": None,
            }
            for kind in ("PodReadyToStartContainers", "Ready", "ContainersReady")
        ),
    ]
    body: dict[str, Any] = {
        "phase": "Running",
        "hostIP": NODE_IP,
        "hostIPs": [{"ip": NODE_IP}],
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started,
        "conditions": conditions,
        "containerStatuses": containers,
    }
    if inits:
        body["initContainerStatuses"] = inits
    generation = pod["metadata"].get("generation")
    if generation:
        body["observedGeneration"] = generation  # kubelets set it since v1.33
    return {"status": body}


class PodIPs:
    """One IP per pod from the node's pod CIDR, kept while the pod lives."""

    def __init__(self, cidr: str) -> None:
        self.network = ipaddress.ip_network(cidr)
        self.by_uid: dict[str, str] = {}
        self.next = 10  # addresses below .10 are left alone, as a CNI's gateway would be

    def get(self, uid: str) -> str:
        if uid not in self.by_uid:
            used = set(self.by_uid.values())
            hosts = list(self.network.hosts())
            for i in range(len(hosts)):
                ip = str(hosts[(self.next + i) % len(hosts)])
                if ip not in used:
                    self.next = (self.next + i + 1) % len(hosts)
                    break
            self.by_uid[uid] = ip
        return self.by_uid[uid]

    def adopt(self, uid: str, ip: str) -> None:
        self.by_uid.setdefault(uid, ip)

    def release(self, uid: str) -> None:
        self.by_uid.pop(uid, None)


def run(node: Node) -> None:
    node.register()
    node.renew_lease()
    last_lease = last_status = time.monotonic()
    resource_version = ""
    while True:
        try:
            if not resource_version:
                listed = node.api.call("GET", node.pods_path())
                for pod in listed["items"]:
                    ip = pod.get("status", {}).get("podIP")
                    if ip:  # a restart of the simulator keeps the pods' IPs
                        node.pod_ips().adopt(pod["metadata"]["uid"], ip)
                for pod in listed["items"]:
                    node.sync(pod)
                resource_version = listed["metadata"]["resourceVersion"]
            path = node.pods_path(
                watch="1",
                resourceVersion=resource_version,
                timeoutSeconds=str(WATCH_SECONDS),
                allowWatchBookmarks="true",
            )
            for event in node.api.watch(path):
                kind, pod = event["type"], event["object"]
                if kind == "ERROR":  # 410 Gone: list again
                    resource_version = ""
                    break
                resource_version = pod["metadata"].get("resourceVersion", resource_version)
                if kind in ("ADDED", "MODIFIED"):
                    node.sync(pod)
                elif kind == "DELETED":
                    node.pod_ips().release(pod["metadata"]["uid"])
                if time.monotonic() - last_lease > RENEW_EVERY:
                    break
        except (OSError, ApiError, http.client.HTTPException, ValueError, KeyError) as e:
            # The API server restarting (an upgrade) or gone for a moment: try again.
            sys.stderr.write(f"node_sim: {e}\n")
            resource_version = ""
            time.sleep(1)
        try:
            if time.monotonic() - last_lease > RENEW_EVERY:
                node.renew_lease()
                last_lease = time.monotonic()
            if time.monotonic() - last_status > STATUS_EVERY:
                node.register()  # re-creates the node if someone deleted it
                last_status = time.monotonic()
        except (OSError, ApiError, http.client.HTTPException, ValueError, KeyError) as e:
            sys.stderr.write(f"node_sim: {e}\n")
            time.sleep(1)


def wait_ready(api: Api, seconds: float) -> bool:
    """Wait until the API server is ready (/readyz: its post-start hooks, e.g. the RBAC
    roles the controller-manager needs, are done) and has made its namespaces."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            api.call("GET", "/readyz")  # 500 until every check passes
            names = {n["metadata"]["name"] for n in api.call("GET", "/api/v1/namespaces")["items"]}
            if {"default", "kube-system", "kube-node-lease"} <= names:
                return True
        except (OSError, ApiError, http.client.HTTPException, ValueError):
            pass  # not up yet: refused, TLS not ready, 500 while starting
        time.sleep(0.5)
    return False


def wait_node(api: Api, name: str, version: str, seconds: float) -> bool:
    """Wait until the node is Ready at `version` and pods can be created (the
    controller-manager has made the default service account)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            node = api.call("GET", f"/api/v1/nodes/{name}")
            ready = any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in node["status"].get("conditions", [])
            )
            if ready and node["status"]["nodeInfo"]["kubeletVersion"] == version:
                api.call("GET", "/api/v1/namespaces/default/serviceaccounts/default")
                return True
        except (OSError, ApiError, http.client.HTTPException, ValueError, KeyError):
            pass  # not registered yet, or no service account yet
        time.sleep(0.5)
    return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--node", default="")
    ap.add_argument(
        "--start-delay",
        type=float,
        default=1.0,
        help="seconds a pod stays ContainerCreating before it runs (0: at once)",
    )
    ap.add_argument("--wait-node", default="", help="with --wait-ready: wait for this node")
    ap.add_argument("--kubelet-version", default="")
    ap.add_argument(
        "--wait-ready",
        type=float,
        default=0,
        help="only wait this long for the API server, then exit",
    )
    args = ap.parse_args()
    api = Api(args.server, args.ca, args.cert, args.key)
    if args.wait_ready and args.wait_node:
        sys.exit(0 if wait_node(api, args.wait_node, args.kubelet_version, args.wait_ready) else 1)
    if args.wait_ready:
        sys.exit(0 if wait_ready(api, args.wait_ready) else 1)
    if not args.node or not args.kubelet_version:
        ap.error("--node and --kubelet-version are required")
    try:
        run(Node(api, args.node, args.kubelet_version, args.start_delay))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
