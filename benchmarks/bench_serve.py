"""`mkdocs serve`: from saving a snippet edit to the browser reload, against the stand-in.

A site with one read-only page of S snippets (bench_speed's commands) and a few prose
pages. `mkdocs serve` runs in a subprocess; after its first build (which replays the
captures of a first `mkdocs build`), one snippet of the page is edited N times, switching
between `kubectl get node` and `kubectl get node -o wide`, so the page runs live on every
edit. For each edit: wall time from writing the file to serve's "Reloading browsers" log
line (split at its "Detected file changes" line: the watcher's part, then the rebuild's),
and the kubectl processes started, counted by a wrapper script set as the plugin's
`kubectl` option (probes: `config view ...` and `version --client ...`).

Run from the repository root:  .venv/bin/python benchmarks/bench_serve.py
To measure other plugin code, put its folder first: PYTHONPATH=/other/plugins ...
(the first line prints which kubecapture the serve process imports).
"""

from __future__ import annotations

import argparse
import os
import queue
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from bench_speed import COMMANDS, CONFIG, KUBECTL, PROSE, PYTHON, base_env, machine, start_standin

EDITED = "kubectl get node"  # the first snippet's command, and what an edit switches it to
WIDE = "kubectl get node -o wide"
PROBES = ("config view", "version --client")


def make_serve_site(root: Path, snippets: int, prose_pages: int, kubectl: Path) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    docs = root / "docs"
    docs.mkdir(parents=True)
    options = {"captures_dir": "captures", "kubectl": str(kubectl)}
    config = dict(CONFIG, plugins=["search", {"kubecapture": options}])
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    (docs / "index.md").write_text(page_text(snippets, EDITED), encoding="utf-8")
    for n in range(prose_pages):
        text = f"# メモ {n + 1}\n\n" + "\n\n".join([PROSE] * 6) + "\n"
        (docs / f"note{n + 1}.md").write_text(text, encoding="utf-8")
    return root / "mkdocs.yml"


def page_text(snippets: int, first: str) -> str:
    parts = ["# ノードとネームスペース\n", PROSE, ""]
    for i in range(snippets):
        command = first if i == 0 else COMMANDS[i % len(COMMANDS)]
        parts += [f"## 手順 {i + 1}\n", PROSE, "", f'```kubectl id="s{i + 1}"', command, "```", ""]
    return "\n".join(parts)


def counting_kubectl(work: Path) -> tuple[Path, Path]:
    """A kubectl that appends its arguments to a log, then runs the venv's real one."""
    calls = work / "kubectl-calls.log"
    calls.write_text("")
    wrapper = work / "bin" / "kubectl"
    wrapper.parent.mkdir(parents=True, exist_ok=True)
    wrapper.write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\nexec "{KUBECTL}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, calls


