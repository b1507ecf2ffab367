"""Deprecated path: the command moved to kubecapture.tools.cli (kept for older installs)."""

from .tools.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
