"""The values to mask in outputs: every Secret of the namespaces a page touches, and the
credentials of the pinned kubeconfig."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from .cluster import Cluster, ClusterUnavailable, api_for, error_reason, list_items

# A page whose manifests name more namespaces than this has the Secrets of all of them
# listed at once (more values masked, a bounded number of requests after each command).
MAX_NAMESPACE_LISTS = 32


def secret_values(cluster: Cluster, namespaces) -> set[str]:
    """Every Secret value (decoded) in these namespaces (None: in all namespaces), to mask
    in outputs. A namespace that does not exist (yet, or any more) holds nothing."""
    from kubernetes import client
    from urllib3.exceptions import HTTPError

    core = client.CoreV1Api(api_for(cluster))
    if namespaces is not None and len(namespaces) > MAX_NAMESPACE_LISTS:
        namespaces = None  # one list of all namespaces, not thousands of requests
    if namespaces is None:
        lists = [(core.list_secret_for_all_namespaces,)]
    else:
        lists = [(core.list_namespaced_secret, ns) for ns in sorted(namespaces)]
    items: list[dict] = []
    for call, *args in lists:
        try:
            items += list_items(call, *args)
        except (client.ApiException, HTTPError, OSError) as e:
            raise ClusterUnavailable(
                f"cannot read Secrets to redact outputs: {error_reason(e)}"
            ) from None
    return _values_of(items)


def _values_of(items: list[dict]) -> set[str]:
    """The values to mask of these Secrets (as the API answers them)."""
    values: set[str] = set()
    for secret in items:
        for encoded in (secret.get("data") or {}).values():
            try:
                raw = base64.b64decode(encoded)
            except ValueError:
                values.add(encoded)
                continue
            try:
                values.add(raw.decode("utf-8"))
            except UnicodeDecodeError:
                # binary: kubectl prints its base64 form, and a template that decodes it
                # prints the bytes, which the build reads as the runner does
                values.add(encoded)
                values.add(raw.decode("utf-8", "replace"))
        values.update(v for v in (secret.get("stringData") or {}).values() if v)
    return {v for v in values if v}


def credential_values(cluster: Cluster) -> set[str]:
    """The credentials in the pinned kubeconfig (tokens, passwords, client keys), so that an
    output showing them (`kubectl config view --raw`) is masked."""
    try:
        data = json.loads(Path(cluster.kubeconfig).read_text())
    except (OSError, ValueError):
        return set()
    values: set[str] = set()
    for user in data.get("users") or []:
        u = user.get("user") or {}
        for key in ("token", "password", "client-key-data"):
            if isinstance(u.get(key), str) and u[key]:
                values.add(u[key])
        if isinstance(u.get("client-key-data"), str):
            try:
                values.add(base64.b64decode(u["client-key-data"]).decode())
            except (ValueError, UnicodeDecodeError):
                pass
        provider = (u.get("auth-provider") or {}).get("config") or {}
        for key in ("id-token", "refresh-token", "access-token", "client-secret"):
            if isinstance(provider.get(key), str) and provider[key]:
                values.add(provider[key])
    return values
