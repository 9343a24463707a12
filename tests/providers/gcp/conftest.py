"""Fixtures: the HTTPS fake serving the Acme estate, and an environment that trusts it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fakes"))

from gcp_estate import ROUTES, isolated_env, write_key  # noqa: E402
from gcp_server import FakeGcp, serve  # noqa: E402


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeGcp]:
    with serve(dict(ROUTES), tmp_path) as server:
        yield server


@pytest.fixture
def gcp_env(fake: FakeGcp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The process environment pointed at the fake (also returned for subprocesses)."""
    assert fake.ca_file is not None
    key = write_key(tmp_path / "sa-key.json", fake.url + "/token")
    env = isolated_env(dict(os.environ), key_file=key, ca_file=fake.ca_file, home=tmp_path)
    for name in list(os.environ):
        if name.startswith(("GOOGLE_", "CLOUDSDK_", "GCE_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if os.environ.get(name) != value:
            monkeypatch.setenv(name, value)
    return env
