"""Fifth adversarial review: the surfaces around the build, `kubecapture share` (the zip)
and `kubecapture handout` (the PDF). Each hostile case has a benign twin that still works.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from kubecapture.tools import share

# --- share: the zip takes a folder's own files, never what a link in it leads to ----------


def _checkout(tmp_path: Path) -> Path:
    """A built site and an `examples` folder beside a file of the computer."""
    (tmp_path / "host-secret.txt").write_text("HOST-SECRET-5821\n")
    root = tmp_path / "notes"
    (root / "site").mkdir(parents=True)
    (root / "site" / "index.html").write_text("<html></html>")
    (root / "examples").mkdir()
    (root / "examples" / "pod.yaml").write_text("kind: Pod\n")
    return root


def _zipped(root: Path, extra: str = "examples") -> dict[str, bytes]:
    out = root / "site.zip"
    share.write_zip(root / "site", out, extra=[Path(extra)], base=root)
    with zipfile.ZipFile(out) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.parametrize("where", ["examples", "site"])
def test_a_link_in_a_zipped_folder_is_refused_not_followed(tmp_path, where):
    """A pull request adds examples/kubeconfig.yaml -> ~/.kube/config (`--with examples`
    is not a folder the build checks): the zip held the author's file."""
    root = _checkout(tmp_path)
    os.symlink(tmp_path / "host-secret.txt", root / where / "leak.yaml")
    with pytest.raises(share.ShareError) as refused:
        _zipped(root)
    assert "leak.yaml: a link (to " in refused.value.problems[0]
    assert not (root / "site.zip").exists()


def test_a_link_to_a_folder_in_a_zipped_folder_is_refused(tmp_path):
    root = _checkout(tmp_path)
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "id_rsa").write_text("HOST-SECRET-5821\n")
    os.symlink(tmp_path / "home", root / "examples" / "home")
    with pytest.raises(share.ShareError):
        _zipped(root)


def test_a_fifo_in_a_zipped_folder_is_refused_not_read(tmp_path):
    root = _checkout(tmp_path)
    os.mkfifo(root / "examples" / "pipe.yaml")  # reading it would wait for ever
    with pytest.raises(share.ShareError) as refused:
        _zipped(root)
    assert "not a regular file" in refused.value.problems[0]


def test_the_benign_twin_a_folder_of_files_is_zipped(tmp_path):
    root = _checkout(tmp_path)
    (root / "examples" / "deep").mkdir()
    (root / "examples" / "deep" / "svc.yaml").write_text("kind: Service\n")
    zipped = _zipped(root)
    assert {"site/index.html", "examples/pod.yaml", "examples/deep/svc.yaml"} <= set(zipped)
    assert not any(b"HOST-SECRET" in data for data in zipped.values())


def test_hidden_files_of_a_zipped_folder_are_left_out(tmp_path):
    """`--with docs`: the author's docs/.env (not committed) and a .git folder."""
    root = _checkout(tmp_path)
    (root / "examples" / ".env").write_text("TOKEN=HOST-SECRET-5821\n")
    (root / "examples" / ".git").mkdir()
    (root / "examples" / ".git" / "config").write_text("url = https://HOST-SECRET-5821@x\n")
    zipped = _zipped(root)
    assert "examples/pod.yaml" in zipped  # the twin
    assert not any(b"HOST-SECRET" in data for data in zipped.values())


@pytest.mark.parametrize("folder", [".", "./"])
def test_the_whole_checkout_is_not_a_with_folder(tmp_path, folder):
    """`--with .` zipped .git, the author's .env files, the last site.zip."""
    root = _checkout(tmp_path)
    assert share.extra_problems([Path(folder)], root)
    assert share.extra_problems([Path("examples")], root) == []  # the twin


def test_a_with_folder_that_is_a_link_is_refused(tmp_path):
    root = _checkout(tmp_path)
    (tmp_path / "home").mkdir()
    os.symlink(tmp_path / "home", root / "manifests")
    found = share.extra_problems([Path("manifests")], root)
    assert found and "manifests is a link" in found[0]


