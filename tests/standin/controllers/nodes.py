"""The one simulated node: the scheduler binds pods to it, its kubelet starts them (pod IPs,
Running/Ready after `ready_delay`) and completes run-to-completion pods."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from ..kinds import ts

if TYPE_CHECKING:
    from ..cluster import Cluster

NODE = "minikube"
NODE_IP = "192.168.49.2"


def scheduler(cluster: Cluster):
    for pod in cluster.objects(("", "pods")):
        if pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            continue
        new = copy.deepcopy(pod)
        new["spec"]["nodeName"] = NODE
        new["status"]["conditions"] = [
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": ts(),
            }
        ]
        stored = cluster.put(("", "pods"), new)
        md = stored["metadata"]
        cluster.event(
            stored,
            "Scheduled",
            f"Successfully assigned {md['namespace']}/{md['name']} to {NODE}",
            "default-scheduler",
            new_api=True,
        )


def kubelet(cluster: Cluster):
    for pod in cluster.objects(("", "pods")):
        uid = pod["metadata"]["uid"]
        if pod["spec"].get("nodeName") != NODE or uid in cluster.kubelet_seen:
            continue
        cluster.kubelet_seen.add(uid)
        images = [c.get("image") for c in pod["spec"].get("containers") or []]
        stuck = any(i in cluster.stuck_images for i in images)
        if cluster.ready_delay <= 0 and not stuck:
            _start_pod(cluster, pod["metadata"].get("namespace"), pod["metadata"]["name"], uid)
            continue
        # hand-written: no recording (the recorded node started containers at once);
        # what a kubelet reports while it pulls the image and creates the container
        new = copy.deepcopy(pod)
        now = ts()
        cs = [
            {
                "name": c["name"],
                "state": {"waiting": {"reason": "ContainerCreating"}},
                "lastState": {},
                "ready": False,
                "restartCount": 0,
                "image": c["image"],
                "imageID": "",
                "started": False,
            }
            for c in pod["spec"]["containers"]
        ]
        not_ready = (
            "containers with unready status: ["
            + " ".join(c["name"] for c in pod["spec"]["containers"])
            + "]"
        )
        new["status"] = {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "Initialized",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": now,
                },
                {
                    "type": "Ready",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": now,
                    "reason": "ContainersNotReady",
                    "message": not_ready,
                },
                {
                    "type": "ContainersReady",
                    "status": "False",
                    "lastProbeTime": None,
                    "lastTransitionTime": now,
                    "reason": "ContainersNotReady",
                    "message": not_ready,
                },
                {
                    "type": "PodScheduled",
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": now,
                },
            ],
            "hostIP": NODE_IP,
            "startTime": now,
            "containerStatuses": cs,
            "qosClass": pod["status"].get("qosClass", "BestEffort"),
        }
        cluster.put(("", "pods"), new)
        if not stuck:
            ns_, name_ = pod["metadata"].get("namespace"), pod["metadata"]["name"]
            cluster.after(
                cluster.ready_delay,
                lambda ns_=ns_, name_=name_, uid=uid: _start_pod(cluster, ns_, name_, uid),
            )


def running_status(pod: dict, ip: str, started: str, now: str, qos_class: str) -> dict:
    """A pod's status as the kubelet reports it once every container runs and is ready."""
    return {
        "phase": "Running",
        "conditions": [
            {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": now}
            for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")
        ],
        "hostIP": NODE_IP,
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started,
        "containerStatuses": [
            {
                "name": c["name"],
                "state": {"running": {"startedAt": now}},
                "lastState": {},
                "ready": True,
                "restartCount": 0,
                "image": c["image"],
                "imageID": f"docker.io/library/{c['image']}@sha256:" + "0" * 64,
                "containerID": "containerd://" + "0" * 64,
                "started": True,
            }
            for c in pod["spec"]["containers"]
        ],
        "qosClass": qos_class,
    }


def _start_pod(cluster: Cluster, ns: str, name: str, uid: str):
    pod = cluster.get_obj(("", "pods"), ns, name)
    if pod is None or pod["metadata"]["uid"] != uid or pod["metadata"].get("deletionTimestamp"):
        return
    new = copy.deepcopy(pod)
    now = ts()
    ip = f"10.244.0.{next(cluster.pod_ip_counter) % 254 + 1}"
    status = pod.get("status") or {}
    new["status"] = running_status(
        pod, ip, status.get("startTime", now), now, status.get("qosClass", "BestEffort")
    )
    cluster.put(("", "pods"), new)
    if pod["spec"].get("restartPolicy") in ("Never", "OnFailure"):
        if cluster.job_duration <= 0:
            _complete_pod(cluster, ns, name, uid)
        else:
            cluster.after(cluster.job_duration, lambda: _complete_pod(cluster, ns, name, uid))


def _complete_pod(cluster: Cluster, ns: str, name: str, uid: str):
    """A run-to-completion container exits 0 (the simulated runtime runs no code)."""
    # hand-written: no recording (kubelet's status of a pod whose containers exited 0)
    pod = cluster.get_obj(("", "pods"), ns, name)
    if pod is None or pod["metadata"]["uid"] != uid or pod["status"].get("phase") != "Running":
        return
    new = copy.deepcopy(pod)
    now = ts()
    st = new["status"]
    st["phase"] = "Succeeded"
    for c in st["conditions"]:
        if c["type"] in ("Ready", "ContainersReady"):
            c.update(status="False", lastTransitionTime=now, reason="PodCompleted")
    for cs in st["containerStatuses"]:
        started = cs["state"]["running"]["startedAt"]
        cs["state"] = {
            "terminated": {
                "exitCode": 0,
                "reason": "Completed",
                "startedAt": started,
                "finishedAt": now,
                "containerID": cs["containerID"],
            }
        }
        cs["ready"] = False
        cs["started"] = False
    cluster.put(("", "pods"), new)
