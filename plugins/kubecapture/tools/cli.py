"""`kubecapture status / check / refresh / diff / history / compare / prune / matrix`: the
capture loop without a site build; `kubecapture share / handout`: the site to hand out.

Reads mkdocs.yml as MkDocs does (config.load_site: the plugin's options, or the fence
extension's on a Zensical site) and plans pages in the order `mkdocs build` does.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.structure.files import get_files

from ..base.config import OptionsError, load_site
from ..base.snippets import SnippetError, with_occurrence
from ..base.terminal import PrintableStream
from ..captures.store import CaptureFileError, all_capture_files, capture_path
from ..captures.store import load as load_capture
from ..captures.store import save as save_capture
from ..drift import drift, history, matrix, report, reportpage
from ..run import live
from ..run.cluster import ClusterUnavailable
from ..run.planning import (
    PagePlan,
    Settings,
    is_complete,
    leftover_captures,
    links_out,
    plan_page,
    stale_snippets,
)
from .sitebuild import SiteError


@dataclass
class Site:
    settings: Settings
    docs_dir: Path
    plans: list[PagePlan]  # pages with snippets, in the order `mkdocs build` plans them
    # Pages whose snippets have errors (each printed in one sentence): never run, their
    # capture files kept. Page -> its capture file.
    refused: dict[str, Path] = field(default_factory=dict)

    def select(self, pages) -> list[PagePlan]:
        """The plans of the named pages (all without names); an unknown page exits."""
        wanted = {_page_name(p, self.docs_dir) for p in pages}
        for page in sorted(wanted - {p.page for p in self.plans}):
            if not (self.docs_dir / page).is_file():
                raise SystemExit(f"kubecapture: no page {page} under {self.docs_dir}")
        return [p for p in self.plans if not wanted or p.page in wanted]


def load(config_file: Path, mode: str) -> Site:
    """The site's settings (the plugin's options, as MkDocs reads mkdocs.yml) and the plans
    of its pages that hold snippets, in the order `mkdocs build` plans them: pages share
    the cluster, so order changes outputs."""
    if not config_file.is_file():
        raise SystemExit(f"kubecapture: {config_file} not found (use -f to name mkdocs.yml)")
    try:
        options, site = load_site(config_file)
    except OptionsError as e:
        raise SystemExit(f"kubecapture: {e}") from None
    settings = Settings.from_options(options, config_file.resolve().parent, mode)
    links = links_out(settings, Path(site.docs_dir))
    if links:
        raise SystemExit(f"kubecapture: {links}")
    plans, refused = [], {}
    for file in get_files(site).documentation_pages():
        try:
            plan = plan_page(file.src_uri, file.content_string, settings)
        except SnippetError as e:
            print(f"kubecapture: {e}; that page is not run and keeps its captures", file=sys.stderr)
            refused[file.src_uri] = capture_path(settings.captures_dir, file.src_uri)
            continue
        if plan.snippets:
            plans.append(plan)
    return Site(settings, Path(site.docs_dir), plans, refused)


def _page_name(arg: str, docs_dir: Path) -> str:
    path = Path(arg)
    if path.is_absolute() or path.exists():
        try:
            return path.resolve().relative_to(docs_dir.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def page_state(plan: PagePlan, cache_dir: Path | None) -> tuple[str, object]:
    """('fresh' | 'partial' | 'stale' | 'missing', capture or None)."""
    page_capture = load_capture(plan.capture_file, cache_dir)
    if page_capture is None:
        return "missing", None
    if stale_snippets(page_capture, plan.snippets, plan.page_options) or leftover_captures(
        page_capture, plan.snippets
    ):
        return "stale", page_capture
    if page_capture.key == plan.key:
        return ("fresh" if is_complete(page_capture, plan) else "partial"), page_capture
    # Snippets added after the captured ones, or removed: the others' captures stand.
    found = all(page_capture.find(s.key, n) for s, n in with_occurrence(plan.snippets))
    return ("fresh" if found else "partial"), page_capture


def cmd_status(args) -> int:
    site = load(args.config_file, "replay")
    plans = site.select(args.pages)
    print(f"{'PAGE':40} {'SNIPPETS':>8} {'CAPTURED':>8}  STATE    PROVENANCE")
    for plan in plans:
        state, page_capture = page_state(plan, site.settings.cache_dir)
        captured = len(page_capture.snippets) if page_capture else 0
        prov = ""
        if page_capture and page_capture.snippets:
            p = page_capture.snippets[0].provenance
            prov = f"{p.context} {p.server_version} {p.captured_at or 'date unknown'}"
            if p.source != "live":
                prov += f" ({p.source})"
        print(f"{plan.page:40} {len(plan.snippets):>8} {captured:>8}  {state:8} {prov}")
    return 0


def cmd_check(args) -> int:
    site = load(args.config_file, "replay")
    settings, plans = site.settings, site.plans
    problems = []
    for plan in plans:
        state, _ = page_state(plan, settings.cache_dir)
        if state == "stale":
            problems.append(f"{plan.page}: its captures are stale (snippets changed since)")
        elif state == "missing" and args.complete:
            problems.append(f"{plan.page}: not captured")
        elif state == "partial" and args.complete:
            problems.append(f"{plan.page}: only partly captured")
    problems += [f"{page}: its snippets have errors (see above)" for page in site.refused]
    expected = {plan.capture_file.resolve() for plan in plans}
    expected |= {path.resolve() for path in site.refused.values()}
    for path in all_capture_files(settings.captures_dir):
        if path.resolve() not in expected:
            problems.append(f"{path}: capture file of no page with snippets (delete it)")
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"kubecapture check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"kubecapture check: {len(plans)} page(s) with snippets, captures match")
    return 0


def cmd_run(args, write: bool) -> int:
    site = load(args.config_file, "refresh")
    settings, plans = site.settings, site.select(args.pages)
    settings.write = write
    if args.jobs:
        settings.jobs = args.jobs
    if not plans:
        print("kubecapture: no page has kubectl snippets")
        return 1 if site.refused else 0
    try:
        runs, result = live.run_pages(settings, plans, site.plans)
    except ClusterUnavailable as e:
        print(f"kubecapture: {e}", file=sys.stderr)
        return 2
    if not write and result is not None:
        print(
            reportpage.markdown(result, lang="en")
            if args.markdown
            else "\n".join(result.summary_lines())
        )
    return 1 if site.refused or any(r.error for r in runs) else 0


def cmd_history(args) -> int:
    """Each snippet's stored outputs, newest first, with labels `compare` accepts."""
    site = load(args.config_file, "replay")
    for plan in site.select(args.pages):
        page = load_capture(plan.capture_file, site.settings.cache_dir)
        print(plan.page)
        for index, snippet in enumerate(page.snippets if page else []):
            print(f"  {_ref(snippet, index)}")
            entries = snippet.entries
            for i, (entry, label) in enumerate(zip(entries, history.labels(snippet), strict=True)):
                p = entry.provenance
                since = ""
                if i + 1 < len(entries):
                    since = f"  ({_status(entries[i + 1], entry)} since [{i + 1}])"
                source = "" if not p.imported else f" ({p.source})"
                print(f"    [{i}] {label}{source}{since}")
    return 0


