"""scan_text / scan_mapping: findings hold type, location and a hash prefix — never the secret."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from blastscope.providers.secrets import scan_mapping, scan_text

AWS_KEY = "AKIAZ7QW3EXAMPLE4KEY"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKY"
PEM_A = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1L\n-----END RSA PRIVATE KEY-----"
PEM_B = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAx9ZZ2Q\n-----END RSA PRIVATE KEY-----"
SAS_URL = (
    "https://acct.blob.core.windows.net/backup?sv=2022-11-02&sp=rl&sig=r4nd0mS1gnatureXYZ%2F0%3D"
)


def types(text: str | bytes) -> set[str]:
    return {f["type"] for f in scan_text(text, location="user_data")}


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        (f"export AWS_ACCESS_KEY_ID={AWS_KEY}", "AWS Access Key"),
        (f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}", "AWS Access Key"),
        (f'aws_secret_access_key = "{AWS_SECRET}"', "AWS Access Key"),
        ("DB_PASSWORD=Sup3rS3cret!", "Secret Keyword"),
        ("  password: hunter2longer", "Secret Keyword"),
        ("- MYSQL_ROOT_PASSWORD=r00tpassw0rd", "Secret Keyword"),
        ("setx API_TOKEN ab12cd34ef56gh78ij90", None),
        ("GITHUB_TOKEN=ab12cd34ef56gh78ij90", "Secret Keyword"),
        (f"azcopy copy /data '{SAS_URL}'", "Azure SAS Token"),
        ("curl -H 'Authorization: Bearer abcdef1234567890abcdef12'", "Bearer Token"),
        ("psql postgres://admin:hunter2pass@db.internal/app", "Basic Auth Credentials"),
    ],
)
def test_shell_yaml_and_url_forms(line: str, kind: str | None) -> None:
    found = types(line)
    if kind is None:
        assert found == set(), "'setx NAME VALUE' is no assignment: not guessed"
    else:
        assert found == {kind}


@pytest.mark.parametrize(
    "line",
    ["PATH=/usr/bin:/bin", "HOME=/root", "LOG_LEVEL: debug", "echo hello", "secret=${SECRET}"],
)
def test_ordinary_lines_are_not_secrets(line: str) -> None:
    assert scan_text(line, location="user_data") == []


def test_one_finding_per_secret_and_no_secret_in_output() -> None:
    script = (
        f"#!/bin/bash\nexport AWS_ACCESS_KEY_ID={AWS_KEY}\n"
        f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
    )
    found = scan_text(script, location="user_data")
    assert [(f["type"], f["location"]) for f in found] == [
        ("AWS Access Key", "user_data:2"),
        ("AWS Access Key", "user_data:3"),
    ]
    assert found[1]["hash_prefix"] == hashlib.sha256(AWS_SECRET.encode()).hexdigest()[:12]
    dumped = json.dumps(found)
    assert AWS_KEY not in dumped and AWS_SECRET not in dumped


def test_distinct_private_keys_get_distinct_hashes() -> None:
    a = scan_text(PEM_A, location="ud")
    b = scan_text(PEM_B, location="ud")
    assert [f["type"] for f in a + b] == ["Private Key", "Private Key"]
    assert a[0]["hash_prefix"] != b[0]["hash_prefix"]
    assert scan_text(PEM_A, location="x")[0]["hash_prefix"] == a[0]["hash_prefix"]


def test_base64_gzip_and_mime_multipart_user_data() -> None:
    script = f"#!/bin/bash\nexport AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"
    assert types(base64.b64encode(gzip.compress(script.encode()))) == {"AWS Access Key"}
    msg = MIMEMultipart()
    msg.attach(MIMEText("#cloud-config\npackages: [nginx]\n", "cloud-config"))
    part = MIMEText("#!/bin/bash\nDB_PASSWORD=Sup3rS3cret!\n", "x-shellscript", "utf-8")
    msg.attach(part)  # utf-8 MIMEText is base64-encoded on the wire
    wire = msg.as_string()
    assert "Sup3rS3cret" not in wire
    assert types(wire) == {"Secret Keyword"}
    assert types(base64.b64encode(wire.encode())) == {"Secret Keyword"}


def test_scan_mapping_uses_names_as_evidence() -> None:
    env = {
        "DB_PASSWORD": "plainvalue99",
        "REGION": "us-east-1",
        "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
    }
    found = scan_mapping(env, location="env")
    assert [(f["type"], f["location"]) for f in found] == [
        ("AWS Access Key", "env:AWS_SECRET_ACCESS_KEY"),
        ("Secret Keyword", "env:DB_PASSWORD"),
    ]
    assert (
        scan_mapping(None, location="env") == [] and scan_mapping({"A": None}, location="e") == []
    )


def test_empty_and_binary_inputs() -> None:
    assert scan_text(None, location="x") == [] and scan_text("", location="x") == []
    assert scan_text(b"\xff\xfe\x00garbage", location="x") == []
