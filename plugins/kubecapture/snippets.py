"""Find kubectl snippets in Markdown and parse their options.

Knows nothing of clusters or files: it takes a page's Markdown text and returns
`Snippet`s, or raises `SnippetError` naming the page and line.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from dataclasses import dataclass, field

FENCE_LANGS = ("kubectl",)
# Options that change what runs, and so take part in the validity key.
RUN_OPTIONS = {"returncode", "timeout", "settle", "redact"}
# Options that only change how the snippet looks.
DISPLAY_OPTIONS = {"id", "title", "fold"}
OPTIONS = RUN_OPTIONS | DISPLAY_OPTIONS

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_OPTION = re.compile(
    r'\s*(?P<key>[A-Za-z_][\w-]*)\s*=\s*(?:"(?P<dq>[^"]*)"|\'(?P<sq>[^\']*)\'|(?P<bare>\S+))'
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class SnippetError(ValueError):
    """A mistake in a page that the author can fix; the message names page and line."""

    def __init__(self, page: str, line: int, message: str):
        super().__init__(f"{page}:{line}: {message}")
        self.page = page
        self.line = line


@dataclass(frozen=True)
class Command:
    text: str  # exactly as written (continuation lines included), shown on the page
    argv: tuple[str, ...]  # what runs
    line: int  # 1-based line in the page


@dataclass(frozen=True)
class Snippet:
    page: str
    line: int  # line of the opening fence
    commands: tuple[Command, ...]
    options: dict = field(default_factory=dict, compare=False, hash=False)
    # Outputs pasted in a console transcript, used as the drift baseline.
    pasted: tuple[str, ...] | None = None

    @property
    def id(self) -> str | None:
        return self.options.get("id")

    @property
    def returncode(self) -> int:
        return self.options.get("returncode", 0)

    @property
    def timeout(self) -> float | None:
        return self.options.get("timeout")

    @property
    def key(self) -> str:
        """Digest of what runs: commands and run options, not display options."""
        run = {k: v for k, v in sorted(self.options.items()) if k in RUN_OPTIONS}
        payload = json.dumps([[c.text for c in self.commands], run], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def page_key(snippets: list[Snippet], page_options: dict | None = None) -> str:
    """Digest of the page's whole snippet sequence: one changed snippet re-runs the page."""
    payload = json.dumps([[s.key for s in snippets], page_options or {}], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def parse_options(info: str, page: str, line: int) -> dict:
    """Parse `id="x" returncode="1"` from a fence's info string after the language."""
    options: dict = {}
    pos = 0
    info = info.strip()
    while pos < len(info):
        m = _OPTION.match(info, pos)
        if not m:
            bad = info[pos:].strip().split()[0]
            raise SnippetError(page, line, f'cannot read fence option "{bad}"; write key="value"')
        key = m["key"]
        value = next(v for v in (m["dq"], m["sq"], m["bare"]) if v is not None)
        if key not in OPTIONS:
            known = ", ".join(sorted(OPTIONS))
            raise SnippetError(page, line, f'unknown option "{key}" (known: {known})')
        if key in options:
            raise SnippetError(page, line, f'option "{key}" is given twice')
        options[key] = _convert(key, value, page, line)
        pos = m.end()
    return options


def _convert(key: str, value: str, page: str, line: int):
    def fail(expected: str):
        raise SnippetError(page, line, f'option {key}="{value}" must be {expected}')

    if key == "returncode":
        if not re.fullmatch(r"\d{1,3}", value) or int(value) > 255:
            fail("an exit code from 0 to 255")
        return int(value)
    if key == "timeout":
        try:
            seconds = float(value)
        except ValueError:
            fail("a number of seconds")
        if not 0 < seconds <= 3600:
            fail("a number of seconds above 0 and at most 3600")
        return seconds
    if key in ("settle", "redact"):
        if value not in ("on", "off"):
            fail('"on" or "off"')
        return value
    if key == "fold":
        if not re.fullmatch(r"\d{1,5}", value):
            fail("a number of lines (0 never folds)")
        return int(value)
    if key == "id" and not _ID.match(value):
        fail("letters, digits, '-', '_' or '.'")
    return value


def parse_commands(body: list[str], first_line: int, page: str) -> tuple[Command, ...]:
    """One command per line; `\\` continues a line; blank lines and `#` comments skipped."""
    commands: list[Command] = []
    pending: list[str] = []
    start = first_line
    for offset, raw in enumerate(body):
        lineno = first_line + offset
        text = raw.rstrip()
        if not pending:
            if not text.strip() or text.lstrip().startswith("#"):
                continue
            start = lineno
        pending.append(text)
        if text.endswith("\\"):
            continue
        commands.append(_command("\n".join(pending), start, page))
        pending = []
    if pending:
        raise SnippetError(page, start, "the last command ends with '\\' but no line follows")
    return tuple(commands)


def _command(text: str, line: int, page: str) -> Command:
    joined = re.sub(r"\\\n", " ", text)
    try:
        argv = tuple(shlex.split(joined))
    except ValueError as e:
        raise SnippetError(page, line, f"cannot split command ({e}): {joined.strip()}") from None
    if not argv or argv[0] != "kubectl":
        raise SnippetError(page, line, f"each line must start with kubectl: {joined.strip()}")
    return Command(text=text.strip(), argv=argv, line=line)


def find_fences(markdown: str):
    """Yield (lang, info, indent, open_line, body_lines) for top-level fences of any language.

    Fences nested in a longer fence (an example of a snippet inside ````markdown) are
    part of that outer fence's body and are not yielded on their own.
    """
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m["fence"], m["indent"]
        info = m["info"].strip()
        lang, _, rest = info.partition(" ")
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not close.match(lines[j]):
            body.append(_dedent(lines[j], indent))
            j += 1
        yield lang.lstrip("."), rest, indent, i + 1, body
        i = j + 1


def _dedent(line: str, indent: str) -> str:
    return line[len(indent) :] if line.startswith(indent) else line.lstrip()


def parse_page(markdown: str, page: str, transcripts: bool = False) -> list[Snippet]:
    """All snippets of a page in order. With `transcripts`, `console` blocks count too."""
    snippets = []
    for lang, info, _indent, line, body in find_fences(markdown):
        if lang in FENCE_LANGS:
            options = parse_options(info, page, line)
            commands = parse_commands(body, line + 1, page)
            if not commands:
                raise SnippetError(page, line, "this kubectl block has no command")
            snippets.append(Snippet(page, line, commands, options))
        elif transcripts and lang == "console":
            snippet = parse_transcript(body, info, page, line)
            if snippet is not None:
                snippets.append(snippet)
    seen: set[str] = set()
    for s in snippets:
        if s.id in seen:
            raise SnippetError(page, s.line, f'id "{s.id}" is used twice on this page')
        if s.id:
            seen.add(s.id)
    return snippets


def parse_transcript(body: list[str], info: str, page: str, line: int) -> Snippet | None:
    """A pasted `console` session: `$ kubectl …` lines, each followed by its output.

    Returns None when the block opts out (`kubecapture="off"`) or has no kubectl line.
    """
    if re.search(r'kubecapture\s*=\s*["\']?off', info):
        return None
    options = parse_options(re.sub(r"kubecapture\s*=\s*\S+", "", info), page, line)
    commands: list[Command] = []
    outputs: list[list[str]] = []
    for offset, text in enumerate(body):
        stripped = text.rstrip()
        if stripped.startswith("$ kubectl"):
            commands.append(_command(stripped[2:], line + 1 + offset, page))
            outputs.append([])
        elif stripped.startswith("$ "):
            return None  # other shell commands (minikube start): keep the block as written
        elif outputs:
            outputs[-1].append(text)
    if not commands:
        return None
    pasted = tuple("\n".join(o).strip("\n") + ("\n" if any(o) else "") for o in outputs)
    return Snippet(page, line, tuple(commands), options, pasted=pasted)
