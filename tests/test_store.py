"""Capture files: deterministic, atomic, and loud (but clear) when malformed."""

import os
import resource
import signal
import subprocess
import sys
import textwrap

import pytest
from kubecapture.captures import store
from kubecapture.captures.store import (
    CaptureFileError,
    CommandResult,
    PageCapture,
    Provenance,
    SnippetCapture,
)


def sample(stdout="NAME       STATUS\nminikube   Ready\n") -> PageCapture:
    prov = Provenance("minikube", "v1.24.0", "v1.37.1", "2026-11-26T01:00:00Z")
    result = CommandResult("kubectl get node", 0, stdout, "")
    return PageCapture(
        "course/kubectl.md", "abc123", [SnippetCapture("k1", [result], prov, "nodes")]
    )


def test_round_trip_and_block_scalars(tmp_path):
    path = store.capture_path(tmp_path, "course/kubectl.md")
    assert path == tmp_path / "course" / "kubectl.yaml"
    assert store.save(path, sample()) is True
    text = path.read_text()
    assert "stdout: |\n      NAME       STATUS\n      minikube   Ready\n" in text
    assert store.load(path) == sample()
    # Saving the same capture again leaves the file alone (no mtime churn, no git noise).
    assert store.save(path, sample()) is False


def test_awkward_text_survives(tmp_path):
    path = tmp_path / "p.yaml"
    for text in ["trailing space \nx\n", "\tTabbed\n", "  leading\n", "no newline", "", "é日本\n"]:
        store.save(path, sample(text))
        assert store.load(path).snippets[0].results[0].stdout == text


def test_missing_file_is_none(tmp_path):
    assert store.load(tmp_path / "none.yaml") is None


@pytest.mark.parametrize(
    "content",
    [
        "version: 1\npage: [unclosed\n",
        "just a string\n",
        "version: 99\npage: a.md\nkey: k\n",
        "version: 1\npage: a.md\n",
        "version: 1\npage: a.md\nkey: k\nsnippets:\n- key: x\n",
    ],
)
def test_malformed_file_is_one_clear_error_naming_the_file(tmp_path, content):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(CaptureFileError) as info:
        store.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: malformed capture file")
    assert "\n" not in message


def test_killed_mid_write_leaves_the_old_capture(tmp_path):
    """A process killed while writing a capture never leaves a half-written file.

    The writer runs with a file-size limit below the new capture's size, so the kernel
    kills it (SIGXFSZ) in the middle of writing, whatever way the file is written.
    """
    path = tmp_path / "page.yaml"
    store.save(path, sample("old output\n"))
    script = textwrap.dedent(
        f"""
        import signal
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it by default
        from pathlib import Path
        from kubecapture.captures import store
        from kubecapture.captures.store import *
        prov = Provenance("minikube", "v1", "v1", "2026-01-01T00:00:00Z")
        out = "new output line\\n" * 20000
        cap = PageCapture("course/kubectl.md", "abc123",
            [SnippetCapture("k1", [CommandResult("kubectl get node", 0, out, "")], prov)])
        store.save(Path({str(path)!r}), cap)
        """
    )

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    proc = subprocess.run([sys.executable, "-c", script], preexec_fn=limit_file_size)
    assert proc.returncode == -signal.SIGXFSZ
    assert store.load(path).snippets[0].results[0].stdout == "old output\n"
    assert store.all_capture_files(tmp_path) == [path]  # the temp file is not a capture


def test_every_file_kubecapture_keeps_is_written_durably(tmp_path, monkeypatch):
    """Captures, the drift report, the read cache's entries and the sandbox record all go
    through store.write_atomic: renamed into place whole, with the file's own mode and no
    temp file left; the file and its folder are synced before and after the rename, but
    for cache entries (a torn one has no valid tag after a crash: a miss)."""
    from kubecapture.drift import report
    from kubecapture.run import owned

    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user"))
    captures, cache = tmp_path / "captures", tmp_path / "cache"
    path = captures / "p.yaml"
    store.save(path, sample())
    store.load(path, cache)
    report.save_history_report(captures)
    owned.remember("uid-1", "kc-page")
    written = {
        path: 0o644,
        captures / report.REPORT_FILE: 0o644,
        next(cache.iterdir()): 0o600,
        owned.record_file(): 0o600,
    }
    for file, mode in written.items():
        temp = str(file.parent / f".{file.name}.")  # synced under its temp name
        durable = any(p.startswith(temp) for p in synced) and str(file.parent) in synced
        assert durable == (file.parent != cache), file
        assert file.stat().st_mode & 0o777 == mode, file
        assert not [p for p in file.parent.iterdir() if p.name.endswith(".tmp")]


