"""What kubectl knows and what kubecapture allows of it, loaded from the package's data.

Two files, two owners:

- `kubectl_tree.json`: every command path of the pinned kubectl and every flag it accepts
  (type, shorthand, optional value), written by `python -m kubecapture.trust.allowlist_gen`;
- `kubectl_allowlist.json`: the project's decision, by hand: which command paths may
  run (some only on a page that opts in), which flags, and why; everything else refused.

Both are checked on load (types, not only keys): a flag the allowlist names must exist in
the tree with the type the allowlist states, or loading fails. Nothing here parses a
command line (kubectl_args.py does) or decides about a page (guard.py does).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

TREE_FILE = Path(__file__).with_name("kubectl_tree.json")
ALLOWLIST_FILE = Path(__file__).with_name("kubectl_allowlist.json")

TYPES = ("bool", "string", "int", "duration", "stringSlice", "stringArray", "other")
# What the guard checks about a flag's value (kubectl_args.py and guard.py read them).
CHECKS = ("namespace", "output", "template", "file", "from-file", "labels", "dry-run", "verbosity")
EFFECTS = ("read", "write", "destructive")


class DataError(ValueError):
    """The package's allowlist data is inconsistent (a bug of the package, not a page)."""


@dataclass(frozen=True)
class Flag:
    name: str
    type: str
    short: str | None = None
    optional_value: bool = False  # pflag's NoOptDefVal: `--flag` alone is fine
    allowed: bool = False
    check: str | None = None
    why: str = ""  # why it is refused (empty when allowed)

    @property
    def takes_value(self) -> bool:
        return self.type != "bool"


@dataclass(frozen=True)
class Command:
    """One kubectl command path (`()` is kubectl itself) with every flag it accepts."""

    path: tuple[str, ...]
    flags: dict[str, Flag]  # long name -> flag, the global ones included
    shorts: dict[str, str]  # shorthand -> long name
    subcommands: dict[str, str]  # name or alias -> name
    takes_command: bool = False  # `kubectl exec POD -- COMMAND`
    allowed: bool = False
    opt_in: bool = False  # allowed only on a page that lists it in front matter
    effect: str = "write"
    why: str = ""

    @property
    def name(self) -> str:
        return " ".join(("kubectl", *self.path))


@dataclass(frozen=True)
class Allowlist:
    kubectl: str  # the kubectl version the tree was generated from
    commands: dict[tuple[str, ...], Command]
    refused_flags: dict[str, str] = field(default_factory=dict)

    @property
    def root(self) -> Command:
        return self.commands[()]


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"{path.name}: cannot read it: {e}") from None
    if not isinstance(data, dict):
        raise DataError(f"{path.name}: not a JSON object")
    return data


def _str(value, where: str) -> str:
    if not isinstance(value, str):
        raise DataError(f"{where}: expected a string, got {type(value).__name__}")
    return value


