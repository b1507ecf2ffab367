"""Console transcripts (`transcripts: true`): parse, render before and after a capture,
and a live re-run against the API stand-in with real kubectl."""

from __future__ import annotations

import re
import textwrap

import markdown
import pytest
from kubecapture.base.snippets import (
    SnippetError,
    page_key,
    parse_page,
    parse_transcript,
    transcript_parts,
)
from kubecapture.base.strings import strings
from kubecapture.captures import store
from kubecapture.site import console, fence
from sites import build, make_site, offline_env, page_html


def body(text: str) -> list[str]:
    return textwrap.dedent(text).strip("\n").split("\n")


MIXED = body(
    """
    $ minikube start
    😄  minikube v1.22.0 on Debian 12
    $ kubectl get node

    NAME       STATUS   ROLES                  AGE   VERSION
    minikube   Ready    control-plane,master   3d    v1.21.2

    $ kubectl get pods \\
    >   --namespace kube-system
    No resources found in kube-system namespace.
    $ kubectl config current-context
    """
)


# --- parse --------------------------------------------------------------------------


def test_transcript_reruns_kubectl_lines_with_pasted_outputs_as_baseline():
    snippet = parse_transcript(MIXED, 'title="起動"', "notes.md", 10)
    assert snippet is not None
    assert [c.text for c in snippet.commands] == [
        "kubectl get node",
        "kubectl get pods \\\n  --namespace kube-system",  # the `> ` prompt is not typed
        "kubectl config current-context",
    ]
    assert snippet.commands[1].argv == ("kubectl", "get", "pods", "--namespace", "kube-system")
    assert [c.line for c in snippet.commands] == [13, 18, 21]  # page lines (fence at 10)
    assert snippet.pasted == (
        "NAME       STATUS   ROLES                  AGE   VERSION\n"
        "minikube   Ready    control-plane,master   3d    v1.21.2\n",
        "No resources found in kube-system namespace.\n",
        "",
    )
    assert snippet.options == {"title": "起動"}


def test_parts_keep_other_commands_and_text_as_written():
    parts = transcript_parts(["# from the course, day 1", *MIXED], 1, "p.md")
    assert [(p.prompt, p.command is not None) for p in parts] == [
        (None, False),
        ("minikube start", False),
        ("kubectl get node", True),
        ("kubectl get pods \\\n  --namespace kube-system", True),
        ("kubectl config current-context", True),
    ]
    assert parts[0].output == "# from the course, day 1"
    assert parts[1].output == "😄  minikube v1.22.0 on Debian 12"


@pytest.mark.parametrize(
    "line",
    [
        "kubectl get pods | grep nginx",
        "kubectl get secret s -o jsonpath='{.data.p}' > p.txt",
        "kubectl get pods && kubectl get svc",
        "kubectl get pods -n $NS",
        "kubectl delete pod `cat name`",
        "kubectl get pods -w",
        "kubectl get pods --watch",
        "kubectl logs -f nginx",
        "kubectl exec -it nginx -- sh",
        "kubectl run tmp --rm -i --tty --image=busybox -- sh",
        "kubectl edit deployment web",
        "kubectl port-forward svc/web 8080:80",
        "kubectl get pods 'unterminated",
        "kubectl get pods \\",  # continuation with no next line
    ],
)
def test_lines_that_cannot_run_as_plain_argv_stay_as_written(line):
    after = [] if line.endswith("\\") else ["some output"]  # else the next line continues it
    assert parse_transcript([f"$ {line}", *after], "", "p.md", 1) is None


def test_commands_that_end_on_their_own_do_run():
    lines = [
        "$ kubectl apply -f manifests/pod.yaml",
        "pod/nginx created",
        "$ kubectl exec nginx -- nginx -v",
        "nginx version: nginx/1.27.0",
        "$ kubectl logs nginx --tail=1",
    ]
    snippet = parse_transcript(lines, "", "p.md", 1)
    assert [c.argv[1] for c in snippet.commands] == ["apply", "exec", "logs"]


