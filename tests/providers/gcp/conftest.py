"""Fixtures: the HTTPS fake serving the Acme estate (one per module, faults and request log
reset per test), an environment that trusts it, and one clean collection to assert on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from fakes.gcp_estate import ROUTES, isolated_env, write_key
from fakes.gcp_server import FakeGcp, Recorded, serve

from blastscope.providers.base import Scope
from blastscope.providers.gcp import GcpProvider


@pytest.fixture(scope="module")
def server() -> Iterator[FakeGcp]:
    with serve(dict(ROUTES)) as fake:
        yield fake


@pytest.fixture
def fake(server: FakeGcp) -> FakeGcp:
    """The module's fake with no faults and an empty request log."""
    with server.lock:
        server.faults.clear()
        server.requests.clear()
    return server


@pytest.fixture(scope="module")
def gcp_env(server: FakeGcp, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The process environment pointed at the fake (also returned for subprocesses)."""
    assert server.ca_file is not None
    home = tmp_path_factory.mktemp("gcp-home")
    key = write_key(home / "sa-key.json", server.url + "/token")
    env = isolated_env(dict(os.environ), key_file=key, ca_file=server.ca_file, home=home)
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(("GOOGLE_", "CLOUDSDK_", "GCE_")):
                mp.delenv(name)
        for name, value in env.items():
            if os.environ.get(name) != value:
                mp.setenv(name, value)
        yield env


@pytest.fixture(scope="module")
def collected(server: FakeGcp, gcp_env: dict[str, str]) -> tuple[Any, list[Recorded]]:
    """One clean collection of the estate and the requests it made."""
    with server.lock:
        server.faults.clear()
        server.requests.clear()
    snap = GcpProvider().collect(Scope(project="acme-prod", endpoint=server.url))
    with server.lock:
        return snap, list(server.requests)
