"""The run-to-run noise in kubectl output, masked: `normalize` replaces volatile content
with stable placeholders, so that drift.py can tell a change in substance from noise.

After a cluster upgrade every snippet re-runs, and nearly every output differs from its
capture somewhere: an AGE, a pod-name hash, an IP, a timestamp. Pure functions: no I/O,
no kubectl, no MkDocs.

Masked (volatile):
- table columns AGE, LAST SEEN, FIRST SEEN, LAST SCHEDULE, DURATION, RESTARTS (count and
  "(10m ago)"), CPU/MEMORY usage of `kubectl top`, describe tables' Age; pod IP, CLUSTER-IP,
  EXTERNAL-IP (when it is an IP) and every other IPv4 address, except a node's own address;
- generated names: ReplicaSet / revision hashes (`web-7899ff8f4d`), 5-character suffixes
  (`web-7899ff8f4d-kpstl`, `kube-proxy-g55hg`, `kube-api-access-kxpcg`), CronJob schedule
  numbers, event-name suffixes, `pod-template-hash` / `controller-revision-hash` values;
- timestamps (RFC 3339, describe's RFC 1123, Go's time.String), UIDs, resourceVersions,
  container IDs, image digests, boot IDs, node ports, restart counts, durations and image
  sizes in event messages, a node's image cache (`status.images`);
- row order of tables (kubectl lists by name, and names carry random suffixes), except
  event tables, whose order tells the story; key order in YAML/JSON; alignment;
- progress lines of commands that wait (`Waiting for deployment "web" rollout to
  finish: 1 out of 2 new replicas have been updated...`): how many a run prints, and
  which, depends on timing; the line that ends the wait is kept;
- the masked keys above also where YAML or JSON cannot be parsed (a redacted value
  such as `password: ********` is not valid YAML), line by line.

Kept (substance): versions, statuses, READY, roles, images and tags, node INTERNAL-IP and
node addresses (stable on minikube; a new one means a different network), CIDRs,
`generation`, labels other than the hashes, `kubectl version` output (untouched).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import date

import yaml

from ..captures.store import BlockDumper
from ..trust.redact import MASK

# ---------------------------------------------------------------------------------------
# Volatile tokens, wherever they appear

# k8s.io/apimachinery/pkg/util/rand: generateName suffixes use this alphabet (no vowels,
# no 0/1/3), and a pod-template-hash is a decimal number encoded with it, which only
# ever yields these ten characters.
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_HASH_ALPHABET = "4-9bcdf"

_TIMES = (
    r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?",  # RFC 3339
    r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}",
    r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? [+-]\d{4}(?: [A-Z]{2,5})?",  # Go
    r"\b\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\b",  # nginx's error log (kubectl logs)
)

# Order matters: long hex tokens first, so the name rules never see their pieces. Each
# mask comes with a piece of text that every match of it contains: a text without that
# piece is left alone without running the pattern (most table cells are such texts).
_TOKEN_MASKS: list[tuple[str, re.Pattern[str], str]] = [
    ("://", re.compile(r"\b(docker|containerd|cri-o)://[0-9a-f]{12,}\b"), r"\1://<id>"),
    ("sha256:", re.compile(r"\bsha256:[0-9a-f]{64}\b"), "sha256:<digest>"),
    (
        "-",
        re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
        "<uid>",
    ),
    *((needle, re.compile(p), "<time>") for needle, p in zip("-:-/", _TIMES, strict=True)),
    (
        "-hash",
        re.compile(
            r"\b((?:pod-template-hash|controller-revision-hash)(?:=|:\s*))(\"?)[0-9a-z-]+\2"
        ),
        r"\1\2<hash>\2",
    ),
    # A CronJob's Job is named <cronjob>-<scheduled minute since the epoch>.
    ("-", re.compile(r"(?<=[a-z0-9]-)2\d{7}(?!\w)"), "<n>"),
    ("-", re.compile(rf"(?<=[a-z0-9]-)[{_NAME_ALPHABET}]{{5}}(?![\w-])"), "<id>"),
    ("-", re.compile(rf"(?<=[a-z0-9]-)[{_HASH_ALPHABET}]{{6,10}}(?!\w)"), "<hash>"),
    # Events are named <object>.<hex nanoseconds>.
    (".", re.compile(r"(?<=[a-z0-9>])\.[0-9a-f]{15,17}(?!\w)"), ".<event>"),
    (" ago)", re.compile(r"\(\d+[smhd][0-9smhd]* ago\)"), "(<ago>)"),
    # nginx's log names its processes by PID (`7#7:`, `start worker process 7`).
    ("#", re.compile(r"\b\d+#\d+:"), "<pid>#<pid>:"),
    ("process ", re.compile(r"(?<=worker process )\d+\b"), "<pid>"),
]
# Not a CIDR (`10.244.0.0/24` is configuration) and not part of a longer dotted version.
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|/\d)")


# Cached: table cells repeat (statuses, READY counts, names, versions), row after row and
# output after output; a history's change markers normalize every earlier output.
@functools.lru_cache(maxsize=8192)
def _mask_tokens(text: str, keep_ips: bool = False) -> str:
    for needle, pattern, replacement in _TOKEN_MASKS:
        if needle in text:
            text = pattern.sub(replacement, text)
    return text if keep_ips or "." not in text else _IPV4.sub("<ip>", text)


# ---------------------------------------------------------------------------------------
# Plain lines (describe, messages, anything that is not a table)

_LINE_MASKS = [
    # `resourceVersion: "881"`, `"uid": "…",`: keys that _MASKED_KEYS masks in parsed YAML
    # and JSON, here in text that could not be parsed.
    (
        re.compile(
            r'^(\s*(?:- )?"?(?:resourceVersion|restartCount|nodePort|healthCheckNodePort)"?:'
            r'\s*)"?\d+"?'
        ),
        r"\1<n>",
    ),
    (re.compile(r"^(\s*Restart Count:\s+)\d+"), r"\1<restarts>"),
    (re.compile(r"^(\s*Boot ID:\s+)\S+"), r"\1<id>"),
    (re.compile(r"^(\s*NodePort:\s+.*?\s)\d+(/\w+)$"), r"\1<nodeport>\2"),
]
# A node's own addresses in `describe node`: stable on minikube, so kept.
_NODE_ADDRESS_LINE = re.compile(r"^\s*(?:InternalIP|ExternalIP):")


def _tidy(line: str) -> str:
    """Trailing spaces off, runs of spaces inside a line cut to two: describe aligns its
    values to the longest key, and a new key must not shift every other line."""
    stripped = line.rstrip()
    body = stripped.lstrip(" ")
    return stripped[: len(stripped) - len(body)] + re.sub(r" {2,}", "  ", body)


def _mask_line(line: str) -> str:
    for pattern, replacement in _LINE_MASKS:
        line = pattern.sub(replacement, line)
    return _tidy(_mask_tokens(line, keep_ips=bool(_NODE_ADDRESS_LINE.match(line))))


# ---------------------------------------------------------------------------------------
# Tables: `kubectl get` (UPPERCASE header) and describe's (header over a dashed line)

_VOLATILE_COLUMNS = {
    "AGE": "<age>",
    "LAST SEEN": "<age>",
    "FIRST SEEN": "<age>",
    "LAST SCHEDULE": "<age>",
    "DURATION": "<duration>",
    # Restarts happen by timing (storage-provisioner restarts when it starts before the
    # API server); STATUS and READY carry the substance.
    "RESTARTS": "<restarts>",
    "CPU(CORES)": "<usage>",
    "CPU%": "<usage>",
    "MEMORY(BYTES)": "<usage>",
    "MEMORY%": "<usage>",
}
_KEEP_IP_COLUMNS = {"INTERNAL-IP"}
_HEADER_CELL = re.compile(r"[A-Z][A-Za-z0-9_.%/()-]*(?: [A-Z][A-Za-z0-9_.%/()-]*)*")
_DASHES = re.compile(r"^ *-{2,}(?: +-{2,})+ *$")
_DESCRIBE_KEY = re.compile(r"^\s*[A-Z][\w()-]*(?: [\w()-]+)*:(?:\s|$)")
_EVENT_DURATION = re.compile(r"\b\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)(?:\d+(?:\.\d+)?(?:ms|s|m))*\b")
_EVENT_SIZE = re.compile(r"(Image size: )\d+( bytes)")
_NODE_PORT_CELL = re.compile(r"(?<=:)\d+(?=/)")


@dataclass(frozen=True)
class Table:
    """A parsed, normalized table; rendered with two-space separators, not aligned."""

    indent: str
    title: str  # describe: the section (`Events`); get: the kind prefix (`pod`) or ""
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    events: bool = False

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.indent, self.title, self.header[0].upper())

    @property
    def label_column(self) -> int:
        """The column that names a row: NAME, an event's REASON, else the first."""
        names = [h.upper() for h in self.header]
        if "NAME" in names:
            return names.index("NAME")
        return names.index("REASON") if self.events else 0

    def lines(self) -> list[str]:
        return [_tidy(self.indent + "  ".join(cells)) for cells in (self.header, *self.rows)]


