"""The Deployment controller: pod-template-hash ReplicaSets, rolling update and Recreate,
revisions and rollback, history cleanup, and the Deployment's status and conditions."""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING

from .. import kinds
from ..kinds import ts
from ..selectors import selector_matches
from .common import owned, owner_ref, pod_template_hash

if TYPE_CHECKING:
    from ..cluster import Cluster

RS_ANNOTATIONS_SKIP = {
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "deployment.kubernetes.io/revision-history",
    "deployment.kubernetes.io/desired-replicas",
    "deployment.kubernetes.io/max-replicas",
    "deprecated.deployment.rollback.to",
}


def _resolve_int_or_percent(v, total: int, round_up: bool) -> int:
    if isinstance(v, int):
        return v
    s = str(v)
    if s.endswith("%"):
        pct = int(s[:-1])
        val = pct * total / 100
        return int(-(-val // 1)) if round_up else int(val // 1)
    return int(s)


def _strip_hash(tmpl: dict) -> dict:
    t = copy.deepcopy(tmpl)
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop("pod-template-hash", None)
    return t


def deployment_controller(cluster: Cluster):
    rs_res = cluster.res_for_kind("apps", "ReplicaSet")
    for dep in cluster.objects(("apps", "deployments")):
        md = dep["metadata"]
        if md.get("deletionTimestamp"):
            continue
        ns, uid = md["namespace"], md["uid"]
        spec = dep["spec"]
        desired = spec.get("replicas", 1)
        all_rs = owned(cluster, ("apps", "replicasets"), ns, uid)
        # adopt orphaned ReplicaSets matching the selector
        for rs in cluster.objects(("apps", "replicasets"), ns):
            if not rs["metadata"].get("ownerReferences") and selector_matches(
                spec.get("selector"),
                (rs["spec"].get("template") or {}).get("metadata", {}).get("labels"),
            ):
                new = copy.deepcopy(rs)
                new["metadata"]["ownerReferences"] = [owner_ref(dep)]
                all_rs.append(cluster.put(("apps", "replicasets"), new))
        tmpl = _strip_hash(spec["template"])
        new_rs = next((r for r in all_rs if _strip_hash(r["spec"]["template"]) == tmpl), None)
        revs = [
            int(
                (r["metadata"].get("annotations") or {}).get(
                    "deployment.kubernetes.io/revision", "0"
                )
            )
            for r in all_rs
        ]
        max_rev = max(revs, default=0)
        strategy = spec.get("strategy") or {}
        ru = strategy.get("rollingUpdate") or {}
        surge = _resolve_int_or_percent(ru.get("maxSurge", "25%"), desired, True)
        unavail = _resolve_int_or_percent(ru.get("maxUnavailable", "25%"), desired, False)
        if surge == 0 and unavail == 0:
            unavail = 1
        if strategy.get("type") == "Recreate":
            surge, unavail = 0, desired
        old_rs = [
            r for r in all_rs if new_rs is None or r["metadata"]["uid"] != new_rs["metadata"]["uid"]
        ]
        created_new = False
        if spec.get("paused"):
            pass
        elif new_rs is None:
            h = pod_template_hash(tmpl)
            rs_tmpl = copy.deepcopy(spec["template"])
            rs_tmpl.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = h
            sel = copy.deepcopy(spec.get("selector") or {})
            sel.setdefault("matchLabels", {})["pod-template-hash"] = h
            total = sum(r["spec"].get("replicas", 0) for r in old_rs)
            if strategy.get("type") == "Recreate":
                start = 0 if any(r["spec"].get("replicas") for r in old_rs) else desired
            else:
                start = desired if not old_rs else max(0, min(desired, desired + surge - total))
            ann = {
                k: v
                for k, v in (md.get("annotations") or {}).items()
                if k not in RS_ANNOTATIONS_SKIP
            }
            ann.update(
                {
                    "deployment.kubernetes.io/desired-replicas": str(desired),
                    "deployment.kubernetes.io/max-replicas": str(desired + surge),
                    "deployment.kubernetes.io/revision": str(max_rev + 1),
                }
            )
            rs_md = {
                "name": f"{md['name']}-{h}",
                "namespace": ns,
                "labels": copy.deepcopy(rs_tmpl["metadata"]["labels"]),
                "annotations": ann,
                "ownerReferences": [owner_ref(dep)],
            }
            new_rs = cluster.system_create(
                rs_res,
                {
                    "metadata": rs_md,
                    "spec": {"replicas": start, "selector": sel, "template": rs_tmpl},
                    "status": {"replicas": 0},
                },
            )
            created_new = True
            if start:
                cluster.event(
                    dep,
                    "ScalingReplicaSet",
                    f"Scaled up replica set {rs_md['name']} to {start}",
                    "deployment-controller",
                )
        else:
            ann = new_rs["metadata"].get("annotations") or {}
            rev = int(ann.get("deployment.kubernetes.io/revision", "0"))
            if rev < max_rev:
                new = copy.deepcopy(new_rs)
                a = new["metadata"].setdefault("annotations", {})
                hist = [
                    x
                    for x in a.get("deployment.kubernetes.io/revision-history", "").split(",")
                    if x
                ]
                a["deployment.kubernetes.io/revision-history"] = ",".join(hist + [str(rev)])
                a["deployment.kubernetes.io/revision"] = str(max_rev + 1)
                new_rs = cluster.put(("apps", "replicasets"), new)
            # scale the new ReplicaSet up / to the desired size
            cur_n = new_rs["spec"].get("replicas", 0)
            total = sum(r["spec"].get("replicas", 0) for r in all_rs)
            if strategy.get("type") == "Recreate":
                target = (
                    desired
                    if not any(
                        r["spec"].get("replicas") or r.get("status", {}).get("replicas")
                        for r in old_rs
                    )
                    else 0
                )
            elif cur_n < desired:
                target = min(desired, cur_n + max(0, desired + surge - total))
            else:
                target = desired
            if target != cur_n:
                new_rs = _scale_rs(cluster, dep, new_rs, target)
        # scale old ReplicaSets down without going under minAvailable
        if not spec.get("paused") and new_rs is not None:
            fresh = [
                cluster.get_obj(("apps", "replicasets"), ns, r["metadata"]["name"]) for r in all_rs
            ]
            fresh = [r for r in fresh if r is not None]
            new_fresh = cluster.get_obj(("apps", "replicasets"), ns, new_rs["metadata"]["name"])
            olds = [r for r in fresh if r["metadata"]["uid"] != new_rs["metadata"]["uid"]]
            available = sum(
                r.get("status", {}).get("availableReplicas", 0)
                for r in fresh + ([new_fresh] if created_new and new_fresh else [])
            )
            can_remove = available - (desired - unavail)
            for r in sorted(olds, key=lambda r: r["metadata"]["creationTimestamp"]):
                n = r["spec"].get("replicas", 0)
                if not n:
                    continue
                unhealthy = n - r.get("status", {}).get("availableReplicas", 0)
                if strategy.get("type") == "Recreate":
                    drop = n
                else:
                    drop = min(n, max(0, unhealthy) + max(0, can_remove))
                    can_remove -= max(0, drop - max(0, unhealthy))
                if drop > 0:
                    _scale_rs(cluster, dep, r, n - drop)
            _cleanup_history(cluster, dep, olds)
        _deployment_status(cluster, dep, new_rs, unavail, created_new)


def _scale_rs(cluster: Cluster, dep, rs, n):
    cur = cluster.get_obj(
        ("apps", "replicasets"), rs["metadata"]["namespace"], rs["metadata"]["name"]
    )
    old_n = cur["spec"].get("replicas", 0)
    new = copy.deepcopy(cur)
    new["spec"]["replicas"] = n
    new["metadata"]["generation"] = cur["metadata"].get("generation", 1) + 1
    a = new["metadata"].setdefault("annotations", {})
    a["deployment.kubernetes.io/desired-replicas"] = str(dep["spec"].get("replicas", 1))
    out = cluster.put(("apps", "replicasets"), new)
    verb = "up" if n > old_n else "down"
    cluster.event(
        dep,
        "ScalingReplicaSet",
        f"Scaled {verb} replica set {rs['metadata']['name']} to {n}",
        "deployment-controller",
    )
    return out


def _cleanup_history(cluster: Cluster, dep, olds):
    limit = dep["spec"].get("revisionHistoryLimit", 10)
    idle = [
        r for r in olds if not r["spec"].get("replicas") and not r.get("status", {}).get("replicas")
    ]
    idle.sort(
        key=lambda r: int(
            (r["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "0")
        )
    )
    for r in idle[: max(0, len(idle) - limit)]:
        cluster.remove(("apps", "replicasets"), r["metadata"]["namespace"], r["metadata"]["name"])


def _deployment_status(cluster: Cluster, dep, new_rs, unavail, created_new):
    md = dep["metadata"]
    ns = md["namespace"]
    cur = cluster.get_obj(("apps", "deployments"), ns, md["name"])
    all_rs = owned(cluster, ("apps", "replicasets"), ns, md["uid"])
    desired = cur["spec"].get("replicas", 1)
    new_fresh = None
    if new_rs is not None:
        new_fresh = cluster.get_obj(("apps", "replicasets"), ns, new_rs["metadata"]["name"])
    st_all = [r.get("status") or {} for r in all_rs]
    replicas = sum(s.get("replicas", 0) for s in st_all)
    ready = sum(s.get("readyReplicas", 0) for s in st_all)
    available = sum(s.get("availableReplicas", 0) for s in st_all)
    updated = (new_fresh or {}).get("status", {}).get("replicas", 0) if new_fresh else 0
    old_status = cur.get("status") or {}
    status = {"observedGeneration": md.get("generation", 1)}
    if replicas:
        status["replicas"] = replicas
    if updated:
        status["updatedReplicas"] = updated
    if ready:
        status["readyReplicas"] = ready
    if available:
        status["availableReplicas"] = available
    if desired - available > 0:
        status["unavailableReplicas"] = desired - available
    now = ts()
    old_conds = {c["type"]: c for c in old_status.get("conditions") or []}

    def cond(ctype, cstatus, reason, message):
        prev = old_conds.get(ctype)
        c = {
            "type": ctype,
            "status": cstatus,
            "lastUpdateTime": now,
            "lastTransitionTime": now,
            "reason": reason,
            "message": message,
        }
        if prev is not None:
            if prev["status"] == cstatus:
                c["lastTransitionTime"] = prev["lastTransitionTime"]
            if (prev["status"], prev["reason"], prev["message"]) == (cstatus, reason, message):
                c["lastUpdateTime"] = prev["lastUpdateTime"]
        return c

    conds = []
    if available >= desired - unavail:
        conds.append(
            cond(
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
            )
        )
    else:
        conds.append(
            cond(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )
        )
    rs_name = new_rs["metadata"]["name"] if new_rs is not None else ""
    complete = updated == desired and replicas == desired and available == desired
    prev_p = old_conds.get("Progressing")
    if cur["spec"].get("paused"):
        conds.append(cond("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused"))
    elif complete and new_rs is not None:
        conds.append(
            cond(
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                f'ReplicaSet "{rs_name}" has successfully progressed.',
            )
        )
    elif (
        prev_p is not None
        and prev_p["reason"] == "ProgressDeadlineExceeded"
        and (prev_p["message"] == f'ReplicaSet "{rs_name}" has timed out progressing.')
    ):
        conds.append(prev_p)
    elif created_new:
        conds.append(
            cond(
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                f'Created new replica set "{rs_name}"',
            )
        )
    else:
        c = cond(
            "Progressing",
            "True",
            "ReplicaSetUpdated",
            f'ReplicaSet "{rs_name}" is progressing.',
        )
        if prev_p is not None and prev_p["reason"] == "NewReplicaSetCreated":
            c["lastUpdateTime"] = prev_p["lastUpdateTime"]
        deadline = cur["spec"].get("progressDeadlineSeconds", 600)
        started = kinds.parse_ts(c["lastUpdateTime"]) or time.time()
        if time.time() - started >= deadline:
            c = cond(
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                f'ReplicaSet "{rs_name}" has timed out progressing.',
            )
        elif (prev_p or {}).get("message") != c["message"] or not prev_p:
            name_ = md["name"]
            cluster.after(
                deadline - (time.time() - started) + 0.05,
                lambda: _touch_deployment(cluster, ns, name_),
            )
        conds.append(c)
    status["conditions"] = conds
    if status != old_status:
        new = copy.deepcopy(cur)
        new["status"] = status
        if new_rs is not None:
            rev = (
                (new_fresh or new_rs)["metadata"]
                .get("annotations", {})
                .get("deployment.kubernetes.io/revision")
            )
            if rev:
                new["metadata"].setdefault("annotations", {})[
                    "deployment.kubernetes.io/revision"
                ] = rev
        cluster.put(("apps", "deployments"), new)
    elif new_rs is not None:
        rev = (
            (new_fresh or new_rs)["metadata"]
            .get("annotations", {})
            .get("deployment.kubernetes.io/revision")
        )
        if rev and (md.get("annotations") or {}).get("deployment.kubernetes.io/revision") != rev:
            new = copy.deepcopy(cur)
            new["metadata"].setdefault("annotations", {})["deployment.kubernetes.io/revision"] = rev
            cluster.put(("apps", "deployments"), new)


def _touch_deployment(cluster: Cluster, ns, name):
    pass  # the reconcile that follows every timer re-evaluates the progress deadline
