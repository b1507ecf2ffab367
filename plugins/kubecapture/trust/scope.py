"""Where a parsed command acts, for the guard: the objects it names or creates, the
rights (RBAC) it grants, the Secrets it reads, and why it may act outside the page's own
namespaces."""

from __future__ import annotations

from pathlib import Path

import yaml

from ..base import plainjson, plainyaml
from .files import located
from .kubectl_args import Parsed
from .manifests import MANIFEST_DEPTH, ManifestUnknown, manifest_objects
from .resources import CLUSTER_SCOPED, CLUSTER_SCOPED_KINDS, canonical, namespaced, namespaced_kind

NODE_VERBS = {"drain", "cordon", "uncordon", "taint"}


def write_outside_reason(
    p: Parsed,
    sandbox: str | None,
    created: dict[tuple[str, str, str | None], int],
    workdir: Path,
) -> tuple[str | None, dict[str, int]]:
    """Why a command that changes objects may change them outside the page's sandbox
    (None: it stays inside), and the namespaces it may change only because an earlier
    command created them (name -> that command's line). With a sandbox, only what is in
    the sandbox. Without one, a page changes namespaced objects of its own namespaces
    only: the context's (no namespace named), `default`, or one the page created; nothing
    cluster-wide but the namespaces it creates (a page must not bind a role in
    kube-system unseen). A Namespace object in a manifest is the page's own only when the
    command creates it (`create -f`) or an earlier command did: `label -f ns.yaml` of
    someone else's namespace is a change outside."""
    relies: dict[str, int] = {}
    if p.all_namespaces:
        reason = "it acts on all namespaces" + (", not only the page's sandbox" if sandbox else "")
        return reason, relies

    def foreign(ns: str) -> bool:
        if sandbox is not None:
            return ns != sandbox
        if ns == "default":
            return False
        line = created.get(("namespaces", ns, None))
        if line is not None:
            relies[ns] = line
        return line is None

    where = f"the page's sandbox {sandbox}" if sandbox else "the page's own namespaces"
    if p.namespace is not None and foreign(p.namespace):
        return f"it acts in namespace {p.namespace}, outside {where}", relies

    def own_namespace(name) -> bool:
        if p.verb == "create":
            return True  # it makes the namespace, and fails if one of that name exists
        line = created.get(("namespaces", str(name), None))
        if line is not None:
            relies[str(name)] = line
        return line is not None

    for name in p.values("filename"):
        try:
            reason = _manifest_outside(
                name, p.recursive, workdir, lambda ns: foreign(str(ns)), where, own_namespace
            )
        except ManifestUnknown:
            continue  # kubectl cannot read it either
        if reason:
            return reason, relies
    if p.verb in ("create", "run", "apply", "replace"):
        return None, relies  # what they make is checked above (create's opt-in for cluster-wide)
    for resource, name in targets(p):
        if namespaced(resource):
            continue
        if resource == "namespaces" and name is not None and name == sandbox:
            continue
        line = created.get(("namespaces", name, None)) if resource == "namespaces" else None
        if line is None:
            return _scope_reason(resource), relies
        relies[str(name)] = line
    return None, relies


def sandbox_object_reason(p: Parsed, sandbox: str | None, workdir: Path) -> str | None:
    """The sandbox's own Namespace object holds the Pod Security label its pods are held
    to: only `label` and `annotate` (whose keys are checked) may change it, never a patch
    or a manifest (`replace -f` of it without labels would remove the label)."""
    if sandbox is None or p.effect != "write" or p.verb in ("label", "annotate", "delete"):
        return None
    why = (
        f"it would change the sandbox's own Namespace object {sandbox}, which holds the Pod "
        "Security label its pods are held to (only `kubectl label` and `annotate` may change it)"
    )
    if ("namespaces", sandbox, None) in creates(p, workdir):
        # after `delete namespace SANDBOX`, a namespace of its name made by the page would
        # hold its pods without the Pod Security label kubecapture puts on the sandbox
        return (
            f"it would make a namespace of the sandbox's name {sandbox} without the Pod "
            "Security label kubecapture gives the sandbox (only kubecapture makes it)"
        )
    if p.verb not in ("create", "run", "apply", "replace"):
        for resource, name in targets(p):
            if resource == "namespaces" and name == sandbox:
                return why
    for obj in _manifest_objects(p, workdir):
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        if obj.get("kind") == "Namespace" and meta.get("name") == sandbox:
            return why
    return None