Block = str | Table


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _get_header(line: str) -> tuple[list[int], list[str]] | None:
    """Column starts and names of a `kubectl get` header row, or None."""
    if not line or line[0] == " ":
        return None
    found = list(re.finditer(r"\S+(?: \S+)*", line))
    names = [m.group() for m in found]
    if len(names) < 2 or not all(_HEADER_CELL.fullmatch(n) for n in names):
        return None
    # CPU(cores) and MEMORY(bytes) are the only lowercase a header has.
    if any(re.search(r"[a-z]", re.sub(r"\([^)]*\)", "", n)) for n in names):
        return None
    return [m.start() for m in found], names


def _dash_header(line: str, dashes: str) -> list[int] | None:
    """Column starts of a describe table (header line over `----  ------`), or None."""
    if not _DASHES.match(dashes) or not line.strip():
        return None
    starts = [m.start() for m in re.finditer(r"-+", dashes)]
    aligned = all(
        s < len(line) and line[s] != " " and (s == 0 or line[s - 1] == " ") for s in starts
    )
    return starts if aligned and indent_of(line) == starts[0] else None


def _cells(line: str, starts: list[int]) -> list[str]:
    """Cut a row at the header's column starts (values never cross them in kubectl's
    tabwriter output); a hand-edited row that does gets split on runs of spaces."""
    clean = all(s >= len(line) or line[s - 1] == " " for s in starts[1:])
    if not clean:
        parts = re.split(r" {2,}", line.strip())
        if len(parts) == len(starts):
            return parts
    bounds = [*starts[1:], None]
    return [line[a:b].strip() for a, b in zip(starts, bounds, strict=True)]