class Serve:
    """`mkdocs serve` in a subprocess; its log lines, each with the time it was read."""

    def __init__(self, config_file: Path, env: dict[str, str]):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        argv = [PYTHON, "-m", "mkdocs", "serve", "-f", str(config_file), "-a", f"127.0.0.1:{port}"]
        self.proc = subprocess.Popen(
            argv,
            cwd=config_file.parent,
            env=dict(env, PYTHONUNBUFFERED="1"),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put((time.perf_counter(), line.rstrip("\n")))

    def wait_for(self, text: str, timeout: float = 120) -> list[tuple[float, str]]:
        """(time read, line) up to and including the first line containing `text`."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                stamped = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            seen.append(stamped)
            self.log.append(stamped[1])
            if text in stamped[1]:
                return seen
        raise SystemExit(f"no {text!r} within {timeout} s; log:\n" + "\n".join(self.log))

    def cpu(self) -> float:
        """CPU seconds of the serve process and of the children it has reaped (kubectl)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()


def imported_plugin(env: dict[str, str], cwd: Path) -> str:
    code = "import kubecapture; print(kubecapture.__file__)"
    done = subprocess.run([PYTHON, "-c", code], env=env, cwd=cwd, capture_output=True, text=True)
    return done.stdout.strip() or done.stderr.strip()


class Variant:
    """One `mkdocs serve` of its own site, with the plugin code of `plugins` (None: the
    one the venv imports), its own kubectl call log."""

    def __init__(self, root: Path, name: str, plugins: Path | None, args, kubeconfig: Path):
        self.name = name
        root.mkdir(parents=True, exist_ok=True)
        wrapper, self.calls = counting_kubectl(root)
        self.site = make_serve_site(root / "site", args.snippets, args.prose_pages, wrapper)
        self.snippets = args.snippets
        self.env = dict(base_env(root), KUBECONFIG=str(kubeconfig))
        if plugins is not None:
            self.env["PYTHONPATH"] = str(plugins)
        self.imported = imported_plugin(self.env, self.site.parent)
        self.rows: list[dict] = []
        self.prose: list[float] = []
        self.edits = 0
        self.serve: Serve | None = None

    def start(self) -> None:
        first = subprocess.run(
            [PYTHON, "-m", "mkdocs", "build", "-q", "-f", str(self.site)],
            env=self.env,
            cwd=self.site.parent,
            capture_output=True,
            text=True,
        )
        if first.returncode != 0 or not (self.site.parent / "captures" / "index.yaml").is_file():
            raise SystemExit(f"{self.name}: first build failed:\n{first.stdout}{first.stderr}")
        self.serve = Serve(self.site, self.env)
        self.serve.wait_for("Serving on")

    def edit(self, keep: bool) -> None:
        """Switch the first snippet's command; the page runs live."""
        page = self.site.parent / "docs" / "index.md"
        before = len(self.calls.read_text().splitlines())
        self.edits += 1
        text = page_text(self.snippets, WIDE if self.edits % 2 else EDITED)
        cpu, start = self.serve.cpu(), time.perf_counter()
        page.write_text(text, encoding="utf-8")
        seen = self.serve.wait_for("Reloading browsers")
        detected = next((t for t, line in seen if "Detected file changes" in line), start)
        ran = self.calls.read_text().splitlines()[before:]
        if not any("captured index.md" in line for _, line in seen):
            raise SystemExit(
                f"{self.name}: the edit did not run the page:\n" + "\n".join(self.serve.log)
            )
        if keep:
            self.rows.append(
                {
                    "total": seen[-1][0] - start,
                    "watch": detected - start,
                    "rebuild": seen[-1][0] - detected,
                    "cpu": self.serve.cpu() - cpu,
                    "kubectl": len(ran),
                    "probes": sum(c.startswith(PROBES) for c in ran),
                }
            )

    def edit_prose(self, keep: bool) -> None:
        """Edit a prose page: the same rebuild without any kubectl (the floor)."""
        page = self.site.parent / "docs" / "note1.md"
        text = f"# メモ 1\n\n{PROSE}\n\n(edit {len(self.prose)} {time.time()})\n"
        start = time.perf_counter()
        page.write_text(text, encoding="utf-8")
        seen = self.serve.wait_for("Reloading browsers")
        if keep:
            self.prose.append(seen[-1][0] - start)

    def stop(self) -> None:
        if self.serve:
            self.serve.stop()


def bench_serve(work: Path, args, plugins: dict[str, Path | None]) -> list[Variant]:
    """Rounds of: a snippet edit, then a prose edit, in every variant; the variants take
    turns (A B, then B A, ...) so a change in the machine's load hits them alike. Each
    edit comes after a random pause: the watcher polls every 0.5 s, so an edit lands at
    any point of its cycle, as an author's does."""
    server, kubeconfig = start_standin(work)
    variants = [
        Variant(work / f"v{n}", name, path, args, kubeconfig)
        for n, (name, path) in enumerate(plugins.items())
    ]
    try:
        for v in variants:
            print(f"{v.name}: kubecapture imported from {v.imported}")
            v.start()
        rng = random.Random(1)
        for i in range(args.edits + 1):  # the first round warms up (imports the client, ...)
            order = variants if i % 2 == 0 else variants[::-1]
            for v in order:
                time.sleep(0.6 + rng.random() * 0.5)
                v.edit(keep=i > 0)
                time.sleep(0.6 + rng.random() * 0.5)
                v.edit_prose(keep=i > 0)
        return variants
    finally:
        for v in variants:
            v.stop()
        server.stop()


def spread(values: list[float], unit: str = " s", digits: int = 2) -> str:
    med, lo, hi = statistics.median(values), min(values), max(values)
    return f"median {med:.{digits}f}{unit} (min {lo:.{digits}f}, max {hi:.{digits}f})"


def report(v: Variant, args) -> bool:
    rows = v.rows
    total = [row["total"] for row in rows]

    def line(label: str, values: list[float], unit: str = " s", digits: int = 2) -> None:
        print(f"  {label:46} {spread(values, unit, digits)}")

    print(f"\n{v.name}: {len(rows)} snippet edits and {len(v.prose)} prose edits")
    line("snippet edit: save to 'Reloading browsers'", total)
    line("  watcher (save to 'Detected file changes')", [r["watch"] for r in rows])
    line("  rebuild ('Detected' to 'Reloading')", [r["rebuild"] for r in rows])
    line("  cpu (serve process and its kubectl)", [r["cpu"] for r in rows])
    line("kubectl processes per edit", [r["kubectl"] for r in rows], "", 0)
    line("  of which probes", [r["probes"] for r in rows], "", 0)
    line("prose edit (no kubectl: the floor)", v.prose)
    ok = statistics.median(total) <= args.target
    print(f"  target: snippet edit median <= {args.target:.2f} s: {'ok' if ok else 'MISSED'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--snippets", type=int, default=5)
    p.add_argument("--prose-pages", type=int, default=4)
    p.add_argument("--edits", type=int, default=11, help="timed rounds (after one warm-up)")
    p.add_argument("--target", type=float, default=1.0, help="median save-to-reload, seconds")
    p.add_argument(
        "--vs",
        type=Path,
        action="append",
        default=[],
        metavar="PLUGINS_DIR",
        help="also measure the plugin code in this folder (e.g. a worktree's plugins/), "
        "taking turns with this checkout's",
    )
    p.add_argument("--keep", type=Path, help="generate the sites here and keep them")
    args = p.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="kc-bench-serve-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    print(
        f"mkdocs serve, one page of {args.snippets} read-only snippets + {args.prose_pages} "
        f"prose pages; {args.edits} rounds after one warm-up"
    )
    plugins: dict[str, Path | None] = {"this checkout": None}
    for path in args.vs:
        plugins[str(path)] = path.resolve()
    started = time.perf_counter()
    try:
        variants = bench_serve(work, args, plugins)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    ok = all([report(v, args) for v in variants][:1])  # the target is this checkout's
    elapsed = time.perf_counter() - started
    print(f"\n({elapsed:.0f} s; load average {os.getloadavg()[0]:.2f} at end)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