def _manifest_objects(p: Parsed, workdir: Path) -> list[dict]:
    """The objects of the command's `-f` manifests that can be read (check_command has
    refused those that are not plain data)."""
    if "filename" not in p.flags:
        return []  # most commands: no manifest to read
    out = []
    for name in p.values("filename"):
        try:
            out += list(manifest_objects(name, workdir, recursive=p.recursive))
        except ManifestUnknown:
            continue
    return out


# --- RBAC and Secrets: permissions a reviewer sees in the front matter --------------------

_RBAC_GROUP = "rbac.authorization.k8s.io"

_RBAC_KINDS = {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}

_RBAC_RESOURCES = {"roles", "rolebindings", "clusterroles", "clusterrolebindings"}

# Subjects that mean "anyone who reaches the API server": never bound by a page.
_ANONYMOUS = {"system:anonymous", "system:unauthenticated", "system:authenticated"}


def rbac_reason(p: Parsed, workdir: Path) -> str | None:
    """Why the command creates or changes RBAC objects (grants rights), which a page
    does only with `allow_rbac: true`; an opt-in command the page lists in `allow:`
    (`kubectl create clusterrolebinding`) is that permission already."""
    if p.effect != "write" or p.verb in ("delete", "annotate"):
        return None
    if p.command.opt_in:
        return None  # check_command required its own `allow:` entry
    opt_in = "add `allow_rbac: true` under `kubecapture:` in the page's front matter to allow it"
    if p.verb == "label":
        # a ClusterRole's labels grant: the roles whose aggregationRule selects them (admin,
        # edit, view) take its rules (`aggregate-to-edit=true` on cluster-admin)
        kinds = {r for r, _ in targets(p)} | {
            "clusterroles" for obj in _manifest_objects(p, workdir) if _is_rbac(obj, "ClusterRole")
        }
        if "clusterroles" in kinds:
            return (
                "it labels ClusterRoles, and the roles that aggregate by label (admin, edit, "
                f"view) take the rules of those it labels; {opt_in}"
            )
        return None
    if len(p.path) >= 2 and p.path[0] == "create" and canonical(p.path[1]) in _RBAC_RESOURCES:
        return f"it creates RBAC objects ({p.path[1]}), which grant rights; {opt_in}"
    if p.path == ("set", "subject"):
        return f"it changes the subjects of a binding, which grants rights; {opt_in}"
    if p.verb not in ("create", "apply", "replace"):
        for resource, _ in targets(p):
            if resource in _RBAC_RESOURCES:
                return f"it changes RBAC objects ({resource}), which grant rights; {opt_in}"
    for obj in _manifest_objects(p, workdir):
        if _is_rbac(obj):
            return f"its manifests hold a {obj['kind']}, which grants rights; {opt_in}"
    return None


def _is_rbac(obj: dict, kind: str | None = None) -> bool:
    found = obj.get("kind") in (_RBAC_KINDS if kind is None else {kind})
    return found and str(obj.get("apiVersion")).startswith(_RBAC_GROUP + "/")


def anonymous_subject(p: Parsed, workdir: Path) -> str | None:
    """A binding to anonymous or unauthenticated users is never made by a page: it opens
    the cluster to anyone who can reach its API server."""
    if p.effect != "write":
        return None
    names = [str(v) for v in p.values("user", "group")]
    if p.verb == "patch":  # a subject added by the patch, read as kubectl decodes it
        names += patch_strings(p, workdir)
    for obj in _manifest_objects(p, workdir):
        subjects = obj.get("subjects")
        for subject in subjects if isinstance(subjects, list) else []:
            if isinstance(subject, dict):
                names.append(str(subject.get("name")))
    for name in names:
        if name in _ANONYMOUS:
            return (
                f"it binds a role to {name}, which opens the cluster to anyone who can reach "
                "it; no page option allows that"
            )
    return None


def patch_strings(p: Parsed, workdir: Path) -> list[str]:
    """Every string (keys and values) of the command's patches (`-p`, `--patch-file`) as
    kubectl decodes them (a patch that is not plain data is refused by the guard)."""
    out: list[str] = []
    for _where, body in patch_bodies(p, workdir):
        try:
            data = decode_patch(body)
        except ValueError:
            continue
        for node in nodes(data):
            if isinstance(node, dict):
                out += [str(k) for k in node]
            elif isinstance(node, str):
                out.append(node)
    return out


