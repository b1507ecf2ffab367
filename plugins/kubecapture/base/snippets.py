"""Find kubectl snippets in Markdown and parse their options.

Knows nothing of clusters or files: it takes a page's Markdown text and returns
`Snippet`s, or raises `SnippetError` naming the page and line.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from .terminal import printable

FENCE_LANGS = ("kubectl",)
# Options that change what runs, and so take part in the validity key.
RUN_OPTIONS = {"returncode", "timeout", "settle", "redact"}
# Options that only change how the snippet looks.
DISPLAY_OPTIONS = {"id", "title", "fold"}
OPTIONS = RUN_OPTIONS | DISPLAY_OPTIONS

# A page's front matter as MkDocs finds it (mkdocs.utils.meta.YAML_RE): it may end with
# `...`. Everything that reads front matter reads this block, the one MkDocs reads
# (`sandbox: true` ended by `...` once ran a page without its sandbox while the diff showed
# one).
FRONT_MATTER = re.compile(r"^-{3}[ \t]*\n(.*?\n)(?:\.{3}|-{3})[ \t]*\n", re.S)

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\n]*)$")
_OPTION = re.compile(
    r'\s*(?P<key>[A-Za-z_][\w-]*)\s*=\s*(?:"(?P<dq>[^"]*)"|\'(?P<sq>[^\']*)\'|(?P<bare>\S+))'
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

# Bounds on what a page may ask to run, far above what notes need, each refused in one
# sentence before anything runs: Linux refuses one argument over 128 KiB (E2BIG), a
# fence of thousands of commands would keep a build busy for hours.
MAX_ARGUMENT_BYTES = 16 * 1024
MAX_COMMAND_BYTES = 64 * 1024
MAX_FENCE_BYTES = 256 * 1024
MAX_COMMANDS = 100
# Control characters (all but tab and newline): a NUL cannot be passed to a program at
# all, and the others would reach the author's terminal in messages.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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

    @functools.cached_property  # asked for many times per page while rendering
    def key(self) -> str:
        """Digest of what runs: commands and run options, not display options."""
        run = {k: v for k, v in sorted(self.options.items()) if k in RUN_OPTIONS}
        payload = json.dumps([[c.text for c in self.commands], run], ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def with_occurrence(snippets: Sequence[Snippet]):
    """(snippet, n): n counts earlier snippets with the same key on the page."""
    seen: dict[str, int] = {}
    for s in snippets:
        n = seen.get(s.key, 0)
        seen[s.key] = n + 1
        yield s, n


def page_key(snippets: list[Snippet], page_options: dict | None = None) -> str:
    """Digest of the page's whole snippet sequence: one changed snippet re-runs the page."""
    return keys_digest([s.key for s in snippets], page_options)


def keys_digest(snippet_keys: list[str], page_options: dict | None = None) -> str:
    """page_key of a page whose snippets have these keys, in this order."""
    payload = json.dumps([list(snippet_keys), page_options or {}], sort_keys=True)
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
        options[key] = convert_option(key, value, page, line)
        pos = m.end()
    return options


def convert_option(key: str, value: str, page: str, line: int):
    """A fence option's value as its type (int, float or str), or a SnippetError naming
    page and line when it does not fit the option."""

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
    if _CONTROL.search(value):
        raise SnippetError(page, line, f"option {key} holds {_control_name(value)}, refused")
    return value


def _control_name(text: str) -> str:
    m = _CONTROL.search(text)
    return f"a control character (U+{ord(m[0]):04X})" if m else "no control character"


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
    control = _CONTROL.search(text)
    if control:
        where = line + text.count("\n", 0, control.start())
        raise SnippetError(page, where, f"the command holds {_control_name(text)}, refused")
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_COMMAND_BYTES:
        raise SnippetError(
            page, line, f"a command of {size} bytes is refused (at most {MAX_COMMAND_BYTES})"
        )
    joined = re.sub(r"\\\n", " ", text)
    try:
        argv = tuple(_split(joined))
    except ValueError as e:
        raise SnippetError(page, line, f"cannot split command ({e}): {joined.strip()}") from None
    if not argv or argv[0] != "kubectl":
        raise SnippetError(page, line, f"each line must start with kubectl: {joined.strip()}")
    longest = max(len(a.encode("utf-8", "surrogatepass")) for a in argv)
    if longest > MAX_ARGUMENT_BYTES:
        raise SnippetError(
            page,
            line,
            f"an argument of {longest} bytes is refused (at most {MAX_ARGUMENT_BYTES})",
        )
    return Command(text=text.strip(), argv=argv, line=line)


