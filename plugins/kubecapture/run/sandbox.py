"""The page's sandbox namespace (create, delete) and settling (wait until its workloads
are where they are going). Every call is bounded: API requests carry a timeout, loops a
deadline, and loops also stop early when `cancel` (the build's interrupt flag) is set.

kubecapture deletes only namespaces it created: by the UID the create call answered, with
that UID as the delete's precondition (a namespace deleted and made again under the same
name by someone else is not touched). Never by a label: any page can put kubecapture's
`managed-by` label on any namespace. The UIDs of sandboxes not yet deleted (a kept one, a
build killed before its cleanup) are remembered in the user's cache dir (`owned.py`), so
that the next build may delete them; a namespace of a sandbox's name that is not in that
record is reported and left alone.
"""

from __future__ import annotations

import threading
import time

from . import owned
from .cluster import (
    REQUEST_TIMEOUT,
    Cluster,
    ClusterUnavailable,
    api_for,
    error_reason,
    get_json,
    list_items,
)

# A label for people (and for the wait for terminating sandboxes): never a reason to delete.
MANAGED_BY = {"app.kubernetes.io/managed-by": "kubecapture"}
# A sandbox's pods are held to Pod Security's baseline level where the API server enforces
# it (1.25+): no privileged containers, hostPath volumes or host namespaces, so a page
# cannot read or change the node through a pod. Pages may not change these labels.
SANDBOX_LABELS = {**MANAGED_BY, "pod-security.kubernetes.io/enforce": "baseline"}
POLL = 0.25  # seconds between two looks at a namespace that is settling


class NamespaceTaken(ClusterUnavailable):
    """A namespace of the sandbox's name exists and kubecapture did not make it."""


def create_namespace(
    cluster: Cluster, name: str, timeout: float = 60, cancel: threading.Event | None = None
) -> str:
    """Create the page's sandbox namespace; returns its UID (what deleting it needs).

    A namespace of that name that an earlier build of this user made (its UID is in the
    record) is deleted first and waited for, one being deleted by anyone is waited for;
    any other is never touched (NamespaceTaken). Raises ClusterUnavailable with one
    sentence when the namespace cannot be made.
    """
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    core = client.CoreV1Api(api_for(cluster))
    body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=dict(SANDBOX_LABELS)))
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                created = get_json(core.create_namespace, body)
            except client.ApiException as e:
                if e.status != 409:
                    raise ClusterUnavailable(
                        f"cannot create sandbox namespace {name}: {error_reason(e)}"
                    ) from None
            else:
                uid = ((created or {}).get("metadata") or {}).get("uid")
                if not uid:
                    raise ClusterUnavailable(
                        f"sandbox namespace {name} was created but the API server did not "
                        "say its UID, so it could not be deleted safely; delete it by hand"
                    )
                owned.remember(uid, name)
                return uid
            existing = _read_namespace(core, name)
            if existing is not None:
                meta = existing.get("metadata") or {}
                if not meta.get("deletionTimestamp"):
                    if not owned.is_ours(meta.get("uid")):
                        raise NamespaceTaken(
                            f"namespace {name} already exists and was not made by kubecapture, "
                            "so it is not used as a sandbox; delete or rename it"
                        )
                    try:  # left by an interrupted or kept build
                        _delete_ns(core, name, meta["uid"])
                    except client.ApiException as e:
                        raise ClusterUnavailable(
                            f"cannot delete sandbox namespace {name} left by an earlier "
                            f"build: {error_reason(e)}"
                        ) from None
            if time.monotonic() > deadline:
                raise ClusterUnavailable(
                    f"sandbox namespace {name} from an earlier build was still being deleted "
                    f"after {timeout:g} s"
                )
            if _wait(cancel, POLL):
                raise ClusterUnavailable(f"sandbox namespace {name} was not created (interrupted)")
    except (HTTPError, OSError) as e:
        raise ClusterUnavailable(
            f"cannot create sandbox namespace {name}: {error_reason(e)}"
        ) from None
    except ValueError as e:  # an answer that is not JSON, or JSON nested past reading
        raise ClusterUnavailable(
            f"cannot create sandbox namespace {name}: the API server's answer could not be "
            f"read ({e})"
        ) from None


def wait_for_deletions(
    cluster: Cluster, timeout: float, cancel: threading.Event | None = None
) -> list[str]:
    """Wait until sandbox namespaces still being deleted (by an earlier build: Kubernetes
    finishes a deletion in the background) are gone, so that pages sharing the cluster do
    not show them as Terminating. Returns the names still there after `timeout` seconds.
    Best effort: a cluster that does not let the user list namespaces has nothing to wait for.
    """
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    core = client.CoreV1Api(api_for(cluster))
    selector = ",".join(f"{k}={v}" for k, v in MANAGED_BY.items())
    deadline = time.monotonic() + timeout
    while True:
        try:
            items = list_items(core.list_namespace, label_selector=selector)
        except (client.ApiException, HTTPError, OSError, ValueError):
            return []
        deleting = [
            ns["metadata"]["name"] for ns in items if ns["metadata"].get("deletionTimestamp")
        ]
        if not deleting or time.monotonic() > deadline or _wait(cancel, POLL):
            return deleting


