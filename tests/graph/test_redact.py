"""redact(): credential shapes go, resource ids and action names stay readable."""

from __future__ import annotations

import pytest

from blastscope.graph.model import Warning
from blastscope.graph.redact import MASK, redact

AWS_KEY = "AKIAZ7QW3EXAMPLE4KEY"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "-----END RSA PRIVATE KEY-----"
)
SAS = "sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=r4nd0mS1gn%2Fature%3D"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"InvalidClientTokenId: key {AWS_KEY} is not valid", AWS_KEY),
        (f"signature mismatch for secret {AWS_SECRET}", AWS_SECRET),
        (f"could not parse {PEM} at line 1", "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo"),
        ('"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvgIBAD\\n-----END', "MIIEvgIBAD"),
        (f"GET https://acct.blob.core.windows.net/c?{SAS} 403", "r4nd0mS1gn"),
        ("DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9vYmFyYmF6==;", "Zm9vYmFy"),
        ("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "eyJhbGci"),
        ("token ya29.a0AfH6SMBx-abc_123 expired", "ya29.a0AfH6SMBx"),
        ("connect postgres://admin:hunter2pass@db.internal:5432/x", "hunter2pass"),
        ("client_secret=Qx8~Zr3.vTsecret refused", "Qx8~Zr3.vTsecret"),
        ('{"password": "s3cr3t-P@ss"}', "s3cr3t-P@ss"),
        ("DB_PASSWORD = 'Sup3rS3cret!'", "Sup3rS3cret!"),
    ],
)
def test_credentials_are_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert MASK in out


@pytest.mark.parametrize(
    "text",
    [
        "AccessDenied: User arn:aws:iam::123456789012:user/alice is not authorized to perform "
        "secretsmanager:ListSecrets on resource *",
        "ResourceNotFound: /subscriptions/0b6a3b7e-1c0d-4f6e-9d7a-5c1f8e2a4b90/resourceGroups/rg",
        "commit 3f786850e387550fdab836ed7e6dc881de23001b not found",
        "token expired at 2026-01-01T00:00:00Z",
    ],
)
def test_ordinary_messages_stay(text: str) -> None:
    assert redact(text) == text


def test_warning_messages_are_redacted_on_creation() -> None:
    w = Warning(service="s3", region="global", error="Forbidden", message=f"GET /?{SAS}")
    assert "r4nd0mS1gn" not in w.message and w.to_dict()["message"] == w.message


def test_non_strings_are_stringified() -> None:
    assert redact(ValueError(f"bad key {AWS_KEY}")) == f"bad key {MASK}"
