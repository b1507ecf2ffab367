"""Safety checks on a page's kubectl commands, before anything runs.

Knows nothing of clusters or MkDocs: it reads a page's parsed snippets (and the local
files their flags name) through kubectl_args.py and raises `SnippetError` naming page
and line. What may run at all is an allowlist (kubectl_allowlist.json, read through
kubectl_args.parse): a command path, flag or form outside it is refused, so a command
cannot leave the build's pinned context, reach the network or the machine's files, or
run a plugin. On top of that, per page:

- Commands marked opt-in in the allowlist (cluster-wide RBAC, CSR approval, ...) run
  only on a page whose front matter (read by pageoptions.py) lists them: `kubecapture:
  {allow: ["kubectl create clusterrolebinding"]}`. A dry run needs no opt-in.
- Files kubectl reads (`-f`, `--from-file`, `--from-env-file`, `--cert`, `--key`,
  `--patch-file`, template files) must be the notes' own content: inside the docs and
  snippets folders once links are resolved, no hidden files, URLs or stdin.
- No command may set or remove kubecapture's own labels (`app.kubernetes.io/managed-by=
  kubecapture`), on the command line or in a manifest.
- Destructive commands (effect `destructive` in the allowlist: `delete`, `exec`, the node
  verbs; and `replace --force`, `apply --force`, `apply --prune`) are refused when they
  may act outside the page's sandbox namespace, unless the page's front matter says
  `kubecapture: {allow_destructive: true}`. One exception keeps tidy pages working: a
  page may delete objects that earlier `kubectl create`/`run` commands on the same page
  created (`create namespace demo` … `delete namespace demo`), naming each of them and
  nothing else; the capture loop checks at run time that the creates succeeded (see
  `Permit`), so a pre-existing object of the same name is never deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..base import plainyaml
from ..base.snippets import Command, Snippet, SnippetError, one_line
from .kubectl_args import (
    CLUSTER_SCOPED,
    CLUSTER_SCOPED_KINDS,
    MANIFEST_DEPTH,
    ManifestRefused,
    ManifestUnknown,
    OutsideContent,
    Parsed,
    Refused,
    canonical,
    confine,
    content_roots,
    manifest_objects,
    mentions_own_label,
    namespaced,
    namespaced_kind,
    own_label,
    parse,
)

NODE_VERBS = {"drain", "cordon", "uncordon", "taint"}
_MANAGED_BY_PATH = "metadata/labels/app.kubernetes.io/managed-by"


# --- the page-level check ----------------------------------------------------------------


@dataclass(frozen=True)
class Permit:
    """A destructive command allowed because earlier commands on the page created what
    it deletes; it may run only if those commands (at `creator_lines`) exited with 0."""

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
    allow: frozenset[str] = frozenset(),
    content_dirs: tuple[Path, ...] = (),
    allow_rbac: bool = False,
    allow_other_secrets: bool = False,
) -> dict[int, Permit]:
    """Refuse commands outside the allowlist, files outside the notes, and destructive
    commands outside the sandbox.

    `sandbox` is the page's sandbox namespace, None when the page has none; `allow` the
    opt-in commands the page's front matter lists (`kubectl create clusterrolebinding`);
    `content_dirs` the folders kubectl may read files from (default: docs/ and snippets/
    under `workdir`); `allow_rbac` and `allow_other_secrets` the front matter's
    permissions to create RBAC objects and to read Secrets outside the page's own
    namespaces. Returns the permits (by command line) the capture loop must check while
    running the page: a command allowed because an earlier one created what it acts on
    runs only if that one succeeded.
    """
    roots = content_roots(workdir, content_dirs)
    permits: dict[int, Permit] = {}
    created: dict[tuple[str, str, str | None], int] = {}  # (resource, name, ns) -> line
    for snippet in snippets:
        for command in snippet.commands:
            p = check_command(page, command, allow=allow, workdir=workdir, roots=roots)
            if is_destructive(p) and not allow_destructive:
                permit = _destructive_permit(page, command, p, sandbox, created, workdir)
                if permit:
                    permits[command.line] = permit
                    for target in _named_targets(p):
                        created.pop(target, None)  # deleted: a second delete needs a new create
            elif p.effect == "write" and not allow_destructive:
                reason, relies = _write_outside_reason(p, sandbox, created, workdir)
                if relies and not reason:
                    permits[command.line] = _relies_permit(command.line, relies)
                if reason:
                    raise SnippetError(
                        page,
                        command.line,
                        f"refusing to run `{one_line(command.text)}`: {reason}; add "
                        "`allow_destructive: true` under `kubecapture:` in the page's front "
                        "matter to let this page change objects outside its sandbox",
                    )
            for reason in (
                _sandbox_object_reason(p, sandbox, workdir),
                None if allow_rbac else _rbac_reason(p, workdir),
                _anonymous_subject(p, workdir),
            ):
                if reason:
                    raise SnippetError(
                        page, command.line, f"refusing to run `{one_line(command.text)}`: {reason}"
                    )
            if not allow_other_secrets:
                relies = {}
                reason = _secret_read_reason(p, sandbox, created, workdir, relies)
                if relies and not reason:  # a namespace of that name may be someone else's
                    permits[command.line] = _relies_permit(command.line, relies)
                if reason:
                    raise SnippetError(
                        page,
                        command.line,
                        f"refusing to run `{one_line(command.text)}`: {reason}, outside the "
                        "page's own namespaces (its sandbox, or those it creates); add "
                        "`allow_other_secrets: true` under `kubecapture:` in the page's front "
                        "matter to let this page read them",
                    )
            for target in _creates(p, workdir):
                created[target] = command.line
    return permits


def check_command(
    page: str,
    command: Command,
    *,
    allow: frozenset[str] = frozenset(),
    workdir: Path,
    roots: tuple[Path, ...],
) -> Parsed:
    """The command parsed, or a SnippetError: outside the allowlist, an opt-in command the
    page did not opt in to, a file outside the notes, kubecapture's own label."""
    try:
        p = parse(command.argv)
    except Refused as e:
        raise SnippetError(page, command.line, e.reason) from None
    shown = one_line(command.text)
    if p.command.opt_in and not p.dry_run and p.command.name not in allow:
        raise SnippetError(
            page,
            command.line,
            f"refusing to run `{shown}`: `{p.command.name}` {p.command.why}; add "
            f'`allow: ["{p.command.name}"]` under `kubecapture:` in the page\'s front '
            "matter to run it on this page",
        )
    for flag, name in p.files():
        try:
            confine(name, workdir, roots, recursive=p.recursive)
        except OutsideContent as e:
            raise SnippetError(
                page,
                command.line,
                f"refusing to run `{shown}`: kubectl would read a file that is not the "
                f"notes' own (--{flag}): {e}; files must be under docs/ or snippets/",
            ) from None
    for name in p.values("filename"):
        try:
            for _ in manifest_objects(name, workdir, recursive=p.recursive):
                pass
        except ManifestRefused as e:
            raise SnippetError(
                page,
                command.line,
                f"refusing to run `{shown}`: {name}: {e.reason}; kubecapture decides on "
                "manifests read as plain data",
            ) from None
        except ManifestUnknown:
            continue  # kubectl cannot read it either; the destructive check says more
    label = _own_label(p, workdir)
    if label:
        raise SnippetError(
            page,
            command.line,
            f"refusing to run `{shown}`: it would set or remove kubecapture's own label or "
            f"annotation ({label}), which marks the namespaces kubecapture deletes",
        )
    return p