def _mask_cell(column: str, cell: str, events: bool) -> str:
    name = column.upper()
    if name in _VOLATILE_COLUMNS and cell not in ("", "<none>"):
        return _VOLATILE_COLUMNS[name]
    cell = _mask_tokens(cell, keep_ips=name in _KEEP_IP_COLUMNS)
    if name == "PORT(S)":
        cell = _NODE_PORT_CELL.sub("<nodeport>", cell)
    if events and name == "MESSAGE":
        cell = _EVENT_SIZE.sub(r"\1<size>\2", _EVENT_DURATION.sub("<duration>", cell))
    return cell


def _make_table(indent: str, title: str, header: list[str], raw: list[list[str]]) -> Table:
    names = {h.upper() for h in header}
    # Events (describe's and `get events`), not node Conditions, which have Reason too.
    events = {"REASON", "MESSAGE"} <= names and bool({"AGE", "LAST SEEN"} & names)
    rows = [tuple(_mask_cell(h, c, events) for h, c in zip(header, r, strict=True)) for r in raw]
    if not events:
        rows.sort()
    if not title and rows and "/" in rows[0][0]:
        title = rows[0][0].split("/", 1)[0]  # `get all`: one table per kind
    return Table(indent, title, tuple(header), tuple(rows), events)


def _read_table(lines: list[str], i: int) -> tuple[Table | None, int]:
    """The table starting at line i and the index after it, or (None, i)."""
    get = _get_header(lines[i])
    if get:
        starts, header = get
        end = i + 1
        while end < len(lines) and lines[end].strip():
            end += 1
        rows = [_cells(r, starts) for r in lines[i + 1 : end]]
        return _make_table("", "", header, rows), end
    starts = _dash_header(lines[i], lines[i + 1]) if i + 1 < len(lines) else None
    if not starts:
        return None, i
    width = starts[0]
    end = i + 2
    while end < len(lines) and _is_describe_row(lines[end], width):
        end += 1
    rows = [_cells(r, starts) for r in lines[i + 2 : end]]
    header = _cells(lines[i], starts)
    return _make_table(" " * width, _section_title(lines, i, width), header, rows), end


