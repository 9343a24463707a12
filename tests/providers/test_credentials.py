"""Saved connections: secrets only in the keyring, fields only in the config file."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
import pytest
from fakes.memory_keyring import MemoryKeyring
from keyring.backends import fail
from keyrings.alt.file import PlaintextKeyring

from blastscope.graph.errors import CloudError, InputError
from blastscope.providers import credentials
from blastscope.providers.credentials import (
    KEYRING_SERVICE,
    add_connection,
    get_connection,
    list_connections,
    remove_connection,
)

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "0b6a3b7e-1c0d-4f6e-9d7a-5c1f8e2a4b90"
SECRET = "Qx8~Zr3.vT_secretvalue-9f1b2c"


def gcp_key(project: str = "prod-data-123") -> str:
    return json.dumps(
        {
            "type": "service_account",
            "project_id": project,
            "private_key_id": "abc123",
            "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
            "-----END PRIVATE KEY-----\n",
            "client_email": f"scanner@{project}.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )


def config_text() -> str:
    return credentials.config_path().read_text()


def test_aws_profile_keeps_no_secret(ring: MemoryKeyring) -> None:
    add_connection("aws", "prod", {"profile": "prod-audit", "region": "eu-west-1"})
    conn = get_connection("prod")
    assert (conn.cloud, dict(conn.fields)) == (
        "aws",
        {"profile": "prod-audit", "region": "eu-west-1"},
    )
    assert conn.secret() is None
    assert ring.store == {}


def test_aws_role_arn_is_validated(ring: MemoryKeyring) -> None:
    add_connection("aws", "audit", {"role_arn": "arn:aws:iam::123456789012:role/SecurityAudit"})
    assert get_connection("audit").fields["role_arn"].endswith("role/SecurityAudit")
    with pytest.raises(InputError, match="not an IAM role ARN"):
        add_connection("aws", "bad", {"role_arn": "arn:aws:iam::123:user/bob"})
    with pytest.raises(InputError, match="--profile or --role-arn"):
        add_connection("aws", "empty", {"profile": "  "})


def test_azure_secret_goes_to_keyring_only(ring: MemoryKeyring) -> None:
    add_connection("azure", "corp", {"tenant_id": TENANT, "client_id": CLIENT}, SECRET + "\n")
    assert ring.store == {(KEYRING_SERVICE, "azure/corp"): SECRET}
    assert SECRET not in config_text()
    assert stat.S_IMODE(credentials.config_path().stat().st_mode) == 0o600
    conn = get_connection("corp")
    assert conn.fields == {"tenant_id": TENANT, "client_id": CLIENT, "secret_kind": "client_secret"}
    assert conn.secret() == SECRET


def test_azure_certificate_pem(ring: MemoryKeyring) -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n" + (
        "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"
    )
    add_connection(
        "azure", "cert", {"tenant_id": "contoso.onmicrosoft.com", "client_id": CLIENT}, pem
    )
    assert get_connection("cert").fields["secret_kind"] == "certificate"
    assert "MIIB" not in config_text()
    with pytest.raises(InputError, match="private key"):
        add_connection(
            "azure",
            "nokey",
            {"tenant_id": TENANT, "client_id": CLIENT},
            "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----",
        )


def test_azure_fields_are_validated(ring: MemoryKeyring) -> None:
    with pytest.raises(InputError, match="client-id"):
        add_connection("azure", "x", {"tenant_id": TENANT, "client_id": "app"}, SECRET)
    with pytest.raises(InputError, match="empty"):
        add_connection("azure", "x", {"tenant_id": TENANT, "client_id": CLIENT}, " \n")
    assert ring.store == {} and list_connections() == []


def test_gcp_key_json_goes_to_keyring_and_project_defaults(ring: MemoryKeyring) -> None:
    add_connection("gcp", "data", {"project": None}, gcp_key())
    conn = get_connection("data")
    assert conn.fields == {
        "project": "prod-data-123",
        "client_email": "scanner@prod-data-123.iam.gserviceaccount.com",
    }
    assert json.loads(conn.secret() or "")["private_key_id"] == "abc123"
    assert "PRIVATE KEY" not in config_text()


def test_gcp_rejects_non_service_account_json(ring: MemoryKeyring) -> None:
    with pytest.raises(InputError, match="not a service-account key"):
        add_connection("gcp", "x", {}, json.dumps({"type": "authorized_user"}))
    with pytest.raises(InputError, match="not JSON"):
        add_connection("gcp", "x", {}, "{nope")


def test_duplicate_names_need_replace(ring: MemoryKeyring) -> None:
    add_connection("azure", "same", {"tenant_id": TENANT, "client_id": CLIENT}, SECRET)
    with pytest.raises(InputError, match="already exists"):
        add_connection("aws", "same", {"profile": "p"})
    add_connection("aws", "same", {"profile": "p"}, replace=True)
    assert get_connection("same").cloud == "aws"
    assert ring.store == {}, "replacing with another cloud drops the old secret"


def test_remove_forgets_both_places(ring: MemoryKeyring) -> None:
    add_connection("azure", "gone", {"tenant_id": TENANT, "client_id": CLIENT}, SECRET)
    add_connection("aws", "kept", {"profile": "p"})
    remove_connection("gone")
    assert ring.store == {}
    assert [c.name for c in list_connections()] == ["kept"]
    with pytest.raises(InputError, match="no saved connection 'gone'.*kept"):
        remove_connection("gone")


def test_config_write_failure_rolls_back_the_secret(
    ring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_saved: object) -> None:
        raise InputError("disk full")

    monkeypatch.setattr(credentials, "_save", broken)
    with pytest.raises(InputError, match="disk full"):
        add_connection("azure", "x", {"tenant_id": TENANT, "client_id": CLIENT}, SECRET)
    assert ring.store == {}


def test_missing_secret_is_a_clear_error(ring: MemoryKeyring) -> None:
    add_connection("azure", "lost", {"tenant_id": TENANT, "client_id": CLIENT}, SECRET)
    ring.store.clear()
    with pytest.raises(CloudError, match="not in the keyring"):
        get_connection("lost").secret()


def test_no_keyring_backend_is_one_line(ring: MemoryKeyring) -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(CloudError) as exc:
        add_connection("azure", "x", {"tenant_id": TENANT, "client_id": CLIENT}, SECRET)
    assert "no OS keyring backend" in exc.value.message and "\n" not in exc.value.message
    assert list_connections() == []
    add_connection("aws", "fine", {"profile": "p"})  # AWS needs no keyring at all


def test_plaintext_file_backend_round_trip(ring: MemoryKeyring, tmp_path: Path) -> None:
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring.cfg")  # type: ignore[misc]
    keyring.set_keyring(backend)
    add_connection("gcp", "alt", {"project": "other-proj-1"}, gcp_key())
    assert get_connection("alt").fields["project"] == "other-proj-1"
    assert json.loads(get_connection("alt").secret() or "")["type"] == "service_account"
    remove_connection("alt")
    assert backend.get_password(KEYRING_SERVICE, "gcp/alt") is None


def test_corrupt_config_is_an_input_error(ring: MemoryKeyring) -> None:
    path = credentials.config_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"connections": {"x": {"cloud": "oracle", "fields": {}}}}')
    with pytest.raises(InputError, match="not a blastscope connections file"):
        list_connections()


def test_bad_names_and_clouds(ring: MemoryKeyring) -> None:
    with pytest.raises(InputError, match="connection name"):
        add_connection("aws", "../etc", {"profile": "p"})
    with pytest.raises(InputError, match="not one of"):
        add_connection("oracle", "x", {"profile": "p"})


def test_default_location_is_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("BLASTSCOPE_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert credentials.config_path() == tmp_path / "blastscope" / "connections.json"


def _rsa_pem() -> tuple[Any, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key, pem


def test_azure_credential_secret_or_certificate(ring: MemoryKeyring) -> None:
    import datetime as dt

    from azure.identity import CertificateCredential, ClientSecretCredential
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    add_connection("azure", "sp", {"tenant_id": TENANT, "client_id": CLIENT}, SECRET)
    assert isinstance(credentials.azure_credential(get_connection("sp")), ClientSecretCredential)
    key, pem = _rsa_pem()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "blastscope")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    bundle = pem + cert.public_bytes(serialization.Encoding.PEM).decode()
    add_connection("azure", "cert", {"tenant_id": TENANT, "client_id": CLIENT}, bundle)
    assert isinstance(credentials.azure_credential(get_connection("cert")), CertificateCredential)
    with pytest.raises(CloudError, match="not azure"):
        credentials.azure_credential(credentials.Connection("gcp", "x"))


def test_gcp_credentials_from_the_keyring(ring: MemoryKeyring) -> None:
    _, pem = _rsa_pem()
    key = json.loads(gcp_key())
    key["private_key"] = pem
    add_connection("gcp", "sa", {}, json.dumps(key))
    creds = credentials.gcp_credentials(get_connection("sa"))
    assert creds.service_account_email == "scanner@prod-data-123.iam.gserviceaccount.com"
    add_connection("gcp", "broken", {}, gcp_key())  # a private key that does not parse
    with pytest.raises(CloudError, match="unusable service-account key"):
        credentials.gcp_credentials(get_connection("broken"))