def _own_label(p: Parsed, workdir: Path) -> str | None:
    """kubecapture's own label or annotation that the command would set or remove."""
    if p.path in (("label",), ("annotate",)):
        for word in p.positionals:
            key, eq, value = word.partition("=")
            if eq and own_label(key, value):
                return word
            if not eq and key.endswith("-") and own_label(key[:-1], None):
                return word
    if p.path == ("patch",):
        bodies = [
            (f"in {path}", _text(workdir, path)) for n, path in p.files() if n == "patch-file"
        ]
        bodies += [("in the patch", body) for body in p.values("patch")]
        for where, body in bodies:
            found = _patch_own_label(body)
            if found:
                return f"{found} {where}"
    if p.effect == "read":
        return None
    for name in p.values("filename"):
        try:
            for obj in manifest_objects(name, workdir, recursive=p.recursive):
                meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                for field in ("labels", "annotations"):
                    pairs = meta.get(field) if isinstance(meta.get(field), dict) else {}
                    for key, value in pairs.items():
                        if own_label(str(key), str(value)):
                            return f"{key}={value} in {name}"
        except ManifestUnknown:
            continue  # kubectl cannot read it either; the destructive check says more
    return None


def _patch_own_label(body: str) -> str | None:
    """kubecapture's own label a patch would set or remove, read from the patch as kubectl
    decodes it (JSON or YAML; `\\u002e` is a dot, `~1` in a JSON patch path a slash): the
    text itself may spell it otherwise. A patch that is not plain data says so."""
    try:
        data = json.loads(body)
    except ValueError:
        try:
            data = plainyaml.load(body, max_depth=MANIFEST_DEPTH)
        except (plainyaml.YamlRefused, yaml.YAMLError) as e:
            return f"a patch kubecapture cannot read as plain data ({str(e)[:80]})"
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if own_label(str(key), value if isinstance(value, str) else None):
                    return f"{key}"
                if key == "path" and isinstance(value, str):  # a JSON patch operation
                    path = value.replace("~1", "/").replace("~0", "~")
                    if mentions_own_label(path) or _MANAGED_BY_PATH in path:
                        return path
                stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and mentions_own_label(node):
            return node[:80]
    return None


