"""Run one command: argv, environment, working directory, timeout.

Knows nothing of MkDocs or Kubernetes. The child gets its own process group so a
timeout (or Ctrl-C in the build) kills kubectl and anything it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CANCEL_POLL = 0.2  # seconds
# What one command may print (stdout and stderr together): far above what a page shows
# (the notes' biggest capture file is 31 KiB), far below the memory of a build. A
# command that prints more (`logs -f` of a chatty pod) is killed, like one that times out.
MAX_OUTPUT_BYTES = 4 * 1024 * 1024


class CommandTimeout(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"did not finish within {seconds:g} s and was killed")
        self.seconds = seconds


class OutputTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"printed more than {limit // 2**20} MiB and was killed")
        self.limit = limit


class CommandNotFound(Exception):
    pass


class CommandCancelled(Exception):
    """The build was interrupted (its `cancel` event was set) and the command killed."""


@dataclass
class Completed:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float


def run(
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    timeout: float,
    cancel: threading.Event | None = None,
) -> Completed:
    """Run argv to completion; with `cancel`, a set event kills it within CANCEL_POLL s
    (worker threads get no KeyboardInterrupt: the interrupted build tells them so)."""
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        raise CommandNotFound(argv[0]) from None
    deadline = start + timeout
    out, err = bytearray(), bytearray()
    too_much = threading.Event()
    readers = [
        threading.Thread(target=_read, args=(stream, buf, out, err, too_much), daemon=True)
        for stream, buf in ((proc.stdout, out), (proc.stderr, err))
    ]
    for reader in readers:
        reader.start()
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                proc.wait(timeout=max(0.0, min(left, CANCEL_POLL)))
                break
            except subprocess.TimeoutExpired:
                if too_much.is_set():
                    _kill_group(proc)
                    raise OutputTooLarge(MAX_OUTPUT_BYTES) from None
                if time.monotonic() >= deadline:
                    _kill_group(proc)
                    raise CommandTimeout(timeout) from None
                if cancel is not None and cancel.is_set():
                    _kill_group(proc)
                    raise CommandCancelled() from None
        for reader in readers:  # the pipes close when kubectl and its children have exited
            reader.join(max(0.0, deadline - time.monotonic()))
            if reader.is_alive():  # a child kept the pipe open past the deadline
                _kill_group(proc)
                raise CommandTimeout(timeout)
        if too_much.is_set():
            raise OutputTooLarge(MAX_OUTPUT_BYTES)
    except (CommandTimeout, CommandCancelled, OutputTooLarge):
        raise
    except BaseException:  # KeyboardInterrupt: never leave kubectl behind
        _kill_group(proc)
        raise
    return Completed(
        exit_code=proc.returncode,
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
        seconds=time.monotonic() - start,
    )


def _read(stream, buf: bytearray, out: bytearray, err: bytearray, too_much) -> None:
    """Read a pipe to its end, keeping at most MAX_OUTPUT_BYTES of both pipes together."""
    with stream:
        while chunk := stream.read1(65536):
            if too_much.is_set():
                continue  # drain, so that kubectl is not blocked before it is killed
            buf += chunk
            if len(out) + len(err) > MAX_OUTPUT_BYTES:
                too_much.set()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
