"""Find secrets in collected free text (user data, environment variables, startup scripts)
without keeping them: only the finding (type, where, a hash prefix) leaves this module.

Detection is detect-secrets' pattern plugins (AWS keys, private keys, tokens, password
assignments …). Its entropy plugins are left out: on user data they flag every long word.
Two gaps of those plugins on shell and YAML text are closed before they run: unquoted
assignments (``export AWS_SECRET_ACCESS_KEY=…``, ``password: …``) are also fed to them in the
quoted form their keyword and AWS patterns expect, and token-shaped values they have no
plugin for (Azure SAS signatures, bearer tokens) are matched by two narrow patterns.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import gzip
import hashlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.scan import scan_line
from detect_secrets.settings import transient_settings

from blastscope.graph.redact import redact

__all__ = ["MAX_SCAN_BYTES", "redact", "scan_mapping", "scan_text"]

_NOISY = {"Base64HighEntropyString", "HexHighEntropyString", "IPPublicDetector"}
_PLUGINS = [
    {"name": cls.__name__}
    for cls in get_mapping_from_secret_type_to_class().values()
    if cls.__name__ not in _NOISY
]
MAX_SCAN_BYTES = 1 << 20
"""Larger texts are scanned up to this size; user data is capped at 16 KB by AWS anyway."""

_GENERIC = "Secret Keyword"
_ASSIGNMENT = re.compile(
    r"""^\s*(?:export\s+|set\s+|setx\s+|\$env:|-\s+)?      # shell, cmd, PowerShell, YAML list
    (?P<name>[A-Za-z_][\w.-]*)\s*(?:=|:\s|:$)\s*           # NAME=  NAME: (YAML)
    (?P<value>[^\s"'`#][^\s"'`]*)\s*$                      # an unquoted single word
    """,
    re.VERBOSE,
)
_TOKEN_NAME = re.compile(r"(?i)(token|api_?key|access_?key|auth|credential|sas)")
_EXTRA = (
    ("Azure SAS Token", re.compile(r"[?&]sig=([A-Za-z0-9%/+=]{20,})")),
    ("Bearer Token", re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/-]{20,}=*)")),
)
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")


def scan_text(text: str | bytes | None, *, location: str) -> list[dict[str, Any]]:
    """Secrets in ``text``, as findings that never hold the secret itself.

    Args:
        text: the collected text; bytes are decoded (base64 and gzip, as EC2 user data and
            Azure custom data arrive, are unwrapped first; MIME multi-part cloud-init is split
            into its parts).
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
    seen: dict[str, dict[str, Any]] = {}
    lines = decoded[:MAX_SCAN_BYTES].splitlines()
    with transient_settings({"plugins_used": _PLUGINS}):
        for lineno, line in enumerate(lines, start=1):
            for kind, value in _secrets_in_line(line):
                if kind == "Private Key":
                    value = _pem_block(lines, lineno - 1)
                digest = hashlib.sha256(value.encode()).hexdigest()[:12]
                found = {"type": kind, "location": f"{location}:{lineno}", "hash_prefix": digest}
                old = seen.get(digest)
                # One secret, one finding: a specific type beats the generic keyword match.
                if old is None or (old["type"] == _GENERIC and kind != _GENERIC):
                    seen[digest] = found
    return sorted(seen.values(), key=lambda f: (f["location"], f["type"]))


def scan_mapping(values: Mapping[str, Any] | None, *, location: str) -> list[dict[str, Any]]:
    """Secrets in a name → value mapping (Lambda environment, GCP metadata items).

    Each pair is scanned as the assignment ``NAME="value"`` so the name counts as evidence
    (``DB_PASSWORD`` holds a password even if the value looks plain); the location is
    ``location:NAME``.
    """
    found: dict[str, dict[str, Any]] = {}
    for name, value in sorted((values or {}).items()):
        if value is None:
            continue
        text = value if isinstance(value, str) else str(value)
        where = f"{location}:{name}"
        texts = [text]
        if "\n" not in text and '"' not in text:
            texts.insert(0, f'{name} = "{text}"')
        for candidate in texts:
            for item in scan_text(candidate, location=where):
                if "\n" not in candidate:
                    item["location"] = where
                found.setdefault(item["hash_prefix"], item)
    return sorted(found.values(), key=lambda f: (f["location"], f["type"]))


def _secrets_in_line(line: str) -> Iterator[tuple[str, str]]:
    for variant in _variants(line):
        for found in scan_line(variant):
            yield found.type, found.secret_value or ""
    for kind, pattern in _EXTRA:
        for match in pattern.finditer(line):
            yield kind, match.group(1)


def _variants(line: str) -> list[str]:
    """The line, plus its quoted-assignment form when it is an unquoted ``NAME=value``."""
    match = _ASSIGNMENT.match(line)
    if not match:
        return [line]
    name, value = match.group("name"), match.group("value")
    if _TOKEN_NAME.search(name) and not re.search(r"(?i)secret|passw|pwd", name):
        name = f"{name}_secret"  # tokens are secrets; detect-secrets' keyword list lacks them
    return [line, f'{name} = "{value}"']


def _pem_block(lines: list[str], start: int) -> str:
    """The whole PEM block from its BEGIN line: distinct keys get distinct hashes."""
    block = []
    for line in lines[start : start + 200]:
        block.append(line.strip())
        if _PEM_END.search(line):
            break
    return "\n".join(block)


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
    decoded = raw.decode("utf-8", errors="replace")
    return _mime_parts(decoded) if "multipart/" in decoded[:4096].lower() else decoded


def _mime_parts(text: str) -> str:
    """cloud-init multi-part user data: each part's payload (base64/gzip parts unwrapped)."""
    message = email.message_from_string(text, policy=email.policy.compat32)
    if not message.is_multipart():
        return text
    parts = [text]
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            if payload[:2] == b"\x1f\x8b":
                try:
                    payload = gzip.decompress(payload)
                except (OSError, EOFError):
                    pass
            parts.append(payload.decode("utf-8", errors="replace"))
    return "\n".join(parts)
