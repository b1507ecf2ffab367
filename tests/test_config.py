"""One configuration: the plugin, the CLI and the Zensical path read the same options, with
the same defaults, from the plugin's entry in mkdocs.yml as MkDocs reads it (`!ENV` too)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from kubecapture.base import config
from kubecapture.captures import store
from kubecapture.run import planning

CONFIG = """site_name: one config
docs_dir: docs
theme:
  name: material
  language: ja
plugins:
  - kubecapture:
      captures_dir: !ENV [KC_TEST_CAPTURES, snippets/captures]
      fold: !ENV [KC_TEST_FOLD, 40]
markdown_extensions:
  - kubecapture.fence
  - pymdownx.superfences:
      custom_fences:
        - name: kubectl
          class: kubectl
          validator: !!python/name:kubecapture.fence.validator
          format: !!python/name:kubecapture.fence.formatter
"""
PAGE = '# Page\n\n```kubectl id="nodes"\nkubectl get node\n```\n'
OUTPUT = "".join(f"line {i}\n" for i in range(20))


@pytest.fixture
def site(tmp_path) -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text(PAGE)
    (tmp_path / "mkdocs.yml").write_text(CONFIG)
    settings = planning.Settings(captures_dir=tmp_path / "elsewhere", workdir=tmp_path)
    plan = planning.plan_page("index.md", PAGE, settings)
    result = store.CommandResult("kubectl get node", 0, OUTPUT)
    provenance = store.Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-29T00:00:00Z")
    capture = store.SnippetCapture(plan.snippets[0].key, [result], provenance, "nodes")
    store.save(plan.capture_file, store.PageCapture("index.md", plan.key, [capture]))
    return tmp_path


def run(site: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", KUBECONFIG="/nonexistent", **env)
    env["KUBECAPTURE_MODE"] = "replay"
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def built_page(site: Path) -> str:
    return (site / "site" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("builder", ["mkdocs", "zensical"])
def test_an_env_option_reaches_plugin_cli_and_zensical_alike(site, builder):
    if builder == "zensical":
        pytest.importorskip("zensical")  # `make test-lowest` runs Zensical's tests apart
    env = {"KC_TEST_CAPTURES": "elsewhere", "KC_TEST_FOLD": "5"}
    build = [builder, "build", "-f", str(site / "mkdocs.yml")]
    build += ["--clean"] if builder == "zensical" else []  # it re-renders changed pages only
    done = run(site, env, *build)
    assert done.returncode == 0, done.stdout + done.stderr
    html = built_page(site)
    assert "line 19" in html, html  # the capture in `elsewhere`
    assert "kubecapture kc-missing" not in html
    assert "--kc-fold-lines:5" in html  # fold from the environment

    status = run(site, env, "kubecapture.tools.cli", "status")
    assert status.returncode == 0 and "fresh" in status.stdout, status.stdout + status.stderr

    # Without the variables: the defaults (snippets/captures holds nothing; fold 40).
    default = run(site, {}, *build)
    assert default.returncode == 0
    assert "kubecapture kc-missing" in built_page(site)
    assert "missing" in run(site, {}, "kubecapture.tools.cli", "status").stdout


def test_defaults_come_from_the_plugin_schema():
    defaults = config.defaults()
    assert defaults["fold"] == 40 and defaults["captures_dir"] == "snippets/captures"
    assert defaults["keep_versions"] == 5
    with pytest.raises(config.OptionsError, match="kubecapture option fold"):
        config.validated({"fold": "many"}, "mkdocs.yml")


def test_every_default_is_the_schema_default():
    """Settings, the fence and render take their defaults from the plugin's schema: a
    Settings field with a default of its own would part from the option's."""
    import dataclasses

    from kubecapture.site import fence, render

    fields = {f.name: f for f in dataclasses.fields(planning.Settings)}
    built = planning.Settings(captures_dir=Path("c"), workdir=Path("."))
    compared = 0
    for name in fields.keys() & config.OPTION_NAMES - {"captures_dir", "cache_dir"}:
        expected = config.default(name)
        value = getattr(built, name)
        assert (list(value) if isinstance(value, tuple) else value) == expected, name
        compared += 1
    assert compared == 13
    # cache_dir is derived from two options and the site's folder (None: no cache).
    assert fields["cache_dir"].default is None
    fold = config.default("fold")
    assert render.View([], None).fold == fold
    assert fence.PageContext("p.md", [], None, "").fold == fold


def test_a_default_is_stated_in_the_schema_only():
    """Change the schema's default and nothing else: Settings, the fence and render all
    follow (they have no copy of their own that would keep the old value)."""
    code = """
from pathlib import Path
from kubecapture.base import config
schema = dict(config.KubeCaptureConfig._schema)
schema["fold"].default, schema["keep_versions"].default = 41, 7
schema["allow_contexts"].default = ["only-this"]
from kubecapture.site import fence, render
from kubecapture.run import planning
s = planning.Settings(Path("c"), Path("."))
print(s.keep_versions, s.allow_contexts, render.View([], None).fold,
      fence.PageContext("p.md", [], None, "").fold)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["7", "('only-this',)", "41", "41"]


def test_context_notes_match_a_context_exactly_or_by_pattern():
    from kubecapture.run import cluster

    notes = {"kubecapture-*": "simulated node", "kubecapture-v1.36": "the v1.36 one"}
    assert cluster.context_note("kubecapture-v1.36", notes) == "the v1.36 one"
    assert cluster.context_note("kubecapture-v1.37", notes) == "simulated node"
    assert cluster.context_note("minikube", notes) == ""
    assert cluster.context_note("kubecapture-[x]", {"kubecapture-[x]": "literal"}) == "literal"
