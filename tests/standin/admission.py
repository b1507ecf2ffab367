"""What the API server works out for a write besides storing it: access reviews answered,
a new Service's IPs and node ports allocated, a delete's preconditions checked."""

from __future__ import annotations

import random

from .kinds import in_order
from .resources import ApiError, Res

REVIEW_KINDS = {
    "SelfSubjectAccessReview",
    "SubjectAccessReview",
    "LocalSubjectAccessReview",
    "SelfSubjectRulesReview",
    "TokenReview",
}


def review(res: Res, body: dict) -> dict:
    """Access reviews are answered, not stored. The recorded user is a cluster admin."""
    out = {
        "kind": res.kind,
        "apiVersion": res.api_version,
        "metadata": {"creationTimestamp": None},
        "spec": body.get("spec") or {},
    }
    if res.kind == "SelfSubjectRulesReview":
        # hand-written: no recording (what kube-apiserver answers a cluster-admin)
        out["status"] = {
            "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    elif res.kind == "TokenReview":
        out["status"] = {
            "authenticated": True,
            "user": {
                "username": "minikube-user",
                "groups": ["system:masters", "system:authenticated"],
            },
        }
    else:
        out["status"] = {"allowed": True, "reason": ""}  # hand-written: no recording
    return out


def allocate_service(svc: dict, cluster_ips: set[str], node_ports: set[int]) -> None:
    """Fill in a new Service's cluster IP and node ports (free ones) and defaults, in the
    real server's field order."""
    spec = svc["spec"]
    typ = spec.get("type", "ClusterIP")
    if typ != "ExternalName" and not spec.get("clusterIP"):
        while True:
            ip = f"10.0.{random.randint(0, 255)}.{random.randint(2, 254)}"
            if ip not in cluster_ips:
                break
        cluster_ips.add(ip)
        spec["clusterIP"] = ip
    if spec.get("clusterIP") and "clusterIPs" not in spec:
        spec["clusterIPs"] = [spec["clusterIP"]]
    if typ in ("NodePort", "LoadBalancer"):
        for p in spec.get("ports") or []:
            if not p.get("nodePort"):
                while True:
                    np_ = random.randint(30000, 32767)
                    if np_ not in node_ports:
                        break
                node_ports.add(np_)
                p["nodePort"] = np_
        spec.setdefault("externalTrafficPolicy", "Cluster")
        if typ == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
    if typ != "ExternalName":
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    order = [
        "ports",
        "selector",
        "clusterIP",
        "clusterIPs",
        "type",
        "externalIPs",
        "sessionAffinity",
        "externalName",
        "externalTrafficPolicy",
        "ipFamilies",
        "ipFamilyPolicy",
        "allocateLoadBalancerNodePorts",
        "internalTrafficPolicy",
    ]
    svc["spec"] = in_order(spec, order)
    svc["status"] = {"loadBalancer": {}}


def check_preconditions(res: Res, name: str, cur: dict, preconditions: dict) -> None:
    """DeleteOptions.preconditions: the object must still be the one the client means (the
    real server answers 409 Conflict, its message worded as here)."""
    meta = cur["metadata"]
    for key, field in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
        want, have = preconditions.get(key), meta.get(key)
        if want is not None and want != have:
            raise ApiError(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on {res.qualified} "{name}": precondition '
                f"failed: {field} in precondition: {want}, {field} in object meta: {have}",
                {"name": name, **({"group": res.group} if res.group else {}), "kind": res.plural},
            )
