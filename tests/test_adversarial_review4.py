"""Fourth adversarial review: what the corpus (tests/adversarial/hostile.yaml) cannot show
as one page, on the functions that do the work or on a whole build. Each hostile case
has a benign twin that still works.
"""

from __future__ import annotations

import time

import pytest
from kubecapture.base.snippets import SnippetError
from kubecapture.drift import links
from kubecapture.run import planning
from kubecapture.trust import redact

# --- unbounded work: hostile text is read in time linear in its length --------------------


def _linear(work, make, small: int = 20_000, bound: float = 2.0) -> None:
    """`work(make(n))` for n and 10n: a quadratic pattern takes 100 times as long (hours
    for the 4 MiB an output may hold); a linear one stays within the bound."""
    start = time.monotonic()
    work(make(small * 10))
    assert time.monotonic() - start < bound


@pytest.mark.parametrize(
    "make",
    [
        # a line of blanks in a Secret's data block: `[ \t]+[^:\n]+?` tried every split
        lambda n: "kind: Secret\ndata:\n" + "\t" * n + "x\n",
        # escaped quotes on a line that holds a Secret: every quote was a string's start
        lambda n: 'x \\"kind\\":\\"Secret\\" ' + '\\"' * n + "\n",
        # `{` that start no JSON object: each failure counted the lines before it
        lambda n: '"kind":"Secret" {"a":"' + "{" * n + "\n",
    ],
    ids=["blanks-in-data", "escaped-quotes", "braces"],
)
def test_an_output_built_against_the_redaction_patterns_is_masked_in_linear_time(make):
    _linear(redact.Redactor(["c2VjcmV0LXZhbHVl"]), make)


def test_a_secret_is_masked_as_before_by_the_linear_patterns():
    """The twins: kubectl's own YAML, JSON and last-applied lines are masked as before."""
    masked = redact.Redactor()
    yaml_out = "apiVersion: v1\nkind: Secret\ndata:\n  k: c2VjcmV0LXZhbHVl\n"
    assert masked(yaml_out) == f"apiVersion: v1\nkind: Secret\ndata:\n  k: {redact.MASK}\n"
    line = '{"apiVersion":"v1","data":{"k":"c2VjcmV0LXZhbHVl"},"kind":"Secret"}\n'
    assert masked(line) == f'{{"apiVersion":"v1","data":{{"k":"{redact.MASK}"}},"kind":"Secret"}}\n'
    escaped = '"a": "{\\"data\\":{\\"k\\":\\"c2VjcmV0LXZhbHVl\\"},\\"kind\\":\\"Secret\\"}"\n'
    assert "c2VjcmV0LXZhbHVl" not in masked(escaped)
    # past the bound of tries, the rest of a line holding a Secret is masked, not kept
    braces = '"kind":"Secret" ' + "{" * (redact.MAX_JSON_TRIES + 2) + " c2VjcmV0LXZhbHVl"
    assert "c2VjcmV0LXZhbHVl" not in masked(braces)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "```a\n" * (n // 5),  # fences that never close
        lambda n: "# a" + " " * n + "b\n",  # a heading of blanks
        lambda n: "---\ntitle: a" + " " * n + "b\n---\n",  # a title of blanks
    ],
    ids=["unclosed-fences", "heading", "title"],
)
def test_a_page_built_against_the_title_patterns_is_read_in_linear_time(make):
    """The change page names each page by its title, read from the page's text."""
    _linear(links._title, make)


def test_titles_read_as_before():
    assert links._title("---\ntitle: 'Hello'\n---\n# X\n") == "Hello"
    assert links._title("```\n# not a title\n```\n# Title ##\n") == "Title"
    assert links._title("~~~\n# no\n~~~  \n#\tA `b` c\n") == "A b c"
    assert links._title("```open\n# Inside an unclosed fence\n") == "Inside an unclosed fence"
    # front matter ended by `...` is front matter, as MkDocs reads it (the title is its own)
    assert links._title("---\ntitle: Hello\n...\n# X\n") == "Hello"


# --- loops of links: one sentence, never a traceback -------------------------------------


@pytest.mark.parametrize("where", ["snippets/loop", "docs/loop", ".cache"])
def test_a_loop_of_links_stops_the_build_with_one_sentence(tmp_path, where):
    """pathlib raises RuntimeError for `a -> a`: the build stopped with a traceback."""
    for folder in ("docs", "snippets"):
        (tmp_path / folder).mkdir()
    link = tmp_path / where
    link.symlink_to(link.name)
    settings = planning.Settings(
        captures_dir=tmp_path / "snippets" / "captures",
        workdir=tmp_path,
        cache_dir=tmp_path / ".cache" / "plugin" / "kubecapture",
    )
    why = planning.links_out(settings, tmp_path / "docs")
    assert why and f"{link} is a link to {link.name} (a loop of links)" in why
    # the twin: a link that stays in the notes is fine
    link.unlink()
    if where != ".cache":
        link.symlink_to(tmp_path / "snippets")
        assert planning.links_out(settings, tmp_path / "docs") is None