def test_opt_out_and_blocks_without_kubectl():
    assert parse_transcript(["$ kubectl get pods"], 'kubecapture="off"', "p.md", 1) is None
    assert parse_transcript(["$ kubectl get pods"], "kubecapture=off", "p.md", 1) is None
    assert parse_transcript(["$ minikube start", "done"], "", "p.md", 1) is None
    assert parse_transcript(["just text"], "", "p.md", 1) is None
    assert parse_transcript(["$ kubectl get pods"], 'kubecapture="on"', "p.md", 1) is not None


def test_bad_options_name_page_and_line():
    with pytest.raises(SnippetError, match=r'^p\.md:7: option kubecapture="maybe"'):
        parse_transcript(["$ kubectl get pods"], 'kubecapture="maybe"', "p.md", 7)
    with pytest.raises(SnippetError, match=r'^p\.md:7: unknown option "color"'):
        parse_transcript(["$ kubectl get pods"], 'color="red"', "p.md", 7)
    with pytest.raises(SnippetError, match=r"^p\.md:7: option returncode"):
        parse_transcript(["$ kubectl get pods"], 'returncode="x"', "p.md", 7)


def test_highlight_options_of_a_plain_console_block_are_ignored():
    snippet = parse_transcript(
        ["$ kubectl get pods"], 'hl_lines="1" linenums="1" id="p"', "p.md", 1
    )
    assert snippet.options == {"id": "p"}


PAGE = textwrap.dedent(
    """\
    # ノート

    ```console
    $ kubectl get namespace
    NAME      STATUS   AGE
    default   Active   3d
    ```

    ```kubectl
    kubectl get namespace
    ```

    ```console kubecapture="off"
    $ kubectl get pods
    ```

    ```console
    $ minikube start
    ```
    """
)


def test_parse_page_counts_transcripts_only_when_the_option_is_on():
    assert len(parse_page(PAGE, "p.md")) == 1
    snippets = parse_page(PAGE, "p.md", transcripts=True)
    assert [s.line for s in snippets] == [3, 9]
    transcript, fence_snippet = snippets
    # Same commands, same run options: the same snippet key as a kubectl fence.
    assert transcript.key == fence_snippet.key
    assert transcript.pasted == ("NAME      STATUS   AGE\ndefault   Active   3d\n",)
    assert fence_snippet.pasted is None


# --- render (in-process Markdown, as the plugin renders a page) ----------------------


def md_with_fences() -> markdown.Markdown:
    fences = [
        {
            "name": "kubectl",
            "class": "kubectl",
            "validator": fence.validator,
            "format": fence.formatter,
        },
        {
            "name": "console",
            "class": "console",
            "validator": console.validator,
            "format": console.formatter,
        },
    ]
    return markdown.Markdown(
        extensions=["pymdownx.highlight", "pymdownx.superfences"],
        extension_configs={"pymdownx.superfences": {"custom_fences": fences}},
    )


PROV = store.Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T00:42:00Z", "test fixture")


def render_page(text: str, capture_outputs: dict[str, str] | None, transcripts=True) -> str:
    snippets = parse_page(text, "p.md", transcripts=transcripts)
    key = page_key(snippets, {"sandbox": False})
    capture = None
    if capture_outputs is not None:
        capture = store.PageCapture(
            "p.md",
            key,
            [
                store.SnippetCapture(
                    s.key,
                    [store.CommandResult(c.text, 0, capture_outputs[c.text]) for c in s.commands],
                    PROV,
                    s.id,
                )
                for s in snippets
            ],
        )
    fence.set_page(fence.PageContext("p.md", snippets, capture, key, lang="ja"))
    try:
        return md_with_fences().convert(text)
    finally:
        fence.set_page(None)


FRESH = "NAME              STATUS   AGE\nkube-system       Active   17m\n"


def blocks(html: str) -> list[str]:
    return re.findall(
        r'<div class="(?:kubecapture|kc-console)[^"]*".*?</code></pre></div>', html, re.S
    )


def test_without_capture_the_transcript_shows_as_pasted_and_marked():
    html = render_page(PAGE, None)
    first = blocks(html)[0]
    assert 'class="kubecapture kc-pasted kc-transcript"' in first
    assert "default   Active   3d" in first  # the pasted output, as written
    assert "kube-system" not in first  # nothing invented
    assert strings("ja")["pasted"] in html
    assert 'data-copy="kubectl get namespace"' in first