def _text(workdir: Path, name: str) -> str:
    path = Path(name) if Path(name).is_absolute() else workdir / name
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _write_outside_reason(
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
    for resource, name in _command_line_targets(p):
        if namespaced(resource):
            continue
        if resource == "namespaces" and name is not None and name == sandbox:
            continue
        line = created.get(("namespaces", name, None)) if resource == "namespaces" else None
        if line is None:
            return _scope_reason(resource), relies
        relies[str(name)] = line
    return None, relies


def _sandbox_object_reason(p: Parsed, sandbox: str | None, workdir: Path) -> str | None:
    """The sandbox's own Namespace object holds the Pod Security label its pods are held
    to: only `label` and `annotate` (whose keys are checked) may change it, never a patch
    or a manifest (`replace -f` of it without labels would remove the label)."""
    if sandbox is None or p.effect != "write" or p.verb in ("label", "annotate", "delete"):
        return None
    why = (
        f"it would change the sandbox's own Namespace object {sandbox}, which holds the Pod "
        "Security label its pods are held to (only `kubectl label` and `annotate` may change it)"
    )
    if p.verb not in ("create", "run", "apply", "replace"):
        for resource, name in _command_line_targets(p):
            if resource == "namespaces" and name == sandbox:
                return why
    for obj in _manifest_objects(p, workdir):
        meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        if obj.get("kind") == "Namespace" and meta.get("name") == sandbox and p.verb != "create":
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


def _rbac_reason(p: Parsed, workdir: Path) -> str | None:
    """Why the command creates or changes RBAC objects (grants rights), which a page
    does only with `allow_rbac: true`; an opt-in command the page lists in `allow:`
    (`kubectl create clusterrolebinding`) is that permission already."""
    if p.effect != "write" or p.verb in ("delete", "label", "annotate"):
        return None
    if p.command.opt_in:
        return None  # check_command required its own `allow:` entry
    opt_in = "add `allow_rbac: true` under `kubecapture:` in the page's front matter to allow it"
    if len(p.path) >= 2 and p.path[0] == "create" and canonical(p.path[1]) in _RBAC_RESOURCES:
        return f"it creates RBAC objects ({p.path[1]}), which grant rights; {opt_in}"
    if p.path == ("set", "subject"):
        return f"it changes the subjects of a binding, which grants rights; {opt_in}"
    if p.verb not in ("create", "apply", "replace"):
        for resource, _ in _command_line_targets(p):
            if resource in _RBAC_RESOURCES:
                return f"it changes RBAC objects ({resource}), which grant rights; {opt_in}"
    for obj in _manifest_objects(p, workdir):
        version = obj.get("apiVersion")
        if obj.get("kind") in _RBAC_KINDS and str(version).startswith(_RBAC_GROUP + "/"):
            return f"its manifests hold a {obj['kind']}, which grants rights; {opt_in}"
    return None


def _anonymous_subject(p: Parsed, workdir: Path) -> str | None:
    """A binding to anonymous or unauthenticated users is never made by a page: it opens
    the cluster to anyone who can reach its API server."""
    if p.effect != "write":
        return None
    names = [str(v) for v in p.values("user", "group")]
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


def _secret_read_reason(
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

    types = {resource for resource, _ in _command_line_targets(p)}
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


def _command_line_targets(p: Parsed) -> list[tuple[str, str | None]]:
    """The objects `label ns demo a=b`, `set image deployment/web web=x`, `scale ...`
    name: the words that are neither labels (`a=b`, `a-`) nor settings (`web=x`)."""
    words = [w for w in p.positionals if "=" not in w]
    if p.path in (("label",), ("annotate",), ("set", "env")):
        words = [w for w in words if not w.endswith("-")]  # a key removed, not an object
    if not words:
        return []
    if all("/" in w for w in words):
        return [(canonical(w.split("/", 1)[0]), w.split("/", 1)[1]) for w in words]
    types = [canonical(t) for t in words[0].split(",")]
    return [(t, n) for t in types for n in (words[1:] or [None])]


def is_destructive(p: Parsed) -> bool:
    if p.dry_run:
        return False
    if p.command.effect == "destructive":
        return True
    if p.path == ("replace",):
        return p.true("force")
    if p.path == ("apply",):
        return p.true("force") or p.true("prune")
    return False


def _relies_permit(line: int, relies: dict) -> Permit:
    """A command that may run only if the commands that created the namespaces it relies
    on (namespace -> that command's line) succeeded."""
    shown = ", ".join(f"namespaces/{n}" for n in sorted(relies))
    return Permit(line, tuple(sorted(set(relies.values()))), shown)


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
    for resource, name in _targets(p):
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


def _targets(p: Parsed) -> list[tuple[str, str | None]]:
    """(canonical resource, name or None) a delete-like command names on its command line,
    read as kubectl's resource builder reads `TYPE NAME...`, `TYPE1,TYPE2 NAME...` and
    `TYPE/NAME...`."""
    args = list(p.positionals)
    if not args:
        return []
    if all("/" in a for a in args):
        return [(canonical(a.split("/", 1)[0]), a.split("/", 1)[1]) for a in args]
    types = [canonical(t) for t in args[0].split(",")]
    names = args[1:]
    return [(t, n) for t in types for n in (names or [None])]


def _named_targets(p: Parsed) -> list[tuple[str, str, str | None]]:
    """(resource, name, namespace) of a delete that names every object it deletes: by
    type and name only, so what it deletes is exactly what the command line names."""
    if p.has("selector", "field-selector", "all", "filename", "all-namespaces"):
        return []
    out = []
    for resource, name in _targets(p):
        if name is None or not name:
            return []
        out.append((resource, name, None if resource in CLUSTER_SCOPED else p.namespace))
    return out


def _creates(p: Parsed, workdir: Path) -> list[tuple[str, str, str | None]]:
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