def test_a_manifest_behind_a_loop_of_links_is_refused_in_one_sentence(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "snippets" / "manifests").mkdir(parents=True)
    (tmp_path / "snippets" / "manifests" / "m.yaml").symlink_to("m.yaml")
    settings = planning.Settings(captures_dir=tmp_path / "snippets" / "captures", workdir=tmp_path)
    page = "---\nkubecapture: {sandbox: true}\n---\n\n# P\n\n```kubectl\n{}\n```\n"
    with pytest.raises(SnippetError, match="leads to a loop of links"):
        planning.plan_page(
            "p.md", page.replace("{}", "kubectl apply -f snippets/manifests/m.yaml"), settings
        )


# --- manifests kubectl reads and a YAML parser does not -----------------------------------


def test_a_utf16_manifest_is_refused(tmp_path):
    """A YAML parser of UTF-8 text cannot read it; kubectl's decoder may (a byte-order
    mark says UTF-16): the guard would decide on nothing while kubectl acts."""
    (tmp_path / "docs").mkdir()
    manifests = tmp_path / "snippets" / "manifests"
    manifests.mkdir(parents=True)
    text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: victim, labels: {evil: x}}\n"
    (manifests / "u.yaml").write_bytes(text.encode("utf-16"))
    settings = planning.Settings(captures_dir=tmp_path / "snippets" / "captures", workdir=tmp_path)
    page = "---\nkubecapture: {sandbox: true}\n---\n\n# P\n\n```kubectl\n{}\n```\n"
    with pytest.raises(SnippetError, match="cannot read snippets/manifests/u.yaml as UTF-8"):
        planning.plan_page(
            "p.md", page.replace("{}", "kubectl label -f snippets/manifests/u.yaml a=b"), settings
        )
    # the twins: the same manifest in UTF-8 is read (and refused for what it holds); a
    # file that is not there is kubectl's to report
    (manifests / "u.yaml").write_text(text)
    with pytest.raises(SnippetError, match="Namespace, which is cluster-wide"):
        planning.plan_page(
            "p.md", page.replace("{}", "kubectl label -f snippets/manifests/u.yaml a=b"), settings
        )
    missing = page.replace("{}", "kubectl get -f snippets/manifests/missing.yaml")
    assert planning.plan_page("p.md", missing, settings)


# --- the front matter MkDocs reads is the one whose permissions count --------------------


def test_a_front_matter_ended_by_dots_is_read_as_mkdocs_reads_it():
    """MkDocs ends a front matter at `...` as well as `---`: the diff showed
    `sandbox: true`, and the page ran without a sandbox (reading `default`'s Secrets)."""
    from kubecapture.trust import pageoptions
    from mkdocs.utils.meta import get_data

    page = "---\ntitle: x\nkubecapture: {sandbox: true}\n...\n\n# P\n"
    assert get_data(page)[1]["kubecapture"] == {"sandbox": True}
    assert pageoptions.read(page, "p.md").sandbox is True
    # the twin: what follows `...` is the page, not options, for MkDocs and here alike
    after = "---\ntitle: x\n...\nkubecapture: {allow_destructive: true}\n---\n\n# P\n"
    assert "kubecapture" not in get_data(after)[1]
    assert pageoptions.read(after, "p.md").allow_destructive is False


# --- terminal escapes: MkDocs' own lines quote a stranger's text too ----------------------


def test_mkdocs_own_log_lines_reach_the_terminal_printable(tmp_path):
    """A page named with OSC 52 (a clipboard write) and left out of the nav: MkDocs names
    it in its own notice, which the plugin's filter on its own logger never saw."""
    import yaml
    from sites import build, make_site, offline_env

    name = "e\x1b]52;c;cm0gLXJmIH4K\x07\x9b31m.md"
    site = make_site(tmp_path / "site", {"index.md": "# Home\n", name: "# E\n"})
    config = yaml.safe_load(site.read_text())
    config["nav"] = ["index.md"]
    site.write_text(yaml.safe_dump(config))
    built = build(site, offline_env(), mode="replay")
    assert "not included in the" in built.log, built.log
    assert "\x1b" not in built.log and "\x07" not in built.log and "\x9b" not in built.log
    # the twin: the notice still names the page, escaped
    assert "e\\x1b]52;c;cm0gLXJmIH4K\\x07\\x9b31m.md" in built.log
