"""The drift tests' data and their test-side tools, beside the data they read.

The outputs (made by extract.py here): every output recorded from a real Kubernetes
v1.24.0 server (`RECORDINGS`, `recorded`), the outputs pasted in the original notes
(`SEED`, minikube v1.22.2), and `-o wide` tables rendered from the recorded server Tables
(`WIDE`). The tools are independent of drift.py: kubectl's tabwriter and back
(`set_column`, `edit_table`, `section`), and `perturb_volatile`, the same output as it could
look on another run of the same cluster.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

DATA = Path(__file__).parent
RECORDINGS = json.loads((DATA / "recordings.json").read_text(encoding="utf-8"))
SEED = {o["command"]: o["stdout"] for o in json.loads((DATA / "seed-v1.22.2.json").read_text())}
WIDE = json.loads((DATA / "wide-tables.json").read_text(encoding="utf-8"))


def recorded(command: str) -> str:
    return next(o["stdout"] for o in RECORDINGS if o["command"] == command)


# ---------------------------------------------------------------------------------------
# Test-side table helpers (independent of drift.py): kubectl's tabwriter and back


def columns(header: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]


def cut(line: str, starts: list[int]) -> list[str]:
    return [line[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]


def tabwrite(
    rows: list[list[str]], padding: int = 3, minwidth: int = 6, indent: str = "", first: int = 0
) -> list[str]:
    """Go's text/tabwriter as kubectl uses it: each column but the last as wide as its
    widest cell plus padding (`first`: describe's first column shares the key block)."""
    widths = [
        max(minwidth, max(len(r[i]) for r in rows) + padding) for i in range(len(rows[0]) - 1)
    ]
    if widths:
        widths[0] = max(widths[0], first)
    return [
        (indent + "".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + r[-1]).rstrip()
        for r in rows
    ]


def edit_table(text: str, edit) -> str:
    """Cut a one-table `kubectl get` output into cells, let `edit(header, rows)` change them
    in place, print it again as kubectl would (realigned)."""
    lines = text.rstrip("\n").split("\n")
    starts = columns(lines[0])
    header, *rows = [cut(line, starts) for line in lines]
    edit(header, rows)
    return "\n".join(tabwrite([header, *rows])) + "\n"


def set_column(text: str, name: str, values: list[str] | str) -> str:
    def edit(header, rows):
        i = header.index(name)
        for n, row in enumerate(rows):
            row[i] = values if isinstance(values, str) else values[n]

    return edit_table(text, edit)


def section(text: str, first_cell: str) -> str:
    """One blank-line-separated table of a multi-kind output such as `get all`."""
    return next(s for s in text.split("\n\n") if s.split("\n", 2)[1].startswith(first_cell)) + "\n"


# ---------------------------------------------------------------------------------------
# perturb_volatile: the same output as it could look on another run of the same cluster

# The generated names in these recordings, found by reading them: ReplicaSet hashes
# (pod-template-hash) and 5-character generateName suffixes.
GENERATED_HASHES = ["7899ff8f4d", "54d54b84c", "5d78c9869d", "78fcd69978"]
GENERATED_SUFFIXES = [
    "x7k2p",
    "9cw4m",
    "99xb9",
    "86c9l",
    "q4v99",
    "vw7f2",
    "rpslj",
    "fgf9j",
    "2t7b5",
    "kxpcg",
    "qxqbn",
    "g55hg",
]
AGE_COLUMNS = {"AGE", "LAST SEEN", "DURATION"}
RFC3339 = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
RFC1123 = re.compile(r"\b[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000")
UID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
IPV4 = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.]|/)")
DASHES = re.compile(r"^ *-{2,}(?: +-{2,})+$")
HEX = "0123456789abcdef"