def _obj(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise DataError(f"{where}: expected an object, got {type(value).__name__}")
    return value


def _tree_flags(raw, where: str) -> dict[str, Flag]:
    out = {}
    for name, spec in _obj(raw, where).items():
        spec = _obj(spec, f"{where}.{name}")
        kind = _str(spec.get("type"), f"{where}.{name}.type")
        short = spec.get("short")
        if kind not in TYPES or (short is not None and not (isinstance(short, str) and short)):
            raise DataError(f"{where}.{name}: bad type or shorthand")
        optional = spec.get("optional_value", False)
        if not isinstance(optional, bool):
            raise DataError(f"{where}.{name}.optional_value: expected true or false")
        out[name] = Flag(name, kind, short, optional or kind == "bool")
    return out


def _allowed_flag(flag: Flag, spec, where: str) -> Flag:
    """`TYPE` or `TYPE CHECK` from the allowlist, held against the tree's flag."""
    words = _str(spec, where).split()
    if not 1 <= len(words) <= 2 or words[0] not in TYPES:
        raise DataError(f"{where}: write TYPE or TYPE CHECK, got {spec!r}")
    if words[0] != flag.type:
        raise DataError(f"{where}: the allowlist says {words[0]}, kubectl says {flag.type}")
    check = words[1] if len(words) == 2 else None
    if check is not None and check not in CHECKS:
        raise DataError(f"{where}: unknown check {check!r}")
    return Flag(flag.name, flag.type, flag.short, flag.optional_value, True, check)


def load(tree_file: Path = TREE_FILE, allowlist_file: Path = ALLOWLIST_FILE) -> Allowlist:
    tree, policy = _read(tree_file), _read(allowlist_file)
    version = _str(tree.get("kubectl"), "kubectl_tree.json: kubectl")
    raw_commands = _obj(tree.get("commands"), "kubectl_tree.json: commands")
    globals_ = _tree_flags(tree.get("global_flags"), "global_flags")
    # cobra gives every command `-h, --help`; pflag knows it even where it is not defined
    globals_["help"] = Flag("help", "bool", "h", True)

    refused_flags = {
        name: _str(why, f"refused_flags.{name}")
        for name, why in _obj(policy.get("refused_flags"), "refused_flags").items()
    }
    sets = {
        name: _obj(flags, f"flag_sets.{name}")
        for name, flags in _obj(policy.get("flag_sets", {}), "flag_sets").items()
    }
    allowed_globals: dict[str, Flag] = {}
    for name, spec in _obj(policy.get("global_flags"), "global_flags").items():
        spec = _obj(spec, f"global_flags.{name}")
        if name not in globals_:
            raise DataError(f"global_flags.{name}: kubectl {version} has no such global flag")
        allowed_globals[name] = _allowed_flag(
            globals_[name], spec.get("flag"), f"global_flags.{name}"
        )
    policy_commands = _obj(policy.get("commands"), "commands")
    refused_commands = _obj(policy.get("refused_commands", {}), "refused_commands")
    for key in (*policy_commands, *refused_commands):
        if key not in raw_commands:
            raise DataError(f"commands.{key}: kubectl {version} has no such command")

    def flags_of(own: dict[str, Flag], decided: dict[str, Flag], key: str) -> dict[str, Flag]:
        merged = {**globals_, **own}
        out = {}
        for name, flag in merged.items():
            if name in decided:
                out[name] = decided[name]
            elif name in allowed_globals and name not in own:
                out[name] = allowed_globals[name]
            else:
                # a reason for this command's flag (`config view --raw`), else the name's
                why = refused_flags.get(f"{key} --{name}") or refused_flags.get(name, "")
                out[name] = Flag(flag.name, flag.type, flag.short, flag.optional_value, why=why)
        return out

    commands: dict[tuple[str, ...], Command] = {}
    top = sorted(key for key in raw_commands if " " not in key)
    root_flags = flags_of({}, {}, "")
    commands[()] = Command(
        path=(),
        flags=root_flags,
        shorts={f.short: f.name for f in root_flags.values() if f.short},
        subcommands={name: name for name in top},
        allowed=False,
        why="",
    )
    for key, raw in raw_commands.items():
        raw = _obj(raw, f"commands.{key}")
        path = tuple(key.split(" "))
        own = _tree_flags(raw.get("flags", {}), f"commands.{key}.flags")
        subs: dict[str, str] = {}
        for sub in raw.get("subcommands", []):
            sub_raw = _obj(raw_commands.get(f"{key} {sub}"), f"commands.{key} {sub}")
            subs[sub] = sub
            for alias in sub_raw.get("aliases", []):
                subs[_str(alias, f"commands.{key} {sub}.aliases")] = sub
        decided: dict[str, Flag] = {}
        spec = policy_commands.get(key)
        allowed, opt_in, effect, why = False, False, "write", ""
        if spec is not None:
            spec = _obj(spec, f"commands.{key}")
            allowed = True
            opt_in = spec.get("opt_in", False) is True
            effect = _str(spec.get("effect"), f"commands.{key}.effect")
            if effect not in EFFECTS:
                raise DataError(f"commands.{key}.effect: one of {', '.join(EFFECTS)}")
            why = _str(spec.get("why"), f"commands.{key}.why")
            wanted: dict[str, str] = {}
            for set_name in spec.get("use", []):
                if set_name not in sets:
                    raise DataError(f"commands.{key}.use: no flag set {set_name!r}")
                wanted.update(sets[set_name])
            wanted.update(_obj(spec.get("flags", {}), f"commands.{key}.flags"))
            merged = {**globals_, **own}
            for name, flag_spec in wanted.items():
                if name not in merged:
                    raise DataError(f"commands.{key}.flags.{name}: kubectl {version} has none")
                decided[name] = _allowed_flag(merged[name], flag_spec, f"commands.{key}.{name}")
        elif key in refused_commands:
            why = _str(refused_commands[key], f"refused_commands.{key}")
        flags = flags_of(own, decided, key)
        commands[path] = Command(
            path=path,
            flags=flags,
            shorts={f.short: f.name for f in flags.values() if f.short},
            subcommands=subs,
            takes_command=raw.get("takes_command", False) is True,
            allowed=allowed,
            opt_in=opt_in,
            effect=effect,
            why=why,
        )
    return Allowlist(version, commands, refused_flags)


@functools.cache
def default() -> Allowlist:
    """The package's allowlist, loaded once per process."""
    return load()


# --- the table for the docs -----------------------------------------------------------------


def markdown_table(allowlist: Allowlist | None = None, lang: str | None = "en") -> str:
    """The allowed commands and their flags as a Markdown table (global flags first), from
    the data alone; cells escaped for Markdown tables and HTML."""
    from ..base.strings import allowlist_strings

    t = allowlist_strings(lang)
    allowlist = allowlist or default()
    rows = [
        f"| {t['command']} | {t['effect']} | {t['flags']} | {t['why']} |",
        "| --- | --- | --- | --- |",
    ]
    root = allowlist.root
    rows.append(
        f"| {t['every']} | | "
        + ", ".join(_flag_cell(f) for f in _sorted_allowed(root.flags.values()))
        + f" | {t['global']} |"
    )
    for _path, command in sorted(allowlist.commands.items()):
        if not command.allowed:
            continue
        # its own flags, and global ones allowed only here (`auth can-i --as`)
        own = [
            f
            for f in command.flags.values()
            if f.name not in root.flags or not root.flags[f.name].allowed
        ]
        effect = t[command.effect] + (f" ({t['opt_in']})" if command.opt_in else "")
        rows.append(
            f"| `{command.name}` | {effect} | "
            + ", ".join(_flag_cell(f) for f in _sorted_allowed(own))
            + f" | {_cell(command.why)} |"
        )
    return "\n".join(rows) + "\n"


def _sorted_allowed(flags) -> list[Flag]:
    return sorted((f for f in flags if f.allowed), key=lambda f: f.name)


def _flag_cell(flag: Flag) -> str:
    short = f"-{flag.short}, " if flag.short else ""
    return f"`{short}--{flag.name}`"  # names are [a-z0-9-]: nothing to escape


def _cell(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("\n", " ")
    )


def figures(allowlist: Allowlist | None = None) -> dict[str, int]:
    """How much of kubectl is allowed: command paths and (command, flag) pairs."""
    allowlist = allowlist or default()
    runnable = [c for p, c in allowlist.commands.items() if p]
    global_names = set(allowlist.root.flags)
    local_pairs = [(c, f) for c in runnable for f in c.flags.values() if f.name not in global_names]
    return {
        "commands": len(runnable),
        "commands_allowed": sum(c.allowed and not c.opt_in for c in runnable),
        "commands_opt_in": sum(c.opt_in for c in runnable),
        "global_flags": len(global_names),
        "global_flags_allowed": sum(f.allowed for f in allowlist.root.flags.values()),
        "command_flags": len(local_pairs),
        "command_flags_allowed": sum(c.allowed and f.allowed for c, f in local_pairs),
    }


if __name__ == "__main__":  # python -m kubecapture.allowlist [ja|en]: the table
    import sys

    sys.stdout.write(markdown_table(lang=sys.argv[1] if len(sys.argv) > 1 else "en"))
