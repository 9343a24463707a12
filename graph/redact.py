"""Strip credentials out of free text (exception messages, log lines) before anyone keeps it.

SDK exceptions quote requests: a signed URL's SAS signature, a bearer token, a connection
string. Warnings and log lines are stored in snapshots and shown on screen, so every message
passes through :func:`redact` first. The patterns aim at credential *shapes* (key prefixes,
PEM armour, ``sig=``, ``password=``) and leave resource ids and action names readable.
"""

from __future__ import annotations

import re

MASK = "[REDACTED]"

_PEM = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----.*?"
    r"(?:-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----|\Z)",
    re.DOTALL,
)
_SUBSTITUTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    # AWS access key ids (long-term AKIA, temporary ASIA).
    (re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"), MASK),
    # Azure SAS signature and storage/service-bus account keys in connection strings.
    (re.compile(r"(?i)\b(sig=)[^&\s\"'<>]+"), r"\1" + MASK),
    (re.compile(r"(?i)\b((?:Account|SharedAccess)Key=)[^;\s\"']+"), r"\1" + MASK),
    # Bearer / Basic authorisation values and JWTs wherever they appear.
    (re.compile(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1\2" + MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    # Google OAuth access tokens, GitHub and Slack tokens.
    (re.compile(r"\bya29\.[A-Za-z0-9._-]+"), MASK),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9-]{10,})"), MASK),
    # Passwords in URLs: scheme://user:password@host.
    (re.compile(r"(://[^/\s:@]+:)[^/\s@]+@"), r"\1" + MASK + "@"),
    # name=value / "name": "value" where the name says it is a secret. The separator must be
    # "=" or ": " (with a space or quotes) so "secretsmanager:ListSecrets" stays readable.
    (
        re.compile(
            r"(?i)(\b[\w.-]*(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|access[_-]?key"
            r"|private[_-]?key|credentials?|signature)[\w.-]*[\"']?"
            r"(?:\s*=\s*|\s*:\s+|\s*:(?=[\"'])))([\"']?)([^\s\"'&,;]+)"
        ),
        r"\1\2" + MASK,
    ),
)
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def redact(text: object) -> str:
    """``text`` as a string with anything shaped like a credential replaced by ``[REDACTED]``.

    Examples:
        >>> redact("GET https://a.blob.core.windows.net/c?sv=2024&sig=abc%2Fdef failed")
        'GET https://a.blob.core.windows.net/c?sv=2024&sig=[REDACTED] failed'
        >>> redact("AccessDenied: secretsmanager:ListSecrets on arn:aws:iam::1:user/x")
        'AccessDenied: secretsmanager:ListSecrets on arn:aws:iam::1:user/x'
    """
    out = text if isinstance(text, str) else str(text)
    out = _PEM.sub(MASK, out)
    for pattern, replacement in _SUBSTITUTIONS:
        out = pattern.sub(replacement, out)
    return _AWS_SECRET.sub(_mask_aws_secret, out)


def _mask_aws_secret(match: re.Match[str]) -> str:
    """A 40-character base64 run is an AWS secret key only if it mixes cases and digits
    (a SHA-1 in hex or a long lowercase name is not)."""
    value = match.group(0)
    kinds = sum((any(c.islower() for c in value), any(c.isupper() for c in value))) + any(
        c.isdigit() or c in "/+" for c in value
    )
    return MASK if kinds == 3 else value