def nodes(data):
    """Every mapping, list and scalar of decoded data, depth first, without recursion (a
    patch nests as deep as the decoder lets it)."""
    stack = [data]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, dict):
            stack += node.values()
        elif isinstance(node, list):
            stack += node


def patch_bodies(p: Parsed, workdir: Path) -> list[tuple[str, str]]:
    """(where, text) of each of the command's patches: its `--patch-file`s, then its `-p`s."""
    files = [name for flag, name in p.files() if flag == "patch-file"]
    bodies = [(f"in {name}", _patch_file(name, workdir)) for name in files]
    return bodies + [("in the patch", body) for body in p.values("patch")]


def _patch_file(name: str, workdir: Path) -> str:
    try:
        return located(name, workdir).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def decode_patch(body: str):
    """A patch as kubectl decodes it: JSON, else YAML read as plain data. ValueError, its
    reason in a few words, when it is neither."""
    try:
        return plainjson.loads(body)
    except ValueError:
        try:
            return plainyaml.load(body, max_depth=MANIFEST_DEPTH)
        except (plainyaml.YamlRefused, yaml.YAMLError) as e:
            raise ValueError(str(e)[:80]) from None


def secret_read_reason(
    p: Parsed,
    sandbox: str | None,
    created: dict[tuple[str, str, str | None], int],
    workdir: Path,
    relies: dict[str, int],
) -> str | None:
    """Why the command may print Secrets of a namespace that is not the page's own (its
    sandbox or one an earlier command created; without a sandbox also the context's and
    `default`). Redaction by value cannot win against a computed encoding (`printf "%x"`,
    short pieces); what a page may read can. Writes outside are refused elsewhere, so this
    looks at what prints objects without changing them: reads and dry runs. `relies`
    gets the namespaces it may read only because an earlier command created them."""
    if p.effect != "read" or p.path == ("explain",):
        return None

    def own(ns: str | None) -> bool:
        if ns is None or ns == (sandbox or "default"):
            return True  # its sandbox; without one, the context's namespace or default
        line = created.get(("namespaces", ns, None))
        if line is not None:
            relies[ns] = line
        return line is not None

    types = {resource for resource, _ in targets(p)}
    if p.verb not in ("create", "run", "apply", "replace") and "secrets" in types:
        if p.all_namespaces:
            return "it reads Secrets of all namespaces"
        if not own(p.namespace):
            return f"it reads Secrets of namespace {p.namespace}"
    for obj in _manifest_objects(p, workdir):
        if obj.get("kind") != "Secret":
            continue
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        ns = meta.get("namespace") or p.namespace
        if p.all_namespaces or not own(None if ns is None else str(ns)):
            return f"its manifests name a Secret of namespace {ns}"
    return None


def _scope_reason(resource: str) -> str:
    """Why a type on the command line is not the sandbox's."""
    if resource in CLUSTER_SCOPED:
        return f"{resource} are cluster-wide, outside the page's sandbox"
    return (
        f"{resource} is not a built-in namespaced type, so it may be cluster-wide (a newer "
        "built-in type, a custom resource or a category such as api-extensions)"
    )


def _kind_reason(obj: dict) -> str:
    kind, version = obj.get("kind"), obj.get("apiVersion")
    if kind in CLUSTER_SCOPED_KINDS:
        return f"a {kind}, which is cluster-wide"
    return (
        f"a {kind} ({version}), which is not a built-in namespaced kind, so it may be cluster-wide"
    )


def targets(p: Parsed) -> list[tuple[str, str | None]]:
    """(canonical resource, name or None) of the objects the command line names, read as
    kubectl's resource builder reads `TYPE NAME...`, `TYPE1,TYPE2 NAME...`, `TYPE/NAME...`:
    the words that are neither labels (`a=b`, `a-`) nor settings (`web=x`)."""
    words = [w for w in p.positionals if "=" not in w]
    if p.path in (("label",), ("annotate",), ("set", "env")):
        words = [w for w in words if not w.endswith("-")]  # a key removed, not an object
    if not words:
        return []
    if all("/" in w for w in words):
        return [(canonical(w.split("/", 1)[0]), w.split("/", 1)[1]) for w in words]
    types = [canonical(t) for t in words[0].split(",")]
    return [(t, n) for t in types for n in (words[1:] or [None])]


