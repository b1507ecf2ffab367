"""Mask secrets in text. Knows nothing of clusters: it is given the values to hide."""

from __future__ import annotations

import base64
import re
from dataclasses import replace

MASK = "********"

_PATTERNS = [
    # PEM private keys, whole block
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    # Authorization headers and bearer tokens
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9\-._~+/]{16,}=*"),
    # kubeconfig credential fields (YAML and JSON forms)
    re.compile(
        r'(?m)((?:"|\b)(?:client-key-data|client-certificate-data|token|password|'
        r'certificate-authority-data|id-token|refresh-token)"?\s*:\s*"?)[^\s"]{8,}'
    ),
]


def encodings(value: str) -> set[str]:
    """A secret's raw form and the base64 forms kubectl prints."""
    raw = value.encode()
    forms = {value, base64.b64encode(raw).decode()}
    return {f for f in forms if len(f) >= 4}


def redact(text: str, secrets: set[str]) -> str:
    if not text:
        return text
    for value in sorted({f for s in secrets for f in encodings(s)}, key=len, reverse=True):
        text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


def redact_result(result, secrets: set[str]):
    """A CommandResult with stdout and stderr masked."""
    return replace(
        result, stdout=redact(result.stdout, secrets), stderr=redact(result.stderr, secrets)
    )
