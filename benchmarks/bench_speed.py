"""Speed of kubecapture, as ratios measured side by side in one run.

Generates a P pages x S snippets site several ways and times whole processes
(`time.perf_counter` around each subprocess; CPU time of the process and its children
from getrusage as a cross-check that holds up on a busy machine; medians):

- plain:   the same pages with plain ```console fences (commands only), no plugin;
- pasted:  plain fences with the output pasted under each command (for reference);
- replay:  kubectl fences + kubecapture, every capture valid, KUBECAPTURE_MODE=replay;
- auto:    the same, default mode (reads each capture's header to plan, runs nothing);
- history: replay with three outputs per snippet (two earlier ones behind tabs), the
           caches (parsed captures, rendered snippets) filled by the warm-up build as by
           an author's earlier builds;
- history-cold: the same with the cache off, as a first build after a clone;
- live:    `kubecapture refresh` of every page against the API stand-in in
           tests/standin (real kubectl from the venv), versus the same kubectl
           commands run one after another (the sequential sum).

Run from the repository root:  .venv/bin/python benchmarks/bench_speed.py
(`--help` for sizes and run counts). Needs nothing beyond the venv.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RECORDINGS = ROOT / "tests" / "recordings" / "seed-notes.json"
PYTHON = sys.executable
KUBECTL = str(Path(sys.executable).parent / "kubectl")

# Read-only commands, as a notes page about a cluster's basics has them.
COMMANDS = [
    "kubectl get node",
    "kubectl get namespace",
    "kubectl get pod --namespace kube-system",
    "kubectl get node -o wide",
    "kubectl api-resources --namespaced=true",
]

CONFIG = {
    "site_name": "kubecapture benchmark",
    "docs_dir": "docs",
    # A big site has sections; `navigation.prune` keeps each page's nav to its own section
    # (without it Material renders the whole 1,000-entry nav into every page: minutes).
    "theme": {
        "name": "material",
        "language": "ja",
        "font": False,
        "features": ["navigation.prune"],
    },
    "markdown_extensions": ["admonition", "pymdownx.highlight", "pymdownx.superfences"],
}

SECTION = 25

PROSE = (
    "Kubernetes のノードとネームスペースを確かめます。The control plane answers every "
    "`kubectl` request through the API server; the output below is what it printed. "
    "これはベンチマーク用の文章で、実際のノートと同じくらいの長さにしてあります。"
)


# --- site generation ------------------------------------------------------------------


def page_text(n: int, snippets: int, kind: str) -> str:
    """kind: "plain" (console fence, command only), "pasted" (console fence with the output
    pasted under the command, as authors do by hand) or "kubecapture" (kubectl fence)."""
    outputs = recorded_outputs() if kind == "pasted" else {}
    parts = [f"# ページ {n:04d}\n", PROSE, ""]
    for i in range(snippets):
        command = COMMANDS[(n + i) % len(COMMANDS)]
        parts += [f"## 手順 {i + 1}\n", PROSE, ""]
        if kind == "kubecapture":
            parts += [f'```kubectl id="s{i + 1}"', command, "```", ""]
        else:
            pasted = outputs.get(command, "").rstrip("\n").split("\n") if outputs else []
            parts += ["```console", f"$ {command}", *pasted, "```", ""]
    return "\n".join(parts)


def page_name(n: int) -> str:
    """Sections of 25 pages, as a big notes site would have them."""
    return f"s{n // SECTION:02d}/p{n:04d}.md"


def make_site(root: Path, pages: int, snippets: int, kind: str) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    docs = root / "docs"
    docs.mkdir(parents=True)
    config = dict(CONFIG, plugins=["search"])
    if kind == "kubecapture":
        config["plugins"] = ["search", {"kubecapture": {"captures_dir": "captures"}}]
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    for n in range(pages):
        path = docs / page_name(n)
        path.parent.mkdir(exist_ok=True)
        path.write_text(page_text(n, snippets, kind), encoding="utf-8")
    return root / "mkdocs.yml"


@functools.cache
def recorded_outputs() -> dict[str, str]:
    data = json.loads(RECORDINGS.read_text(encoding="utf-8"))
    return {c["command"]: c["stdout"] for c in data["commands"]}


# Outputs as captured on page n, for the replay variants: the recorded (v1.24.0) output
# with its ages (15m-17m) as they read when that page was captured, so no two pages hold
# the same text (a cache of whole outputs gets no free hits); earlier outputs as older
# clusters printed them. Replacements keep column widths, so tables stay aligned as
# kubectl aligns them. Ages only (namespaces, kube-system pods) compare as "no change
# (only run-to-run values differ)"; a version cell or an API version as "changed".
AGE = re.compile(r"\b(1[5-7])m\b")
EARLIER = {
    "v1.23.4": (
        ("v1.24.0", "v1.23.4"),
        ("storage.k8s.io/v1       ", "storage.k8s.io/v1beta1  "),
    ),
    "v1.22.2": (
        ("v1.24.0", "v1.22.2"),
        ("autoscaling/v2", "autoscaling/v1"),
        ("storage.k8s.io/v1       ", "storage.k8s.io/v1beta1  "),
    ),
}
AGES = {  # version -> the age of a 15-17m cell on page n (always two digits and a unit)
    "v1.24.0": lambda m, n: f"{int(m[1]) + n % 40}m",
    "v1.23.4": lambda m, n: f"{int(m[1]) + 25 + n % 50}d",
    "v1.22.2": lambda m, n: f"{int(m[1]) + 60 + n % 20}m",
}
PROVENANCE = {  # newest first: a live v1.24.0, a live v1.23.4, the original notes' v1.22.2
    "v1.24.0": ("minikube", "v1.24.0", "v1.37.1", "2025-01-01T00:00:00Z"),
    "v1.23.4": ("minikube", "v1.23.4", "v1.37.1", "2024-03-01T00:00:00Z"),
    "v1.22.2": ("minikube", "v1.22.2", "", "", "the original notes"),
}


def as_captured(output: str, version: str, n: int) -> str:
    for old, new in EARLIER.get(version, ()):
        output = output.replace(old, new)
    return AGE.sub(lambda m: AGES[version](m, n), output)


def write_captures(config_file: Path, entries: int = 1) -> None:
    """Valid captures for every page, with real kubectl output from the recordings, written
    through the plugin's own store (the same files a live run writes). With `entries` > 1,
    each snippet also holds earlier outputs (up to two: v1.23.4 live, then v1.22.2 from the
    original notes), merged into its history by `history.merge` as refreshes would."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from kubecapture.captures import store
    from kubecapture.drift import history
    from kubecapture.run import planning

    outputs = recorded_outputs()
    root = config_file.parent
    settings = planning.Settings(captures_dir=root / "captures", workdir=root)
    versions = list(PROVENANCE)[:entries][::-1]  # oldest first, as they were captured
    provenances = {v: store.Provenance(*PROVENANCE[v]) for v in versions}
    docs = root / "docs"
    for n, path in enumerate(sorted(docs.rglob("*.md"))):
        page = path.relative_to(docs).as_posix()
        plan = planning.plan_page(page, path.read_text(encoding="utf-8"), settings)
        snippets = []
        for s in plan.snippets:
            merged = None
            for version in versions:
                results = []
                for c in s.commands:
                    output = as_captured(outputs.get(c.text, "NAME\nexample\n"), version, n)
                    results.append(store.CommandResult(c.text, 0, output))
                fresh = store.SnippetCapture(s.key, results, provenances[version], s.id)
                merged = history.merge(merged, fresh, keep=settings.keep_versions)
            snippets.append(merged)
        store.save(plan.capture_file, store.PageCapture(plan.page, plan.key, snippets))