def outside_reason(p: Parsed, sandbox: str | None, workdir: Path) -> str | None:
    """Why a destructive command may act outside the sandbox (None: it stays inside)."""
    verb = p.verb
    if sandbox is None:
        what = "runs programs in a container" if verb == "exec" else "deletes or changes objects"
        return f"it {what} and this page has no sandbox namespace"
    if verb in NODE_VERBS:
        return f"`{verb}` acts on nodes, which are outside the page's sandbox"
    if p.path == ("apply",) and p.true("prune"):
        return "`apply --prune` may delete objects of any namespace, outside the sandbox"
    if p.all_namespaces:
        return "it acts on all namespaces, not only the page's sandbox"
    if p.namespace is not None and p.namespace != sandbox:
        return f"it acts in namespace {p.namespace}, outside the page's sandbox {sandbox}"
    files = p.values("filename")
    if files:
        return _files_outside(files, p.recursive, sandbox, workdir)
    if verb == "exec":
        return None  # a pod of the sandbox (its namespace is checked above)
    for resource, name in targets(p):
        if resource == "namespaces" and name == sandbox:
            continue  # the page's own sandbox
        if not namespaced(resource):
            return _scope_reason(resource)
    return None


def _files_outside(files: list[str], recursive: bool, sandbox: str, workdir: Path) -> str | None:
    for name in files:
        try:
            # of the Namespace objects, only the sandbox itself is the page's
            reason = _manifest_outside(
                name,
                recursive,
                workdir,
                lambda ns: ns != sandbox,
                "the sandbox",
                lambda namespace: namespace == sandbox,
            )
        except ManifestUnknown as e:
            if e.remote:
                return f"kubecapture cannot tell where the objects of {name} live"
            return f"kubecapture cannot read {name} to tell where its objects live"
        if reason:
            return reason
    return None


def _manifest_outside(name, recursive, workdir, foreign, where: str, own_namespace) -> str | None:
    """Why an object of the manifests `-f NAME` names lies outside what the page may
    change: a kind that may be cluster-wide (a Namespace only if `own_namespace(its
    name)`), or a `foreign(namespace)`. Raises ManifestUnknown as manifest_objects does."""
    for obj in manifest_objects(name, workdir, recursive=recursive):
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        namespace_ok = obj.get("kind") == "Namespace" and own_namespace(meta.get("name"))
        if not namespaced_kind(obj) and not namespace_ok:
            return f"{name} holds {_kind_reason(obj)}"
        ns = meta.get("namespace")
        if ns and foreign(ns):
            return f"{name} holds objects of namespace {ns}, outside {where}"
    return None


def named_targets(p: Parsed) -> list[tuple[str, str, str | None]]:
    """(resource, name, namespace) of a delete that names every object it deletes: by
    type and name only, so what it deletes is exactly what the command line names."""
    if p.has("selector", "field-selector", "all", "filename", "all-namespaces"):
        return []
    out = []
    for resource, name in targets(p):
        if name is None or not name:
            return []
        out.append((resource, name, None if resource in CLUSTER_SCOPED else p.namespace))
    return out


def creates(p: Parsed, workdir: Path) -> list[tuple[str, str, str | None]]:
    """(resource, name, namespace) a `kubectl create TYPE NAME` / `kubectl run NAME` makes,
    and the namespaces a `kubectl create -f` makes from the page's manifests."""
    if p.dry_run or p.true("help"):
        return []  # `--help` prints help and creates nothing, exiting 0 all the same
    if p.has("filename"):
        if p.path != ("create",):
            return []
        names = [
            (obj.get("metadata") or {}).get("name")
            for obj in _manifest_objects(p, workdir)
            if obj.get("kind") == "Namespace" and isinstance(obj.get("metadata"), dict)
        ]
        return [("namespaces", n, None) for n in names if isinstance(n, str) and n]
    if p.true("append-hash"):
        return []  # it creates NAME-<hash>: NAME itself is someone else's
    if p.path == ("run",) and p.positionals:
        return [("pods", p.positionals[0], p.namespace)]
    if len(p.path) >= 2 and p.path[0] == "create" and p.positionals:
        resource = canonical(p.path[1])  # `create secret generic`: secrets
        ns = None if resource in CLUSTER_SCOPED else p.namespace
        return [(resource, p.positionals[0], ns)]
    return []