_SHELL_WORD_BREAKS = re.compile(r"[ \t\r\n]+")


def _split(command: str) -> list[str]:
    """shlex.split; without quotes or backslashes that is splitting at shlex's whitespace,
    done directly (shlex reads a character at a time: most of what parsing a page costs)."""
    if "'" in command or '"' in command or "\\" in command:
        return shlex.split(command)
    return [word for word in _SHELL_WORD_BREAKS.split(command) if word]


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
        if lang in FENCE_LANGS or (transcripts and lang == "console"):
            _check_fence_size(body, page, line)
        if lang in FENCE_LANGS:
            options = parse_options(info, page, line)
            commands = parse_commands(body, line + 1, page)
            if not commands:
                raise SnippetError(page, line, "this kubectl block has no command")
            if len(commands) > MAX_COMMANDS:
                raise SnippetError(
                    page,
                    line,
                    f"this kubectl block has {len(commands)} commands, more than {MAX_COMMANDS}",
                )
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


def _check_fence_size(body: list[str], page: str, line: int) -> None:
    size = sum(len(text.encode("utf-8", "surrogatepass")) + 1 for text in body)
    if size > MAX_FENCE_BYTES:
        raise SnippetError(
            page, line, f"this block of {size} bytes is refused (at most {MAX_FENCE_BYTES})"
        )


# --- console transcripts ------------------------------------------------------------

# Highlighting options a plain `console` block may carry; a re-run transcript ignores them.
TRANSCRIPT_DISPLAY_ONLY = {"hl_lines", "linenums", "title_mode"}
_PROMPT = "$ "
_PS2 = "> "  # bash's continuation prompt, as pasted after a line ending in `\\`
_SHELL_SYNTAX = re.compile(r"^[|&;<>()]+$")
# Commands that wait for a terminal or never end on their own: kept as pasted.
_INTERACTIVE_VERBS = {"edit", "port-forward", "proxy", "attach"}
_TTY_FLAGS = {"-i", "-t", "-it", "-ti", "--stdin", "--tty"}


@dataclass(frozen=True)
class TranscriptPart:
    """One piece of a pasted `console` block, in order.

    `prompt` is the command after `$ ` (continuation lines joined with newlines, their
    `> ` prompts dropped), or None for text before the first prompt. `command` is set
    when the plugin re-runs this part; otherwise the part stays on the page as written.
    """

    prompt: str | None
    output: str  # the lines pasted under the prompt, as written ("" if none)
    line: int  # 1-based page line of the prompt (or of the first text line)
    command: Command | None = None


def transcript_opt_out(options: dict) -> bool:
    return str(options.get("kubecapture", "on")).lower() == "off"


def transcript_options(info: str, page: str, line: int) -> dict | None:
    """The block's kubecapture options, or None when it opts out (`kubecapture="off"`)."""
    raw: dict = {}
    for m in _OPTION.finditer(info):
        value = next(v for v in (m["dq"], m["sq"], m["bare"]) if v is not None)
        raw[m["key"]] = value
    switch = raw.get("kubecapture")
    if switch is not None and switch.lower() not in ("on", "off"):
        raise SnippetError(page, line, f'option kubecapture="{switch}" must be "on" or "off"')
    if switch is not None and switch.lower() == "off":
        return None
    kept = re.sub(
        r"""\s*(?:kubecapture|hl_lines|linenums|title_mode)\s*=\s*(?:"[^"]*"|'[^']*'|\S+)""",
        "",
        info,
    )
    return parse_options(kept, page, line)


