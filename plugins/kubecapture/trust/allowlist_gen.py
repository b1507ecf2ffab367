"""Write `kubectl_tree.json`: the command tree of a kubectl binary, as data.

    python -m kubecapture.trust.allowlist_gen [--kubectl PATH] [--check]

What the guard must know to read a command line exactly as kubectl (cobra + pflag) does:
every command path (`get`, `create deployment`, `config view`), its aliases and
subcommands, whether it takes a command after `--`, and every flag it accepts with its
shorthand, its type and whether its value is optional. All of it is asked of kubectl
itself, never typed by hand, so a kubectl upgrade shows up as a diff of this file (and
every flag it adds stays refused until kubectl_allowlist.json says otherwise):

- the paths: `kubectl __complete ""` (the root's commands) and each command's `--help`
  ("Available Commands:", "Aliases:", "Usage:");
- the flags: `kubectl __complete PATH -` (every flag the command accepts, inherited ones
  included; hidden and deprecated ones are not offered, and stay unknown: refused), their
  shorthand and type from the `--help` of the command that defines them (kubectl prints
  `--name=default`, the default quoted for string flags) and `kubectl options` (global);
- what help does not print, by asking pflag: a value-taking flag followed by
  `--kc-probe` takes it as its value, a flag with an optional value does not ("unknown
  flag: --kc-probe"); a comma-separated list (stringSlice) refuses `"x` as its value (CSV),
  a stringArray does not. Every probe ends with `--help`, so nothing ever runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TREE_FILE = Path(__file__).with_name("kubectl_tree.json")

_FLAG_LINE = re.compile(r"^\s+(?:-(?P<short>\w), )?--(?P<name>[\w-]+)=(?P<default>.*):$")
_INT = re.compile(r"^-?\d+$")
_DURATION = re.compile(r"^-?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")
_PROBE = "--kc-probe"
_UNKNOWN = re.compile(r"unknown flag: (--kc-probe-\d+)")
_INVALID = re.compile(r'invalid argument ".*?" for "(?:-\w, )?--([\w-]+)" flag')


class Kubectl:
    """Runs one kubectl binary with nothing of the caller's environment: no kubeconfig, a
    throwaway HOME, so what it prints does not depend on the machine."""

    def __init__(self, path: str, home: str):
        self.path = path
        self.env = {"HOME": home, "KUBECONFIG": os.devnull, "KUBERC": "off", "PATH": ""}

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [self.path, *args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=30,
        )

    def help(self, path: tuple[str, ...]) -> str:
        done = self.run(*path, "--help")
        if done.returncode != 0:
            raise SystemExit(f"kubectl {' '.join(path)} --help failed: {done.stderr.strip()}")
        return done.stdout


def _section(text: str, title: str) -> list[str]:
    """The lines of a help section (`Options:`), up to the next unindented line."""
    lines = text.splitlines()
    try:
        start = lines.index(title) + 1
    except ValueError:
        return []
    out = []
    for line in lines[start:]:
        if line and not line[0].isspace():
            break
        out.append(line)
    return out


def help_flags(lines: list[str]) -> dict[str, dict]:
    """{name: {"short", "type"}} from help lines `  -o, --output='':` (type by default)."""
    flags = {}
    for line in lines:
        m = _FLAG_LINE.match(line)
        if not m:
            continue
        default = m["default"]
        if default.startswith("'") and default.endswith("'") and len(default) >= 2:
            kind = "string"
        elif default in ("true", "false"):
            kind = "bool"
        elif default.startswith("[") and default.endswith("]"):
            kind = "list"  # stringSlice or stringArray: probed
        elif _INT.match(default):
            kind = "int"
        elif _DURATION.match(default):
            kind = "duration"
        else:
            kind = "other"
        flags[m["name"]] = {"short": m["short"], "type": kind}
    return flags


def subcommands(text: str) -> list[str]:
    return sorted(line.split()[0] for line in _section(text, "Available Commands:") if line.strip())


def aliases(text: str, name: str) -> list[str]:
    lines = _section(text, "Aliases:") or []
    if not lines:  # cobra prints the aliases on the line right after "Aliases:"
        all_lines = text.splitlines()
        if "Aliases:" in all_lines:
            lines = [all_lines[all_lines.index("Aliases:") + 1]]
    words = [w.strip() for line in lines for w in line.split(",") if w.strip()]
    return sorted(w for w in words if w != name)


def usage_takes_command(text: str) -> bool:
    """`kubectl exec POD -- COMMAND`: the words after `--` are a command for a container."""
    usage = _section(text, "Usage:")
    return any(" -- " in f" {line} " or "[ -- " in line for line in usage)


def completed_flags(kubectl: Kubectl, path: tuple[str, ...], types: dict[str, str]) -> set[str]:
    """Every flag name `kubectl PATH` accepts. Cobra offers only the required flags (create
    deployment's `--image`) until they are set: set what it offered and ask again until
    nothing new comes."""
    names: set[str] = set()
    given: list[str] = []
    while True:
        done = kubectl.run("__complete", *path, *given, "-")
        offered = set()
        for line in done.stdout.splitlines():
            word = line.split("\t", 1)[0]
            if word.startswith("--"):
                offered.add(word[2:])
        if offered <= names:
            return names
        for name in sorted(offered - names):
            value = _SAMPLE.get(types.get(name, "string"), "x")
            given.append(f"--{name}" if value is None else f"--{name}={value}")
        names |= offered


_SAMPLE = {"bool": None, "int": "1", "duration": "1s"}


def probe_optional(kubectl: Kubectl, path: tuple[str, ...], names: list[str]) -> set[str]:
    """The flags among `names` whose value is optional (pflag's NoOptDefVal)."""
    optional: set[str] = set()
    todo = list(names)
    while todo:
        args = []
        for i, name in enumerate(todo):
            args += [f"--{name}", f"{_PROBE}-{i}"]
        done = kubectl.run(*path, *args, "--help")
        if done.returncode == 0:
            return optional  # every one took its probe as its value
        unknown = _UNKNOWN.search(done.stderr)
        invalid = _INVALID.search(done.stderr)
        if unknown:
            i = int(unknown[1].rsplit("-", 1)[1])
            optional.add(todo[i])
            todo = todo[i + 1 :]
        elif invalid and invalid[1] in todo:  # took its probe, but not as a valid value
            todo = todo[todo.index(invalid[1]) + 1 :]
        else:
            raise SystemExit(f"cannot probe kubectl {' '.join(path)}: {done.stderr.strip()}")
    return optional


def probe_slices(kubectl: Kubectl, path: tuple[str, ...], names: list[str]) -> set[str]:
    """The list flags among `names` that split their value at commas (stringSlice)."""
    slices: set[str] = set()
    todo = list(names)
    while todo:
        done = kubectl.run(*path, *(f'--{name}="x' for name in todo), "--help")
        if done.returncode == 0:
            return slices
        invalid = _INVALID.search(done.stderr)
        if not invalid or invalid[1] not in todo:
            raise SystemExit(f"cannot probe kubectl {' '.join(path)}: {done.stderr.strip()}")
        slices.add(invalid[1])
        todo = todo[todo.index(invalid[1]) + 1 :]
    return slices


def finish_types(
    kubectl: Kubectl, path: tuple[str, ...], flags: dict[str, dict]
) -> dict[str, dict]:
    """Resolve "list" into stringSlice/stringArray and mark optional values."""
    lists = sorted(n for n, f in flags.items() if f["type"] == "list")
    slices = probe_slices(kubectl, path, lists)
    # `--kuberc` is read by kubectl before pflag sees the line (so it cannot be probed):
    # any `--kuberc` word before `--` counts, even one pflag would take as a value.
    valued = sorted(n for n, f in flags.items() if f["type"] != "bool" and n != "kuberc")
    optional = probe_optional(kubectl, path, valued)
    out = {}
    for name in sorted(flags):
        f = dict(flags[name])
        if f["type"] == "list":
            f["type"] = "stringSlice" if name in slices else "stringArray"
        entry: dict = {"type": f["type"]}
        if f["short"]:
            entry["short"] = f["short"]
        if name in optional:
            entry["optional_value"] = True
        out[name] = entry
    return out


def types(flags: dict[str, dict]) -> dict[str, str]:
    return {name: f["type"] for name, f in flags.items()}


def generate(kubectl_path: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="kc-tree-") as home:
        kubectl = Kubectl(kubectl_path, home)
        version = kubectl.run("version", "--client", "-o", "json")
        client = json.loads(version.stdout)["clientVersion"]["gitVersion"]
        options = kubectl.run("options").stdout
        globals_ = finish_types(kubectl, (), help_flags(options.splitlines()))
        root = kubectl.run("__complete", "")
        top = sorted(
            line.split("\t", 1)[0]
            for line in root.stdout.splitlines()
            if line and not line.startswith(":") and not line.startswith("Completion")
        )
        helps: dict[tuple[str, ...], str] = {}
        todo = [(name,) for name in top]
        with ThreadPoolExecutor(max_workers=4) as pool:
            while todo:
                texts = list(pool.map(kubectl.help, todo))
                nxt = []
                for path, text in zip(todo, texts, strict=True):
                    helps[path] = text
                    nxt += [(*path, sub) for sub in subcommands(text)]
                todo = nxt

            def command(path: tuple[str, ...]) -> tuple[str, dict]:
                known = {
                    name: f["type"]
                    for depth in range(1, len(path) + 1)
                    for name, f in help_flags(_section(helps[path[:depth]], "Options:")).items()
                }
                names = completed_flags(kubectl, path, {**known, **types(globals_)})
                defined: dict[str, dict] = {}
                for depth in range(len(path), 0, -1):  # the command's own first
                    own = help_flags(_section(helps[path[:depth]], "Options:"))
                    for name, f in own.items():
                        if name in names and name not in defined:
                            defined[name] = f
                missing = names - set(defined) - set(globals_) - {"help"}
                if missing:
                    raise SystemExit(f"kubectl {' '.join(path)}: no type for {sorted(missing)}")
                text = helps[path]
                entry: dict = {"flags": finish_types(kubectl, path, defined)}
                if subcommands(text):
                    entry["subcommands"] = subcommands(text)
                if aliases(text, path[-1]):
                    entry["aliases"] = aliases(text, path[-1])
                if usage_takes_command(text):
                    entry["takes_command"] = True
                return " ".join(path), entry

            commands = dict(pool.map(command, sorted(helps)))
    return {
        "about": (
            "Generated by `python -m kubecapture.trust.allowlist_gen` from the kubectl the project "
            "pins; do not edit. What kubecapture allows is kubectl_allowlist.json."
        ),
        "kubectl": client,
        "global_flags": globals_,
        "commands": commands,
    }


def dumps(tree: dict) -> str:
    return json.dumps(tree, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def default_kubectl() -> str:
    beside = Path(sys.executable).with_name("kubectl")
    return str(beside) if beside.exists() else "kubectl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kubecapture.trust.allowlist_gen")
    parser.add_argument("--kubectl", default=default_kubectl())
    parser.add_argument("--out", type=Path, default=TREE_FILE)
    parser.add_argument("--check", action="store_true", help="fail if the file differs")
    args = parser.parse_args(argv)
    text = dumps(generate(args.kubectl))
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        sys.stderr.write(f"{args.out}: {'up to date' if same else 'differs'}\n")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