def cmd_matrix(args) -> int:
    """Every snippet against every cluster setup it was captured on; no cluster needed.
    Exit 1 with --changed when some snippet differs somewhere (for CI)."""
    site = load(args.config_file, "replay")
    pages = [load_capture(p.capture_file, site.settings.cache_dir) for p in site.select(args.pages)]
    known = report.saved_matrix_cells(site.settings.captures_dir)
    table = matrix.build((p for p in pages if p is not None), known)
    shown = table.differing() if args.changed else table
    print(shown.to_json() if args.json else matrix.to_text(shown), end="")
    return 1 if args.changed and shown.rows else 0


def _ref(snippet, index: int) -> str:
    return snippet.id or f"#{index + 1} {snippet.commands[0] if snippet.commands else ''}"


def _status(older, newer) -> str:
    if older.commands != newer.commands:
        return "command changed"
    return drift.compare_results(older.results, newer.results).status


def cmd_compare(args) -> int:
    """Compare two stored outputs of one snippet; no cluster needed."""
    site = load(args.config_file, "replay")
    [plan] = site.select([args.page]) or [None]
    if plan is None:
        print(f"kubecapture: {args.page} has no kubectl snippets", file=sys.stderr)
        return 2
    page = load_capture(plan.capture_file, site.settings.cache_dir)
    snippets = page.snippets if page else []
    snippet = next(
        (s for i, s in enumerate(snippets) if args.snippet in (s.id, str(i + 1), f"#{i + 1}")),
        None,
    )
    if snippet is None:
        known = ", ".join(_ref(s, i) for i, s in enumerate(snippets)) or "none"
        print(
            f"kubecapture: {plan.page} has no snippet {args.snippet} (known: {known})",
            file=sys.stderr,
        )
        return 2
    labels = history.labels(snippet)
    try:
        old, new = (_entry(snippet, labels, x) for x in (args.old, args.new))
    except LookupError as e:
        print(f"kubecapture: {e} (entries: {', '.join(labels)})", file=sys.stderr)
        return 2
    if old.commands != new.commands:
        print("command changed:")
        print("\n".join(f"  - {c}" for c in old.commands))
        print("\n".join(f"  + {c}" for c in new.commands))
    comparison = drift.compare_results(old.results, new.results)
    print(f"{comparison.status}")
    for change in comparison.changes:
        print(f"  {change}")
    if comparison.diff:
        print("\n".join(comparison.diff))
    return 1 if comparison.status == "changed" else 0