def _is_describe_row(line: str, width: int) -> bool:
    if not line.strip() or indent_of(line) < width:
        return False
    return not (indent_of(line) == width and _DESCRIBE_KEY.match(line))


def _section_title(lines: list[str], i: int, width: int) -> str:
    """`Events` for the table under `Events:` (describe tables are indented under a key)."""
    for line in reversed(lines[:i]):
        if line.strip() and indent_of(line) < width:
            return line.strip().split(":", 1)[0]
    return ""


_KEY_LINE = re.compile(r"^( *)([^:\s][^:]*):( +)\S")


def parse_text(text: str, masked: bool = True) -> list[Block]:
    lines = text.replace("\r\n", "\n").split("\n")
    blocks: list[Block] = []
    columns: tuple[int, int] | None = None  # value column of the last `Key:  value`, raw/tidy
    i = 0
    while i < len(lines):
        table, after = _read_table(lines, i) if masked else (None, i)
        if table:
            blocks.append(table)
            i, columns = after, None
            continue
        line = _mask_line(lines[i]) if masked else _tidy(lines[i])
        key = _KEY_LINE.match(lines[i])
        if columns and lines[i].strip() and indent_of(lines[i]) == columns[0]:
            # A further value of a describe key (Labels:, Tolerations:) sits under the
            # first one, at a column set by the longest key: re-indent under the tidy one.
            line = " " * columns[1] + line.strip()
        elif key:
            columns = (key.end() - 1, len(key[1]) + len(key[2]) + 3)
        else:
            columns = None
        blocks.append(line)
        i += 1
    while blocks and blocks[-1] == "":
        blocks.pop()
    while blocks and blocks[0] == "":
        blocks.pop(0)
    return blocks


# ---------------------------------------------------------------------------------------
# YAML and JSON (`-o yaml`, `-o json`): masked by key, re-dumped with sorted keys

_OUTPUT_FORMAT = re.compile(r"(?:^|\s)(?:-o|--output)(?:=|\s*)(json|yaml)(?![\w-])")
_VERSION_COMMAND = re.compile(r"^\s*kubectl\s+version\b")
_MASKED_KEYS = {
    "resourceVersion": "<rv>",
    "uid": "<uid>",
    "restartCount": "<restarts>",
    "nodePort": "<nodeport>",
    "healthCheckNodePort": "<nodeport>",
    "bootID": "<id>",
    "pod-template-hash": "<hash>",
    "controller-revision-hash": "<hash>",
}

# A value redaction replaced (`password: ********`) reads as a YAML alias: quote it.
_REDACTED_VALUE = re.compile(rf"(:[ \t]+|^[ \t]*- )({re.escape(MASK)})[ \t]*$", re.M)

# libyaml's safe loader where PyYAML has it: the same objects, a tenth of the time (the
# `-o yaml` outputs of a history are parsed on every build that compares them).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_documents(fmt: str, text: str) -> list | None:
    try:
        if fmt == "yaml":
            text = _REDACTED_VALUE.sub(r"\1'\2'", text)
            docs = [d for d in yaml.load_all(text, Loader=_SAFE_LOADER) if d is not None]
        else:
            docs, decoder, pos, text = [], json.JSONDecoder(), 0, text.strip()
            while pos < len(text):
                doc, pos = decoder.raw_decode(text, pos)
                docs.append(doc)
                while pos < len(text) and text[pos].isspace():
                    pos += 1
    except (ValueError, yaml.YAMLError):
        return None
    return docs if docs and all(isinstance(d, dict | list) for d in docs) else None


