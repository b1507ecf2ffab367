"""The simulated control plane: `reconcile` runs every controller until nothing changes.

One module per family: `lifecycle` (namespaces, garbage collection), `nodes` (scheduler
and kubelet), `deployments`, `workloads` (ReplicaSet, StatefulSet, DaemonSet, Job),
`endpoints`; `common` holds what they share. A controller is a function of the cluster,
called with its lock held; it reads and writes through the cluster's store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..initial import ensure_kubernetes_service
from . import deployments, endpoints, lifecycle, nodes, workloads

if TYPE_CHECKING:
    from ..cluster import Cluster


def reconcile(cluster: Cluster) -> None:
    """Run every controller until nothing changes (called with the lock held)."""
    for _ in range(50):
        before = cluster.rv
        ensure_kubernetes_service(cluster)
        lifecycle.namespace_controller(cluster)
        nodes.scheduler(cluster)
        nodes.kubelet(cluster)
        deployments.deployment_controller(cluster)
        workloads.replicaset_controller(cluster)
        workloads.statefulset_controller(cluster)
        workloads.daemonset_controller(cluster)
        workloads.job_controller(cluster)
        endpoints.endpoints_controller(cluster)
        if cluster.rv == before:
            return