def _entry(snippet, labels: list[str], wanted: str):
    entries = snippet.entries
    if wanted in labels:
        return entries[labels.index(wanted)]
    if wanted.isdigit() and int(wanted) < len(entries):
        return entries[int(wanted)]
    raise LookupError(f"no stored output {wanted}")


def _markers(capture) -> list:
    return [(e.provenance, e.change) for e in capture.entries]


def cmd_prune(args) -> int:
    """Drop stored outputs beyond `keep_versions` (or --keep); imported ones only when
    asked (--imported). Change markers saved under older drift rules are made again, so
    replay builds need not compare those outputs every time."""
    site = load(args.config_file, "replay")
    keep = site.settings.keep_versions if args.keep is None else args.keep
    dropped, rewritten = 0, False
    for plan in site.select(args.pages):
        page = load_capture(plan.capture_file, site.settings.cache_dir)
        if page is None:
            continue
        pruned = [history.prune(s, keep, imported=args.imported) for s in page.snippets]
        if [_markers(s) for s in pruned] == [_markers(s) for s in page.snippets]:
            continue  # same outputs, same markers
        count = sum(
            len(a.history) - len(b.history) for a, b in zip(page.snippets, pruned, strict=True)
        )
        page.snippets = pruned
        save_capture(plan.capture_file, page)
        rewritten = True
        if count:
            print(f"{plan.page}: {count} stored output(s) dropped")
            dropped += count
        else:
            print(f"{plan.page}: change markers made again (drift rules changed)")
    if rewritten:
        report.save_history_report(site.settings.captures_dir, site.plans)
    print(f"kubecapture prune: {dropped} stored output(s) dropped (keep {keep or 'all'})")
    return 0


def cmd_share(args) -> int:
    """The site as a zip that works from disk, offline (share.py)."""
    from . import share

    root = args.config_file.parent
    pdf = None
    if not args.no_pdf:
        pdf = args.pdf or (root / share.PDF if (root / share.PDF).is_file() else None)
    try:
        told = share.share(
            args.config_file, args.output or root / "site.zip", args.extra, pdf, site_dir=args.site
        )
    except share.ShareError as e:
        for line in e.problems:
            print(f"kubecapture share: {line}", file=sys.stderr)
        print("kubecapture share: no zip written", file=sys.stderr)
        return 1
    except SiteError as e:
        print(f"kubecapture share: {e}", file=sys.stderr)
        return 1
    print("\n".join(told))
    return 0


