"""The one function for every string that reaches the author's terminal.

Pages, capture files, `drift-report.json` and the cluster's own data (a node's
`kubeletVersion`, a context's name) can come from someone else; printed as they are,
their control characters would be the terminal's commands (OSC 52 writes the clipboard,
CSI clears the screen, C1 controls do the same in one byte). `printable` shows them as
`\\x1b` instead; the build's log records (`Printable`, on the plugin's logger) and the
CLI's output streams (`PrintableStream`) both go through it.
"""

from __future__ import annotations

import io
import logging
import re

# C0 controls but tab and newline, DEL, C1 controls; and the bidirectional formatting
# characters, which reorder what a terminal shows (a name that reads as another one).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shown(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with its control characters (but newlines and tabs) and bidirectional
    formatting characters shown as `\\x1b`, `\\u202e`."""
    return _CONTROL.sub(lambda m: _shown(m[0]), text)


class Printable(logging.Filter):
    """Formats a record's message with its arguments, then makes it printable: the
    arguments (a page's name, a capture's context) are where hostile text comes in."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit: the handler reports it, as always
            return True
        shown = printable(message)
        if shown != message or record.args:
            record.msg, record.args = shown, None
        return True


def printable_handlers(logger: logging.Logger) -> None:
    """Make every record `logger`'s handlers print printable, whoever logged it: MkDocs'
    own lines quote a stranger's text too (a page's file name in its nav notice, a link
    target in its warnings). A handler's filter sees the records of every child logger."""
    for handler in logger.handlers:
        if not any(isinstance(f, Printable) for f in handler.filters):
            handler.addFilter(Printable())


class PrintableStream(io.TextIOBase):
    """A text stream that writes everything through `printable`."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()
