"""Build the demo estate: seed the fakes, run the real collectors, merge, write the package file.

``python tests/demo/build.py`` rewrites ``providers/demo_estate.json.gz``; the test in
``tests/providers/test_demo.py`` rebuilds it and asserts it equals the committed file, so the
demo always shows what the real collectors make of these estates.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "providers" / "demo_estate.json.gz"
COLLECTED_AT = "2026-01-01T00:00:00Z"
MOTO_SEED = 20260101
CLOUDS = ("aws", "azure", "gcp")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def load_part(name: str) -> Any:
    """Import a sibling module by path under a unique name: ``aws_estate`` is also the name of
    the AWS collector tests' estate, and this folder is not a package."""
    import importlib.util

    qualified = f"blastscope_demo_{name}"
    if qualified in sys.modules:
        return sys.modules[qualified]
    spec = importlib.util.spec_from_file_location(qualified, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[qualified] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def isolated_aws_env() -> Iterator[None]:
    """Dummy credentials, no profile or endpoint from the caller's environment."""
    saved = dict(os.environ)
    for var in list(os.environ):
        if var.startswith(("AWS_", "MOTO_")):
            del os.environ[var]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
            "AWS_CONFIG_FILE": "/nonexistent/aws-config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
        }
    )
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def collect_aws() -> Any:
    """Seed moto with the demo account and collect it with the real AWS collector."""
    import boto3
    import requests
    from moto import mock_aws

    from blastscope.providers.aws.collector import AwsProvider
    from blastscope.providers.aws.session import ClientSettings
    from blastscope.providers.base import Scope

    estate = load_part("aws_estate")
    with isolated_aws_env(), mock_aws():
        # moto's documented seed endpoint: its generated ids (i-…, vpc-…, key UUIDs) repeat.
        requests.post(f"http://motoapi.amazonaws.com/moto-api/seed?a={MOTO_SEED}", timeout=5)
        estate.build(boto3.client)
        session = boto3.session.Session(region_name=estate.REGION)
        provider = AwsProvider(
            session_factory=lambda _scope: session,
            settings=ClientSettings(max_attempts=2, rates={"*": (1e6, 1e6)}),
        )
        return provider.collect(Scope(regions=(estate.REGION,)))


def normalise(value: Any, *, sets: bool = False) -> Any:
    """Replace wall-clock timestamps (launch times, creation dates) with the demo's clock.

    With ``sets``, lists of strings are sorted: in node props they are sets (CIDRs, IPs,
    tags, policy ids) and some collectors gather them in thread order (GCP network CIDRs).
    """
    if isinstance(value, dict):
        return {k: normalise(v, sets=sets) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalise(v, sets=sets) for v in value]
        if sets and items and all(isinstance(v, str) for v in items):
            return sorted(items)
        return items
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return COLLECTED_AT
    return value


def collect(cloud: str) -> Any:
    """One cloud's part of the demo, as its real collector sees the fake."""
    if cloud == "aws":
        return collect_aws()
    clouds = load_part("clouds")
    return clouds.collect_azure() if cloud == "azure" else clouds.collect_gcp()


def as_part(snap: Any) -> Any:
    """A collected snapshot as a Partial with the wall-clock timestamps normalised."""
    from blastscope.graph.model import Edge, Node, Partial, Warning

    return Partial(
        nodes=[
            Node(n.id, n.kind, n.name, n.provider, n.region, normalise(dict(n.props), sets=True))
            for n in snap.nodes
        ],
        edges=[Edge(e.src, e.dst, e.kind, normalise(dict(e.props))) for e in snap.edges],
        documents=normalise(dict(snap.documents)),
        warnings=[Warning(w.service, w.region, w.error, w.message) for w in snap.warnings],
    )


def build_demo(clouds: tuple[str, ...] = CLOUDS) -> Any:
    """Every cloud part merged into one snapshot of provider "demo"."""
    from blastscope.graph.model import merge_parts

    collected = {cloud: collect(cloud) for cloud in clouds}
    scope = {"demo": True, "clouds": {k: normalise(dict(s.scope)) for k, s in collected.items()}}
    return merge_parts(
        [as_part(s) for s in collected.values()],
        provider="demo",
        scope=scope,
        collected_at=COLLECTED_AT,
    )


def main() -> int:
    from blastscope.graph.model import save_snapshot

    snap = build_demo()
    save_snapshot(snap, OUTPUT)
    print(f"{OUTPUT}: {len(snap.nodes)} nodes, {len(snap.edges)} edges", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
