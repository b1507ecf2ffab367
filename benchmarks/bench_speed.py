"""Speed of kubecapture, as ratios measured side by side in one run.

Generates a P pages x S snippets site three ways and times whole processes
(`time.perf_counter` around each subprocess, medians over several runs):

- plain:   the same pages with plain ```console fences (commands only), no plugin;
- replay:  kubectl fences + kubecapture, every capture valid, KUBECAPTURE_MODE=replay;
- auto:    the same, default mode (reads each capture's header to plan, runs nothing);
- live:    `kubecapture refresh` of every page against the API stand-in in
           tests/standin (real kubectl from the venv), versus the same kubectl
           commands run one after another (the sequential sum).

Run from the repository root:  .venv/bin/python benchmarks/bench_speed.py
(`--help` for sizes and run counts). Needs nothing beyond the venv.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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
    "theme": {"name": "material", "language": "ja", "font": False},
    "markdown_extensions": ["admonition", "pymdownx.highlight", "pymdownx.superfences"],
}

PROSE = (
    "Kubernetes のノードとネームスペースを確かめます。The control plane answers every "
    "`kubectl` request through the API server; the output below is what it printed. "
    "これはベンチマーク用の文章で、実際のノートと同じくらいの長さにしてあります。"
)


# --- site generation ------------------------------------------------------------------


def page_text(n: int, snippets: int, plain: bool) -> str:
    parts = [f"# ページ {n:04d}\n", PROSE, ""]
    for i in range(snippets):
        command = COMMANDS[(n + i) % len(COMMANDS)]
        parts += [f"## 手順 {i + 1}\n", PROSE, ""]
        if plain:
            parts += ["```console", f"$ {command}", "```", ""]
        else:
            parts += [f'```kubectl id="s{i + 1}"', command, "```", ""]
    return "\n".join(parts)


def make_site(root: Path, pages: int, snippets: int, plain: bool) -> Path:
    shutil.rmtree(root, ignore_errors=True)
    docs = root / "docs"
    docs.mkdir(parents=True)
    config = dict(CONFIG)
    if not plain:
        config["plugins"] = ["search", {"kubecapture": {"captures_dir": "captures"}}]
    else:
        config["plugins"] = ["search"]
    config["nav"] = [f"p{n:04d}.md" for n in range(pages)]
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    for n in range(pages):
        (docs / f"p{n:04d}.md").write_text(page_text(n, snippets, plain), encoding="utf-8")
    return root / "mkdocs.yml"


def recorded_outputs() -> dict[str, str]:
    data = json.loads(RECORDINGS.read_text(encoding="utf-8"))
    return {c["command"]: c["stdout"] for c in data["commands"]}


def write_captures(config_file: Path) -> None:
    """Valid captures for every page, with real kubectl output from the recordings, written
    through the plugin's own store (the same files a live run writes)."""
    sys.path.insert(0, str(ROOT / "plugins"))
    from kubecapture import capture, store

    outputs = recorded_outputs()
    root = config_file.parent
    settings = capture.Settings(captures_dir=root / "captures", workdir=root)
    provenance = store.Provenance("minikube", "v1.24.0", "v1.37.1", "2025-01-01T00:00:00Z")
    for path in sorted((root / "docs").glob("*.md")):
        plan = capture.plan_page(path.name, path.read_text(encoding="utf-8"), settings)
        snippets = [
            store.SnippetCapture(
                s.key,
                [
                    store.CommandResult(c.text, 0, outputs.get(c.text, "NAME\nexample\n"))
                    for c in s.commands
                ],
                provenance,
                s.id,
            )
            for s in plan.snippets
        ]
        store.save(plan.capture_file, store.PageCapture(plan.page, plan.key, snippets))


# --- timing ---------------------------------------------------------------------------


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBECAPTURE_")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env["KUBECONFIG"] = "/nonexistent/kubeconfig"  # replay must never need a cluster
    return env


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        command = " ".join(argv)
        raise SystemExit(f"failed ({proc.returncode}): {command}\n{proc.stdout}{proc.stderr}")
    return seconds


def mkdocs_build(config_file: Path, env: dict[str, str]) -> list[str]:
    return [PYTHON, "-m", "mkdocs", "build", "-q", "-f", str(config_file)]


def side_by_side(variants: dict[str, tuple[list[str], dict, Path]], runs: int) -> dict:
    """One warm-up each, then `runs` rounds; each round times every variant once, so
    drift in the machine's load hits all of them alike."""
    for argv, env, cwd in variants.values():
        timed(argv, env, cwd)
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(runs):
        for name, (argv, env, cwd) in variants.items():
            times[name].append(timed(argv, env, cwd))
    return {name: statistics.median(t) for name, t in times.items()} | {"_all": times}


def bench_replay(work: Path, pages: int, snippets: int, runs: int) -> dict:
    plain = make_site(work / f"plain-{pages}", pages, snippets, plain=True)
    kc = make_site(work / f"kc-{pages}", pages, snippets, plain=False)
    write_captures(kc)
    env = base_env()
    replay_env = dict(env, KUBECAPTURE_MODE="replay")
    return side_by_side(
        {
            "plain": (mkdocs_build(plain, env), env, plain.parent),
            "replay": (mkdocs_build(kc, replay_env), replay_env, kc.parent),
            "auto": (mkdocs_build(kc, env), env, kc.parent),
        },
        runs,
    )


