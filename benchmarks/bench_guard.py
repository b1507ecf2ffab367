"""The cost of the command guard per command: parse (kubectl_args.parse) plus the page
checks (guard.check_page), over every kubectl command of the notes (docs/).

Each page of docs/ with snippets is planned as a build plans it (planning.plan_page: its
snippets parsed from Markdown, the guard run over them), N times; the figure is the
guard's own time per command, against the time planning the page takes in all.
Then the same for the adversarial corpus (tests/adversarial/hostile.yaml): each case's
page planned in a scratch site holding its files, refused or not; the figure is the
time per command of planning it, refusal included.
Also prints how much of kubectl the allowlist lets through.

Run from the repository root:  .venv/bin/python benchmarks/bench_guard.py [-n 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import yaml
from kubecapture.base.snippets import SnippetError, parse_page
from kubecapture.run import planning
from kubecapture.trust import allowlist, guard, kubectl_args

ROOT = Path(__file__).resolve().parent.parent


def notes_pages() -> dict[str, str]:
    docs = ROOT / "docs"
    return {
        p.relative_to(docs).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(docs.rglob("*.md"))
        if "```kubectl" in p.read_text(encoding="utf-8")
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=200, help="rounds (default 200)")
    args = parser.parse_args()
    pages = notes_pages()
    settings = planning.Settings(captures_dir=ROOT / "snippets" / "captures", workdir=ROOT)
    start = time.perf_counter()
    allowlist.default()
    load_ms = (time.perf_counter() - start) * 1000

    parsed = {name: parse_page(text, name) for name, text in pages.items()}
    commands = [c for snippets in parsed.values() for s in snippets for c in s.commands]
    sandboxes = {n: planning.plan_page(n, text, settings).namespace for n, text in pages.items()}

    parse_us, guard_us, plan_us = [], [], []
    for _ in range(args.n):
        start = time.perf_counter()
        for c in commands:
            kubectl_args.parse(c.argv)
        parse_us.append((time.perf_counter() - start) / len(commands) * 1e6)

        start = time.perf_counter()
        for name, snippets in parsed.items():
            guard.check_page(
                name, snippets, sandbox=sandboxes[name], allow_destructive=False, workdir=ROOT
            )
        guard_us.append((time.perf_counter() - start) / len(commands) * 1e6)

        start = time.perf_counter()
        for name, text in pages.items():
            planning.plan_page(name, text, settings)
        plan_us.append((time.perf_counter() - start) / len(commands) * 1e6)

    corpus_us, n_commands, refused = corpus(args.n)
    figures = allowlist.figures()
    print(f"{len(commands)} commands on {len(pages)} pages, {args.n} rounds")
    print(f"loading the allowlist data once: {load_ms:.1f} ms")
    # the minimum too: on a machine busy with other work the median wanders, the best
    # round much less
    for label, us in (
        ("parse per command:               ", parse_us),
        ("guard per command (parse+checks):", guard_us),
        ("plan_page per command, in all:   ", plan_us),
    ):
        print(f"{label} {statistics.median(us):7.1f} µs (median), {min(us):7.1f} µs (best)")
    print(
        f"adversarial corpus: {n_commands} commands in {len(CASES)} cases, {refused} refused; "
        f"plan_page per command: {statistics.median(corpus_us):.1f} µs (median), "
        f"{min(corpus_us):.1f} µs (best)"
    )
    print(
        f"allowed: {figures['commands_allowed']} commands (+{figures['commands_opt_in']} "
        f"opt-in) of {figures['commands']}; {figures['command_flags_allowed']} of "
        f"{figures['command_flags']} command flags; {figures['global_flags_allowed']} of "
        f"{figures['global_flags']} global flags"
    )


CASES = yaml.safe_load((ROOT / "tests" / "adversarial" / "hostile.yaml").read_text())


def corpus(rounds: int) -> tuple[list[float], int, int]:
    """Plan each hostile page in a scratch site with its files; µs per command per round."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        outside = Path(tmp) / "outside"
        for d in (root / "docs", root / "snippets" / "manifests", outside):
            d.mkdir(parents=True, exist_ok=True)

        def fill(text: str) -> str:
            for k, v in (("{outside}", outside), ("{home}", outside), ("{marker}", "m")):
                text = text.replace(k, str(v))
            return text.replace("{listener}", "http://127.0.0.1:9").replace("{port}", "9")

        pages = []
        for case in CASES:
            for name, text in (case.get("files") or {}).items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                (root / name).write_text(fill(text))
            for name, target in (case.get("links") or {}).items():
                (root / name).parent.mkdir(parents=True, exist_ok=True)
                if not (root / name).is_symlink():
                    (root / name).symlink_to(fill(target))
            front = f"---\nkubecapture: {case['front']}\n---\n\n" if case.get("front") else ""
            blocks = "".join(f"```kubectl\n{fill(c)}\n```\n\n" for c in case["commands"])
            pages.append((f"{case['id']}.md", f"{front}# {case['id']}\n\n{blocks}"))
        n = sum(len(c["commands"]) for c in CASES)
        settings = planning.Settings(captures_dir=root / "snippets" / "captures", workdir=root)
        times, refused = [], 0
        for _ in range(rounds):
            refused = 0
            start = time.perf_counter()
            for name, text in pages:
                try:
                    planning.plan_page(name, text, settings)
                except SnippetError:
                    refused += 1
            times.append((time.perf_counter() - start) / n * 1e6)
        return times, n, refused


if __name__ == "__main__":
    main()
