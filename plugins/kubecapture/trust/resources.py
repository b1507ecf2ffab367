"""Which Kubernetes resources and kinds live in a namespace, and resource names as kubectl
spells them, made canonical."""

from __future__ import annotations

import re


def canonical(resource: str) -> str:
    """`deploy` -> `deployments`; `nodes.v1` or `clusterroles.rbac.authorization.k8s.io`
    -> the plural without group; unknown names stay as written (lower case). A namespaced
    type's name with another group than its own (`deployments.example.com`, a custom
    resource that may be cluster-wide) stays as written too."""
    name, _, group = resource.lower().partition(".")
    plural = _CANONICAL.get(name)
    if plural is None:
        return resource.lower() if group else name
    if plural in _NAMESPACED_GROUPS:
        # `pods.v1`, `deployments.apps`, `deployments.v1.apps`
        head, _, rest = group.partition(".")
        given = rest if re.fullmatch(r"v\d+(?:(?:alpha|beta)\d+)?", head) else group
        if given and given not in _NAMESPACED_GROUPS[plural]:
            return resource.lower()
    return plural


def namespaced(resource: str) -> bool:
    """Does `resource` (as `canonical` gives it) name a built-in namespaced type? Anything
    else may be cluster-wide: a type of the cluster-scoped list, a newer built-in one
    (`servicecidrs`), a custom resource, a category (`api-extensions`). Only `all` among
    categories: it names the namespaced workloads."""
    return resource in _NAMESPACED_GROUPS or resource == "all"


def namespaced_kind(obj: dict) -> bool:
    """Is a manifest's object of a built-in namespaced kind, in that kind's own API group?
    An unknown kind, a kind of another group, or no kind at all may be cluster-wide."""
    kind, version = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(version, str):
        return False
    group = version.rpartition("/")[0]
    return group in _NAMESPACED_KINDS.get(kind, ())


# Resource names (plural, singular, short) -> canonical plural.
_CLUSTER_ALIASES = {
    "namespaces": ("namespace", "ns"),
    "nodes": ("node", "no"),
    "persistentvolumes": ("persistentvolume", "pv"),
    "clusterroles": ("clusterrole",),
    "clusterrolebindings": ("clusterrolebinding",),
    "customresourcedefinitions": ("customresourcedefinition", "crd", "crds"),
    "storageclasses": ("storageclass", "sc"),
    "priorityclasses": ("priorityclass", "pc"),
    "ingressclasses": ("ingressclass",),
    "runtimeclasses": ("runtimeclass",),
    "csidrivers": ("csidriver",),
    "csinodes": ("csinode",),
    "volumeattachments": ("volumeattachment",),
    "certificatesigningrequests": ("certificatesigningrequest", "csr"),
    "mutatingwebhookconfigurations": ("mutatingwebhookconfiguration",),
    "validatingwebhookconfigurations": ("validatingwebhookconfiguration",),
    "validatingadmissionpolicies": ("validatingadmissionpolicy",),
    "validatingadmissionpolicybindings": ("validatingadmissionpolicybinding",),
    "apiservices": ("apiservice",),
    "componentstatuses": ("componentstatus", "cs"),
    "podsecuritypolicies": ("podsecuritypolicy", "psp"),
    "flowschemas": ("flowschema",),
    "prioritylevelconfigurations": ("prioritylevelconfiguration",),
}

_NAMESPACED_ALIASES = {
    "pods": ("pod", "po"),
    "services": ("service", "svc"),
    "deployments": ("deployment", "deploy"),
    "replicasets": ("replicaset", "rs"),
    "statefulsets": ("statefulset", "sts"),
    "daemonsets": ("daemonset", "ds"),
    "jobs": ("job",),
    "cronjobs": ("cronjob", "cj"),
    "secrets": ("secret",),
    "configmaps": ("configmap", "cm"),
    "serviceaccounts": ("serviceaccount", "sa"),
    "persistentvolumeclaims": ("persistentvolumeclaim", "pvc"),
    "ingresses": ("ingress", "ing"),
    "roles": ("role",),
    "rolebindings": ("rolebinding",),
    "networkpolicies": ("networkpolicy", "netpol"),
    "horizontalpodautoscalers": ("horizontalpodautoscaler", "hpa"),
    "poddisruptionbudgets": ("poddisruptionbudget", "pdb"),
    "endpoints": ("ep",),
    "events": ("event", "ev"),
    "limitranges": ("limitrange", "limits"),
    "resourcequotas": ("resourcequota", "quota"),
    "replicationcontrollers": ("replicationcontroller", "rc"),
    "leases": ("lease",),
}

_CANONICAL = {
    a: plural
    for table in (_CLUSTER_ALIASES, _NAMESPACED_ALIASES)
    for plural, aliases in table.items()
    for a in (plural, *aliases)
}

CLUSTER_SCOPED = set(_CLUSTER_ALIASES)

# The API groups of the namespaced types (a type written with a group must name its own).
_CORE, _APPS, _BATCH, _NET = ("",), ("apps",), ("batch",), ("networking.k8s.io",)
_RBAC = ("rbac.authorization.k8s.io",)

_NAMESPACED_GROUPS = {
    "pods": _CORE, "services": _CORE, "secrets": _CORE, "configmaps": _CORE,
    "serviceaccounts": _CORE, "persistentvolumeclaims": _CORE, "endpoints": _CORE,
    "limitranges": _CORE, "resourcequotas": _CORE, "replicationcontrollers": _CORE,
    "events": ("", "events.k8s.io"),
    "deployments": _APPS, "replicasets": _APPS, "statefulsets": _APPS, "daemonsets": _APPS,
    "jobs": _BATCH, "cronjobs": _BATCH,
    "ingresses": _NET, "networkpolicies": _NET,
    "roles": _RBAC, "rolebindings": _RBAC,
    "horizontalpodautoscalers": ("autoscaling",),
    "poddisruptionbudgets": ("policy",),
    "leases": ("coordination.k8s.io",),
}  # fmt: skip

assert set(_NAMESPACED_GROUPS) == set(_NAMESPACED_ALIASES)

# Manifest kinds -> their API groups, for `-f`: what is not here may be cluster-wide.


_NAMESPACED_KINDS = {
    "Pod": _CORE, "Service": _CORE, "Secret": _CORE, "ConfigMap": _CORE,
    "ServiceAccount": _CORE, "PersistentVolumeClaim": _CORE, "Endpoints": _CORE,
    "LimitRange": _CORE, "ResourceQuota": _CORE, "ReplicationController": _CORE,
    "PodTemplate": _CORE, "Event": ("", "events.k8s.io"),
    "Deployment": _APPS, "ReplicaSet": _APPS, "StatefulSet": _APPS, "DaemonSet": _APPS,
    "ControllerRevision": _APPS, "Job": _BATCH, "CronJob": _BATCH,
    "Ingress": _NET, "NetworkPolicy": _NET, "Role": _RBAC, "RoleBinding": _RBAC,
    "HorizontalPodAutoscaler": ("autoscaling",), "PodDisruptionBudget": ("policy",),
    "Lease": ("coordination.k8s.io",), "EndpointSlice": ("discovery.k8s.io",),
}  # fmt: skip

CLUSTER_SCOPED_KINDS = {
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "StorageClass", "PriorityClass", "IngressClass",
    "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "CertificateSigningRequest",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService",
    "ComponentStatus", "PodSecurityPolicy", "FlowSchema", "PriorityLevelConfiguration",
}  # fmt: skip
