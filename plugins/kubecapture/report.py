"""What the build tells the author: progress lines, the drift report, placeholder notes.

Shared by the plugin and the CLI. The drift report is saved beside the captures
(`drift-report.json`) so the site's report page renders on any machine.
"""

from __future__ import annotations

import logging
from pathlib import Path

from .store import write_text_atomic

log = logging.getLogger("mkdocs.plugins.kubecapture")

REPORT_FILE = "drift-report.json"


def log_page_run(run) -> None:
    """One line per page as it finishes (runs finish out of order when parallel)."""
    from . import drift

    n = len(run.plan.snippets)
    if run.error:
        log.warning("%s (kept the previous capture)", run.error)
        return
    for message in run.warnings:
        log.warning(message)
    entries = drift.compare_page(run.old, run.new, run.plan.snippets)
    changed = sum(1 for e in entries if e.status == "changed")
    state = f"{changed} changed" if changed else "no change"
    log.info("captured %s: %d snippet(s) in %.1f s, %s", run.plan.page, n, run.seconds, state)


def log_live_summary(runs, seconds: float, workers: int) -> None:
    """One line after a live run: how much ran, how long it took, how many pages failed."""
    failed = sum(1 for r in runs if r.error)
    log.info(
        "live: %d page(s), %d snippet(s) in %.1f s (up to %d at a time)%s",
        len(runs),
        sum(len(r.plan.snippets) for r in runs),
        seconds,
        workers,
        f"; {failed} page(s) failed and kept their previous capture" if failed else "",
    )


def finish(runs, captures_dir: Path | None) -> object | None:
    """Build the drift report of this build's live runs, save it (unless captures_dir is
    None), print its summary."""
    from . import drift

    done = [r for r in runs if r.new is not None]
    if not done:
        return None
    result = drift.build_report(
        [pair for r in done for pair in drift.page_pairs(r.old, r.new, r.plan.snippets)]
    )
    if captures_dir is not None:
        write_text_atomic(captures_dir / REPORT_FILE, result.to_json())
    for line in result.summary_lines():
        log.info(line)
    return result


def page_markdown(captures_dir: Path, lang: str, page: str = "cluster-changes.md") -> str:
    """The report page (at `page` in docs/, for its links): the last saved drift report,
    or a note that there is none yet."""
    from . import drift

    path = captures_dir / REPORT_FILE
    try:
        saved = drift.DriftReport.from_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        saved = None
    except ValueError as e:
        log.warning("%s: unreadable drift report (%s); the report page is empty", path, e)
        saved = None
    return (saved or drift.DriftReport.empty()).to_markdown(lang=_short(lang), page=page)


def log_replay_state(context, plan, mode: str) -> None:
    """Tell the author about snippets shown without a current capture."""
    from .capture import with_occurrence

    if context.capture is None:
        missing = len(plan.snippets)
    else:
        missing = sum(
            1 for s, n in with_occurrence(plan.snippets) if context.capture.find(s.key, n) is None
        )
    if context.stale:
        log.warning(
            "%s: captures are stale (its snippets changed since they were captured); "
            "run `kubecapture refresh %s` with a cluster",
            plan.page,
            plan.page,
        )
    if missing:
        # In replay mode placeholders are expected, so they are news, not a warning.
        level = logging.INFO if mode == "replay" else logging.WARNING
        log.log(
            level,
            "%s: %d of %d snippet(s) not captured yet (placeholder shown)",
            plan.page,
            missing,
            len(plan.snippets),
        )


def _short(lang: str) -> str:
    return lang.split("-")[0].split("_")[0]
