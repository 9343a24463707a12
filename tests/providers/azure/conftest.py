"""Fixtures: the HTTPS ARM fake, a stub credential (the HTTP layer stays the real SDK's),
and a provider wired to both with a short retry backoff."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.azure_arm import ArmFake, StubCredential

from blastscope.providers.azure import SERVICES
from blastscope.providers.azure.collector import AzureProvider
from blastscope.providers.base import Scope

FAST_RETRY = {"retry_backoff_factor": 0.01, "retry_backoff_max": 0.05, "retry_total": 3}


@pytest.fixture
def arm(monkeypatch: pytest.MonkeyPatch) -> Iterator[ArmFake]:
    fake = ArmFake().start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_path)
    monkeypatch.setenv("SSL_CERT_FILE", fake.ca_path)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def credential() -> StubCredential:
    return StubCredential()


@pytest.fixture
def provider(credential: StubCredential) -> AzureProvider:
    return AzureProvider(
        services=SERVICES,
        credential_factory=lambda scope: credential,
        max_workers=4,
        client_options=dict(FAST_RETRY),
    )


@pytest.fixture
def scope(arm: ArmFake) -> Scope:
    return Scope(endpoint=arm.base_url)