# --- live -----------------------------------------------------------------------------


def start_standin(work: Path):
    sys.path.insert(0, str(ROOT / "tests"))
    from standin import StandIn

    server = StandIn().start()
    kubeconfig = work / "kubeconfig"
    server.write_kubeconfig(kubeconfig, context="minikube")
    return server, kubeconfig


def site_commands(config_file: Path) -> list[list[str]]:
    sys.path.insert(0, str(ROOT / "plugins"))
    from kubecapture.snippets import parse_page

    argvs = []
    for path in sorted((config_file.parent / "docs").glob("*.md")):
        for s in parse_page(path.read_text(encoding="utf-8"), path.name):
            argvs += [[KUBECTL, *c.argv[1:]] for c in s.commands]
    return argvs


def sequential(argvs: list[list[str]], env: dict[str, str], cwd: Path) -> float:
    """The floor of a one-at-a-time run: each kubectl process timed whole, summed."""
    total = 0.0
    for argv in argvs:
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL)
        total += time.perf_counter() - start
    return total


def bench_live(work: Path, pages: int, snippets: int, runs: int, jobs: int) -> dict:
    kc = make_site(work / f"live-{pages}", pages, snippets, plain=False)
    server, kubeconfig = start_standin(work)
    try:
        env = dict(base_env(), KUBECONFIG=str(kubeconfig))
        argvs = site_commands(kc)
        refresh = [PYTHON, "-m", "kubecapture.cli", "-f", str(kc), "refresh"]
        if jobs:
            refresh += ["--jobs", str(jobs)]
        timed(refresh, env, kc.parent)  # warm-up: also writes the captures
        sequential(argvs[:10], env, kc.parent)
        seq, live = [], []
        for _ in range(runs):
            seq.append(sequential(argvs, env, kc.parent))
            live.append(timed(refresh, env, kc.parent))
        return {
            "commands": len(argvs),
            "sequential": statistics.median(seq),
            "refresh": statistics.median(live),
            "_all": {"sequential": seq, "refresh": live},
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


def row(name: str, seconds: float, ratio: float | None = None, target: float | None = None) -> str:
    text = f"  {name:44} {seconds:8.2f} s"
    if ratio is not None:
        verdict = "" if target is None else ("  ok" if ratio <= target else "  MISSED")
        text += f"   {ratio:5.2f}x" + (f" (target <= {target:.2f}x){verdict}" if target else "")
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=30)
    p.add_argument("--snippets", type=int, default=5)
    p.add_argument("--runs", type=int, default=5, help="timed runs per variant (median)")
    p.add_argument("--big-pages", type=int, default=1000, help="0 skips the big replay")
    p.add_argument("--big-runs", type=int, default=5)
    p.add_argument("--jobs", type=int, default=0, help="`refresh --jobs` (0: the default)")
    p.add_argument("--no-live", action="store_true", help="skip the live refresh")
    p.add_argument("--keep", type=Path, help="generate the sites here and keep them")
    args = p.parse_args(argv)

    work = args.keep or Path(tempfile.mkdtemp(prefix="kc-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    print(f"medians of {args.runs} whole-process runs (after one warm-up), sites in {work}")
    ok = True
    try:
        size = f"{args.pages} pages x {args.snippets} snippets"
        r = bench_replay(work, args.pages, args.snippets, args.runs)
        print(f"\nreplay, {size}:")
        print(row("mkdocs build, plain fences", r["plain"]))
        for name, label in (("replay", "KUBECAPTURE_MODE=replay"), ("auto", "auto (valid)")):
            ratio = r[name] / r["plain"]
            ok &= ratio <= 1.10
            print(row(f"mkdocs build, kubecapture {label}", r[name], ratio, 1.10))

        if args.big_pages:
            big = f"{args.big_pages} pages x {args.snippets} snippets"
            r = bench_replay(work, args.big_pages, args.snippets, args.big_runs)
            print(f"\nreplay, {big} (medians of {args.big_runs}):")
            print(row("mkdocs build, plain fences", r["plain"]))
            for name, label in (("replay", "KUBECAPTURE_MODE=replay"), ("auto", "auto (valid)")):
                ratio = r[name] / r["plain"]
                ok &= ratio <= 1.20
                print(row(f"mkdocs build, kubecapture {label}", r[name], ratio, 1.20))

        if not args.no_live:
            r = bench_live(work, args.pages, args.snippets, args.runs, args.jobs)
            print(f"\nlive, {size} ({r['commands']} kubectl runs, stand-in API):")
            print(row("kubectl one after another (sum)", r["sequential"]))
            ratio = r["refresh"] / r["sequential"]
            ok &= ratio <= 0.60
            print(row("kubecapture refresh (whole process)", r["refresh"], ratio, 0.60))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\nall targets met" if ok else "\nsome targets missed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
