"""`--connection NAME`: a saved service principal whose secret lives in the keyring."""

from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backend
import pytest
from azure.identity import ClientSecretCredential

from blastscope.graph.errors import CloudError, InputError
from blastscope.providers.azure.collector import default_credential
from blastscope.providers.base import Scope
from blastscope.providers.credentials import add_connection

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "0b5c9a3e-7d2f-4a61-9c1e-5f3b2a1d0c9e"


class _Ring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


@pytest.fixture
def ring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BLASTSCOPE_CONFIG_DIR", str(tmp_path))
    previous = keyring.get_keyring()
    backend = _Ring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_saved_service_principal_becomes_a_client_secret_credential(ring: _Ring) -> None:
    add_connection("azure", "corp", {"tenant_id": TENANT, "client_id": CLIENT}, "s3cr3t-value")
    credential = default_credential(Scope(connection="corp"))
    assert isinstance(credential, ClientSecretCredential)
    assert credential._client_id == CLIENT and credential._tenant_id == TENANT


def test_missing_secret_or_connection_is_one_line(ring: _Ring) -> None:
    add_connection("azure", "corp", {"tenant_id": TENANT, "client_id": CLIENT}, "s3cr3t-value")
    ring.store.clear()
    with pytest.raises(CloudError, match="not in the keyring"):
        default_credential(Scope(connection="corp"))
    with pytest.raises(InputError, match="no saved connection"):
        default_credential(Scope(connection="nope"))
