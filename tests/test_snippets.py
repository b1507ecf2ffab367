"""Fence parsing: commands, options, and errors that name the page and line."""

import pytest
from kubecapture.base.snippets import SnippetError, page_key, parse_page


def parse(md: str):
    return parse_page(md, "guide/page.md")


def test_commands_options_and_continuations():
    md = """# Title

```kubectl id="nodes" returncode="1" timeout="5" title="ノード"
kubectl get node

# a comment
kubectl get pods \\
  --namespace kube-system
```
"""
    (s,) = parse(md)
    assert s.line == 3
    assert s.options == {"id": "nodes", "returncode": 1, "timeout": 5.0, "title": "ノード"}
    assert [c.argv for c in s.commands] == [
        ("kubectl", "get", "node"),
        ("kubectl", "get", "pods", "--namespace", "kube-system"),
    ]
    assert s.commands[1].text == "kubectl get pods \\\n  --namespace kube-system"
    assert [c.line for c in s.commands] == [4, 7]


def test_fences_inside_a_longer_fence_are_examples_not_snippets():
    md = (
        "````markdown\n```kubectl\nkubectl get nope\n```\n````\n\n```kubectl\nkubectl get ns\n```\n"
    )
    (s,) = parse(md)
    assert s.commands[0].argv == ("kubectl", "get", "ns")


def test_indented_fence_in_admonition_is_found():
    md = '!!! note\n\n    ```kubectl id="x"\n    kubectl get ns\n    ```\n'
    (s,) = parse(md)
    assert s.id == "x" and s.commands[0].argv == ("kubectl", "get", "ns")


@pytest.mark.parametrize(
    ("fence", "line", "fragment"),
    [
        ('```kubectl colour="red"\nkubectl get ns\n```', 1, 'unknown option "colour"'),
        ('```kubectl returncode="x"\nkubectl get ns\n```', 1, "exit code from 0 to 255"),
        ('```kubectl timeout="-1"\nkubectl get ns\n```', 1, "seconds above 0"),
        ('```kubectl settle="maybe"\nkubectl get ns\n```', 1, '"on" or "off"'),
        ("```kubectl\nkubectl get ns\nls -la\n```", 3, "must start with kubectl"),
        ("```kubectl\n```", 1, "has no command"),
        ("```kubectl\nkubectl get 'ns\n```", 2, "cannot split command"),
        ("```kubectl\nkubectl get ns \\\n```", 2, "ends with '\\'"),
        (
            '```kubectl id="a"\nkubectl get ns\n```\n```kubectl id="a"\nkubectl get no\n```',
            4,
            'id "a" is used twice',
        ),
    ],
)
def test_bad_input_is_one_sentence_with_page_and_line(fence, line, fragment):
    with pytest.raises(SnippetError) as info:
        parse("\n" * 9 + fence)
    assert str(info.value).startswith(f"guide/page.md:{line + 9}: ")
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def test_keys_change_with_commands_and_run_options_not_display_options():
    base = parse('```kubectl id="a"\nkubectl get ns\n```')[0]
    retitled = parse('```kubectl id="b" title="T" fold="3"\nkubectl get ns\n```')[0]
    rerun = parse('```kubectl returncode="1"\nkubectl get ns\n```')[0]
    other = parse("```kubectl\nkubectl get node\n```")[0]
    assert base.key == retitled.key
    assert len({base.key, rerun.key, other.key}) == 3
    assert page_key([base, other]) != page_key([other, base])
    assert page_key([base]) != page_key([base], {"sandbox": True})
