"""Safety checks on a page's kubectl commands, before anything runs.

Knows nothing of clusters or MkDocs: it reads a page's parsed snippets (and the local
manifests their `-f` names) through kubectl_args.py and raises `SnippetError` naming page
and line.

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

from dataclasses import dataclass
from pathlib import Path

from .kubectl_args import (
    CLUSTER_SCOPED,
    CLUSTER_SCOPED_KINDS,
    CONFIG_READ_ONLY,
    ManifestUnknown,
    Parsed,
    canonical,
    manifest_objects,
    parse,
)

# Re-exported until their callers import kubectl_args: capture.py (both),
# tests/test_safety.py (touched_namespaces), tests/test_speed.py (is_read_only).
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
KUBERC_READ_ONLY = {"view"}
_CREATE_SUBKINDS = {"secret", "service", "svc"}  # `create secret generic NAME`
NODE_VERBS = {"drain", "cordon", "uncordon", "taint"}


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
    for name in files:
        try:
            for obj in manifest_objects(name, workdir, recursive=recursive):
                kind = obj.get("kind")
                meta = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
                ns = meta.get("namespace")
                if kind in CLUSTER_SCOPED_KINDS and not (
                    kind == "Namespace" and meta.get("name") == sandbox
                ):
                    return f"{name} holds a {kind}, which is cluster-wide"
                if ns and ns != sandbox:
                    return f"{name} holds objects of namespace {ns}, outside the sandbox"
        except ManifestUnknown as e:
            if e.remote:
                return f"kubecapture cannot tell where the objects of {name} live"
            return f"kubecapture cannot read {name} to tell where its objects live"
    return None


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


# --- front matter options ----------------------------------------------------------------

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
