"""Throwaway MkDocs sites for tests, built with the real `mkdocs` in a subprocess."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

BASE_CONFIG = {
    "site_name": "kubecapture test site",
    "docs_dir": "docs",
    "theme": {
        "name": "material",
        "language": "ja",
        "font": False,
        "features": ["content.code.copy"],
    },
    "markdown_extensions": ["admonition", "pymdownx.highlight", "pymdownx.superfences"],
}


@dataclass
class Built:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    def lines(self, level: str) -> list[str]:
        return [line for line in self.log.splitlines() if line.startswith(level)]


def make_site(root: Path, pages: dict[str, str], **plugin_options) -> Path:
    """A site under `root` with the given pages; returns its mkdocs.yml."""
    root.mkdir(parents=True, exist_ok=True)
    config = dict(BASE_CONFIG)
    config["plugins"] = [{"kubecapture": {"captures_dir": "captures", **plugin_options}}]
    (root / "mkdocs.yml").write_text(yaml.safe_dump(config, allow_unicode=True))
    for name, text in pages.items():
        path = root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "mkdocs.yml"


def build(config_file: Path, env: dict[str, str], *args: str, mode: str | None = None) -> Built:
    env = dict(env, NO_MKDOCS_2_WARNING="1")
    env.pop("KUBECAPTURE_MODE", None)
    if mode:
        env["KUBECAPTURE_MODE"] = mode
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(config_file), *args],
        cwd=config_file.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Built(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def kubecapture(config_file: Path, env: dict[str, str], *args: str) -> Built:
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "kubecapture.tools.cli", "-f", str(config_file), *args],
        cwd=config_file.parent,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Built(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)


def page_html(config_file: Path, page: str = "index.html") -> str:
    return (config_file.parent / "site" / page).read_text(encoding="utf-8")


def snippet_classes(html: str) -> list[str]:
    """The class attribute of each rendered kubecapture snippet of a page, in order."""
    return re.findall(r'<div class="(kubecapture [^"]*)"', html)


def offline_env() -> dict[str, str]:
    """An environment with no kubeconfig at all (a fresh machine without a cluster)."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["KUBECONFIG"] = "/nonexistent/kubeconfig"
    return env


def bench_search():
    """benchmarks/bench_search.py as a module: the browser tests search as it measures."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_search.py"
    spec = importlib.util.spec_from_file_location("bench_search", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_search"] = module
    spec.loader.exec_module(module)
    return module
