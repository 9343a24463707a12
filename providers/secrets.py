"""Find secrets in collected free text (user data, environment variables, startup scripts)
without keeping them: only the finding (type, where, a hash prefix) leaves this module.

Detection is detect-secrets' pattern plugins (AWS keys, private keys, tokens, password
assignments …). Its entropy plugins are left out: on user data they flag every long word.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.scan import scan_line
from detect_secrets.settings import transient_settings

_NOISY = {"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"}
_PLUGINS = [
    {"name": cls.__name__}
    for cls in get_mapping_from_secret_type_to_class().values()
    if cls.__name__ not in _NOISY
]
MAX_SCAN_BYTES = 1 << 20
"""Larger texts are scanned up to this size; user data is capped at 16 KB by AWS anyway."""


def scan_text(text: str | bytes | None, *, location: str) -> list[dict[str, Any]]:
    """Secrets in ``text``, as findings that never hold the secret itself.

    Args:
        text: the collected text; bytes are decoded (base64 and gzip, as EC2 user data and
            Azure custom data arrive, are unwrapped first).
        location: where the text came from, e.g. ``"user_data"`` or ``"env:DB_PASSWORD"``;
            a line number is appended.

    Returns:
        ``[{"type", "location", "hash_prefix"}]`` sorted, one per distinct secret; the hash
        prefix is 12 hex digits of SHA-256, enough to match two sightings of one secret.

    Examples:
        >>> key = "AKIAIOSFODNN7EXAMPLQ"
        >>> scan_text(f"export AWS_ACCESS_KEY_ID={key}", location="user_data")  # doctest: +ELLIPSIS
        [{'type': 'AWS Access Key', 'location': 'user_data:1', 'hash_prefix': '...'}]
    """
    decoded = _decode(text)
    if not decoded:
        return []
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    with transient_settings({"plugins_used": _PLUGINS}):
        for lineno, line in enumerate(decoded[:MAX_SCAN_BYTES].splitlines(), start=1):
            for found in scan_line(line):
                value = found.secret_value or ""
                digest = hashlib.sha256(value.encode()).hexdigest()[:12]
                key = (found.type, digest)
                if key not in seen:
                    seen[key] = {
                        "type": found.type,
                        "location": f"{location}:{lineno}",
                        "hash_prefix": digest,
                    }
    return sorted(seen.values(), key=lambda f: (f["location"], f["type"]))


def _decode(text: str | bytes | None) -> str:
    """Unwrap base64 and gzip the way clouds deliver user data; keep plain text as it is."""
    if text is None:
        return ""
    raw = text.encode() if isinstance(text, str) else text
    stripped = raw.strip()
    try:
        unwrapped = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        unwrapped = None
    if unwrapped and len(stripped) % 4 == 0 and len(stripped) >= 8:
        raw = unwrapped
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError):
            pass
    return raw.decode("utf-8", errors="replace")