class Fresh:
    """New random values, the same new value for the same old one within an output."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.seen: dict[str, str] = {}

    def same(self, old: str, make) -> str:
        if old not in self.seen:
            self.seen[old] = make()
        return self.seen[old]

    def pick(self, alphabet: str, n: int) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def age(self) -> str:
        r = self.rng.randint
        return self.rng.choice(
            [
                f"{r(1, 59)}s",
                f"{r(2, 9)}m{r(0, 59)}s",
                f"{r(10, 59)}m",
                f"{r(1, 7)}h{r(0, 59)}m",
                f"{r(8, 23)}h",
                f"{r(2, 7)}d{r(0, 23)}h",
                f"{r(8, 400)}d",
            ]
        )

    def restarts(self) -> str:
        n = self.rng.randint(1, 12)
        return self.rng.choice(["0", str(n), f"{n} ({self.age()} ago)"])

    def event_age(self) -> str:
        return self.rng.choice(
            [self.age(), f"{self.age()} (x{self.rng.randint(2, 9)} over {self.age()})"]
        )

    def time(self) -> datetime:
        base = datetime(2027, 3, 1, tzinfo=UTC)
        return base + timedelta(seconds=self.rng.randint(0, 10**7))

    def ip(self) -> str:
        r = self.rng.randint
        return self.rng.choice(
            [f"10.244.{r(0, 3)}.{r(2, 254)}", f"10.{r(96, 111)}.{r(0, 255)}.{r(1, 254)}"]
        )

    def hash(self) -> str:  # a pod-template-hash: SafeEncodeString of a decimal number
        return self.pick("456789bcdf", self.rng.choice([9, 10]))

    def suffix(self) -> str:  # a generateName suffix
        return self.pick("bcdfghjklmnpqrstvwxz2456789", 5)

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def tokens(self, s: str) -> str:
        """Every volatile token of a line or cell re-randomized."""
        names = "|".join(GENERATED_HASHES + GENERATED_SUFFIXES)
        rules = [
            (
                rf"\b(?:{names})\b",
                lambda m: self.same(m[0], self.hash if len(m[0]) > 5 else self.suffix),
            ),
            (RFC3339, lambda m: self.time().strftime("%Y-%m-%dT%H:%M:%SZ")),
            (RFC1123, lambda m: self.time().strftime("%a, %d %b %Y %H:%M:%S +0000")),
            (UID, lambda m: self.same(m[0], self.uid)),
            (r'(resourceVersion(?:": "|: "))\d+', lambda m: m[1] + str(self.rng.randint(1, 10**7))),
            # Pod and service IPs; the node's own address is stable on minikube.
            (IPV4, lambda m: m[0] if m[0].startswith("192.168.49.") else self.same(m[0], self.ip)),
            (r"(containerd://|sha256:)[0-9a-f]{64}", lambda m: m[1] + self.pick(HEX, 64)),
            (r'(Boot ID:\s+|"?bootID"?: "?)[0-9a-f]{32}', lambda m: m[1] + self.pick(HEX, 32)),
            (r"(Restart Count:\s+)\d+", lambda m: m[1] + str(self.rng.randint(0, 9))),
        ]
        for pattern, new in rules:
            s = re.sub(pattern, new, s)
        return s


def perturb_volatile(command: str, text: str, seed: int) -> str:
    """Re-randomize what differs between two runs of the same cluster: AGEs, restart counts
    and times, timestamps, UIDs, resourceVersions, ReplicaSet hashes and name suffixes, pod
    and service IPs (not the node's 192.168.49.2, stable on minikube), container and image
    IDs, boot IDs; reorder YAML/JSON keys and the rows of object lists; realign tables as
    kubectl would. Nothing else changes."""
    rng = random.Random(seed)
    fresh = Fresh(rng)
    fmt = re.search(r"-o (json|yaml)\b", command)
    if fmt and text.strip():
        text = reorder_keys(fmt[1], text, rng)
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if is_get_header(lines[i]):
            end = next((j for j in range(i, len(lines)) if not lines[j].strip()), len(lines))
            out += perturb_get_table(lines[i:end], fresh)
        elif i + 1 < len(lines) and DASHES.match(lines[i + 1]):
            end = describe_table_end(lines, i)
            out += perturb_describe_table(lines[i:end], fresh)
        else:
            end = i + 1
            out.append(fresh.tokens(lines[i]))
        i = end
    return "\n".join(out)


def is_get_header(line: str) -> bool:
    cells = re.split(r" {2,}", line.strip())
    return (
        not line.startswith(" ")
        and len(cells) > 1
        and all(re.fullmatch(r"[A-Z][A-Z0-9()/%.-]*(?: [A-Z][A-Z0-9()/%.-]*)*", c) for c in cells)
    )


def describe_table_end(lines: list[str], i: int) -> int:
    indent = len(lines[i]) - len(lines[i].lstrip())
    j = i + 2
    while j < len(lines) and lines[j].strip() and len(lines[j]) - len(lines[j].lstrip()) >= indent:
        j += 1
    return j


def perturb_get_table(lines: list[str], fresh: Fresh) -> list[str]:
    starts = columns(lines[0])
    header, *rows = [cut(line, starts) for line in lines]
    padding = min(
        starts[k + 1] - starts[k] - max(len(r[k]) for r in [header, *rows])
        for k in range(len(starts) - 1)
    )
    for row in rows:
        for k, name in enumerate(header):
            if name in AGE_COLUMNS:
                row[k] = fresh.age()
            elif name == "RESTARTS":
                row[k] = fresh.restarts()
            else:
                row[k] = fresh.tokens(row[k])
    if "AGE" in header:  # lists of objects come sorted by name, and names are random
        fresh.rng.shuffle(rows)
    return tabwrite([header, *rows], padding=padding, minwidth=6 if padding == 3 else 0)


def perturb_describe_table(lines: list[str], fresh: Fresh) -> list[str]:
    starts = [m.start() for m in re.finditer(r"-+", lines[1])]
    header = cut(lines[0], starts)
    rows = [cut(line, starts) for line in lines[2:]]
    for row in rows:
        for k, name in enumerate(header):
            row[k] = fresh.event_age() if name == "Age" else fresh.tokens(row[k])
    if not {"Reason", "Message"} <= set(header):  # events keep their order
        fresh.rng.shuffle(rows)
    indent = " " * starts[0]
    first = starts[1] - starts[0] if len(starts) > 1 else 0
    dashes = ["-" * len(h) for h in header]
    return tabwrite([header, dashes, *rows], padding=2, minwidth=0, indent=indent, first=first)


def reorder_keys(fmt: str, text: str, rng: random.Random) -> str:
    def shuffled(node):
        if isinstance(node, dict):
            keys = list(node)
            rng.shuffle(keys)
            return {k: shuffled(node[k]) for k in keys}
        if isinstance(node, list):
            return [shuffled(v) for v in node]
        return node

    if fmt == "json":
        return json.dumps(shuffled(json.loads(text)), indent=4) + "\n"
    return yaml.safe_dump(shuffled(yaml.safe_load(text)), sort_keys=False, width=10**6)


ALL_OUTPUTS = (
    [(o["command"], o["stdout"], o["stderr"], o["exit_code"]) for o in RECORDINGS]
    + [(c, out, "", 0) for c, out in SEED.items()]
    + [(c, out, "", 0) for c, out in WIDE.items()]
)