def transcript_parts(body: list[str], first_line: int, page: str) -> list[TranscriptPart]:
    """Split a pasted session into prompts and their outputs.

    A line starting with `$ ` opens a part; the lines under it, up to the next `$ `
    line, are its output. A `$ kubectl …` line that can run as plain argv (no pipes,
    redirects, variables; nothing interactive or endless such as `-w` or `logs -f`)
    becomes a `Command`; every other part (`$ minikube start`, text before the first
    prompt) is kept as written.
    """
    parts: list[TranscriptPart] = []
    i = 0
    while i < len(body):
        text = body[i].rstrip()
        lineno = first_line + i
        if not _is_prompt(text):
            out, i = _take_output(body, i)
            parts.append(TranscriptPart(None, out, lineno))
            continue
        lines = [text[len(_PROMPT) :] if text.startswith(_PROMPT) else ""]
        i += 1
        while lines[-1].endswith("\\") and i < len(body):
            nxt = body[i].rstrip()
            lines.append(nxt[len(_PS2) :] if nxt.startswith(_PS2) else nxt)
            i += 1
        prompt = "\n".join(lines)
        out, i = _take_output(body, i)
        parts.append(TranscriptPart(prompt, out, lineno, _runnable(prompt, lineno, page)))
    return parts


def _is_prompt(text: str) -> bool:
    return text == "$" or text.startswith(_PROMPT)


def _take_output(body: list[str], i: int) -> tuple[str, int]:
    start = i
    while i < len(body) and not _is_prompt(body[i].rstrip()):
        i += 1
    return "\n".join(body[start:i]), i


def _runnable(prompt: str, line: int, page: str) -> Command | None:
    if not re.match(r"kubectl(\s|$)", prompt) or prompt.endswith("\\"):
        return None
    joined = re.sub(r"\\\n", " ", prompt)
    if "$" in joined or "`" in joined:
        return None  # shell variables and command substitution need a shell
    try:
        lexer = shlex.shlex(joined, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return None
    if any(_SHELL_SYNTAX.match(t) for t in tokens):
        return None  # pipes, redirects, `&&`, `;`
    command = _command(prompt, line, page)
    return None if _interactive(command.argv) else command


def _interactive(argv: tuple[str, ...]) -> bool:
    words = [a for a in argv[1:] if not a.startswith("-")]
    verb = words[0] if words else ""
    flags = {a.split("=", 1)[0] for a in argv[1:] if a.startswith("-")}
    if verb in _INTERACTIVE_VERBS or flags & {"-w", "--watch", "--watch-only"}:
        return True
    if verb == "logs" and flags & {"-f", "--follow"}:
        return True
    return verb in ("exec", "run", "debug") and bool(flags & _TTY_FLAGS)


def pasted_output(text: str) -> str:
    """A pasted output as a baseline: no blank lines around it, one final newline."""
    text = "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
    return text + "\n" if text else ""


def parse_transcript(body: list[str], info: str, page: str, line: int) -> Snippet | None:
    """A pasted `console` session whose `$ kubectl …` commands re-run like a kubectl fence.

    The outputs pasted under them become `Snippet.pasted` (one per command, stdout and
    stderr as the terminal mixed them), the baseline a drift report compares against.
    Returns None when the block opts out (`kubecapture="off"`) or has nothing to re-run.
    Raises SnippetError only for bad options: a line that cannot run is kept as written.
    """
    options = transcript_options(info, page, line)
    if options is None:
        return None
    parts = transcript_parts(body, line + 1, page)
    runs = [p for p in parts if p.command is not None]
    if not runs:
        return None
    pasted = tuple(pasted_output(p.output) for p in runs)
    return Snippet(page, line, tuple(p.command for p in runs), options, pasted=pasted)


def one_line(text: str) -> str:
    """A command (or message) on one line, for log messages: continuations joined, and
    control characters shown as `\\x1b` (an output's escape sequences never reach the
    author's terminal)."""
    joined = " ".join(text.replace("\\\n", " ").split())
    return printable(joined)
