"""What a live run tells the author: progress lines, the drift report, the report page.

Shared by the plugin and the CLI. After a live run the terminal gets what this run
changed; the saved drift report (`drift-report.json` beside the captures, and the site's
report page) covers every snippet's whole capture history.
"""

from __future__ import annotations

from pathlib import Path

from ..base import log
from ..base.atomic import write_atomic
from ..captures.store import CaptureFileError, all_capture_files
from ..captures.store import load as load_capture
from . import driftreport, links, matrix, reportfile, reportpage

REPORT_FILE = "drift-report.json"


def log_page_run(run) -> None:
    """One line per page as it finishes (runs finish out of order when parallel)."""
    n = len(run.plan.snippets)
    if run.error:
        log.warning("%s (kept the previous capture)", run.error)
        return
    for message in run.warnings:
        log.warning(message)
    pairs = driftreport.page_pairs(run.old, run.new, run.plan.snippets)
    entries = driftreport.build_report(pairs).entries
    first = sum(1 for p in pairs if p.old is None)
    changed = sum(1 for p, e in zip(pairs, entries, strict=True) if p.old and e.status == "changed")
    if pairs and first == len(pairs):
        state = "first capture"  # nothing to compare with: neither "changed" nor "no change"
    else:
        parts = [f"{changed} changed"] if changed else []
        parts += [f"{first} captured for the first time"] if first else []
        state = ", ".join(parts) or "no change"
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


def finish(runs, captures_dir: Path | None, plans=()) -> object | None:
    """Print what this build's live runs changed; unless captures_dir is None, save the
    drift report of the whole history (`plans`: the site's pages, for their snippets)."""
    done = [r for r in runs if r.new is not None]
    if not done:
        return None
    result = driftreport.build_report(
        [pair for r in done for pair in driftreport.page_pairs(r.old, r.new, r.plan.snippets)]
    )
    if captures_dir is not None:
        save_history_report(captures_dir, plans)
    for line in result.summary_lines():
        log.info(line)
    return result


def _captures(captures_dir: Path) -> list[tuple[Path, object]]:
    pages = ((path, load_capture(path)) for path in all_capture_files(captures_dir))
    return [(path, page) for path, page in pages if page is not None]


def history_report(captures_dir: Path, plans=(), captures=None):
    """The drift report of every capture file's history."""
    snippets = {p.capture_file.resolve(): p.snippets for p in plans}
    captures = _captures(captures_dir) if captures is None else captures
    return driftreport.history_report(
        (page, snippets.get(path.resolve(), ())) for path, page in captures
    )


def save_history_report(captures_dir: Path, plans=()) -> None:
    """The drift report of the whole history, and the version matrix's cells."""
    captures = _captures(captures_dir)
    report = history_report(captures_dir, plans, captures)
    write_atomic(captures_dir / REPORT_FILE, report.to_json().encode("utf-8"))
    cells = matrix.cells_json(page for _, page in captures)
    write_atomic(captures_dir / matrix.CELLS_FILE, cells.encode("utf-8"))


def saved_matrix_cells(captures_dir: Path) -> dict:
    """The version matrix's cells saved by the last refresh or prune ({} if none)."""
    try:
        return matrix.load_cells((captures_dir / matrix.CELLS_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}


def page_markdown(
    captures_dir: Path,
    lang: str,
    page: str = "cluster-changes.md",
    docs_dir: Path | None = None,
    directory_urls: bool = False,
) -> str:
    """The report page (at `page` in docs/, for its links): the saved drift report, else
    one made from the capture files. Links name each page by its title (read from
    `docs_dir`) and point where the site puts it (`directory_urls`: use_directory_urls)."""
    path = captures_dir / REPORT_FILE
    try:
        saved = reportfile.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        saved = None
    except reportfile.OtherVersion as e:
        log.info("%s: %s; the report page is made from the captures", path, e)
        saved = None
    except (ValueError, OSError, UnicodeDecodeError) as e:
        log.warning("%s: %s; the report page is made from the captures", path, e)
        saved = None
    if saved is None:
        try:
            saved = history_report(captures_dir)
        except CaptureFileError as e:
            log.warning("%s; the report page is empty", e)
            saved = driftreport.DriftReport.empty()
    titles = links.titles_of(docs_dir, {e.page for e in saved.entries})
    return reportpage.markdown(saved, lang, page, titles, directory_urls)
