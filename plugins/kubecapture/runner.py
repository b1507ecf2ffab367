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


class CommandTimeout(Exception):
    def __init__(self, seconds: float):
        super().__init__(f"did not finish within {seconds:g} s and was killed")
        self.seconds = seconds


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
    try:
        while True:
            left = deadline - time.monotonic()
            try:
                out, err = proc.communicate(
                    timeout=max(0.0, min(left, CANCEL_POLL) if cancel else left)
                )
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    _kill_group(proc)
                    raise CommandTimeout(timeout) from None
                if cancel is not None and cancel.is_set():
                    _kill_group(proc)
                    raise CommandCancelled() from None
    except (CommandTimeout, CommandCancelled):
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


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()
