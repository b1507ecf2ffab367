"""Mask secrets in command output. Knows nothing of clusters: it is given the values to hide.

Four kinds of things are masked:

1. Known secret values (the Secrets of the namespaces a page touched, the pinned
   kubeconfig's credentials), wherever they appear:
   - the raw value when it has at least ``MIN_SECRET_LENGTH`` characters. Shorter values
     ("admin", "true", "web") are too common to replace everywhere without wrecking
     outputs; see 2. for where they are masked anyway;
   - its base64 forms (what ``-o yaml`` / ``-o jsonpath={.data.x}`` print) when the
     encoded text has at least ``MIN_ENCODED_LENGTH`` characters (a raw value of 4 bytes
     or more): base64 text does not collide with ordinary words;
   - a multi-line value also when its lines are re-indented (a YAML block scalar) or
     JSON-escaped (``\\n``, as in a last-applied-configuration annotation), also as
     Go's encoding/json escapes it (``<`` as ``\\u003c``, ``&`` as ``\\u0026``);
   - an output that is exactly a secret value (a jsonpath query), whatever its length.
2. Secrets printed as objects, whatever the length of their values: the ``data`` and
   ``stringData`` values of any Secret shown as YAML or JSON (``get secret -o yaml``, a
   ``--dry-run -o yaml``, the JSON of a last-applied-configuration annotation).
3. Things that look like credentials without being known: PEM private key blocks, JWTs,
   ``Bearer`` tokens, and kubeconfig credential fields (``token``, ``password``,
   ``client-key-data``, ``client-certificate-data``, ``id-token``, ``refresh-token``, …).
4. Pieces of known values, whatever printed them (a Go template printing a decoded
   value in parts with ``slice``): every run of the output made of substrings of
   at least ``PIECE_LENGTH`` characters of a value of 1. (or of its base64 form) is
   masked, unless the run is found in the page's own text (``public``: what the page
   shows anyway, e.g. the key ``password`` of ``--from-literal=password=…``).
   Limits: shorter pieces, and anything computed from a value (hex, reversed, one
   character at a time) are not found; values longer than ``PIECE_SOURCE_MAX`` (or
   beyond ``PIECE_BUDGET`` in all) are not cut in pieces, a bound on memory.
   Redaction by value cannot see through computation; what may compute on a Secret
   (Go templates, a container's shell) is the allowlist's business, not this module's.

``describe secret`` prints only byte counts, so it needs nothing; kubectl prints base64
data on one line, so base64 forms are not searched across line breaks.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
from collections.abc import Iterable
from dataclasses import replace

MASK = "********"
MIN_SECRET_LENGTH = 6
MIN_ENCODED_LENGTH = 8
PIECE_LENGTH = 6
# Pieces cost memory (~200 bytes of set per character of value and base64 form): they are
# made of values up to PIECE_SOURCE_MAX characters, at most PIECE_BUDGET characters of
# them in all (shortest first). Longer values (certificates, Helm releases) are masked
# whole and in their encodings, not in pieces: a Secret of 1 MiB would otherwise cost
# about 200 MiB, a namespace of them the build's memory.
PIECE_SOURCE_MAX = 4096
# Forms longer than this are masked by plain replacement, not in the compiled pattern;
# multi-line values longer than _MULTILINE_MAX only as printed, not re-indented.
_REGEX_FORM_MAX = 512
_MULTILINE_MAX = 64 * 1024
PIECE_BUDGET = 256 * 1024

_PEM_BEGIN = re.compile(r"-----BEGIN (?P<label>[A-Z0-9 ]*PRIVATE KEY)-----")
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=\s\\]*")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9\-._~+/]{16,}=*")
_CREDENTIAL_KEYS = (
    "client-key-data",
    "client-certificate-data",
    "token",
    "password",
    "id-token",
    "refresh-token",
    "access-token",
    "client-secret",
)
_CREDENTIAL_FIELD = re.compile(
    r'(?m)((?:"|(?<![\w.-]))(?:' + "|".join(map(re.escape, _CREDENTIAL_KEYS)) + r')"?'
    r'\s*:\s*"?)(?!REDACTED\b|DATA\+OMITTED\b|\*{8})([^\s"\',}]{8,})'
)
# kubectl's own placeholders in `kubectl config view` (without --raw) are not secrets.


def encodings(value: str) -> set[str]:
    """The forms of a secret value that are masked by plain replacement."""
    forms: set[str] = set()
    for v in {value, value.strip()}:
        if not v:
            continue
        if len(v) >= MIN_SECRET_LENGTH and "\n" not in v:
            forms.add(v)
        encoded = base64.b64encode(v.encode()).decode()
        if len(encoded) >= MIN_ENCODED_LENGTH:
            forms.add(encoded)
        if len(v) >= MIN_SECRET_LENGTH:
            escaped = json.dumps(v, ensure_ascii=False)[1:-1]
            # and as Go's encoding/json writes it (kubectl's last-applied annotation)
            go = _go_json_string(v)[1:-1]
            forms.update(f for f in (escaped, go) if f != v)
    return forms


def _pieces_of(values: set[str]) -> frozenset[str]:
    """Every PIECE_LENGTH-character substring of the values (of at least that length) and
    of their base64 forms. A PEM block's BEGIN/END lines are left out: they are the same
    in every certificate, and certificates are not secret."""
    n = PIECE_LENGTH
    pieces: set[str] = set()
    budget = PIECE_BUDGET
    for value in sorted(values, key=len):
        if len(value) > PIECE_SOURCE_MAX or len(value) > budget:
            break
        budget -= len(value)
        body = "\n".join(
            line for line in value.splitlines() if not line.lstrip().startswith("-----")
        )
        for form in (body, base64.b64encode(value.encode()).decode()):
            pieces.update(form[i : i + n] for i in range(len(form) - n + 1))
    return frozenset(p for p in pieces if p.strip("* \t\r\n"))  # not blanks, not the mask


def _multiline_pattern(value: str) -> str | None:
    """A regex for a multi-line value printed with any indentation before each line."""
    lines = [line.strip() for line in value.strip().splitlines()]
    lines = [line for line in lines if line]
    if len(lines) < 2 or len(value.strip()) < MIN_SECRET_LENGTH:
        return None
    return r"[ \t]*\r?\n[ \t]*".join(re.escape(line) for line in lines)


class Redactor:
    """Masks a fixed set of secret values (compiled once) plus the generic patterns.
    `public`: text the page shows itself (its commands), where a piece is no secret."""

    def __init__(self, secrets: Iterable[str] = (), public: Iterable[str] = ()):
        self.secrets = {s for s in secrets if s}
        self._pieces = _pieces_of(self.secrets)
        self._public = "\n".join(public)
        forms = {f for s in self.secrets for f in encodings(s)}
        # Python's regex compiler takes ~10 µs a character: a 1 MiB value (and its
        # encodings) took a minute to compile. Long forms are replaced as plain text,
        # longest first, before the pattern runs (as the pattern prefers the longest).
        self._long = sorted((f for f in forms if len(f) > _REGEX_FORM_MAX), key=len, reverse=True)
        self._long += [s for s in self.secrets if len(s) > _MULTILINE_MAX and "\n" in s]
        forms = {f for f in forms if len(f) <= _REGEX_FORM_MAX}
        alternatives = [re.escape(f) for f in sorted(forms, key=lambda f: (-len(f), f))]
        multi = [
            p for s in self.secrets if len(s) <= _MULTILINE_MAX and (p := _multiline_pattern(s))
        ]
        # Multi-line patterns first: they are longer than any of their single lines.
        parts = sorted(multi, key=len, reverse=True) + alternatives
        self._known = re.compile("|".join(parts)) if parts else None
        # An output that is exactly a secret (a jsonpath query) is masked whatever its length.
        self._exact = {s.strip() for s in self.secrets if len(s.strip()) >= 4} | {
            base64.b64encode(s.encode()).decode() for s in self.secrets
        }

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if text.strip() in self._exact:
            return text.replace(text.strip(), MASK)
        text = _mask_secret_objects(text)
        for form in self._long:
            text = text.replace(form, MASK)
        if self._known is not None:
            text = self._known.sub(MASK, text)
        if self._pieces:
            text = self._mask_pieces(text)
        return mask_patterns(text)

    def _mask_pieces(self, text: str) -> str:
        """Mask every run of the text covered by overlapping pieces (PIECE_LENGTH-character
        substrings) of the values: any substring of a value at least that long is such a
        run. One pass over the text, one set lookup per position."""
        n, pieces = PIECE_LENGTH, self._pieces
        runs: list[list[int]] = []
        for i in range(len(text) - n + 1):
            if text[i : i + n] in pieces:
                if runs and i <= runs[-1][1]:
                    runs[-1][1] = i + n
                else:
                    runs.append([i, i + n])
        out, pos = [], 0
        for start, end in runs:
            if text[start:end] in self._public:
                continue
            out.append(text[pos:start] + MASK)
            pos = end
        out.append(text[pos:])
        return "".join(out)


def mask_patterns(text: str) -> str:
    """Mask what looks like a credential: private keys, JWTs, bearer tokens, kubeconfig
    credential fields."""
    text = _mask_pem(text)
    text = _JWT.sub(MASK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    return _CREDENTIAL_FIELD.sub(lambda m: m.group(1) + MASK, text)


def _mask_pem(text: str) -> str:
    """Each private key block, from its BEGIN line to its END line (or, with no END line,
    to the end of the base64 that follows), as BEGIN, the mask, END. One pass: the END
    lines of each label are found once, not searched again from every BEGIN line (30,000
    BEGIN lines without END took minutes with a lazy `.*?`)."""
    if "PRIVATE KEY-----" not in text:
        return text
    ends: dict[str, list[int]] = {}  # label -> start of each of its END lines, in order
    out, pos = [], 0
    for m in _PEM_BEGIN.finditer(text):
        if m.start() < pos:
            continue  # inside the block masked before
        label = m["label"]
        if label not in ends:
            marker = f"-----END {label}-----"
            found, i = [], text.find(marker)
            while i != -1:
                found.append(i)
                i = text.find(marker, i + 1)
            ends[label] = found
        after = ends[label]
        k = bisect.bisect_left(after, m.end())
        if k < len(after):
            end_line = f"-----END {label}-----"
            stop = after[k] + len(end_line)
        else:
            end_line = ""
            stop = _PEM_BODY.match(text, m.end()).end()
        block = text[m.start() : stop]
        separator = "\\n" if "\\n" in block and "\n" not in block else "\n"
        out.append(text[pos : m.start()])
        out.append(separator.join(x for x in (m.group(0), MASK, end_line) if x))
        pos = stop
    out.append(text[pos:])
    return "".join(out)


# --- Secrets printed as objects ----------------------------------------------------------

_SECRET_KIND = re.compile(r'\\?"kind\\?"\s*:\s*\\?"Secret\\?"')


def _mask_secret_objects(text: str) -> str:
    """Mask data/stringData values of Secrets printed as YAML or JSON, whatever their length."""
    if "Secret" not in text:
        return text
    if _holds_secret(text):
        text = _mask_data_blocks(text)
    if _SECRET_KIND.search(text):
        text = "".join(_mask_inline_json(line) for line in text.splitlines(keepends=True))
    return text


def _holds_secret(text: str) -> bool:
    """Does this output parse as YAML/JSON holding a Secret object (a `kind: Secret` at any
    depth)? Read from the parser's events in one pass, never built: an alias bomb of 1 KiB
    would be walked node by node (10^9 nodes), and deep nesting would exhaust the stack.
    YAML that uses anchors or aliases (kubectl never prints them) counts as holding one:
    its `data:` blocks are masked by their lines."""
    import yaml

    if not re.search(r'(?m)^\s*(?:-\s+)?"?kind"?\s*:\s*"?Secret"?,?\s*$', text):
        return False
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    # per open collection: is it a mapping, and is its next scalar a key?
    stack: list[list[bool]] = []
    key = None  # the last key read, in the innermost mapping
    try:
        while True:
            event = loader.get_event()
            kind = type(event)
            if kind is yaml.AliasEvent or getattr(event, "anchor", None) is not None:
                return True
            if kind is yaml.ScalarEvent:
                top = stack[-1] if stack else None
                if top is not None and top[0]:
                    if top[1]:
                        key = event.value
                    elif key == "kind" and event.value == "Secret":
                        return True
                    top[1] = not top[1]
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                if stack and stack[-1][0]:
                    stack[-1][1] = True  # a collection is a value here: next is a key
                stack.append([kind is yaml.MappingStartEvent, True])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
            elif kind is yaml.StreamEndEvent:
                return False
    except yaml.YAMLError:
        return False
    finally:
        loader.dispose()


_YAML_BLOCK = re.compile(r"^(?P<indent>[ \t]*)(?:- )?(?P<key>data|stringData):[ \t]*$")
_JSON_BLOCK = re.compile(r'^(?P<indent>[ \t]*)"(?P<key>data|stringData)":[ \t]*\{[ \t]*$')
# The key starts with its first non-blank: `[ \t]+[^:\n]+?` would try every split of a
# line of blanks, quadratic in its length (a 1 MiB line of tabs took hours).
_YAML_ENTRY = re.compile(r"^(?P<head>[ \t]+[^:\n \t][^:\n]*?:)[ \t]*(?P<value>.*)$")
_JSON_ENTRY = re.compile(r'^(?P<head>[ \t]*"(?:[^"\\]|\\.)*"[ \t]*:[ \t]*)"(?:[^"\\]|\\.)*"')


def _mask_data_blocks(text: str) -> str:
    """Mask the values under `data:`/`stringData:` (YAML) and `"data": {` (JSON)."""
    lines = text.splitlines(keepends=True)
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        body = line.rstrip("\r\n")
        if ym := _YAML_BLOCK.match(body):
            base = len(ym["indent"]) + (2 if body.lstrip().startswith("- ") else 0)
            while i < len(lines):
                entry = lines[i].rstrip("\r\n")
                indent = len(entry) - len(entry.lstrip())
                if entry.strip() and indent <= base:
                    break
                m = _YAML_ENTRY.match(entry)
                if m and m["value"][:1] in ("|", ">"):
                    # a block scalar: its lines (deeper than the key) become one mask
                    out.append(_keep_newline(lines[i], f"{m['head']} {MASK}"))
                    i += 1
                    while i < len(lines):
                        inner = lines[i].rstrip("\r\n")
                        if inner.strip() and len(inner) - len(inner.lstrip()) <= indent:
                            break
                        i += 1
                    continue
                if m and m["value"]:
                    out.append(_keep_newline(lines[i], f"{m['head']} {MASK}"))
                else:
                    out.append(lines[i])
                i += 1
        elif jm := _JSON_BLOCK.match(body):
            close = re.compile(rf"^{re.escape(jm['indent'])}\}},?\s*$")
            while i < len(lines) and not close.match(lines[i]):
                m = _JSON_ENTRY.match(lines[i])
                out.append(m["head"] + f'"{MASK}"' + lines[i][m.end() :] if m else lines[i])
                i += 1
    return "".join(out)


def _keep_newline(original: str, new: str) -> str:
    return new + original[len(original.rstrip("\r\n")) :]


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def _mask_inline_json(line: str) -> str:
    """A line holding a Secret as one-line JSON: a last-applied-configuration annotation,
    plain (YAML output) or itself a JSON string (JSON output)."""
    if not _SECRET_KIND.search(line):
        return line
    if re.search(r'"kind"\s*:\s*"Secret"', line):
        line = _mask_json_objects(line)
    if '\\"Secret\\"' in line:  # an escaped JSON document inside a JSON string

        def inner(m: re.Match) -> str:
            literal = m.group(0)
            if '\\"Secret\\"' not in literal:
                return literal
            try:
                decoded = json.loads(literal)
            except ValueError:
                return literal
            masked = _mask_json_objects(decoded)
            if masked == decoded:
                return literal
            return _go_json_string(masked)

        line = _each_string(line, inner)
    return line


def _each_string(line: str, replace) -> str:
    """`_STRING.sub(replace, line)` in linear time. The regex tries every quote: in a line
    of `\\"\\"...` each try runs to the end (quadratic). Once a string from one quote does
    not end, none from a later quote does (the later ones are inside it, escaped, and
    are read from there the same way), so the scan stops there."""
    out, pos = [], 0
    while (start := line.find('"', pos)) != -1:
        m = _STRING.match(line, start)
        if m is None:
            break
        out.append(line[pos:start] + replace(m))
        pos = m.end()
    out.append(line[pos:])
    return "".join(out)


def _mask_json_objects(text: str) -> str:
    """Mask data/stringData string values of the Secret JSON objects found in `text`."""
    decoder = json.JSONDecoder()
    out, pos = [], 0
    failures = 0
    while (start := text.find("{", pos)) != -1:
        try:
            obj, end = decoder.raw_decode(text, start)
        except ValueError:
            failures += 1
            if failures > MAX_JSON_TRIES:  # each failure costs the length before it
                out.append(text[pos:start] + MASK)
                pos = len(text)
                break
            out.append(text[pos : start + 1])
            pos = start + 1
            continue
        except RecursionError:  # nested past Python's stack (kubectl never prints that)
            out.append(text[pos:start] + MASK)
            pos = len(text)
            break
        chunk = text[start:end]
        if isinstance(obj, dict) and obj.get("kind") == "Secret":
            chunk = _mask_top_maps(chunk)
        out.append(text[pos:start] + chunk)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# `{` that do not start a JSON object, tried on one line holding a Secret before the rest of
# the line is masked: json's error message counts the lines before the failure, so a
# line of a million `{` cost a million times its length (kubectl prints valid JSON).
MAX_JSON_TRIES = 256

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')


def _mask_top_maps(chunk: str) -> str:
    """In one JSON object's text, replace the string values of its top-level `data` and
    `stringData` maps by the mask, leaving every other byte as it was."""
    out: list[str] = []
    stack: list[str] = []  # open containers: "{" or "["
    keys: list[str | None] = []  # the key each open object is under
    key: str | None = None  # last key read in the current object
    expect_key = False
    pos = 0
    for m in _TOKEN.finditer(chunk):
        out.append(chunk[pos : m.start()])
        pos = m.end()
        tok = m.group(0)
        if tok in "{[":
            keys.append(key if stack and stack[-1] == "{" else None)
            stack.append(tok)
            expect_key = tok == "{"
            key = None
        elif tok in "}]":
            stack.pop()
            key = keys.pop()
            expect_key = False
        elif tok == ",":
            expect_key = bool(stack) and stack[-1] == "{"
        elif tok == ":":
            expect_key = False
        elif expect_key and tok.startswith('"'):
            key = json.loads(tok)
            expect_key = False
            out.append(tok)
            continue
        elif (
            tok.startswith('"')
            and len(stack) == 2
            and stack[-1] == "{"
            and keys[-1] in ("data", "stringData")
        ):
            tok = f'"{MASK}"'
        out.append(tok)
    out.append(chunk[pos:])
    return "".join(out)


def _go_json_string(value: str) -> str:
    """A JSON string literal escaped as Go's encoding/json writes it."""
    text = json.dumps(value, ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, esc)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


# --- the API live.py uses ----------------------------------------------------------------


def redact_result(result, secrets):
    """A CommandResult with stdout and stderr masked (secrets: values or a Redactor)."""
    redactor = secrets if isinstance(secrets, Redactor) else Redactor(secrets)
    return replace(result, stdout=redactor(result.stdout), stderr=redactor(result.stderr))
