"""The `console` custom fence: pasted terminal sessions.

With the plugin's `transcripts: true`, a ```console block whose `$ kubectl …` lines can
run is a snippet like a `kubectl` fence: the page shows the captured output (through
the same renderer), and until there is a capture, the pasted transcript as written,
marked as pasted. Every other console block (transcripts off, `kubecapture="off"`,
nothing to re-run) renders exactly as Material would highlight it; only its copy
button changes, to copy the commands without `$ ` prompts and output.
"""

from __future__ import annotations

from pymdownx.superfences import RE_HL_LINES, RE_LINENUMS

from ..base.markup import HTML
from ..base.snippets import (
    OPTIONS,
    TRANSCRIPT_DISPLAY_ONLY,
    Snippet,
    transcript_opt_out,
    transcript_parts,
)
from . import render
from .fence import PageContext, accept, current_page, warn_unexpected_exit

_HIGHLIGHT = {"hl_lines": RE_HL_LINES, "linenums": RE_LINENUMS, "title_mode": None}


def validator(language, inputs, options, attrs, md) -> bool:
    """kubecapture's options, `kubecapture="on|off"`, and the highlight options a plain
    console block may carry (`title`, `hl_lines`, `linenums`)."""
    for key, value in inputs.items():
        if key == "kubecapture":
            options[key] = value
        elif key in _HIGHLIGHT:
            check = _HIGHLIGHT[key]
            if value is True or (check is not None and not check.match(value)):
                return False
            options[key] = value
        elif not accept(key, value, options):
            return False
    return True


def formatter(src, language, class_name, options, md, **kwargs) -> str:
    context = getattr(md, "kubecapture_page", None) or current_page()
    lines = src.split("\n")
    if context is not None and not transcript_opt_out(options):
        parts = transcript_parts(lines, 1, context.page)
        commands = tuple(p.command for p in parts if p.command is not None)
        run_options = {k: v for k, v in options.items() if k in OPTIONS}
        snippet = Snippet(context.page, 0, commands, run_options)
        if commands and _planned(context, snippet):
            view = render.View(
                commands=[c.text for c in commands],
                capture=_find_capture(context, snippet),
                stale=context.stale,
                title=options.get("title"),
                fold=options.get("fold", context.fold),
                lang=context.lang,
                anchor=f"kc-{options['id']}" if options.get("id") else None,
                parts=parts,
            )
            return render.render(view)
    return plain(src, language, options, md, **kwargs)


def _planned(context: PageContext, snippet: Snippet) -> bool:
    """The page's planning counted this block as a transcript (so `transcripts` is on)."""
    return any(s.pasted is not None and s.key == snippet.key for s in context.snippets)


def _find_capture(context: PageContext, snippet: Snippet):
    page_capture = context.page_capture()
    if page_capture is None:
        return None
    n = context.rendered[snippet.key]
    context.rendered[snippet.key] += 1
    capture = page_capture.find(snippet.key, n)
    if capture and context.warn:
        warn_unexpected_exit(context, snippet, n, capture)
    return capture


def plain(src, language, options, md, **kwargs) -> str:
    """Material's own highlighting, wrapped so that its copy button copies the commands."""
    highlight = {k: v for k, v in options.items() if k in TRANSCRIPT_DISPLAY_ONLY | {"title"}}
    html = md.preprocessors["fenced_code_block"].highlight(
        src=src,
        language=language,
        options=highlight,
        md=md,
        classes=kwargs.get("classes"),
        id_value=kwargs.get("id_value", ""),
        attrs=kwargs.get("attrs") or {},
    )
    prompts = [p.prompt for p in transcript_parts(src.split("\n"), 1, "?") if p.prompt]
    if not prompts:
        return html
    # `html` is the highlighter's (Pygments'), which escaped the block's text itself.
    wrapped = HTML('<div class="kc-console" data-copy="%s">%s</div>') % (
        "\n".join(prompts),
        HTML(html),
    )
    return str(wrapped)