# --- the read cache (readcache.py) ---------------------------------------------------------


def test_an_unchanged_file_is_read_from_the_cache_not_parsed_again(tmp_path, monkeypatch):
    path, cache = tmp_path / "p.yaml", tmp_path / "cache"
    store.save(path, sample())
    assert store.load(path, cache) == sample()
    assert len(list(cache.iterdir())) == 1

    def no_parsing(raw):
        raise AssertionError("parsed again")

    monkeypatch.setattr(store, "_parse", no_parsing)
    store.forget_loaded()  # as in the next build
    assert store.load(path, cache) == sample()


def test_a_file_loaded_again_in_one_process_is_neither_parsed_nor_read_from_entries(
    tmp_path, monkeypatch
):
    """Zensical renders every page with a new extension; the plugin and the extension read
    through one cache (store.load): a file's bytes are parsed once per process."""
    path = tmp_path / "p.yaml"
    store.save(path, sample())
    first = store.load(path)

    def no_reading(*args):
        raise AssertionError("read again")

    monkeypatch.setattr(store, "_parse", no_reading)
    monkeypatch.setattr(store.readcache, "parsed", no_reading)
    again = store.load(path)
    assert again == first and again is not first  # new objects: a caller may change them
    again.snippets[0].results[0].stdout = "changed by a caller\n"
    assert store.load(path) == sample()


def test_the_files_kept_parsed_in_the_process_are_the_last_few(tmp_path):
    """A build reads most capture files once: the process keeps the last ones read, not
    every page's parsed history to the end of the build (its peak memory)."""
    paths = [tmp_path / f"p{i}.yaml" for i in range(store._LOADED_MAX + 8)]
    for path in paths:
        store.save(path, sample())
        store.load(path)
    assert list(store._loaded) == paths[-store._LOADED_MAX :]


def test_an_edited_file_is_parsed_again(tmp_path):
    """The entry is keyed by the file's bytes: a hand edit (same size, same mtime even)
    shows at once."""
    path, cache = tmp_path / "p.yaml", tmp_path / "cache"
    store.save(path, sample("NAME       STATUS\nminikube   Ready\n"))
    store.load(path, cache)
    stat = path.stat()
    path.write_text(path.read_text().replace("Ready", "Fine!"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert store.load(path, cache).snippets[0].results[0].stdout.endswith("minikube   Fine!\n")


@pytest.mark.parametrize("garbage", [b"", b"\x00" * 40, b"x" * 16 + b"\xff\xfe not marshal"])
def test_an_unreadable_cache_entry_is_a_miss_and_is_replaced(tmp_path, garbage):
    path, cache = tmp_path / "p.yaml", tmp_path / "cache"
    store.save(path, sample())
    store.load(path, cache)
    [entry] = cache.iterdir()
    good = entry.read_bytes()
    entry.write_bytes(garbage)
    store.forget_loaded()  # as in the next build
    assert store.load(path, cache) == sample()
    assert entry.read_bytes() == good


def test_a_malformed_file_is_an_error_with_or_without_the_cache(tmp_path):
    path, cache = tmp_path / "p.yaml", tmp_path / "cache"
    path.write_text("version: 1\npage: [unclosed\n")
    for _ in range(2):
        with pytest.raises(CaptureFileError, match="malformed capture file"):
            store.load(path, cache)
    assert not cache.exists()  # nothing cached for a file that does not parse


def test_a_file_that_is_not_utf8_is_one_clear_error(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_bytes(b"version: 2\npage: \xff\xfe\n")
    with pytest.raises(CaptureFileError) as e:
        store.load(path, tmp_path / "cache")
    assert str(e.value).startswith(f"{path}: malformed capture file (")
    assert "\n" not in str(e.value)


def test_a_cache_that_cannot_be_written_does_not_stop_the_load(tmp_path):
    path = tmp_path / "p.yaml"
    store.save(path, sample())
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would go")
    assert store.load(path, blocked / "cache") == sample()