def test_share_as_a_module_refuses_a_link_in_one_line_with_its_controls_shown(tmp_path):
    """`python -m kubecapture.tools.share`: a ShareError was a traceback, and a link's
    target (a stranger's text) reached the terminal with its escape sequences."""
    root = _checkout(tmp_path)
    (root / "site" / "search").mkdir()
    (root / "site" / "search" / "search_index.js").write_text("")
    from kubecapture.site.offline import SHIM

    (root / "site" / SHIM).parent.mkdir(parents=True, exist_ok=True)
    (root / "site" / SHIM).write_text("")
    os.symlink("/nonexistent/\x1b]52;c;SGVsbG8=\x07", root / "examples" / "leak.yaml")
    done = subprocess.run(
        [sys.executable, "-m", "kubecapture.tools.share", "site", "o.zip", "--with", "examples"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "\x1b" not in done.stderr and "\\x1b]52" in done.stderr
    os.unlink(root / "examples" / "leak.yaml")  # the twin
    done = subprocess.run(
        [sys.executable, "-m", "kubecapture.tools.share", "site", "o.zip", "--with", "examples"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


# --- handout: Chromium loads only the site's files, and stops -----------------------------


def _needs_chromium():
    from conftest import CHROMIUM

    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    pytest.importorskip("playwright")
    pytest.importorskip("pypdf")


def _handout_page(tmp_path: Path, body: str) -> Path:
    site = tmp_path / "site"
    site.mkdir(parents=True)
    (site / "own.css").write_text("h1 { color: #123456 }")
    (site / "handout.html").write_text(
        '<!doctype html><html><head><title>t</title><link rel="stylesheet" href="own.css">'
        f"</head><body><h1>HANDOUT-TEXT</h1>{body}</body></html>"
    )
    return site


class _Listener:
    """A TCP and a UDP port of the loopback that count who came."""

    def __init__(self):
        import socket
        import threading

        self.tcp, self.udp, self.came = socket.socket(), socket.socket(type=socket.SOCK_DGRAM), []
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(20)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.5)
        self.port, self.udp_port = self.tcp.getsockname()[1], self.udp.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.came.append(self.tcp.accept()[0])
            except OSError:
                return

    def udp_came(self) -> bool:
        try:
            return bool(self.udp.recvfrom(100))
        except OSError:
            return False


@pytest.mark.browser
def test_a_page_script_of_the_handout_reaches_no_network(tmp_path):
    """The route sees http(s) requests only: a page's WebSocket (in the page, a worker or a
    srcdoc frame), a preconnect and WebRTC's STUN went out while printing."""
    _needs_chromium()
    from kubecapture.tools import handout

    there = _Listener()
    port, udp = there.port, there.udp_port
    body = (
        f'<link rel="preconnect" href="http://127.0.0.1:{port}/">'
        f"<script>new WebSocket('ws://127.0.0.1:{port}/page');"
        f"new Worker(URL.createObjectURL(new Blob([\"new WebSocket('ws://127.0.0.1:{port}/w')\""
        "])));"
        f"var pc = new RTCPeerConnection({{iceServers: [{{urls: 'stun:127.0.0.1:{udp}'}}]}});"
        "pc.createDataChannel('x'); pc.createOffer().then(o => pc.setLocalDescription(o));"
        "</script>"
        f"<iframe srcdoc=\"<script>new WebSocket('ws://127.0.0.1:{port}/f')</script>\"></iframe>"
    )
    site = _handout_page(tmp_path, body)
    handout._print(site, tmp_path / "out.pdf", "t")
    import time

    time.sleep(1)
    assert there.came == [] and not there.udp_came()
    assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF")  # the twin: printed


@pytest.mark.browser
def test_a_page_script_that_never_ends_stops_the_handout_in_one_line(tmp_path, monkeypatch):
    """A loop started after the page loaded held `kubecapture handout` for ever."""
    _needs_chromium()
    from kubecapture.tools import handout

    monkeypatch.setattr(handout, "PRINT_SECONDS", 20)
    site = _handout_page(
        tmp_path,
        "<script>addEventListener('load', () => setTimeout(() => { for (;;) {} }, 10))</script>",
    )
    with pytest.raises(handout.HandoutError, match="did not finish in 20 s"):
        handout._print(site, tmp_path / "out.pdf", "t")
    twin = _handout_page(tmp_path / "twin", "<script>addEventListener('load', () => 1)</script>")
    assert handout._print(twin, tmp_path / "twin.pdf", "t") == []


@pytest.mark.browser
def test_a_page_that_never_loads_is_one_line_not_a_traceback(tmp_path):
    """A script looping before `load`: Playwright's TimeoutError was a traceback."""
    _needs_chromium()
    from kubecapture.tools import handout

    site = _handout_page(tmp_path, "<script>for (;;) {}</script>")
    with pytest.raises(handout.HandoutError, match="printing failed: Page.goto: Timeout"):
        handout._print(site, tmp_path / "out.pdf", "t")


# --- JSON from anyone: nesting too deep is one sentence, not a RecursionError -------------

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_drift_report_nested_too_deep_is_one_warning_and_the_page_is_made(tmp_path, caplog):
    from kubecapture.drift import report

    (tmp_path / report.REPORT_FILE).write_text(DEEP)
    page = report.page_markdown(tmp_path, "en")
    assert page.startswith("# ") and "nested too deeply" in caplog.text
    (tmp_path / report.REPORT_FILE).write_text("[]")  # the twin: the same sentence's kind
    assert report.page_markdown(tmp_path, "en") == page


def test_a_version_matrix_file_nested_too_deep_is_no_cells(tmp_path):
    from kubecapture.drift import matrix, report

    (tmp_path / matrix.CELLS_FILE).write_text('{"cells": ' + DEEP + "}")
    assert report.saved_matrix_cells(tmp_path) == {}
    cell = '{"cells": {"k": {"status": "same", "diff": []}}}'  # the twin
    (tmp_path / matrix.CELLS_FILE).write_text(cell)
    assert list(report.saved_matrix_cells(tmp_path)) == ["k"]


def test_a_patch_nested_too_deep_is_refused_not_a_traceback():
    from kubecapture.trust import guard, scope

    assert "cannot read as plain data" in guard._patch_own_label(DEEP)
    with pytest.raises(ValueError, match="nest"):
        scope.decode_patch(DEEP)
    assert scope.decode_patch('{"metadata": {}}') == {"metadata": {}}  # the twin
    assert guard._patch_own_label('{"metadata": {"labels": {"a": "b"}}}') is None


# --- share: what the zip's pages load, read as a browser reads it, in linear time ---------

LOADS = {
    "srcset": '<img src="ok.png" srcset="ok.png 1x, https://t.example/p.png 2x">',
    "style-attribute": '<img src="ok.png" style="background: url(https://t.example/p.png)">',
    "css-escape": '<p style="background: \\75rl(https://t.example/p.png)">x</p>',
    "style-import": '<style>@import "https://t.example/a.css";</style>',
    "style-file": "<style>p{background:url('file:///etc/passwd')}</style>",
    "svg-image": '<svg><image href="https://t.example/p.png"/></svg>',
    "svg-use": '<svg><use xlink:href="file:///etc/x.svg#a"/></svg>',
    "refresh": '<meta http-equiv="refresh" content="0; url=https://t.example/">',
    "base": '<base href="https://t.example/">',
    "background": '<table background="//t.example/p.png"></table>',
    "entity": '<img src="&#x68;ttps://t.example/p.png">',
    "blank": '<img src=" https://t.example/p.png">',
    "tab": '<img src="ht\ttps://t.example/p.png">',
    "spaced-equals": '<img src = "https://t.example/p.png">',
}
BENIGN = (
    '<img src="ok.png" srcset="ok.png 1x, ok2.png 2x"><p style="color:red">x</p>'
    '<style>p{background:url(ok.png)}</style><svg><use href="#a"/></svg>'
    '<meta name="description" content="0; url=https://x"><a href="https://example.com">x</a>'
    '<link rel="canonical" href="https://x/"><pre><code>url(https://x/y.png)</code></pre>'
)


def _site_with(tmp_path: Path, body: str) -> Path:
    from kubecapture.site.offline import SHIM

    site = tmp_path / "site"
    (site / "search").mkdir(parents=True)
    (site / "search" / "search_index.js").write_text("")
    (site / SHIM).parent.mkdir(parents=True, exist_ok=True)
    (site / SHIM).write_text("")
    (site / "index.html").write_text(f"<html><body>{body}</body></html>")
    return site


@pytest.mark.parametrize("body", LOADS.values(), ids=LOADS.keys())
def test_share_refuses_every_way_a_page_loads_from_outside(tmp_path, body):
    """The check read src/data/poster/href of a few tags, quoted its way: a srcset
    candidate, CSS, SVG, a refresh, <base>, an entity or a blank in the URL went out."""
    found = share.problems(_site_with(tmp_path, body))
    assert found and ("t.example" in found[0] or "file:" in found[0])


def test_the_benign_twin_a_page_of_its_own_files_is_shared(tmp_path):
    assert share.problems(_site_with(tmp_path, BENIGN)) == []


@pytest.mark.parametrize(
    "body",
    ['<p title="' + "<img " * 20_000 + '">', "<style>" * 20_000, '<p title="' * 20_000],
    ids=["tags-in-an-attribute", "open-style-blocks", "open-quotes"],
)
def test_share_reads_a_hostile_page_in_linear_time(tmp_path, body):
    """`<img ` 20 000 times inside an attribute: each went back over the rest of the
    page (eight minutes for 100 KB)."""
    import time

    site = _site_with(tmp_path, body)
    start = time.monotonic()
    share.problems(site)
    assert time.monotonic() - start < 2.0


@pytest.mark.parametrize("name", ["x\\..\\..\\evil.bat", "C:evil.yaml", "a\x1b[2Jb.yaml"])
def test_a_file_name_that_unzips_elsewhere_on_windows_is_refused(tmp_path, name):
    """Git keeps `..\\..\\evil.bat` as one name; Windows' unzippers split it at `\\`."""
    root = _checkout(tmp_path)
    (root / "examples" / name).write_text("x\n")
    with pytest.raises(share.ShareError) as refused:
        _zipped(root)
    assert "unzips elsewhere on Windows" in refused.value.problems[0]
    (root / "examples" / name).rename(root / "examples" / "evil.yaml")  # the twin
    assert "examples/evil.yaml" in _zipped(root)


def test_a_cluster_answer_nested_too_deep_is_a_value_error_not_a_recursion_error():
    """The API server's answer is read as plain data too: a namespace read answered with
    JSON nested past Python's decoder is an unreadable answer (ValueError, which the
    callers say in one sentence), not a RecursionError."""
    from kubecapture.run import cluster

    class Answer:
        data = b"[" * 100_000 + b"]" * 100_000

        def release_conn(self):
            pass

    with pytest.raises(ValueError, match="nested too deeply"):
        cluster.get_json(lambda *a, **k: Answer(), "kc-sandbox")


def test_bidirectional_formatting_characters_reach_the_terminal_shown_not_obeyed():
    """U+202E (right-to-left override) and the isolates reorder what a terminal shows: a
    context named `kc\u202elacol-` reads as another name. They are shown as escapes, like the
    control characters; Japanese and Arabic letters themselves are left as they are."""
    from kubecapture.base.terminal import printable

    shown = printable("context kc\u202elacol-\u2066x\u2069 \u200fz\u061c")
    assert shown == "context kc\\u202elacol-\\u2066x\\u2069 \\u200fz\\u061c"
    assert printable("ページ.md: 変化なし\tمرحبا") == "ページ.md: 変化なし\tمرحبا"


def test_a_sandbox_answer_nested_too_deep_is_one_sentence(monkeypatch):
    from kubecapture.run import cluster, sandbox

    def deep(*args, **kwargs):
        raise ValueError("nested too deeply to read")

    monkeypatch.setattr(sandbox, "get_json", deep)
    monkeypatch.setattr(sandbox, "api_for", lambda c: None)
    with pytest.raises(cluster.ClusterUnavailable, match="answer could not be read"):
        sandbox.create_namespace(object(), "kc-page", timeout=1)