def _mask_tree(node: object, path: tuple[str, ...]) -> object:
    if isinstance(node, dict):
        return {k: _mask_entry(str(k), v, path + (str(k),)) for k, v in node.items()}
    if isinstance(node, list):
        items = [_mask_tree(v, path + ("[]",)) for v in node]
        if path[-1:] == ("items",):  # listed by name, and names carry random suffixes
            items.sort(key=lambda v: json.dumps(v, sort_keys=True, default=str))
        return items
    if isinstance(node, str):
        # A Node's own addresses (status.addresses[].address) are kept, like INTERNAL-IP.
        return _mask_tokens(node, keep_ips=path[-3:] == ("addresses", "[]", "address"))
    if isinstance(node, date):  # an unquoted timestamp YAML turned into a datetime
        return "<time>"
    return node


def _mask_entry(key: str, value: object, path: tuple[str, ...]) -> object:
    if key in _MASKED_KEYS and value not in (None, ""):
        return _MASKED_KEYS[key]
    if path[-2:] == ("status", "images") and isinstance(value, list):
        return "<node image cache>"  # depends on what earlier runs pulled
    return _mask_tree(value, path)


def _structured_lines(fmt: str, text: str) -> list[str] | None:
    docs = _load_documents(fmt, text)
    if docs is None:
        return None
    masked = [_mask_tree(d, ()) for d in docs]
    if fmt == "json":
        dumped = [json.dumps(d, indent=4, sort_keys=True, ensure_ascii=False) for d in masked]
        return "\n".join(dumped).split("\n")
    dumped = [
        yaml.dump(d, Dumper=BlockDumper, sort_keys=True, allow_unicode=True, width=10**6)
        for d in masked
    ]
    return "---\n".join(dumped).rstrip("\n").split("\n")


# `Waiting for deployment "web" rollout to finish: 1 of 2 updated replicas are
# available...`, `Waiting for 2 pods to be ready...`: kubectl's progress while it waits.
_PROGRESS = re.compile(r"^Waiting for .*(?:\.\.\.|…)$")


def output_blocks(command: str, text: str) -> list[Block]:
    """The output as normalized blocks (lines and tables), as compare reads it."""
    return list(_normalized_blocks(command, text))


# A few outputs, not more (they can be long): comparing a history's entries one after
# another normalizes each middle entry twice in a row, as the newer and as the older side.
@functools.lru_cache(maxsize=8)
def _normalized_blocks(command: str, text: str) -> tuple[Block, ...]:
    return tuple(_blocks_of(command, text))


_DESCRIBE = re.compile(r"^\s*kubectl\s+describe\b")


def _in_name_order(text: str) -> str:
    """`kubectl describe` of several objects, each from its `Name:` line, in name order: a
    list comes in the order the API server's store keeps it (etcd: by name; others: not),
    as with a table's rows, which are compared sorted."""
    objects = re.split(r"\n\n(?=Name: )", text.rstrip("\n"))
    if len(objects) < 2:
        return text
    return "\n\n".join(sorted(objects, key=lambda o: o.partition("\n")[0])) + "\n"


def _blocks_of(command: str, text: str) -> list[Block]:
    if _DESCRIBE.match(command):
        text = _in_name_order(text)
    if _VERSION_COMMAND.match(command):
        return list(parse_text(text, masked=False))  # versions are what an upgrade changes
    m = _OUTPUT_FORMAT.search(command)
    if m:
        lines = _structured_lines(m.group(1), text)
        if lines is not None:
            return list(lines)
    return [b for b in parse_text(text) if not (isinstance(b, str) and _PROGRESS.match(b))]


def rendered(blocks: list[Block]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        out.extend(b.lines() if isinstance(b, Table) else [b])
    return out


def normalize(command: str, text: str) -> str:
    """`text` (the output of `command`) with volatile content replaced by placeholders.

    Tables are re-rendered with two spaces between cells (not aligned) and sorted rows;
    YAML and JSON are re-dumped with sorted keys.
    """
    lines = rendered(output_blocks(command, text))
    return "\n".join(lines) + "\n" if lines else ""