def cmd_handout(args) -> int:
    """Pages of the site as one PDF to print (handout.py)."""
    from . import handout

    out = args.output or args.config_file.parent / "handout.pdf"
    if args.section and args.pages:
        print("kubecapture handout: give --section or pages, not both", file=sys.stderr)
        return 2
    try:
        print(handout.make(args.config_file, out, args.section, args.pages, site_dir=args.site))
    except (handout.HandoutError, SiteError) as e:
        print(f"kubecapture handout: {e}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kubecapture",
        description="Run the kubectl snippets of an MkDocs site and keep their captures.",
    )
    parser.add_argument(
        "-f",
        "--config-file",
        type=Path,
        default=Path("mkdocs.yml"),
        help="the site's mkdocs.yml (default: ./mkdocs.yml)",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("status", help="per page: snippets, captured or not, stale or not")
    p.add_argument("pages", nargs="*")
    p = sub.add_parser("check", help="exit 1 when a capture is stale or belongs to no page")
    p.add_argument(
        "--complete",
        action="store_true",
        help="also fail when a snippet has no capture yet (placeholder)",
    )
    for name, text in (
        ("refresh", "re-run pages live and write their captures"),
        ("diff", "re-run pages live and report drift, writing nothing"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("pages", nargs="*", help="Markdown pages (default: all)")
        p.add_argument("-j", "--jobs", type=int, default=0, help="pages run at once")
        if name == "diff":
            p.add_argument("--markdown", action="store_true", help="print the report as Markdown")
    p = sub.add_parser("history", help="each snippet's stored outputs, newest first")
    p.add_argument("pages", nargs="*", help="Markdown pages (default: all)")
    p = sub.add_parser(
        "compare", help="compare two stored outputs of a snippet (no cluster); exit 1 if changed"
    )
    p.add_argument("page", help="the Markdown page")
    p.add_argument("snippet", help="the snippet's id, or its number on the page (1, 2, ...)")
    p.add_argument("old", nargs="?", default="1", help="label or number from `history` (1)")
    p.add_argument("new", nargs="?", default="0", help="label or number from `history` (0)")
    p = sub.add_parser(
        "matrix", help="each snippet against each cluster setup it was captured on (no cluster)"
    )
    p.add_argument("pages", nargs="*", help="Markdown pages (default: all)")
    p.add_argument(
        "--changed", action="store_true", help="only snippets that differ; exit 1 if any"
    )
    p.add_argument("--json", action="store_true", help="print the matrix as JSON")
    p = sub.add_parser(
        "prune", help="drop stored outputs beyond keep_versions; remake outdated change markers"
    )
    p.add_argument("pages", nargs="*", help="Markdown pages (default: all)")
    p.add_argument("--keep", type=int, help="live outputs kept per snippet (0: all)")
    p.add_argument(
        "--imported", action="store_true", help="also drop imported outputs (the original notes)"
    )
    p = sub.add_parser(
        "share", help="the site as a zip that works from disk, offline (built in replay mode)"
    )
    p.add_argument(
        "-o", "--output", type=Path, help="the zip (default: site.zip beside mkdocs.yml)"
    )
    p.add_argument(
        "--with",
        dest="extra",
        action="append",
        type=Path,
        default=[],
        metavar="DIR",
        help="a folder (relative to mkdocs.yml) to put in the zip too, e.g. snippets/manifests",
    )
    p.add_argument("--pdf", type=Path, help="the handout to put in (default: handout.pdf if any)")
    p.add_argument("--no-pdf", action="store_true", help="leave the handout out")
    p.add_argument("--site", type=Path, help="zip this site folder, built already")
    p = sub.add_parser("handout", help="pages of the site as one PDF to print (headless Chromium)")
    p.add_argument("pages", nargs="*", help="Markdown pages (default: every page of the nav)")
    p.add_argument("--section", help="the pages of this section of the nav (its title)")
    p.add_argument(
        "-o", "--output", type=Path, help="the PDF (default: handout.pdf beside mkdocs.yml)"
    )
    p.add_argument("--site", type=Path, help="print from this site folder, built already")
    args = parser.parse_args(argv)
    # What a capture file holds (a pull request's) is printed as text, never as the
    # terminal's control sequences (OSC 52 writes the clipboard, CSI clears the screen).
    try:
        with (
            contextlib.redirect_stdout(PrintableStream(sys.stdout)),
            contextlib.redirect_stderr(PrintableStream(sys.stderr)),
        ):
            logging.basicConfig(level=logging.INFO, format="%(levelname)-7s - %(message)s")
            return _dispatch(args)
    except BrokenPipeError:
        # `kubecapture status | head`: the reader has gone; what is left unprinted is not
        # news. Python flushes stdout at exit: point it where a flush cannot fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a process killed by SIGPIPE


def _dispatch(args) -> int:
    try:
        if args.command == "status":
            return cmd_status(args)
        if args.command == "check":
            return cmd_check(args)
        if args.command in ("history", "compare", "prune", "matrix", "share", "handout"):
            return {
                "history": cmd_history,
                "compare": cmd_compare,
                "prune": cmd_prune,
                "matrix": cmd_matrix,
                "share": cmd_share,
                "handout": cmd_handout,
            }[args.command](args)
        return cmd_run(args, write=args.command == "refresh")
    except (SnippetError, CaptureFileError) as e:
        print(f"kubecapture: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "kubecapture: interrupted; sandboxes removed, captures left as they were",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
