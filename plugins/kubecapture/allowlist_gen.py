"""Deprecated path: moved to kubecapture.trust.allowlist_gen (`python -m` kept working)."""

from .trust.allowlist_gen import main

if __name__ == "__main__":
    raise SystemExit(main())
