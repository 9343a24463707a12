"""`--connection NAME`: a saved service principal whose secret lives in the keyring."""

from __future__ import annotations

import pytest
from azure.identity import ClientSecretCredential
from fakes.memory_keyring import MemoryKeyring

from blastscope.graph.errors import CloudError, InputError
from blastscope.providers.azure.collector import default_credential
from blastscope.providers.base import Scope
from blastscope.providers.credentials import add_connection

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CLIENT = "0b5c9a3e-7d2f-4a61-9c1e-5f3b2a1d0c9e"


def test_saved_service_principal_becomes_a_client_secret_credential(ring: MemoryKeyring) -> None:
    add_connection("azure", "corp", {"tenant_id": TENANT, "client_id": CLIENT}, "s3cr3t-value")
    credential = default_credential(Scope(connection="corp"))
    assert isinstance(credential, ClientSecretCredential)
    assert credential._client_id == CLIENT and credential._tenant_id == TENANT


def test_missing_secret_or_connection_is_one_line(ring: MemoryKeyring) -> None:
    add_connection("azure", "corp", {"tenant_id": TENANT, "client_id": CLIENT}, "s3cr3t-value")
    ring.store.clear()
    with pytest.raises(CloudError, match="not in the keyring"):
        default_credential(Scope(connection="corp"))
    with pytest.raises(InputError, match="no saved connection"):
        default_credential(Scope(connection="nope"))
