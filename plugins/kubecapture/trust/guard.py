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

from dataclasses import dataclass
from pathlib import Path

from ..base.snippets import Command, Snippet, SnippetError, one_line
from . import scope
from .files import OutsideContent, confine, content_roots
from .kubectl_args import Parsed, Refused, mentions_own_label, own_label, parse
from .manifests import ManifestRefused, ManifestUnknown, manifest_objects

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
) -> tuple[dict[int, Permit], dict[int, Parsed]]:
    """Refuse commands outside the allowlist, files outside the notes, and destructive
    commands outside the sandbox.

    `sandbox` is the page's sandbox namespace, None when the page has none; `allow` the
    opt-in commands the page's front matter lists (`kubectl create clusterrolebinding`);
    `content_dirs` the folders kubectl may read files from (default: docs/ and snippets/
    under `workdir`); `allow_rbac` and `allow_other_secrets` the front matter's
    permissions to create RBAC objects and to read Secrets outside the page's own
    namespaces. Returns the permits (by command line) the capture loop must check while
    running the page: a command allowed because an earlier one created what it acts on
    runs only if that one succeeded; and every command as parsed, by line, in page order
    (planning and redaction read them rather than parse the page again).
    """
    roots = content_roots(workdir, content_dirs)
    permits: dict[int, Permit] = {}
    created: dict[tuple[str, str, str | None], int] = {}  # (resource, name, ns) -> line
    parsed: dict[int, Parsed] = {}
    for snippet in snippets:
        for command in snippet.commands:
            p = check_command(page, command, allow=allow, workdir=workdir, roots=roots)
            parsed[command.line] = p
            if is_destructive(p) and not allow_destructive:
                permit = _destructive_permit(page, command, p, sandbox, created, workdir)
                if permit:
                    permits[command.line] = permit
                    for target in scope.named_targets(p):
                        created.pop(target, None)  # deleted: a second delete needs a new create
            elif p.effect == "write" and not allow_destructive:
                reason, relies = scope.write_outside_reason(p, sandbox, created, workdir)
                hint = f"; add `allow_destructive: true` {FRONT_MATTER} to let this page change "
                _permit_or_refuse(
                    page, command, permits, reason, relies, hint + "objects outside its sandbox"
                )
            for reason in (
                scope.sandbox_object_reason(p, sandbox, workdir),
                None if allow_rbac else scope.rbac_reason(p, workdir),
                scope.anonymous_subject(p, workdir),
            ):
                if reason:
                    raise _refused(page, command, reason)
            if not allow_other_secrets:
                relies = {}  # a namespace of that name may be someone else's
                reason = scope.secret_read_reason(p, sandbox, created, workdir, relies)
                hint = ", outside the page's own namespaces (its sandbox, or those it creates); "
                hint += f"add `allow_other_secrets: true` {FRONT_MATTER} to let this page read them"
                _permit_or_refuse(page, command, permits, reason, relies, hint)
            for target in scope.creates(p, workdir):
                created[target] = command.line
    return permits, parsed


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
    if p.command.opt_in and not p.dry_run and p.command.name not in allow:
        raise _refused(
            page,
            command,
            f"`{p.command.name}` {p.command.why}; add "
            f'`allow: ["{p.command.name}"]` {FRONT_MATTER} to run it on this page',
        )
    for flag, name in p.files():
        try:
            confine(name, workdir, roots, recursive=p.recursive)
        except OutsideContent as e:
            raise _refused(
                page,
                command,
                f"kubectl would read a file that is not the notes' own (--{flag}): {e}; files "
                "must be under docs/ or snippets/",
            ) from None
    for name in p.values("filename"):
        try:
            for _ in manifest_objects(name, workdir, recursive=p.recursive):
                pass
        except ManifestRefused as e:
            why = f"{name}: {e.reason}; kubecapture decides on manifests read as plain data"
            raise _refused(page, command, why) from None
        except ManifestUnknown as e:
            if e.remote or e.missing:
                continue  # stdin and URLs are refused above; kubectl fails on a missing file
            # kubectl reads more than YAML documents (a stream of JSON objects, UTF-16,
            # the good documents before a broken one): what is not read here is not run
            why = (
                f"kubecapture cannot read {name} as UTF-8 YAML or JSON documents, and "
                "kubectl may still act on what it holds; kubecapture decides on the objects "
                "kubectl sends"
            )
            raise _refused(page, command, why) from None
    label = _own_label(p, workdir)
    if label:
        raise _refused(
            page,
            command,
            f"it would set or remove kubecapture's own label or annotation ({label}), which "
            "marks the namespaces kubecapture deletes",
        )
    return p


FRONT_MATTER = "under `kubecapture:` in the page's front matter"


def _refused(page: str, command: Command, why: str) -> SnippetError:
    """`refusing to run `COMMAND`: WHY`, at the command's page and line."""
    return SnippetError(page, command.line, f"refusing to run `{one_line(command.text)}`: {why}")


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
        for where, body in scope.patch_bodies(p, workdir):
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
        data = scope.decode_patch(body)
    except ValueError as e:
        return f"a patch kubecapture cannot read as plain data ({e})"
    for node in scope.nodes(data):
        if isinstance(node, dict):
            for key, value in node.items():
                if own_label(str(key), value if isinstance(value, str) else None):
                    return f"{key}"
                if key == "path" and isinstance(value, str):  # a JSON patch operation
                    path = value.replace("~1", "/").replace("~0", "~")
                    if mentions_own_label(path) or _MANAGED_BY_PATH in path:
                        return path
        elif isinstance(node, str) and mentions_own_label(node):
            return node[:80]
    return None


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


def _permit_or_refuse(page, command, permits, reason: str | None, relies: dict, hint: str):
    """Refuse the command for `reason` (said with `hint`); without one, permit it on the
    condition that the commands that created the namespaces it `relies` on succeeded."""
    if reason:
        raise _refused(page, command, reason + hint)
    if relies:
        permits[command.line] = _relies_permit(command.line, relies)


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
    reason = scope.outside_reason(p, sandbox, workdir)
    if reason is None:
        return None
    targets = scope.named_targets(p) if p.verb == "delete" else []
    creators = [created.get(t) for t in targets]
    if targets and all(creators):
        return Permit(
            command.line,
            tuple(sorted({c for c in creators if c})),
            ", ".join(f"{r}/{n}" for r, n, _ns in targets),
        )
    raise _refused(
        page,
        command,
        f"{reason}; add `allow_destructive: true` {FRONT_MATTER} to allow destructive "
        "commands on this page",
    )
