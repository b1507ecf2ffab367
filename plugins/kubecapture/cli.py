"""`kubecapture status / check / refresh / diff`: the capture loop without MkDocs.

Reads the plugin's settings from mkdocs.yml as plain YAML (no MkDocs internals), so
it works the same for a site built with MkDocs or with Zensical.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

import yaml

from . import capture, report
from .cluster import ClusterUnavailable
from .snippets import SnippetError
from .store import CaptureFileError, all_capture_files, capture_path
from .store import load as load_capture

log = logging.getLogger("mkdocs.plugins.kubecapture")


class _Loader(yaml.SafeLoader):
    """mkdocs.yml may hold `!!python/name:` and `!ENV` tags; their values do not matter here."""


_Loader.add_multi_constructor("", lambda loader, suffix, node: None)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def read_site(config_file: Path) -> tuple[Path, dict]:
    """(docs_dir, kubecapture plugin options) from mkdocs.yml."""
    try:
        data = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_Loader) or {}
    except FileNotFoundError:
        raise SystemExit(
            f"kubecapture: {config_file} not found (use -f to name mkdocs.yml)"
        ) from None
    except yaml.YAMLError as e:
        raise SystemExit(f"kubecapture: {config_file} is not valid YAML: {e}") from None
    root = config_file.resolve().parent
    options: dict = {}
    for entry in data.get("plugins") or []:
        if isinstance(entry, dict) and "kubecapture" in entry:
            options = entry["kubecapture"] or {}
    if not options:  # a site built with Zensical only: the fence extension's options
        for entry in data.get("markdown_extensions") or []:
            if isinstance(entry, dict) and "kubecapture.fence" in entry:
                options = entry["kubecapture.fence"] or {}
    return root / data.get("docs_dir", "docs"), options


def settings_for(config_file: Path, mode: str) -> tuple[Path, capture.Settings]:
    docs_dir, options = read_site(config_file)
    return docs_dir, capture.Settings.from_options(options, config_file.resolve().parent, mode)


def plan_site(
    docs_dir: Path, settings: capture.Settings, pages: list[str]
) -> list[capture.PagePlan]:
    """Plans of the pages that hold snippets (or of the named pages), in the order
    `mkdocs build` runs them: pages share the cluster, so order changes outputs."""
    wanted = {_page_name(p, docs_dir) for p in pages}
    plans = []
    for path in doc_pages(docs_dir):
        page = path.relative_to(docs_dir).as_posix()
        if wanted and page not in wanted:
            continue
        plan = capture.plan_page(page, path.read_text(encoding="utf-8"), settings)
        if plan.snippets:
            plans.append(plan)
    unknown = wanted - {p.page for p in plans}
    for page in sorted(unknown):
        if not (docs_dir / page).is_file():
            raise SystemExit(f"kubecapture: no page {page} under {docs_dir}")
    return plans


def doc_pages(docs_dir: Path) -> list[Path]:
    """The Markdown pages in MkDocs' file order: a folder's own files first (index or
    README before the others, then by name), then its subfolders by name."""
    out = []
    for folder, dirnames, filenames in os.walk(docs_dir, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        names = sorted(filenames, key=lambda f: (Path(f).stem not in ("index", "README"), f))
        out += [Path(folder) / f for f in names if f.endswith(".md") and not f.startswith(".")]
    return out


def _page_name(arg: str, docs_dir: Path) -> str:
    path = Path(arg)
    if path.is_absolute() or path.exists():
        try:
            return path.resolve().relative_to(docs_dir.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def page_state(plan: capture.PagePlan) -> tuple[str, object]:
    """('fresh' | 'partial' | 'stale' | 'missing', capture or None)."""
    page_capture = load_capture(plan.capture_file)
    if page_capture is None:
        return "missing", None
    if page_capture.key != plan.key:
        return "stale", page_capture
    return ("fresh" if capture.is_complete(page_capture, plan) else "partial"), page_capture


def cmd_status(args) -> int:
    docs_dir, settings = settings_for(args.config_file, "replay")
    plans = plan_site(docs_dir, settings, args.pages)
    print(f"{'PAGE':40} {'SNIPPETS':>8} {'CAPTURED':>8}  STATE    PROVENANCE")
    for plan in plans:
        state, page_capture = page_state(plan)
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
    docs_dir, settings = settings_for(args.config_file, "replay")
    plans = plan_site(docs_dir, settings, [])
    problems = []
    for plan in plans:
        state, _ = page_state(plan)
        if state == "stale":
            problems.append(f"{plan.page}: its captures are stale (snippets changed since)")
        elif state == "missing" and args.complete:
            problems.append(f"{plan.page}: not captured")
        elif state == "partial" and args.complete:
            problems.append(f"{plan.page}: only partly captured")
    expected = {plan.capture_file.resolve() for plan in plans}
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
    docs_dir, settings = settings_for(args.config_file, "refresh")
    settings.write = write
    if args.jobs:
        settings.jobs = args.jobs
    plans = plan_site(docs_dir, settings, args.pages)
    if not plans:
        print("kubecapture: no page has kubectl snippets")
        return 0
    session = capture.Session(settings)
    start = time.monotonic()
    try:
        runs = session.run(plans, on_done=report.log_page_run)
    except ClusterUnavailable as e:
        print(f"kubecapture: {e}", file=sys.stderr)
        return 2
    finally:
        session.close()
    report.log_live_summary(runs, time.monotonic() - start, settings.workers)
    result = report.finish(
        runs, settings.captures_dir if write else None, plan_site(docs_dir, settings, [])
    )
    if not write and result is not None:
        print(result.to_markdown(lang="en") if args.markdown else "\n".join(result.summary_lines()))
    return 1 if any(r.error for r in runs) else 0


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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)-7s - %(message)s")
    try:
        if args.command == "status":
            return cmd_status(args)
        if args.command == "check":
            return cmd_check(args)
        return cmd_run(args, write=args.command == "refresh")
    except SnippetError as e:
        print(f"kubecapture: {e}", file=sys.stderr)
        return 2
    except CaptureFileError as e:
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


__all__ = ["capture_path", "main"]
