"""What a kubectl command line says, read exactly as kubectl reads it, or refused.

`parse` finds the command path as cobra does and reads the flags as pflag does, with the
flags of the pinned kubectl (allowlist.py): `--flag=value`, `--flag value` (the next word,
whatever it looks like), `-x value`, `-xvalue`, `-x=value`, bundles of short booleans,
booleans written `=1`/`=t`/`=True`/..., comma-separated lists, `--` ending the flags.
The result is typed (`Parsed`): the command path, each flag's values normalized (True
for `--all-namespaces=1`), the positional words, the command after `--`.

Whatever kubectl would read differently, or the model cannot read with certainty, is
refused (`Refused`, one sentence): an unknown command, flag or plugin, a flag kubecapture
does not allow, `--` where kubectl takes no command, a value that is ambiguous. The
page-level decisions (sandbox, permits, front matter) are guard.py's.

A parsed command says what the capture loop asks of it: does it only read (`effect`),
does it wait (`waits`). Which files it reads is files.py's, which objects and
namespaces manifests.py's, which resources are namespaced resources.py's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import allowlist
from .allowlist import Command, Flag

_BOOL = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True}
_BOOL |= {"0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}
_INT = re.compile(r"^[+-]?\d{1,18}$")
_DURATION = re.compile(r"^[+-]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$|^0$")
_NEGATIVE_NUMBER = re.compile(r"^-\d+(\.\d+)?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_MANAGED_BY = "app.kubernetes.io/managed-by"
_DRY_RUN = {"client": "client", "server": "server", "none": None, "unchanged": "client"}
# `-o` formats whose template is a file (its path after `=` or in --template).
FILE_OUTPUTS = {"go-template-file", "templatefile", "jsonpath-file", "custom-columns-file"}
MAX_VERBOSITY = 4


class Refused(ValueError):
    """A command line kubecapture will not run: `reason` is one sentence; `opt_in` is what
    a page's front matter may list to allow it (`kubectl drain`), None if nothing can."""

    def __init__(self, reason: str, opt_in: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.opt_in = opt_in


@dataclass(frozen=True)
class Parsed:
    """One kubectl command line as kubectl reads it."""

    command: Command  # the command path's data (allowlist.Command)
    flags: dict[str, tuple]  # long name -> values in order, normalized (bool, int, str)
    positionals: tuple[str, ...]  # after the command path
    after_dash: tuple[str, ...] | None = None  # the container command after `--`
    given: frozenset[str] = field(default_factory=frozenset)  # flag names written

    @property
    def path(self) -> tuple[str, ...]:
        return self.command.path

    @property
    def verb(self) -> str | None:
        return self.path[0] if self.path else None

    @property
    def sub(self) -> str | None:
        return self.path[1] if len(self.path) > 1 else None

    def has(self, *names: str) -> bool:
        return any(n in self.flags for n in names)

    def last(self, name: str):
        values = self.flags.get(name)
        return values[-1] if values else None

    def values(self, *names: str) -> list:
        return [v for n in names for v in self.flags.get(n, ())]

    def true(self, name: str) -> bool:
        return self.last(name) is True

    @property
    def namespace(self) -> str | None:
        return self.last("namespace")

    @property
    def all_namespaces(self) -> bool:
        return self.true("all-namespaces")

    @property
    def dry_run(self) -> bool:
        """`--dry-run=client|server` (or `--dry-run`, `=true`): nothing is changed."""
        return self.last("dry-run") in ("client", "server")

    @property
    def recursive(self) -> bool:
        return self.true("recursive")

    @property
    def effect(self) -> str:
        """`read` (cannot change the cluster or the kubeconfig; any dry run), `write`, or
        `destructive`."""
        return "read" if self.dry_run else self.command.effect

    @property
    def waits(self) -> bool:
        """It waits for the cluster to change or follows its changes (`wait`, `rollout
        status`, `--watch`, `logs --follow`): what runs after it may count on that."""
        return (
            self.path in (("wait",), ("rollout", "status"))
            or any(self.true(name) for name in ("watch", "watch-only"))
            or (self.path == ("logs",) and self.true("follow"))
        )

    def files(self) -> list[tuple[str, str]]:
        """(flag, path) of every local file or directory kubectl will read."""
        out = []
        for name, values in self.flags.items():
            check = self.command.flags[name].check
            if check == "file":
                out += [(name, v) for v in values]
            elif check == "from-file":  # `[key=]source`
                out += [(name, v.split("=", 1)[1] if "=" in v else v) for v in values]
        template = self._template_file()
        if template is not None:
            out.append(template)
        return out

    def _template_file(self) -> tuple[str, str] | None:
        output = self.last("output")
        if not isinstance(output, str):
            return None
        name, _, arg = output.partition("=")
        if name not in FILE_OUTPUTS:
            return None
        if arg:
            return ("output", arg)
        template = self.last("template")
        return ("template", template or "")


# --- parsing ---------------------------------------------------------------------------------


def parse(
    argv: tuple[str, ...] | list[str],
    data: allowlist.Allowlist | None = None,
    *,
    allowed_only: bool = True,
) -> Parsed:
    """Read a kubectl argv (argv[0] is kubectl) as kubectl does; raises Refused. With
    `allowed_only=False`, commands and flags outside the allowlist are read rather than
    refused (to classify a command), but what kubectl itself would read differently
    still is refused."""
    data = data or allowlist.default()
    args = list(argv[1:])
    for a in args:
        if "\x00" in a:
            raise Refused("an argument holds a NUL byte")
    if any(a == "--kuberc" or a.startswith("--kuberc=") for a in _before_dash(args)):
        # kubectl reads --kuberc before pflag does, even where pflag sees a flag's value
        why = data.refused_flags.get("kuberc", "")
        raise Refused(f"`--kuberc` is not allowed in a kubectl snippet (`{' '.join(argv)}`): {why}")
    command, rest = _find_command(args, data)
    return _parse_flags(command, rest, " ".join(argv), allowed_only)


def _before_dash(args: list[str]) -> list[str]:
    return args[: args.index("--")] if "--" in args else args


def _find_command(args: list[str], data: allowlist.Allowlist) -> tuple[Command, list[str]]:
    """The command path, as cobra finds it, and the words left for pflag.

    Cobra takes the first word that is not a flag (skipping a flag's value when the flag,
    read with the flags of the command found so far, takes one) as the next command word.
    Here only global flags, written plainly, may come before a command word: they read
    the same at every level, so cobra and this model cannot disagree."""
    command = data.root
    rest: list[str] = []
    i = 0
    while command.subcommands and i < len(args):
        pending: list[str] = []
        flag_words: list[str] = []
        j = i
        while j < len(args) and args[j].startswith("-"):
            a = args[j]
            if a in ("-", "--"):
                raise Refused(f"`{a}` is not allowed before the command ({command.name} ...)")
            pending.append(a)
            flag_words.append(a)
            j += 1
            if _cobra_skips(a, command) and j < len(args):
                pending.append(args[j])
                j += 1
        if j == len(args):  # only flags left: the command is this one
            break
        word = args[j]
        sub = command.subcommands.get(word)
        if sub is None:
            raise Refused(_not_a_command(command, word))
        for a in flag_words:
            if not _plain_global(a, data):
                raise Refused(
                    f"`{a}` comes before the command word `{word}`; write it after the "
                    "command (only global flags such as -n may come first)"
                )
        rest += pending
        command = data.commands[(*command.path, sub)]
        i = j + 1
    return command, rest + args[i:]


def _not_a_command(command: Command, word: str) -> str:
    if not command.path:
        return (
            f"`kubectl {word}` is not a kubectl command (kubectl would run a plugin, the "
            f"program kubectl-{word}, if there is one)"
        )
    plugin = "-".join((*command.path, word))
    subs = ", ".join(sorted(set(command.subcommands.values())))
    return (
        f"`{command.name} {word}` is not a kubectl command (kubectl would look for a plugin "
        f"named kubectl-{plugin}); the subcommands are: {subs}"
    )


def _cobra_skips(a: str, command: Command) -> bool:
    """cobra's stripFlags: does the flag word `a` take the next word as its value?"""
    if "=" in a:
        return False
    if a.startswith("--"):
        flag = command.flags.get(a[2:])
    elif len(a) == 2:
        name = command.shorts.get(a[1])
        flag = command.flags.get(name) if name else None
    else:
        return False
    return not (flag is not None and flag.optional_value)


def _plain_global(a: str, data: allowlist.Allowlist) -> bool:
    """`--namespace x`, `--namespace=x`, `-n x`, `-nx`, `-n=x`, `--warnings-as-errors`:
    a global flag (not help) in a form cobra and pflag read alike."""
    root = data.root
    if a.startswith("--"):
        name = a[2:].split("=", 1)[0]
        return name in root.flags and name != "help"
    name = root.shorts.get(a[1]) if len(a) >= 2 else None
    if name is None or name == "help":
        return False
    return len(a) == 2 or root.flags[name].takes_value


def _parse_flags(command: Command, args: list[str], argv_text: str, allowed_only: bool) -> Parsed:
    """pflag's parseArgs with the command's flags; every refusal says why."""
    if allowed_only and not command.allowed:
        why = f": {command.why}" if command.why else ""
        raise Refused(f"`{command.name}` is not a command kubecapture runs{why}")
    flags: dict[str, list] = {}
    positionals: list[str] = []
    after_dash: tuple[str, ...] | None = None
    given: set[str] = set()
    while args:
        s = args.pop(0)
        if s == "" or s[0] != "-" or s == "-":
            positionals.append(s)
            continue
        if s == "--":
            if not command.takes_command:
                raise Refused(
                    f"`--` is not allowed in `{command.name}`: kubectl would read what "
                    "follows as more arguments of the command, outside this model's checks"
                )
            after_dash = tuple(args)
            break
        if s.startswith("-test."):
            raise Refused(f"`{s}`: pflag skips arguments that start with -test.")
        if s.startswith("--"):
            name, eq, value = s[2:].partition("=")
            if not name or name[0] in "-=":
                raise Refused(f"`{s}` is not a flag kubectl can read")
            flag = _flag(command, name, f"--{name}", argv_text, allowed_only)
            if eq:
                raw = value
            elif flag.optional_value:
                raw = None
            elif args:
                raw = _next_value(args, s)
            else:
                raise Refused(f"`{s}` needs a value")
            _set(flags, flag, raw, s)
            given.add(flag.name)
            continue
        shorthands = s[1:]
        while shorthands:
            c = shorthands[0]
            name = command.shorts.get(c)
            if name is None:
                raise Refused(f"`{command.name}` has no flag -{c} (in `{s}`)")
            flag = _flag(command, name, f"-{c}", argv_text, allowed_only)
            if len(shorthands) > 2 and shorthands[1] == "=":
                raw, shorthands = shorthands[2:], ""
            elif flag.optional_value:
                raw, shorthands = None, shorthands[1:]
            elif len(shorthands) > 1:
                raw, shorthands = shorthands[1:], ""
            elif args:
                raw, shorthands = _next_value(args, s), ""
            else:
                raise Refused(f"`-{c}` needs a value")
            _set(flags, flag, raw, s)
            given.add(flag.name)
    return Parsed(
        command,
        {k: tuple(v) for k, v in flags.items()},
        tuple(positionals),
        after_dash,
        frozenset(given),
    )


def _flag(command: Command, name: str, written: str, argv_text: str, allowed_only: bool) -> Flag:
    if "_" in name and name.replace("_", "-") in command.flags:
        raise Refused(f"`{written}`: write it `--{name.replace('_', '-')}`")
    flag = command.flags.get(name)
    if flag is None:
        raise Refused(f"`{command.name}` has no flag `{written}`")
    if allowed_only and not flag.allowed:
        why = flag.why or f"it is not among the flags kubecapture allows for `{command.name}`"
        raise Refused(f"`{written}` is not allowed in a kubectl snippet (`{argv_text}`): {why}")
    return flag


def _next_value(args: list[str], written: str) -> str:
    """pflag takes the next word as the value, even `--all-namespaces`: refuse what reads
    as a flag to a person (a negative number is fine)."""
    value = args.pop(0)
    if value.startswith("-") and value != "-" and not _NEGATIVE_NUMBER.match(value):
        raise Refused(
            f"`{written} {value}`: kubectl would take `{value}` as the value of `{written}`; "
            f"write `{written}=...` if that is meant"
        )
    return value


def _set(flags: dict[str, list], flag: Flag, raw: str | None, written: str) -> None:
    """Convert a flag's value as pflag's Set would, then as its check requires."""
    values = flags.setdefault(flag.name, [])
    if flag.type == "bool":
        if raw is None:
            value = True
        elif raw in _BOOL:
            value = _BOOL[raw]
        else:
            raise Refused(f"`{written}`: {raw!r} is not a boolean kubectl reads")
        values.append(value)
        return
    if raw is None:  # an optional value left out: kubectl's NoOptDefVal
        values.append(_check(flag, None, written))
        return
    if flag.type == "int":
        if not _INT.match(raw):
            raise Refused(f"`{written}`: {raw!r} is not a whole number")
        values.append(_check(flag, int(raw), written))
    elif flag.type == "duration":
        if not _DURATION.match(raw):
            raise Refused(f"`{written}`: {raw!r} is not a duration such as 30s")
        values.append(raw)
    elif flag.type == "stringSlice":
        if '"' in raw or "\n" in raw or "\r" in raw:
            raise Refused(f"`{written}`: quotes and line breaks in a list are not read here")
        values += [_check(flag, item, written) for item in (raw.split(",") if raw else [])]
    elif flag.type in ("string", "stringArray"):
        values.append(_check(flag, raw, written))
    else:
        raise Refused(f"`{written}`: flags of type {flag.type} are not read here")


def _check(flag: Flag, value, written: str):
    """A value as its check wants it (None: the flag given without its optional value)."""
    check = flag.check
    if check == "namespace" and not (isinstance(value, str) and _DNS_LABEL.match(value)):
        raise Refused(f"`{written}`: {value!r} is not a namespace name")
    if check == "verbosity" and not (isinstance(value, int) and 0 <= value <= MAX_VERBOSITY):
        raise Refused(
            f"`{written}`: log levels above {MAX_VERBOSITY} print request URLs, headers and "
            "bodies and the build's file paths"
        )
    if check == "dry-run":
        if value is None:
            return "client"
        if value in _BOOL:  # the old boolean form: true is client, false is none
            return "client" if _BOOL[value] else None
        if value not in _DRY_RUN:
            raise Refused(f"`{written}`: {value!r} is not none, client or server")
        return _DRY_RUN[value]
    if check == "labels" and isinstance(value, str):
        _refuse_own_label(value, written)
    if check == "output" and isinstance(value, str):
        _check_output(value, written)
    return value


def _check_output(value: str, written: str) -> None:
    name = value.partition("=")[0]
    known = {"json", "yaml", "kyaml", "name", "wide", "go-template", "template", "jsonpath"}
    known |= {"jsonpath-as-json", "custom-columns"} | FILE_OUTPUTS
    if name not in known:
        raise Refused(f"`{written}`: {value!r} is not an output format kubecapture knows")


# Labels kubecapture sets on its sandboxes: how it finds them, and the Pod Security level
# their pods are held to (sandbox.SANDBOX_LABELS).
OWN_LABEL_WORDS = ("kubecapture", "pod-security.kubernetes.io")


def own_label(key: str, value: str | None) -> bool:
    """A label or annotation kubecapture itself sets on its sandboxes."""
    if mentions_own_label(key):
        return True
    return key == _MANAGED_BY and (value is None or "kubecapture" in value.lower())


def mentions_own_label(text: str) -> bool:
    return any(word in text.lower() for word in OWN_LABEL_WORDS)


def _refuse_own_label(text: str, written: str) -> None:
    if mentions_own_label(text):
        raise Refused(f"`{written}`: a page may not set kubecapture's own labels")
