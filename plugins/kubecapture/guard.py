"""Safety checks on a page's kubectl commands, before anything runs.

Knows nothing of clusters or MkDocs: it reads a page's parsed snippets (and the local
manifests their `-f` names) and raises `SnippetError` naming page and line.

- A command may not leave the build's pinned context: `--context`, `--kubeconfig`,
  `--server`/`-s`, `--cluster`, `--user`, `--token` (and the other credential flags) are
  refused, and so are `kubectl config` commands that write the kubeconfig
  (`use-context`, `set-*`, `delete-*`, …) and kubectl plugins (`kubectl ctx`), which run
  outside kubectl with the whole environment.
- Destructive commands (`delete`, `drain`, `cordon`, `uncordon`, `taint`,
  `replace --force`, `apply --force`, `apply --prune`) are refused when they may act
  outside the page's sandbox namespace, unless the page's front matter says
  `kubecapture: {allow_destructive: true}`. One exception keeps tidy pages working: a
  page may delete a named object that an earlier `kubectl create`/`run` on the same page
  created (`create namespace demo` … `delete namespace demo`); the capture loop checks at
  run time that the create succeeded (see `Permit`), so a pre-existing object of the same
  name is never deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .snippets import Command, Snippet, SnippetError, one_line

# Flags that would point kubectl at another cluster, user or kubeconfig than the pinned one.
ESCAPE_FLAGS = {
    "--context": "context",
    "--kubeconfig": "kubeconfig",
    "--server": "server",
    "-s": "server",
    "--cluster": "cluster",
    "--user": "user",
    "--token": "token",
    "--username": "user",
    "--password": "user",
    "--client-certificate": "user",
    "--client-key": "user",
    "--certificate-authority": "server",
}
# Commands whose own `--user` flag names an RBAC subject, not a kubeconfig user.
_USER_SUBJECT = (("create", "rolebinding"), ("create", "clusterrolebinding"), ("set", "subject"))

BUILTIN_COMMANDS = {
    "alpha", "annotate", "api-resources", "api-versions", "apply", "attach", "auth",
    "autoscale", "certificate", "cluster-info", "completion", "config", "cordon", "cp",
    "create", "debug", "delete", "describe", "diff", "drain", "edit", "events", "exec",
    "explain", "expose", "get", "help", "kuberc", "kustomize", "label", "logs", "options",
    "patch", "plugin", "port-forward", "proxy", "replace", "rollout", "run", "scale", "set",
    "taint", "top", "uncordon", "version", "wait",
}  # fmt: skip
CONFIG_READ_ONLY = {"view", "current-context", "get-contexts", "get-clusters", "get-users"}
KUBERC_READ_ONLY = {"view"}

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
_CREATE_SUBKINDS = {"secret", "service", "svc"}  # `create secret generic NAME`
NODE_VERBS = {"drain", "cordon", "uncordon", "taint"}


@dataclass(frozen=True)
class Parsed:
    """What this module needs to know about one kubectl command."""

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


# --- the page-level check ----------------------------------------------------------------


@dataclass(frozen=True)
class Permit:
    """A destructive command allowed because an earlier command on the page created what
    it deletes; it may run only if that command (at `creator_line`) exited with 0."""

    line: int
    creator_lines: tuple[int, ...]  # the commands that created the targets
    targets: str  # e.g. "namespaces/demo", for messages


def check_page(
    page: str,
    snippets: list[Snippet],
    *,
    sandbox: str | None,
    allow_destructive: bool,
    workdir: Path,
) -> dict[int, Permit]:
    """Refuse commands that could leave the pinned context or destroy outside the sandbox.

    `sandbox` is the page's sandbox namespace, None when the page has none. Returns the
    permits (by command line) the capture loop must check while running the page.
    """
    permits: dict[int, Permit] = {}
    created: dict[tuple[str, str, str | None], int] = {}  # (resource, name, ns) -> line
    for snippet in snippets:
        for command in snippet.commands:
            p = parse(command.argv)
            check_escape(page, command, p)
            if is_destructive(p) and not allow_destructive:
                permit = _destructive_permit(page, command, p, sandbox, created, workdir)
                if permit:
                    permits[command.line] = permit
                    for target in _named_targets(p):
                        created.pop(target, None)  # deleted: a second delete needs a new create
            for target in _creates(p):
                created[target] = command.line
    return permits


def check_escape(page: str, command: Command, p: Parsed | None = None) -> None:
    """Refuse flags and commands that would reach another context than the pinned one."""
    p = p or parse(command.argv)
    verb = p.verb
    sub = p.positionals[1] if len(p.positionals) > 1 else None
    if verb is None:
        pass
    elif verb == "config" and sub is not None and sub not in CONFIG_READ_ONLY:
        raise SnippetError(
            page,
            command.line,
            f"`kubectl config {sub}` is not allowed in a kubectl snippet: it would change "
            "the build's pinned kubeconfig; only reading commands (view, current-context, "
            "get-contexts, get-clusters, get-users) may be used",
        )
    elif verb == "kuberc" and sub is not None and sub not in KUBERC_READ_ONLY:
        raise SnippetError(
            page,
            command.line,
            f"`kubectl kuberc {sub}` is not allowed in a kubectl snippet: it would change "
            "your kubectl preferences for every later command",
        )
    elif verb not in BUILTIN_COMMANDS:
        raise SnippetError(
            page,
            command.line,
            f"`kubectl {verb}` is not a built-in kubectl command; kubectl plugins are not run "
            "in snippets, since they could reach beyond the build's pinned context",
        )
    shown = one_line(command.text)
    for flag, what in ESCAPE_FLAGS.items():
        if flag not in p.flags:
            continue
        if flag == "--user" and tuple(p.positionals[:2]) in _USER_SUBJECT:
            continue
        raise SnippetError(
            page,
            command.line,
            f"`{flag}` is not allowed in a kubectl snippet (`{shown}`): snippets always run "
            f"against the build's pinned context, so a command cannot choose its {what}; "
            "set the kubecapture plugin's `context` option in mkdocs.yml instead",
        )


def is_destructive(p: Parsed) -> bool:
    verb = p.verb
    if verb is None or p.dry_run:
        return False
    if verb in ("delete", *NODE_VERBS):
        return True
    if verb == "replace":
        return p.true("--force")
    if verb == "apply":
        return p.true("--force") or p.true("--prune")
    return False


def _destructive_permit(
    page: str,
    command: Command,
    p: Parsed,
    sandbox: str | None,
    created: dict[tuple[str, str, str | None], int],
    workdir: Path,
) -> Permit | None:
    """None when the command stays in the sandbox; a Permit when every target was created
    earlier on the page; else a SnippetError saying why it is refused."""
    reason = _outside_reason(p, sandbox, workdir)
    if reason is None:
        return None
    targets = _named_targets(p) if p.verb == "delete" else []
    creators = [created.get(t) for t in targets]
    if targets and all(creators):
        return Permit(
            command.line,
            tuple(sorted({c for c in creators if c})),
            ", ".join(f"{r}/{n}" for r, n, _ns in targets),
        )
    shown = one_line(command.text)
    raise SnippetError(
        page,
        command.line,
        f"refusing to run `{shown}`: {reason}; add `allow_destructive: true` under "
        "`kubecapture:` in the page's front matter to allow destructive commands on this page",
    )


def _outside_reason(p: Parsed, sandbox: str | None, workdir: Path) -> str | None:
    """Why a destructive command may act outside the sandbox (None: it stays inside)."""
    verb = p.verb
    if sandbox is None:
        return "it deletes or changes objects and this page has no sandbox namespace"
    if verb in NODE_VERBS:
        return f"`{verb}` acts on nodes, which are outside the page's sandbox"
    if verb == "apply" and p.true("--prune"):
        return "`apply --prune` may delete objects of any namespace, outside the sandbox"
    if p.all_namespaces:
        return "it acts on all namespaces, not only the page's sandbox"
    if p.namespace is not None and p.namespace != sandbox:
        return f"it acts in namespace {p.namespace}, outside the page's sandbox {sandbox}"
    if p.has("-k", "--kustomize"):
        return "the objects of a kustomization may live outside the sandbox"
    files = p.values("-f", "--filename")
    if files:
        return _files_outside(files, p.true("-R") or p.true("--recursive"), sandbox, workdir)
    for resource, name in _targets(p):
        if resource in CLUSTER_SCOPED:
            if resource == "namespaces" and name == sandbox:
                continue  # the page's own sandbox
            return f"{resource} are cluster-wide, outside the page's sandbox"
    return None


def _files_outside(files: list[str], recursive: bool, sandbox: str, workdir: Path) -> str | None:
    import yaml

    for name in files:
        if name == "-" or re.match(r"^[a-z]+://", name):
            return f"kubecapture cannot tell where the objects of {name} live"
        path = Path(name) if Path(name).is_absolute() else workdir / name
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            paths = sorted(q for q in path.glob(pattern) if q.suffix in (".yaml", ".yml", ".json"))
        else:
            paths = [path]
        for q in paths:
            try:
                docs = list(yaml.safe_load_all(q.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                return f"kubecapture cannot read {name} to tell where its objects live"
            for obj in _objects(docs):
                kind = obj.get("kind")
                meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                ns = meta.get("namespace")
                if kind in CLUSTER_SCOPED_KINDS and not (
                    kind == "Namespace" and meta.get("name") == sandbox
                ):
                    return f"{name} holds a {kind}, which is cluster-wide"
                if ns and ns != sandbox:
                    return f"{name} holds objects of namespace {ns}, outside the sandbox"
    return None


def _objects(docs):
    for d in docs:
        if isinstance(d, dict):
            if isinstance(d.get("items"), list) and str(d.get("kind", "")).endswith("List"):
                yield from _objects(d["items"])
            else:
                yield d


def _targets(p: Parsed) -> list[tuple[str, str | None]]:
    """(canonical resource, name or None) a delete-like command names on its command line."""
    args = list(p.positionals[1:])
    if not args:
        return []
    if all("/" in a for a in args):
        return [(canonical(a.split("/", 1)[0]), a.split("/", 1)[1]) for a in args]
    types = [canonical(t) for t in args[0].split(",")]
    names = args[1:]
    return [(t, n) for t in types for n in (names or [None])]


def _named_targets(p: Parsed) -> list[tuple[str, str, str | None]]:
    """(resource, name, namespace) of a delete that names every object it deletes."""
    if p.has("-l", "--selector", "--field-selector", "--all", "-f", "--filename", "-k"):
        return []
    if p.all_namespaces:
        return []
    out = []
    for resource, name in _targets(p):
        if name is None:
            return []
        out.append((resource, name, None if resource in CLUSTER_SCOPED else p.namespace))
    return out


def _creates(p: Parsed) -> list[tuple[str, str, str | None]]:
    """(resource, name, namespace) a `kubectl create TYPE NAME` / `kubectl run NAME` makes."""
    if p.dry_run or p.has("-f", "--filename", "-k", "--kustomize"):
        return []
    args = p.positionals
    if len(args) >= 2 and args[0] == "run":
        return [("pods", args[1], p.namespace)]
    if len(args) >= 3 and args[0] == "create":
        resource = canonical(args[1])
        rest = args[3:] if args[1] in _CREATE_SUBKINDS else args[2:]
        if rest:
            ns = None if resource in CLUSTER_SCOPED else p.namespace
            return [(resource, rest[0], ns)]
    return []


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
    import yaml

    if name == "-" or re.match(r"^[a-z]+://", name):
        return None
    path = Path(name) if Path(name).is_absolute() else workdir / name
    paths = sorted(path.rglob("*")) if path.is_dir() else [path]
    out: set[str] = set()
    for q in paths:
        if q.is_dir() or (path.is_dir() and q.suffix not in (".yaml", ".yml", ".json")):
            continue
        try:
            docs = list(yaml.safe_load_all(q.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # kubectl will fail on it too
        for obj in _objects(docs):
            meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
            if meta.get("namespace"):
                out.add(str(meta["namespace"]))
            if obj.get("kind") == "Namespace" and meta.get("name"):
                out.add(str(meta["name"]))
    return out


PAGE_OPTIONS = ("sandbox", "allow_destructive")


def check_page_options(options: dict, page: str, markdown: str) -> None:
    """Unknown keys under `kubecapture:` in front matter are mistakes, not silence."""
    for key in options:
        if key not in PAGE_OPTIONS:
            line = next((i for i, t in enumerate(markdown.splitlines(), 1) if key in t), 1)
            known = ", ".join(PAGE_OPTIONS)
            raise SnippetError(
                page, line, f"unknown front matter option kubecapture.{key} (known: {known})"
            )


def front_matter_flag(
    options: dict, key: str, page: str, markdown: str, default: bool = False
) -> bool:
    """A true/false page option under `kubecapture:` in front matter."""
    value = options.get(key, default)
    if isinstance(value, bool):
        return value
    line = next(
        (i for i, text in enumerate(markdown.splitlines(), 1) if key in text),
        1,
    )
    raise SnippetError(page, line, f"front matter kubecapture.{key} must be true or false")


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