def test_with_capture_the_transcript_shows_fresh_output_with_provenance():
    html = render_page(PAGE, {"kubectl get namespace": FRESH})
    first = blocks(html)[0]
    assert 'class="kubecapture kc-captured kc-transcript kc-imported"' in first
    assert "kube-system       Active   17m" in first
    assert "default   Active   3d" not in html  # the pasted output is gone from the page
    assert "minikube · v1.24.0 · 2026-11-26 · test fixture" in html
    assert strings("ja")["pasted"] not in html


def test_mixed_transcript_keeps_other_commands_and_marks_them():
    text = "```console\n" + "\n".join(MIXED) + "\n```\n"
    outputs = {
        "kubectl get node": "NAME       STATUS   ROLES           AGE   VERSION\n",
        "kubectl get pods \\\n  --namespace kube-system": "",
        "kubectl config current-context": "minikube\n",
    }
    html = render_page(text, outputs)
    assert "😄  minikube v1.22.0 on Debian 12" in html  # kept as written ...
    assert 'class="go kc-as-written"' in html  # ... and marked so
    assert "control-plane,master" not in html  # the pasted kubectl output is replaced
    assert "ROLES           AGE" in html
    copy = re.search(r'data-copy="([^"]*)"', html)[1]
    assert copy == (
        "minikube start\nkubectl get node\nkubectl get pods \\\n"
        "  --namespace kube-system\nkubectl config current-context"
    )


def test_opted_out_and_plain_console_blocks_render_as_material_would():
    """Identical to superfences' own highlighting, inside a wrapper that only sets what
    the copy button copies."""
    text = (
        '```console kubecapture="off"\n$ kubectl get pods\nNAME  READY\n```\n\n'
        '```console title="起動"\n$ minikube start\ndone\n```\n'
    )
    html = render_page(text, None)
    plain = markdown.Markdown(extensions=["pymdownx.highlight", "pymdownx.superfences"]).convert(
        text.replace(' kubecapture="off"', "")
    )
    unwrapped = re.sub(
        r'<div class="kc-console" data-copy="[^"]*">(.*?</pre></div>)</div>',
        r"\1",
        html,
        flags=re.S,
    )
    assert unwrapped == plain
    assert re.findall(r'data-copy="([^"]*)"', html) == ["kubectl get pods", "minikube start"]
    assert "kubecapture" not in unwrapped


def test_console_blocks_are_plain_when_transcripts_are_off():
    html = render_page(PAGE, {"kubectl get namespace": FRESH}, transcripts=False)
    assert "default   Active   3d" in html  # the console block keeps its pasted text
    assert html.count('class="kubecapture ') == 1  # only the kubectl fence
    assert html.count('class="kc-console"') == 3


# --- builds -----------------------------------------------------------------------------


def test_replay_build_shows_pasted_until_captured(tmp_path):
    site = make_site(tmp_path / "site", {"index.md": PAGE}, transcripts=True)
    built = build(site, offline_env(), "--strict", mode="replay")
    assert built.returncode == 0, built.log
    html = page_html(site)
    assert "kubecapture kc-pasted kc-transcript" in html
    assert "default   Active   3d" in html
    assert "2 of 2 snippet(s) not captured yet" in built.log


def test_live_build_reruns_transcript_against_the_standin(tmp_path, standin, kube_env):
    site = make_site(tmp_path / "site", {"index.md": PAGE}, transcripts=True)
    live = build(site, kube_env, "--strict")
    assert live.returncode == 0, live.log
    capture = store.load(store.capture_path(site.parent / "captures", "index.md"))
    assert len(capture.snippets) == 2
    result = capture.snippets[0].results[0]
    assert result.command == "kubectl get namespace" and "kube-system" in result.stdout
    html = page_html(site)
    first = blocks(html)[0]
    assert "kc-captured kc-transcript" in first and "kube-system" in first
    assert "default   Active   3d" not in html
    # The pasted output stays in the page source as the drift baseline.
    pasted = parse_page(
        (site.parent / "docs" / "index.md").read_text(), "index.md", transcripts=True
    )[0].pasted
    assert pasted == ("NAME      STATUS   AGE\ndefault   Active   3d\n",)
