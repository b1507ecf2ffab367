"""Deprecated path: moved to kubecapture.tools.share (`python -m` kept working)."""

from .tools.share import main

if __name__ == "__main__":
    raise SystemExit(main())
