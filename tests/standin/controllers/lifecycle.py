"""Object lifecycle across kinds: the namespace controller (a namespace's default
ServiceAccount and kube-root-ca.crt), namespace finalization, and the garbage collector
(dependents go with their owner, or are orphaned)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..cluster import Cluster


def namespace_controller(cluster: Cluster):
    for ns in cluster.objects(("", "namespaces")):
        name = ns["metadata"]["name"]
        if ns["metadata"].get("deletionTimestamp"):
            continue
        if cluster.get_obj(("", "serviceaccounts"), name, "default") is None:
            cluster.system_create(
                cluster.res_for_kind("", "ServiceAccount"),
                {"metadata": {"name": "default", "namespace": name}},
                manager=None,
            )
        if cluster.get_obj(("", "configmaps"), name, "kube-root-ca.crt") is None:
            # hand-written: no recording (content of the cluster CA bundle)
            cluster.system_create(
                cluster.res_for_kind("", "ConfigMap"),
                {
                    "metadata": {
                        "name": "kube-root-ca.crt",
                        "namespace": name,
                        "annotations": {
                            "kubernetes.io/description": (
                                "Contains a CA bundle that can be used to verify the "
                                "kube-apiserver when using internal endpoints such as the "
                                "internal service IP or kubernetes.default.svc. No other "
                                "usage is guaranteed across distributions of Kubernetes "
                                "clusters."
                            )
                        },
                    },
                    "data": {"ca.crt": STANDIN_CA},
                },
                manager="kube-controller-manager",
            )


def finalize_namespace(cluster: Cluster, name: str):
    ns = cluster.get_obj(("", "namespaces"), "", name)
    if ns is None or not ns["metadata"].get("deletionTimestamp"):
        return
    for (group, plural), bucket in list(cluster.data.items()):
        for ons, oname in list(bucket):
            if ons == name:
                cluster.remove((group, plural), ons, oname)
    cluster.remove(("", "namespaces"), "", name)


def orphan_dependents(cluster: Cluster, uid: str):
    for skey, bucket in cluster.data.items():
        for obj in list(bucket.values()):
            refs = obj["metadata"].get("ownerReferences") or []
            if any(r.get("uid") == uid for r in refs):
                new = copy.deepcopy(obj)
                new["metadata"]["ownerReferences"] = [r for r in refs if r.get("uid") != uid]
                if not new["metadata"]["ownerReferences"]:
                    del new["metadata"]["ownerReferences"]
                cluster.put(skey, new)


def garbage_collect(cluster: Cluster, owner: dict):
    uid = owner["metadata"].get("uid")
    for skey, bucket in list(cluster.data.items()):
        for (ons, oname), obj in list(bucket.items()):
            refs = obj["metadata"].get("ownerReferences") or []
            if any(r.get("uid") == uid for r in refs):
                cluster.remove(skey, ons, oname)


# hand-written: no recording. A syntactically valid, self-signed stand-in CA certificate.
STANDIN_CA = """-----BEGIN CERTIFICATE-----
MIIBdzCCAR2gAwIBAgIBADAKBggqhkjOPQQDAjAjMSEwHwYDVQQDDBhrOHMtc3Rh
bmRpbi1jYUAxNzk1NjUyNzc4MB4XDTI2MTEyNjAwMjYxOFoXDTM2MTEyMzAwMjYx
OFowIzEhMB8GA1UEAwwYazhzLXN0YW5kaW4tY2FAMTc5NTY1Mjc3ODBZMBMGByqG
SM49AgEGCCqGSM49AwEHA0IABHN0YW5kaW4tY2Etbm90LWEtcmVhbC1rZXktMDAw
MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwo0IwQDAO
BgNVHQ8BAf8EBAMCAqQwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUc3RhbmRp
bi1jYS1za2lkLTAwMDAwCgYIKoZIzj0EAwIDSAAwRQIgc3RhbmRpbi1zaWduYXR1
cmUtMDAwMDAwMDAwMDAwAiEAc3RhbmRpbi1zaWduYXR1cmUtMDAwMDAwMDAwMDAw
-----END CERTIFICATE-----
"""
