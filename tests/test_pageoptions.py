"""A page's front matter options are read in one place (pageoptions.py): the plugin's
planning and the `kubecapture.fence` extension on its own get the same options, and so
the same page key."""

from __future__ import annotations

import re

import markdown
import pytest
from kubecapture.base.snippets import SnippetError
from kubecapture.captures import store
from kubecapture.run import planning
from kubecapture.site import fence
from kubecapture.trust import pageoptions

PAGE = """---
title: Demo
kubecapture:
  sandbox: demo
---

# Demo

```kubectl id="cm"
kubectl create configmap demo --from-literal=a=b
```
"""


def _capture(tmp_path) -> planning.PagePlan:
    """The capture a live run of PAGE (as docs/demo.md) under the plugin writes."""
    settings = planning.Settings(captures_dir=tmp_path / "captures", workdir=tmp_path)
    plan = planning.plan_page("demo.md", PAGE, settings)
    result = store.CommandResult(plan.snippets[0].commands[0].text, 0, "configmap/demo made\n")
    provenance = store.Provenance("minikube", "v1.33.1", "v1.33.1", "2025-01-02T03:04:05Z")
    snippet = store.SnippetCapture(plan.snippets[0].key, [result], provenance, "cm")
    store.save(plan.capture_file, store.PageCapture("demo.md", plan.key, [snippet]))
    return plan


def test_a_named_sandbox_gets_the_plugins_page_key_from_the_extension(tmp_path):
    """Python-Markdown with the extension alone (the page's path unknown, its front
    matter kept): the page finds its capture by the plugin's page key, not stale."""
    plan = _capture(tmp_path)
    assert plan.namespace == "demo"
    fence.set_page(None)  # no plugin
    md = markdown.Markdown(
        extensions=["kubecapture.fence", "pymdownx.superfences"],
        extension_configs={
            "kubecapture.fence": {"captures_dir": str(tmp_path / "captures"), "assets": False},
            "pymdownx.superfences": {
                "custom_fences": [
                    {
                        "name": "kubectl",
                        "class": "kubectl",
                        "validator": fence.validator,
                        "format": fence.formatter,
                    }
                ]
            },
        },
    )
    html = md.convert(PAGE)
    context = md.kubecapture_page
    assert context.key == plan.key
    assert context.capture is not None and context.capture.page == "demo.md"
    assert not context.stale
    assert "kc-captured" in html and "configmap/demo made" in html


def test_the_page_key_covers_a_chosen_namespace_only():
    """`sandbox: true` names the namespace after the page: the same key whatever that
    name; a chosen name changes the outputs, so the key."""
    on = pageoptions.read("---\nkubecapture: {sandbox: true}\n---\n", "a.md")
    assert on.namespace("a.md") == "kc-a"
    assert on.key_options("a.md") == on.key_options("b.md") == {"sandbox": True}
    named = pageoptions.read("---\nkubecapture: {sandbox: demo}\n---\n", "a.md")
    assert named.key_options("a.md") == {"sandbox": True, "namespace": "demo"}
    assert pageoptions.read("# no front matter\n", "a.md", sandbox=True).sandbox is True
    assert pageoptions.read("# no front matter\n", "a.md").namespace("a.md") is None


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("sandbox: Demo", 'p.md:3: front matter kubecapture.sandbox "Demo" is not a usable'),
        ("sandbox: null", "p.md:3: front matter kubecapture.sandbox must be true or false"),
        ("allow_destructive: 1", "p.md:3: front matter kubecapture.allow_destructive must be"),
        ("sandbx: true", "p.md:3: unknown front matter option kubecapture.sandbx (known: "),
    ],
)
def test_a_bad_option_names_its_line(front, message):
    text = f"---\ntitle: x\nkubecapture: {{{front}}}\n---\n"
    with pytest.raises(SnippetError) as info:
        pageoptions.read(text, "p.md")
    assert str(info.value).startswith(message), str(info.value)


@pytest.mark.parametrize("key", ["1", "true", "null"])
def test_a_key_yaml_reads_as_no_string_is_one_sentence(key):
    """`kubecapture: {1: x}`: YAML reads the key as a number (or true, None, a list): one
    sentence naming page and line, not a traceback."""
    markdown = f"---\nkubecapture:\n  {key}: x\n---\n# P\n"
    with pytest.raises(SnippetError) as e:
        pageoptions.read(markdown, "p.md")
    assert re.match(r"p\.md:[23]: unknown front matter option kubecapture\.", str(e.value))
