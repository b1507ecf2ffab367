"""The code stays `ruff` clean and formatted (rules in pyproject.toml): part of `make test`."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess:
    ruff = Path(sys.executable).parent / "ruff"
    return subprocess.run(
        [str(ruff), *args, "plugins", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


def test_ruff_is_clean():
    result = _ruff("check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_ruff_formatted():
    """`ruff format --check` with the ruff pinned in pyproject.toml would change nothing."""
    result = _ruff("format", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