# --- timing ---------------------------------------------------------------------------


@dataclass
class Timing:
    wall: float  # seconds, time.perf_counter around the whole process
    cpu: float  # user + system seconds of the process and everything it waited for
    rss: float = 0.0  # MB, peak resident memory of the process (0: not measured)

    def __truediv__(self, other: Timing) -> tuple[float, float]:
        return self.wall / other.wall, self.cpu / other.cpu


def median(timings: list[Timing]) -> Timing:
    return Timing(
        statistics.median(t.wall for t in timings),
        statistics.median(t.cpu for t in timings),
        statistics.median(t.rss for t in timings),
    )


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(argv: list[str], env: dict[str, str], cwd: Path, check: bool = True) -> Timing:
    """Run a process to its end. Its CPU time and peak memory are the kernel's accounting
    of that one child (os.wait4), so threads timing other processes do not mix in."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        if check and proc.returncode != 0:
            out.seek(0)
            output = out.read().decode("utf-8", "replace")
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)}\n{output}")
    # ru_maxrss: kilobytes on Linux
    return Timing(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def base_env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBECAPTURE_", "KUBECTL_"))}
    # As on an author's machine, Python caches compiled modules (__pycache__, ignored by
    # git): the warm-up run writes them. Without this, every build would compile the
    # plugin's modules from source (~35 ms), while mkdocs' own come precompiled.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    home = work / "home"
    home.mkdir(exist_ok=True)
    env.update(
        NO_MKDOCS_2_WARNING="1",
        HOME=str(home),
        KUBECACHEDIR=str(home / ".kube" / "cache"),
        KUBECONFIG="/nonexistent/kubeconfig",  # replay must never need a cluster
    )
    return env


def mkdocs_build(config_file: Path) -> list[str]:
    return [PYTHON, "-m", "mkdocs", "build", "-q", "-f", str(config_file)]


@dataclass
class Compared:
    """A variant's runs and, round by round, its ratios to the baseline's run of the same
    round (a load spike hits both sides of a ratio)."""

    runs: list[Timing]
    wall_ratios: list[float]
    cpu_ratios: list[float]
    rss_ratios: list[float]

    @property
    def median(self) -> Timing:
        return median(self.runs)


def side_by_side(
    variants: dict[str, tuple[list[str], dict, Path]], runs: int, baseline: str
) -> dict[str, Compared]:
    """One warm-up each, then `runs` rounds; each round times every variant once, in turn:
    forward, then backward (A B C, C B A, ...), so that drift in the machine's load hits
    them alike and, over two rounds, every pair sits on both sides of each other."""
    for argv, env, cwd in variants.values():
        timed(argv, env, cwd)
    names = list(variants)
    times: dict[str, list[Timing]] = {name: [] for name in variants}
    for i in range(runs):
        for name in names if i % 2 == 0 else names[::-1]:
            argv, env, cwd = variants[name]
            times[name].append(timed(argv, env, cwd))
    base = times[baseline]
    return {
        name: Compared(
            t,
            [a.wall / b.wall for a, b in zip(t, base, strict=True)],
            [a.cpu / b.cpu for a, b in zip(t, base, strict=True)],
            [a.rss / b.rss for a, b in zip(t, base, strict=True)],
        )
        for name, t in times.items()
    }


def bench_replay(work: Path, pages: int, snippets: int, runs: int, pasted: bool) -> dict:
    sites = {"plain": make_site(work / f"plain-{pages}", pages, snippets, "plain")}
    if pasted:
        sites["pasted"] = make_site(work / f"pasted-{pages}", pages, snippets, "pasted")
    kc = make_site(work / f"kc-{pages}", pages, snippets, "kubecapture")
    write_captures(kc)
    kh = make_site(work / f"kh-{pages}", pages, snippets, "kubecapture")
    write_captures(kh, entries=3)
    env = base_env(work)
    replay_env = dict(env, KUBECAPTURE_MODE="replay")
    variants = {name: (mkdocs_build(site), env, site.parent) for name, site in sites.items()}
    variants["replay"] = (mkdocs_build(kc), replay_env, kc.parent)
    variants["auto"] = (mkdocs_build(kc), env, kc.parent)
    variants["history"] = (mkdocs_build(kh), replay_env, kh.parent)
    variants["history-cold"] = (mkdocs_build(without_cache(kh)), replay_env, kh.parent)
    return side_by_side(variants, runs, baseline="plain")


def without_cache(config_file: Path) -> Path:
    """The same site with the plugin's cache off: every build parses every capture and
    renders every snippet, as the first build after a clone (or after every capture
    changed) does."""
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "kubecapture" in plugin:
            plugin["kubecapture"]["cache"] = False
    cold = config_file.with_name("mkdocs-nocache.yml")
    cold.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return cold


# --- live -----------------------------------------------------------------------------


def start_standin(work: Path):
    sys.path.insert(0, str(ROOT / "tests"))
    from standin import StandIn

    # (Its handler sets TCP_NODELAY, as a real API server does: see the README.)
    server = StandIn().start()
    kubeconfig = server.write_kubeconfig(work / "kubeconfig", context="minikube")
    return server, kubeconfig


def site_commands(config_file: Path) -> list[list[str]]:
    sys.path.insert(0, str(ROOT / "plugins"))
    from kubecapture.base.snippets import parse_page

    argvs = []
    for path in sorted((config_file.parent / "docs").rglob("*.md")):
        for s in parse_page(path.read_text(encoding="utf-8"), path.name):
            argvs += [[KUBECTL, *c.argv[1:]] for c in s.commands]
    return argvs


def sequential(argvs: list[list[str]], env: dict[str, str], cwd: Path) -> Timing:
    """The floor of a one-at-a-time run: every kubectl process timed whole, summed."""
    total = Timing(0.0, 0.0)
    for argv in argvs:
        t = timed(argv, env, cwd, check=False)
        total = Timing(total.wall + t.wall, total.cpu + t.cpu)
    return total


def at_once(argvs: list[list[str]], env: dict[str, str], cwd: Path, workers: int) -> Timing:
    """The same kubectl processes, `workers` at a time, nothing else: the floor for any
    parallel runner on this machine."""
    cpu, start = _children_cpu(), time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda argv: timed(argv, env, cwd, check=False), argvs))
    return Timing(time.perf_counter() - start, _children_cpu() - cpu)


def bench_live(work: Path, pages: int, snippets: int, runs: int, jobs: int) -> dict:
    from kubecapture.run.live import KUBECTL_GO_RUNTIME

    kc = make_site(work / f"live-{pages}", pages, snippets, "kubecapture")
    server, kubeconfig = start_standin(work)
    try:
        env = dict(base_env(work), KUBECONFIG=str(kubeconfig))
        tuned = {**KUBECTL_GO_RUNTIME, **env}  # what kubecapture gives each kubectl
        argvs = site_commands(kc)
        refresh = [PYTHON, "-m", "kubecapture.tools.cli", "-f", str(kc), "refresh"]
        if jobs:
            refresh += ["--jobs", str(jobs)]
        warm = subprocess.run(refresh, env=env, cwd=kc.parent, capture_output=True, text=True)
        if warm.returncode != 0 or "live:" not in warm.stderr:
            raise SystemExit(f"refresh failed ({warm.returncode}):\n{warm.stdout}{warm.stderr}")
        summaries = []
        sequential(argvs[:10], env, kc.parent)
        workers = jobs or min(8, 2 * (os.cpu_count() or 1))  # as planning.Settings.workers
        seq_tuned = sequential(argvs, tuned, kc.parent)  # one run: for the reader only
        seq, floor, live = [], [], []
        for _ in range(runs):
            seq.append(sequential(argvs, env, kc.parent))
            floor.append(at_once(argvs, tuned, kc.parent, workers))
            cpu, start = _children_cpu(), time.perf_counter()
            done = subprocess.run(refresh, env=env, cwd=kc.parent, capture_output=True, text=True)
            live.append(Timing(time.perf_counter() - start, _children_cpu() - cpu))
            summaries += [line for line in done.stderr.splitlines() if "live:" in line]
        phase = [float(line.split(" in ")[1].split(" s")[0]) for line in summaries]
        return {
            "commands": len(argvs),
            "workers": workers,
            "sequential": median(seq),
            "sequential_tuned": seq_tuned,
            "floor": median(floor),
            "refresh": median(live),
            "phase": statistics.median(phase),
        }
    finally:
        server.stop()


# --- report ---------------------------------------------------------------------------


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = platform.python_version()
    return f"{os.cpu_count()} CPU(s), {cpu}, Python {python}, {platform.system()}"


HEADER = f"  {'':46} {'wall':>8} {'ratio':>6}   {'cpu':>8} {'ratio':>6}"


def row(name: str, t: Timing, base: Timing | None = None, target: float | None = None) -> str:
    text = f"  {name:46} {t.wall:7.2f}s"
    if base is None:
        return text + f" {'':6}   {t.cpu:7.2f}s"
    wall, cpu = t / base
    text += f" {wall:5.2f}x   {t.cpu:7.2f}s {cpu:5.2f}x"
    if target is not None:
        text += f"   target <= {target:.2f}x: " + ("ok" if wall <= target else "MISSED")
    return text


REPLAY_ROWS = (
    ("plain", "plain fences", False),
    ("pasted", "plain fences + pasted output", False),
    ("replay", "kubecapture replay", True),
    ("auto", "kubecapture auto, all valid", True),
    ("history", "kubecapture replay, 3 entries per snippet", True),
    ("history-cold", "  the same, cache off (a first build)", False),
)


def _spread(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):5.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def report_replay(r: dict[str, Compared], title: str, target: float, memory: float) -> bool:
    """Wall and memory of each variant; ratios are medians of the per-round ratios to the
    plain build of the same round, with their range. Targets: the wall ratio of every
    kubecapture variant, and the memory ratio of the history variant."""
    print(f"\n{title}")
    print(
        f"  {'mkdocs build,':42} {'wall':>6} {'ratio (min-max)':>19} {'cpu':>6}"
        f" {'peak':>7} {'ratio (min-max)':>19}"
    )
    ok = True
    for name, label, targeted in REPLAY_ROWS:
        if name not in r:
            continue
        c, m = r[name], r[name].median
        text = f"  {label:42} {m.wall:5.2f}s"
        if name == "plain":
            print(text + f" {'':19} {'':6} {m.rss:5.0f}MB")
            continue
        cpu = statistics.median(c.cpu_ratios)
        text += (
            f" {_spread(c.wall_ratios):>19} {cpu:5.2f}x {m.rss:5.0f}MB {_spread(c.rss_ratios):>19}"
        )
        if targeted:
            wall = statistics.median(c.wall_ratios)
            good = wall <= target
            text += f"  time <= {target:.2f}x: {'ok' if good else 'MISSED'}"
            if name == "history":
                rss = statistics.median(c.rss_ratios)
                good &= rss <= memory
                text += f", memory <= {memory:.2f}x: {'ok' if rss <= memory else 'MISSED'}"
            ok &= good
        print(text)
    return ok


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT / "plugins"))
    from kubecapture.run.live import KUBECTL_GO_RUNTIME

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=30)
    p.add_argument("--snippets", type=int, default=5)
    p.add_argument("--replay-runs", type=int, default=11, help="timed runs of each small build")
    p.add_argument("--live-runs", type=int, default=5, help="timed runs of each live variant")
    p.add_argument("--big-pages", type=int, default=1000)
    p.add_argument("--big-runs", type=int, default=5)
    p.add_argument("--jobs", type=int, default=0, help="`refresh --jobs` (0: the default)")
    p.add_argument(
        "--parts",
        default="replay,big,live",
        help="comma-separated parts to run: replay (P x S), big (big-pages x S), live",
    )
    p.add_argument("--keep", type=Path, help="generate the sites here and keep them")
    args = p.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="kc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    print(f"whole-process medians after one warm-up each; sites in {work}")
    ok = True
    try:
        parts = set(args.parts.split(","))
        size = f"{args.pages} pages x {args.snippets} snippets"
        if "replay" in parts:
            r = bench_replay(work, args.pages, args.snippets, args.replay_runs, pasted=True)
            title = f"replay, {size}, {args.replay_runs} rounds (ratios to plain, same round):"
            ok &= report_replay(r, title, 1.10, 1.60)

        if "big" in parts and args.big_pages:
            big = f"{args.big_pages} pages x {args.snippets} snippets"
            r = bench_replay(work, args.big_pages, args.snippets, args.big_runs, pasted=False)
            title = f"replay, {big}, {args.big_runs} rounds (ratios to plain, same round):"
            ok &= report_replay(r, title, 1.20, 1.60)

        if "live" in parts:
            r = bench_live(work, args.pages, args.snippets, args.live_runs, args.jobs)
            print(f"\nlive, {size}: {r['commands']} kubectl runs against the stand-in API")
            print(f"  (medians of {args.live_runs})")
            print(HEADER)
            base = r["sequential"]
            print(row("kubectl one after another (sum of processes)", base))
            go = ", ".join(f"{k}={v}" for k, v in KUBECTL_GO_RUNTIME.items())
            label = "  the same with kubecapture's Go settings (1 run)"
            print(row(label, r["sequential_tuned"], base))
            label = f"  and {r['workers']} at a time, nothing else (floor)"
            print(row(label, r["floor"], base))
            ok &= r["refresh"].wall / base.wall <= 0.60
            print(row("kubecapture refresh (whole process)", r["refresh"], base, 0.60))
            label = "  of which the live runs (its summary line)"
            print(f"  {label:46} {r['phase']:7.2f}s {r['phase'] / base.wall:5.2f}x")
            print(f"  Go settings: {go}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'all targets met' if ok else 'some targets missed'}", end="")
    print(f" ({time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.2f} at end)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
