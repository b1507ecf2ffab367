"""What a kubectl command line says: its verb, flags and resources (kubectl's aliases
resolved), whether it only reads, and which namespaces it and its `-f` manifests touch.

The argument model the guard's policy (guard.py) and the capture loop read commands with;
it decides nothing and knows nothing of clusters or MkDocs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .snippets import Snippet

# Flags that take the next argument as their value (when not written `--flag=value`).
VALUE_FLAGS = {
    # global
    "-n", "--namespace", "--context", "--cluster", "--user", "--token", "--kubeconfig",
    "-s", "--server", "--as", "--as-group", "--as-uid", "--as-user-extra", "--cache-dir",
    "--certificate-authority", "--client-certificate", "--client-key", "--request-timeout",
    "--tls-server-name", "-v", "--v", "--vmodule", "--kuberc", "--profile",
    "--profile-output", "--username", "--password", "--proxy-url", "--log-flush-frequency",
    # common to the commands this module reads
    "-l", "--selector", "--field-selector", "--grace-period", "--timeout", "-o", "--output",
    "-f", "--filename", "-k", "--kustomize", "--raw", "--pod-selector", "--chunk-size",
    "--field-manager", "--subresource", "--prune-allowlist", "--prune-whitelist",
    "--template", "--image", "--port", "-c", "--container", "--replicas", "--labels",
    "--overrides", "--restart", "--env", "--from-literal", "--from-file", "--from-env-file",
    "--type", "--role", "--clusterrole", "--serviceaccount", "--group", "--tcp", "--name",
    "--skip-wait-for-delete-timeout", "--docker-server", "--docker-username",
    "--docker-password", "--docker-email", "--cert", "--key", "--schedule", "--from",
    "--verb", "--resource", "--resource-name", "--non-resource-url", "--aggregation-rule",
    "--description", "--value", "--preemption-policy", "--hard", "--scopes",
    "--external-name", "--node-port", "--class", "--rule", "--default-backend", "--annotation",
}  # fmt: skip

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
CLUSTER_SCOPED_KINDS = {
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding",
    "CustomResourceDefinition", "StorageClass", "PriorityClass", "IngressClass",
    "RuntimeClass", "CSIDriver", "CSINode", "VolumeAttachment", "CertificateSigningRequest",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "APIService",
    "ComponentStatus", "PodSecurityPolicy", "FlowSchema", "PriorityLevelConfiguration",
}  # fmt: skip


@dataclass(frozen=True)
class Parsed:
    """What kubecapture needs to know about one kubectl command."""

    positionals: tuple[str, ...]  # non-flag arguments, the command words first
    flags: dict[str, list[str]]  # flag name -> values ("" for a boolean)

    @property
    def verb(self) -> str | None:
        return self.positionals[0] if self.positionals else None

    def has(self, *names: str) -> bool:
        return any(n in self.flags for n in names)

    def values(self, *names: str) -> list[str]:
        return [v for n in names for v in self.flags.get(n, [])]

    def true(self, name: str) -> bool:
        return any(v in ("", "true") for v in self.flags.get(name, []))

    @property
    def namespace(self) -> str | None:
        values = self.values("-n", "--namespace")
        return values[-1] if values else None

    @property
    def all_namespaces(self) -> bool:
        return self.true("-A") or self.true("--all-namespaces")

    @property
    def dry_run(self) -> bool:
        return any(v not in ("none", "false") for v in self.values("--dry-run"))


def parse(argv: tuple[str, ...] | list[str]) -> Parsed:
    """Split a kubectl argv (argv[0] is kubectl) into positionals and flags; stops at `--`."""
    positionals: list[str] = []
    flags: dict[str, list[str]] = {}
    args = list(argv[1:])
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a == "--":
            break
        if a.startswith("--") and len(a) > 2:
            name, eq, value = a.partition("=")
            if not eq and name in VALUE_FLAGS and i < len(args) and _value_like(args[i]):
                value = args[i]
                i += 1
            flags.setdefault(name, []).append(value)
        elif a.startswith("-") and len(a) > 1 and not _is_number(a):
            name, rest = a[:2], a[2:]
            if rest.startswith("="):
                rest = rest[1:]
            if name in VALUE_FLAGS:
                if not rest and i < len(args) and _value_like(args[i]):
                    rest = args[i]
                    i += 1
                flags.setdefault(name, []).append(rest)
            else:  # -A, -w, or a bundle of booleans (-it)
                for ch in a[1:]:
                    flags.setdefault(f"-{ch}", []).append("")
        else:
            positionals.append(a)
    return Parsed(tuple(positionals), flags)


def _value_like(a: str) -> bool:
    return not a.startswith("-") or _is_number(a)


def _is_number(a: str) -> bool:
    return bool(re.fullmatch(r"-\d+(\.\d+)?", a))


def canonical(resource: str) -> str:
    """`deploy` -> `deployments`; `nodes.v1` or `clusterroles.rbac.authorization.k8s.io`
    -> the plural without group; unknown names stay as written (lower case)."""
    name = resource.lower().split(".", 1)[0]
    return _CANONICAL.get(name, name)


# --- reading or changing -------------------------------------------------------------------

# `kubectl config` subcommands that only read the kubeconfig.
CONFIG_READ_ONLY = {"view", "current-context", "get-contexts", "get-clusters", "get-users"}
# Verbs that only read the cluster (and the pinned kubeconfig): pages made of these alone
# cannot change what another page sees, so they may run side by side; any other command
# may change state, so a sandboxed page settles after it.
READ_VERBS = {
    "get",
    "describe",
    "explain",
    "api-resources",
    "api-versions",
    "version",
    "cluster-info",
    "top",
    "logs",
    "events",
    "wait",
    "diff",
}
READ_SUBCOMMANDS = {
    "rollout": {"status", "history"},
    "config": CONFIG_READ_ONLY,
    "auth": {"can-i", "whoami"},
}


def is_read_only(argv) -> bool:
    """True when a command cannot change the cluster or the kubeconfig: a read verb (or
    read subcommand), or any verb with `--dry-run=client|server`. Unknown verbs count as
    changes."""
    p = parse(argv)
    if p.dry_run:
        return True
    if p.verb is None:
        return True  # bare `kubectl` or `kubectl --help`: prints help
    sub = p.positionals[1] if len(p.positionals) > 1 else None
    return p.verb in READ_VERBS or sub in READ_SUBCOMMANDS.get(p.verb, ())


# --- what a page touches, for redaction --------------------------------------------------


def touched_namespaces(snippets: list[Snippet], default: str, workdir: Path) -> set[str] | None:
    """The namespaces a page's commands may read or write; None means all of them (a
    command with -A, --raw, a kustomization or a remote file)."""
    out = {default}
    for snippet in snippets:
        for command in snippet.commands:
            p = parse(command.argv)
            if p.all_namespaces or p.has("--raw", "-k", "--kustomize"):
                return None
            if p.namespace:
                out.add(p.namespace)
            if p.verb == "create" and len(p.positionals) >= 3:
                if canonical(p.positionals[1]) == "namespaces":
                    out.add(p.positionals[2])
            for name in p.values("-f", "--filename"):
                found = _manifest_namespaces(name, workdir)
                if found is None:
                    return None
                out |= found
    return out


def _manifest_namespaces(name: str, workdir: Path) -> set[str] | None:
    # Redaction errs toward more namespaces: subdirectories are read even without -R (an
    # extra namespace only masks more); a file kubectl cannot read either touches nothing.
    out: set[str] = set()
    try:
        for obj in manifest_objects(name, workdir, recursive=True, skip_unreadable=True):
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            if meta.get("namespace"):
                out.add(str(meta["namespace"]))
            if obj.get("kind") == "Namespace" and meta.get("name"):
                out.add(str(meta["name"]))
    except ManifestUnknown:
        return None
    return out


# --- the manifests `-f` names ------------------------------------------------------------

_MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")  # what kubectl reads in a directory


class ManifestUnknown(Exception):
    """The objects behind a `-f` argument cannot be known before kubectl runs: `remote` for
    stdin (`-`) or a URL, else a file that cannot be read or parsed."""

    def __init__(self, name: str, *, remote: bool):
        super().__init__(name)
        self.name = name
        self.remote = remote


def manifest_objects(
    name: str, workdir: Path, *, recursive: bool, skip_unreadable: bool = False
) -> Iterator[dict]:
    """The objects of the manifests `-f NAME` names, found as kubectl finds them: the file,
    or the .yaml/.yml/.json files of a directory, of its subdirectories too when
    `recursive` (kubectl's `-R`); a List gives its items. A relative NAME is under `workdir`.

    Raises ManifestUnknown, when the iteration reaches it, for stdin, a URL, or a file that
    cannot be read or parsed; with `skip_unreadable` such a file gives nothing instead.

    One reader, two uses that differ on purpose: the guard reads what kubectl will act on
    (`-R` as given) and refuses what it cannot read; redaction (`touched_namespaces`) errs
    toward more namespaces, so it always recurses and skips what kubectl cannot read either.
    """
    import yaml

    if name == "-" or re.match(r"^[a-z]+://", name):
        raise ManifestUnknown(name, remote=True)
    path = Path(name) if Path(name).is_absolute() else workdir / name
    if path.is_dir():
        pattern = "**/*" if recursive else "*"
        paths = sorted(
            q for q in path.glob(pattern) if not q.is_dir() and q.suffix in _MANIFEST_SUFFIXES
        )
    else:
        paths = [path]
    for q in paths:
        try:
            docs = list(yaml.safe_load_all(q.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            if skip_unreadable:
                continue
            raise ManifestUnknown(name, remote=False) from None
        yield from _objects(docs)


def _objects(docs):
    for d in docs:
        if isinstance(d, dict):
            if isinstance(d.get("items"), list) and str(d.get("kind", "")).endswith("List"):
                yield from _objects(d["items"])
            else:
                yield d


def waits(argv) -> bool:
    """True when a command waits for the cluster to change or follows its changes (`wait`,
    `rollout status`, `--watch`, `logs --follow`): what runs after it on the page may
    count on what it waited for."""
    p = parse(argv)
    sub = p.positionals[1] if len(p.positionals) > 1 else None
    if p.verb == "wait" or (p.verb == "rollout" and sub == "status"):
        return True
    if any(p.true(name) for name in ("-w", "--watch", "--watch-only")):
        return True
    return p.verb in ("logs", "attach") and (p.has("-f") or p.true("--follow"))
