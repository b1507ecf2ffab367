"""Capture -> HTML for Material for MkDocs. Knows nothing of clusters.

One snippet renders as a terminal: each command after a `$ ` prompt, its output
beneath. The wrapper's `data-copy` holds just the commands, which Material's copy
button copies instead of the block's text (no prompt, no output).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from .store import Provenance, SnippetCapture

STRINGS = {
    "ja": {
        "missing": "まだキャプチャされていません",
        "missing_help": "このコマンドの出力はまだ記録されていません。クラスタに接続して"
        "ビルドすると、実際の出力がここに表示されます。",
        "stale": "古いキャプチャ",
        "stale_help": "スニペットが変更された後、まだ再実行されていません。",
        "context": "コンテキスト",
        "server": "サーバー",
        "kubectl": "kubectl",
        "captured_at": "取得日時",
        "source": "出典",
        "live": "ビルド時に実行",
        "unknown_date": "日付不明",
        "show_all": "すべて表示",
        "lines": "行",
        "exit": "終了コード",
        "captured": "キャプチャ",
    },
    "en": {
        "missing": "Not captured yet",
        "missing_help": "The output of this command has not been recorded yet. Build with a "
        "cluster to show its real output here.",
        "stale": "Stale capture",
        "stale_help": "The snippet changed and has not been re-run yet.",
        "context": "Context",
        "server": "Server",
        "kubectl": "kubectl",
        "captured_at": "Captured at",
        "source": "Source",
        "live": "run at build time",
        "unknown_date": "date unknown",
        "show_all": "Show all",
        "lines": "lines",
        "exit": "exit code",
        "captured": "Captured",
    },
}


def strings(lang: str | None) -> dict[str, str]:
    return STRINGS.get((lang or "en").split("-")[0].split("_")[0], STRINGS["en"])


@dataclass
class View:
    """Everything one snippet needs to render."""

    commands: list[str]  # as written on the page
    capture: SnippetCapture | None
    stale: bool = False
    title: str | None = None
    fold: int = 40  # fold output longer than this many lines; 0 never folds
    lang: str = "en"
    anchor: str | None = None


def render(view: View) -> str:
    t = strings(view.lang)
    state = "missing" if view.capture is None else ("stale" if view.stale else "captured")
    attrs = {
        "class": f"kubecapture kc-{state}",
        "data-copy": "\n".join(view.commands),
    }
    if view.anchor:
        attrs["id"] = view.anchor
    title = f'<span class="filename">{escape(view.title)}</span>' if view.title else ""
    body = _terminal(view) if view.capture else _commands_only(view.commands)
    parts = [
        f"<div {_attrs(attrs)}>",
        f'<div class="highlight kc-terminal">{title}<pre><span></span><code>{body}</code></pre></div>',
        _footer(view, t, state),
        "</div>",
    ]
    return "".join(parts)


def _attrs(attrs: dict[str, str]) -> str:
    return " ".join(f'{k}="{escape(v, quote=True)}"' for k, v in attrs.items())


def _prompt(command: str) -> str:
    # Continuation lines keep their indentation; the prompt is not selectable text.
    return f'<span class="gp">$ </span><span class="kc-cmd">{escape(command)}</span>\n'


def _commands_only(commands: list[str]) -> str:
    return "".join(_prompt(c) for c in commands)


def _terminal(view: View) -> str:
    out = []
    for result in view.capture.results:
        out.append(_prompt(result.command))
        text = _output(result.stdout, result.stderr)
        if text:
            out.append(_fold(text, view.fold, view.lang))
    return "".join(out)


def _output(stdout: str, stderr: str) -> str:
    """stdout then stderr, as a terminal shows them when both are a tty."""
    html = ""
    if stdout:
        html += f'<span class="go">{escape(_ensure_nl(stdout))}</span>'
    if stderr:
        html += f'<span class="go kc-stderr">{escape(_ensure_nl(stderr))}</span>'
    return html


def _ensure_nl(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _fold(html: str, fold: int, lang: str) -> str:
    lines = html.count("\n")
    if not fold or lines <= fold + 5:  # folding away a handful of lines helps nobody
        return html
    t = strings(lang)
    label = f"{t['show_all']} ({lines} {t['lines']})"
    return (
        f'<span class="kc-fold" style="--kc-fold-lines:{fold}">{html}</span>'
        f'<button class="kc-fold-toggle" type="button" hidden>{escape(label)}</button>\n'
    )


def _footer(view: View, t: dict[str, str], state: str) -> str:
    if view.capture is None:
        return (
            f'<div class="kc-placeholder" role="note"><strong>{escape(t["missing"])}</strong> '
            f"{escape(t['missing_help'])}</div>"
        )
    p = view.capture.provenance
    summary = " · ".join(x for x in (p.context, p.server_version, _date(p, t)) if x)
    if view.stale:
        summary += f" · {t['stale']}"
    rows = [
        (t["context"], p.context),
        (t["server"], p.server_version),
        (t["kubectl"], p.kubectl_version or "?"),
        (t["captured_at"], p.captured_at or t["unknown_date"]),
        (t["source"], t["live"] if p.source == "live" else p.source),
    ]
    if view.stale:
        rows.append((t["stale"], t["stale_help"]))
    details = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return (
        f'<details class="kc-provenance"><summary>{escape(t["captured"])}: {escape(summary)}'
        f"</summary><dl>{details}</dl></details>"
    )


def _date(p: Provenance, t: dict[str, str]) -> str:
    return p.date if p.captured_at else t["unknown_date"]
