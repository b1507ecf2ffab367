"""Third adversarial review: the classes the corpus (tests/adversarial/hostile.yaml) cannot
express as one page, shown on the functions that do the work or on a whole build. Each
hostile case has a benign twin that still works.
"""

from __future__ import annotations

import base64
import logging
import os
import sys
import time
from pathlib import Path

import pytest
import test_adversarial_args as corpus
from kubecapture.base import log
from kubecapture.base.snippets import SnippetError
from kubecapture.run import live, planning, runner, secrets
from kubecapture.trust import files, pageoptions, redact
from test_adversarial_args import BENIGN, capture

world = corpus.world  # the corpus's world: stand-in, logging kubectl, victims, marker

ESCAPES = "\x1b]52;c;cm0gLXJmIH4K\x07\x1b[2J\x9b31m"  # clipboard write, screen clear, C1 CSI


# --- unbounded work: every input has a bound in time and memory ---------------------------


def test_begin_lines_without_end_are_masked_in_linear_time():
    """30,000 BEGIN lines with no END took minutes with the lazy pattern (quadratic)."""
    text = "-----BEGIN RSA PRIVATE KEY-----\n" * 30_000
    start = time.monotonic()
    masked = redact.mask_patterns(text)
    assert time.monotonic() - start < 5
    assert masked.count(redact.MASK) == 30_000
    # the benign twin: one key block, BEGIN to END, is one mask between its two lines
    key = "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nb"
    assert redact.mask_patterns(key) == (
        f"a\n-----BEGIN RSA PRIVATE KEY-----\n{redact.MASK}\n-----END RSA PRIVATE KEY-----\nb"
    )


def _alias_bomb(levels: int = 9) -> str:
    lines = ['a0: &a0 [{kind: Secret, data: {k: "c2VjcmV0LXZhbHVl"}}]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\nkind: Secret\ndata:\n  k: c2VjcmV0LXZhbHVl\n"


def test_an_alias_bomb_holding_a_secret_is_masked_without_walking_it():
    """10^9 nodes by alias: redaction reads the parser's events once, and masks the
    Secret's data by its lines (kubectl never prints anchors)."""
    start = time.monotonic()
    masked = redact.Redactor()(_alias_bomb())
    assert time.monotonic() - start < 5
    assert "c2VjcmV0LXZhbHVl" not in masked.split("kind: Secret\n", 1)[1]
    # the benign twin: a Secret printed as kubectl prints it is masked as before
    plain = "apiVersion: v1\nkind: Secret\ndata:\n  k: c2VjcmV0LXZhbHVl\n"
    assert redact.Redactor()(plain) == f"apiVersion: v1\nkind: Secret\ndata:\n  k: {redact.MASK}\n"


def test_json_nested_past_the_stack_is_masked_not_a_traceback():
    text = '{"kind":"Secret","data":{"k":"dmFsdWU="},"x":' + "[" * 100_000 + "]" * 100_000 + "}"
    assert "dmFsdWU=" not in redact.Redactor()(text)


def test_front_matter_nested_deep_is_one_sentence_naming_the_page():
    page = "---\nx: " + "[" * 3000 + "]" * 3000 + "\n---\n\n# P\n\n" + BENIGN
    with pytest.raises(SnippetError) as e:
        pageoptions.read(page, "deep.md")
    assert str(e.value).startswith("deep.md:2: front matter: the front matter nests deeper")
    # the twin: ordinary nesting elsewhere in the front matter is fine
    assert pageoptions.read("---\nextra: {a: [1, {b: 2}]}\n---\n", "ok.md").sandbox is False


def test_a_command_that_prints_without_end_is_killed_at_the_memory_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "MAX_OUTPUT_BYTES", 1 << 20)
    flood = [sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('x' * 65536)"]
    start = time.monotonic()
    with pytest.raises(runner.OutputTooLarge) as e:
        runner.run(flood, env=dict(os.environ), cwd=tmp_path, timeout=30)
    assert time.monotonic() - start < 10
    assert str(e.value) == "printed more than 1 MiB and was killed"
    # the twin: output below the bound comes back whole
    done = runner.run(
        [sys.executable, "-c", "print('y' * 500_000)"],
        env=dict(os.environ),
        cwd=tmp_path,
        timeout=30,
    )
    assert done.stdout == "y" * 500_000 + "\n"


def test_a_page_stops_at_its_time_bound_and_the_others_go_on(world, monkeypatch):
    """`--watch` with timeout="3600" held the build an hour; a hundred commands that wait
    almost their timeout and exit as expected, a hundred hours. A page's run is bounded
    as a whole."""
    monkeypatch.setattr(live, "PAGE_SECONDS", 3)
    monkeypatch.setattr(live.Session, "page_seconds", property(lambda self: live.PAGE_SECONDS))
    page = '# P\n\n```kubectl timeout="3600"\nkubectl get namespace --watch\n```\n'
    start = time.monotonic()
    outcome = capture(world, {"hostile.md": page, "benign.md": BENIGN})
    assert time.monotonic() - start < 30
    assert outcome.captured["hostile.md"] is None
    assert outcome.captured["benign.md"] is not None


# --- other namespaces' Secrets -------------------------------------------------------------


def test_a_secret_value_that_is_not_utf8_is_masked_as_a_template_prints_it():
    raw = b"\xffpass\xfeword-not-utf8"
    encoded = base64.b64encode(raw).decode()

    values = secrets._values_of([{"data": {"k": encoded}}])
    printed = raw.decode("utf-8", "replace")  # what the runner makes of kubectl's bytes
    assert redact.Redactor(values)(f"value: {printed}\n") == f"value: {redact.MASK}\n"
    assert encoded in values  # and its base64 form, as `-o yaml` prints it


# --- escape sequences in the build's log -------------------------------------------------------


def test_every_message_of_the_build_reaches_the_terminal_printable(caplog):
    """The drift summary's "after:" line holds a node's kubeletVersion, "before:" a
    capture file's context: both come from someone else."""
    with caplog.at_level(logging.INFO, logger=log.name):
        log.info("after: %s", f"v1.37.2{ESCAPES}")
        log.warning(f"before: ctx{ESCAPES}")
    shown = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(c in shown for c in "\x1b\x07\x9b"), shown
    assert "after: v1.37.2\\x1b]52;c;cm0gLXJmIH4K\\x07" in shown
    # the twin: Japanese text, newlines and tabs are left as they are
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=log.name):
        log.info("captured %s:\n\t%s", "ページ.md", "変化なし")
        log.info("%d%%", 3)  # a message whose arguments are formatted once, not twice
    assert caplog.records[0].getMessage() == "captured ページ.md:\n\t変化なし"
    assert caplog.records[1].getMessage() == "3%"


