"""Deprecated path: moved to kubecapture.trust.allowlist (`python -m` kept working)."""

import sys

from .trust.allowlist import markdown_table

if __name__ == "__main__":  # python -m kubecapture.allowlist [ja|en]: the table
    sys.stdout.write(markdown_table(lang=sys.argv[1] if len(sys.argv) > 1 else "en"))
