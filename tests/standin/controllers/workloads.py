"""Workload controllers that own pods: ReplicaSet, StatefulSet, DaemonSet and Job."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from .. import kinds
from ..kinds import ts
from ..selectors import selector_matches
from .common import owned, owner_ref, pod_ready, pod_template_hash, set_status
from .nodes import NODE

if TYPE_CHECKING:
    from ..cluster import Cluster


def replicaset_controller(cluster: Cluster):
    pod_res = cluster.res_for_kind("", "Pod")
    for rs in cluster.objects(("apps", "replicasets")):
        md = rs["metadata"]
        ns, uid = md["namespace"], md["uid"]
        sel = rs["spec"].get("selector")
        # adopt matching orphans
        for pod in cluster.objects(("", "pods"), ns):
            pmd = pod["metadata"]
            if pmd.get("ownerReferences") or pmd.get("deletionTimestamp"):
                continue
            if selector_matches(sel, pmd.get("labels")):
                new = copy.deepcopy(pod)
                new["metadata"]["ownerReferences"] = [owner_ref(rs)]
                cluster.put(("", "pods"), new)
        pods = [
            p
            for p in owned(cluster, ("", "pods"), ns, uid)
            if not p["metadata"].get("deletionTimestamp")
        ]
        want = rs["spec"].get("replicas", 1)
        if len(pods) < want:
            tmpl = rs["spec"].get("template") or {}
            tmd = tmpl.get("metadata") or {}
            for _ in range(want - len(pods)):
                pmd = {"generateName": md["name"] + "-", "namespace": ns}
                if tmd.get("labels"):
                    pmd["labels"] = copy.deepcopy(tmd["labels"])
                if tmd.get("annotations"):
                    pmd["annotations"] = copy.deepcopy(tmd["annotations"])
                pmd["ownerReferences"] = [owner_ref(rs)]
                pod = cluster.system_create(
                    pod_res, {"metadata": pmd, "spec": copy.deepcopy(tmpl.get("spec") or {})}
                )
                pods.append(pod)
                cluster.event(
                    rs,
                    "SuccessfulCreate",
                    f"Created pod: {pod['metadata']['name']}",
                    "replicaset-controller",
                )
        elif len(pods) > want:
            # delete unscheduled / not ready / newest first, like the real controller
            ranked = sorted(
                pods,
                key=lambda p: (
                    pod_ready(p),
                    -(kinds.parse_ts(p["metadata"]["creationTimestamp"]) or 0),
                ),
            )
            for pod in ranked[: len(pods) - want]:
                cluster.remove(("", "pods"), ns, pod["metadata"]["name"])
                cluster.event(
                    rs,
                    "SuccessfulDelete",
                    f"Deleted pod: {pod['metadata']['name']}",
                    "replicaset-controller",
                )
            pods = ranked[len(pods) - want :]
        ready = sum(1 for p in pods if pod_ready(p))
        status = {"replicas": len(pods)}
        if pods:
            status["fullyLabeledReplicas"] = len(pods)
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        status["observedGeneration"] = md.get("generation", 1)
        cur = cluster.get_obj(("apps", "replicasets"), ns, md["name"])
        if cur is not None and cur.get("status") != status:
            new = copy.deepcopy(cur)
            new["status"] = status
            cluster.put(("apps", "replicasets"), new)


def _create_owned_pod(
    cluster: Cluster,
    owner: dict,
    tmpl: dict,
    name: str | None = None,
    extra_labels: dict | None = None,
    spec_extra: dict | None = None,
):
    md = owner["metadata"]
    tmd = tmpl.get("metadata") or {}
    pmd = {"namespace": md["namespace"]}
    if name:
        pmd["name"] = name
    else:
        pmd["generateName"] = md["name"] + "-"
    labels = {**(tmd.get("labels") or {}), **(extra_labels or {})}
    if labels:
        pmd["labels"] = labels
    if tmd.get("annotations"):
        pmd["annotations"] = copy.deepcopy(tmd["annotations"])
    pmd["ownerReferences"] = [owner_ref(owner)]
    spec = copy.deepcopy(tmpl.get("spec") or {})
    spec.update(spec_extra or {})
    pod = cluster.system_create(cluster.res_for_kind("", "Pod"), {"metadata": pmd, "spec": spec})
    cluster.event(
        owner,
        "SuccessfulCreate",
        f"create Pod {pod['metadata']['name']} in {owner['kind']} {md['name']} successful"
        if owner["kind"] == "StatefulSet"
        else f"Created pod: {pod['metadata']['name']}",
        {
            "StatefulSet": "statefulset-controller",
            "DaemonSet": "daemonset-controller",
            "Job": "job-controller",
        }[owner["kind"]],
    )
    return pod


# hand-written: no recording. The StatefulSet, DaemonSet and Job controllers below follow
# pkg/controller/* of Kubernetes v1.24 (pod names, labels, status fields), simplified.
def statefulset_controller(cluster: Cluster):
    for sts in cluster.objects(("apps", "statefulsets")):
        md, spec = sts["metadata"], sts["spec"]
        ns = md["namespace"]
        want = spec.get("replicas", 1)
        rev = f"{md['name']}-{pod_template_hash(spec.get('template') or {})}"
        pods = {p["metadata"]["name"]: p for p in owned(cluster, ("", "pods"), ns, md["uid"])}
        parallel = spec.get("podManagementPolicy") == "Parallel"
        for i in range(want):
            name = f"{md['name']}-{i}"
            if name in pods:
                if not parallel and not pod_ready(pods[name]):
                    break
                continue
            _create_owned_pod(
                cluster,
                sts,
                spec.get("template") or {},
                name,
                {"controller-revision-hash": rev, "statefulset.kubernetes.io/pod-name": name},
                {
                    "hostname": name,
                    **({"subdomain": spec["serviceName"]} if spec.get("serviceName") else {}),
                },
            )
            if not parallel:
                break
        for name in sorted(pods, key=lambda n: int(n.rsplit("-", 1)[1]), reverse=True):
            if int(name.rsplit("-", 1)[1]) >= want:
                cluster.remove(("", "pods"), ns, name)
                break
        else:
            # rolling update: replace the highest-ordinal pod of an older revision
            stale = [
                n
                for n, p in pods.items()
                if (p["metadata"].get("labels") or {}).get("controller-revision-hash") != rev
                and int(n.rsplit("-", 1)[1]) < want
            ]
            if stale and all(pod_ready(p) for p in pods.values()):
                cluster.remove(("", "pods"), ns, max(stale, key=lambda n: int(n.rsplit("-", 1)[1])))
        pods = owned(cluster, ("", "pods"), ns, md["uid"])
        ready = sum(1 for p in pods if pod_ready(p))
        updated = sum(
            1
            for p in pods
            if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == rev
        )
        status = {"observedGeneration": md.get("generation", 1), "replicas": len(pods)}
        if ready:
            status["readyReplicas"] = ready
        status.update(
            {
                "currentReplicas": updated,
                "updatedReplicas": updated,
                "currentRevision": rev,
                "updateRevision": rev,
                "collisionCount": 0,
                "availableReplicas": ready,
            }
        )
        set_status(cluster, ("apps", "statefulsets"), sts, status)


def daemonset_controller(cluster: Cluster):
    for ds in cluster.objects(("apps", "daemonsets")):
        md, spec = ds["metadata"], ds["spec"]
        ns = md["namespace"]
        tmpl = spec.get("template") or {}
        node_sel = (tmpl.get("spec") or {}).get("nodeSelector") or {}
        node_labels = (cluster.get_obj(("", "nodes"), "", NODE) or {}).get("metadata", {}).get(
            "labels"
        ) or {}
        fits = all(node_labels.get(k) == v for k, v in node_sel.items())
        pods = owned(cluster, ("", "pods"), ns, md["uid"])
        if fits and not pods:
            pods = [
                _create_owned_pod(
                    cluster,
                    ds,
                    tmpl,
                    None,
                    {
                        "controller-revision-hash": pod_template_hash(tmpl),
                        "pod-template-generation": str(md.get("generation", 1)),
                    },
                    {"nodeName": NODE},
                )
            ]
        ready = sum(1 for p in pods if pod_ready(p))
        n = 1 if fits else 0
        set_status(
            cluster,
            ("apps", "daemonsets"),
            ds,
            {
                "currentNumberScheduled": len(pods),
                "numberMisscheduled": 0,
                "desiredNumberScheduled": n,
                "numberReady": ready,
                "observedGeneration": md.get("generation", 1),
                "updatedNumberScheduled": len(pods),
                "numberAvailable": ready,
                **({"numberUnavailable": n - ready} if n - ready > 0 else {}),
            },
        )


def job_controller(cluster: Cluster):
    for job in cluster.objects(("batch", "jobs")):
        md, spec = job["metadata"], job["spec"]
        ns = md["namespace"]
        st = copy.deepcopy(job.get("status") or {})
        if any(c.get("type") == "Complete" for c in st.get("conditions") or []):
            continue
        pods = owned(cluster, ("", "pods"), ns, md["uid"])
        succeeded = sum(1 for p in pods if p["status"].get("phase") == "Succeeded")
        failed = sum(1 for p in pods if p["status"].get("phase") == "Failed")
        active = [p for p in pods if p["status"].get("phase") not in ("Succeeded", "Failed")]
        completions = spec.get("completions", 1)
        parallelism = spec.get("parallelism", 1)
        if not spec.get("suspend"):
            for _ in range(max(0, min(parallelism, completions - succeeded) - len(active))):
                active.append(
                    _create_owned_pod(
                        cluster,
                        job,
                        spec.get("template") or {},
                        None,
                        {"controller-uid": md["uid"], "job-name": md["name"]},
                    )
                )
        status = {}
        status["startTime"] = st.get("startTime") or ts()
        if succeeded >= completions:
            now = ts()
            status["completionTime"] = now
            status["conditions"] = [
                {
                    "type": "Complete",
                    "status": "True",
                    "lastProbeTime": now,
                    "lastTransitionTime": now,
                }
            ]
            cluster.event(job, "Completed", "Job completed", "job-controller")
        if active and succeeded < completions:
            status["active"] = len(active)
        if succeeded:
            status["succeeded"] = succeeded
        if failed:
            status["failed"] = failed
        status["uncountedTerminatedPods"] = {}
        status["ready"] = sum(1 for p in active if pod_ready(p))
        set_status(cluster, ("batch", "jobs"), job, status)
