"""The demo's Azure subscription and GCP project: the real collectors against the HTTPS fakes.

Both fakes (``tests/fakes``) serve recorded REST bodies of an "Acme" estate in the same spirit
as the AWS account — a public web VM, a jump host, a database, storage with customer data,
key vaults / KMS and secrets, identities with too much access — so the demo covers three
clouds through the same code paths ``blastscope collect azure|gcp`` uses.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]


def _fakes_importable() -> None:
    for folder in (TESTS, TESTS / "fakes"):
        if str(folder) not in sys.path:
            sys.path.append(str(folder))


@contextlib.contextmanager
def _env(values: dict[str, str], drop: tuple[str, ...]) -> Iterator[None]:
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(drop):
            del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def collect_azure() -> Any:
    """The Azure collector against the ARM fake (stub credential; the HTTP stack is real)."""
    _fakes_importable()
    from fakes.azure_arm import ArmFake, StubCredential

    from blastscope.providers.azure import SERVICES
    from blastscope.providers.azure.collector import AzureProvider
    from blastscope.providers.base import Scope

    fake = ArmFake().start()
    try:
        env = {
            "REQUESTS_CA_BUNDLE": fake.ca_path,
            "SSL_CERT_FILE": fake.ca_path,
            "NO_PROXY": "127.0.0.1,localhost",
        }
        with _env(env, ("AZURE_", "MSI_", "IDENTITY_", "IMDS_")):
            credential = StubCredential()
            provider = AzureProvider(
                services=SERVICES,
                credential_factory=lambda _scope: credential,
                max_workers=1,
                client_options={"retry_total": 1, "retry_backoff_factor": 0.01},
            )
            return _without(provider.collect(Scope(endpoint=fake.base_url)), fake.base_url)
    finally:
        fake.stop()


def collect_gcp() -> Any:
    """The GCP collector against the GCP fake (service-account key whose token_uri is local)."""
    _fakes_importable()
    from gcp_estate import PROJECT, ROUTES, isolated_env, write_key
    from gcp_server import serve

    from blastscope.providers.base import Scope
    from blastscope.providers.gcp import GcpProvider

    with (
        tempfile.TemporaryDirectory(prefix="blastscope-demo-gcp-") as tmp,
        serve(dict(ROUTES), Path(tmp)) as fake,
    ):
        assert fake.ca_file is not None
        key = write_key(Path(tmp) / "sa-key.json", fake.url + "/token")
        env = isolated_env({}, key_file=key, ca_file=fake.ca_file, home=Path(tmp))
        with _env(env, ("GOOGLE_", "CLOUDSDK_", "GCE_")):
            snap = GcpProvider().collect(Scope(project=PROJECT, endpoint=fake.url))
        return _without(snap, fake.url)


def _without(snap: Any, base_url: str) -> Any:
    """The fake's random port must not reach the committed file."""
    import json

    from blastscope.graph.model import snapshot_from_dict

    text = json.dumps(snap.to_dict()).replace(base_url, "https://management.example")
    return snapshot_from_dict(json.loads(text))