def _wait(cancel: threading.Event | None, seconds: float) -> bool:
    """Sleep; True when the build was interrupted meanwhile."""
    if cancel is None:
        time.sleep(seconds)
        return False
    return cancel.wait(seconds)


def _read_namespace(core, name: str) -> dict | None:
    return get_json(core.read_namespace, name)


def delete_namespace(cluster: Cluster, name: str, uid: str) -> None:
    """Ask for the deletion of the namespace `name` if it is still the one of this `uid`
    (Kubernetes finishes it in the background). Raises ClusterUnavailable when the request
    fails; a namespace that is gone, or is another one now, is fine (and left alone)."""
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    try:
        _delete_ns(client.CoreV1Api(api_for(cluster)), name, uid)
    except (client.ApiException, HTTPError, OSError) as e:
        raise ClusterUnavailable(
            f"cannot delete sandbox namespace {name}: {error_reason(e)}"
        ) from None


def _delete_ns(core, name: str, uid: str) -> None:
    """Delete with the UID as precondition: 404 (gone) and 409 (a namespace of that name
    but another UID) leave everything as it is."""
    from kubernetes import client

    options = client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=uid), propagation_policy="Background"
    )
    for attempt in range(2):
        try:
            core.delete_namespace(name, body=options, _request_timeout=REQUEST_TIMEOUT)
        except client.ApiException as e:
            if e.status == 409 and attempt == 0:
                current = _read_namespace(core, name)
                if current is not None and current["metadata"].get("uid") == uid:
                    continue  # a conflict while ours was being changed: once more
            elif e.status != 404:
                raise
        break
    owned.forget(uid)


def settle(
    cluster: Cluster, namespace: str, timeout: float, cancel: threading.Event | None = None
) -> str | None:
    """Wait until the namespace's workloads are where they are going: Deployments,
    ReplicaSets and StatefulSets at their desired replicas, DaemonSets scheduled and
    ready, Pods Ready or finished, and deletions done.

    Returns None when settled (or when `cancel` is set), else one sentence naming what did
    not settle within `timeout` seconds.
    """
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    api = api_for(cluster)
    deadline = time.monotonic() + timeout
    pending: list[str] = []
    while True:
        try:
            pending = _unsettled(api, namespace)
        except (client.ApiException, HTTPError, OSError) as e:
            pending = [f"(the API server did not answer: {error_reason(e)})"]
        if not pending:
            return None
        if time.monotonic() > deadline:
            shown = ", ".join(pending[:8])
            if len(pending) > 8:
                shown += f" and {len(pending) - 8} more"
            return f"these objects were not ready within settle_timeout ({timeout:g} s): {shown}"
        if _wait(cancel, POLL):
            return None


def _unsettled(api, namespace: str) -> list[str]:
    from kubernetes import client

    pending: list[str] = []
    apps, core = client.AppsV1Api(api), client.CoreV1Api(api)
    for kind, items in (
        ("deployment", list_items(apps.list_namespaced_deployment, namespace)),
        ("replicaset", list_items(apps.list_namespaced_replica_set, namespace)),
        ("statefulset", list_items(apps.list_namespaced_stateful_set, namespace)),
    ):
        for obj in items:
            meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
            name = f"{kind}/{meta['name']}"
            if meta.get("deletionTimestamp"):
                pending.append(f"{name} (being deleted)")
                continue
            want = spec.get("replicas", 1)
            ready = status.get("availableReplicas" if kind == "deployment" else "readyReplicas", 0)
            if status.get("observedGeneration", 0) < meta.get("generation", 0):
                pending.append(f"{name} (its controller has not caught up)")
            elif (
                ready < want
                or status.get("replicas", 0) != want
                or (kind == "deployment" and status.get("updatedReplicas", 0) < want)
            ):
                word = "available" if kind == "deployment" else "ready"
                pending.append(f"{name} ({ready}/{want} {word})")
    for ds in list_items(apps.list_namespaced_daemon_set, namespace):
        status = ds.get("status") or {}
        want = status.get("desiredNumberScheduled", 0)
        if ds["metadata"].get("deletionTimestamp"):
            pending.append(f"daemonset/{ds['metadata']['name']} (being deleted)")
        elif (ready := status.get("numberReady", 0)) < want:
            pending.append(f"daemonset/{ds['metadata']['name']} ({ready}/{want} ready)")
    for pod in list_items(core.list_namespaced_pod, namespace):
        name = f"pod/{pod['metadata']['name']}"
        status = pod.get("status") or {}
        phase = status.get("phase")
        if pod["metadata"].get("deletionTimestamp"):
            pending.append(f"{name} (terminating)")
        elif phase in ("Succeeded", "Failed"):
            continue
        elif not any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        ):
            waiting = [
                (c.get("state") or {}).get("waiting", {}).get("reason")
                for c in status.get("containerStatuses") or []
            ]
            why = next((w for w in waiting if w), None) or phase or "not scheduled"
            pending.append(f"{name} ({why}, not ready)")
    return pending
