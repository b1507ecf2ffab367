"""What the controllers share: ownerReferences and the objects an owner controls, status
writes, pod readiness, and the pod-template hash of ReplicaSet and revision names."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING

from .. import kinds

if TYPE_CHECKING:
    from ..cluster import Cluster


def owner_ref(owner: dict) -> dict:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def owned(cluster: Cluster, skey, ns: str, owner_uid: str) -> list[dict]:
    return [
        o
        for o in cluster.objects(skey, ns)
        if any(
            r.get("uid") == owner_uid and r.get("controller")
            for r in o["metadata"].get("ownerReferences") or []
        )
    ]


def set_status(cluster: Cluster, skey, obj: dict, status: dict):
    cur = cluster.get_obj(skey, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
    if cur is not None and cur.get("status") != status:
        new = copy.deepcopy(cur)
        new["status"] = status
        cluster.put(skey, new)


def pod_ready(pod: dict) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def pod_template_hash(template: dict, collision_count: int = 0) -> str:
    """Same shape as controller.ComputeHash: fnv32a, then rand.SafeEncodeString."""
    data = json.dumps(template, sort_keys=True).encode()
    if collision_count:
        data += str(collision_count).encode()
    return "".join(kinds.SUFFIX_ALPHABET[ord(ch) % 27] for ch in str(_fnv32a(data)))