# --- folders the build writes ------------------------------------------------------------------


def _site(root: Path) -> planning.Settings:
    for d in (root / "docs", root / "snippets" / "captures"):
        d.mkdir(parents=True, exist_ok=True)
    return planning.Settings(
        captures_dir=root / "snippets" / "captures",
        workdir=root,
        cache_dir=root / ".cache" / "plugin" / "kubecapture",
    )


def test_a_cache_link_in_a_pull_request_stops_the_build_before_anything_is_written(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    settings = _site(tmp_path / "site")
    (tmp_path / "site" / ".cache").symlink_to(outside, target_is_directory=True)
    why = planning.links_out(settings, tmp_path / "site" / "docs")
    assert why and ".cache is a link to" in why and "folder the build writes" in why
    # the twin: a real .cache folder
    os.unlink(tmp_path / "site" / ".cache")
    (tmp_path / "site" / ".cache" / "plugin").mkdir(parents=True)
    assert planning.links_out(settings, tmp_path / "site" / "docs") is None


def test_a_site_link_is_refused_before_mkdocs_empties_where_it_leads(tmp_path):
    from sites import build, make_site, offline_env

    site = make_site(tmp_path / "site", {"index.md": "# P\n"})
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("keep\n")
    (site.parent / "site").symlink_to(precious, target_is_directory=True)
    built = build(site, offline_env(), mode="replay")
    assert built.returncode != 0 and "site is a link to" in built.log, built.log
    assert (precious / "keep.txt").read_text() == "keep\n"
    assert "Traceback" not in built.log


def test_links_to_folders_the_build_writes_are_found_inside_them_too(tmp_path):
    settings = _site(tmp_path / "site")
    outside = tmp_path / "outside"
    outside.mkdir()
    cache = settings.cache_dir
    cache.mkdir(parents=True)
    (cache / "entries").symlink_to(outside, target_is_directory=True)
    found = files.written_through_links(settings.workdir, (cache,))
    assert found and found[0] == cache / "entries"


def test_big_secret_values_cost_bounded_memory_and_are_still_masked_whole():
    """Pieces of a 1 MiB value cost ~200 MiB, and compiling it into the pattern took a
    minute; a page's namespace may hold many."""
    import tracemalloc

    values = {f"{i:04d}" + "v" * (1 << 20) for i in range(8)}
    start = time.monotonic()
    tracemalloc.start()
    masker = redact.Redactor(values)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 << 20, peak
    assert time.monotonic() - start < 10
    value = min(values)
    assert masker(f"x {value} y") == f"x {redact.MASK} y"
    # the twin: a short value printed in pieces is still found
    short = redact.Redactor({"hunter2-secret-word"})
    assert short("a hunter2-sec b") == f"a {redact.MASK} b"


def test_secrets_of_a_thousand_namespaces_are_listed_in_one_request(monkeypatch):
    """A folder of manifests naming a thousand namespaces made a thousand requests after
    every command of the page."""
    calls = []
    monkeypatch.setattr(secrets, "api_for", lambda cluster: None)
    monkeypatch.setattr(secrets, "list_items", lambda call, *args: calls.append(args) or [])
    secrets.secret_values(object(), {f"ns-{i}" for i in range(1000)})
    assert calls == [()]  # list_secret_for_all_namespaces
    # the twin: a page's few namespaces are listed one by one
    calls.clear()
    secrets.secret_values(object(), {"a", "b"})
    assert calls == [("a",), ("b",)]
