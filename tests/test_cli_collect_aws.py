"""End to end: the real `blastscope collect aws` in a subprocess against a moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

sys.path.insert(0, str(Path(__file__).parent / "providers" / "aws"))

from aws_estate import (  # noqa: E402
    ACCOUNT,
    PLANTED_ENV_SECRET,
    PLANTED_KEY_ID,
    PLANTED_SECRET,
    REGION,
    build_estate,
)

from blastscope.graph.model import load_snapshot  # noqa: E402


@pytest.fixture
def moto_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))
    try:
        yield endpoint
    finally:
        server.stop()


def cli_env(endpoint: str | None, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def test_collect_aws_end_to_end(moto_server: str, tmp_path: Path) -> None:
    def client(service: str, region_name: str) -> object:
        return boto3.client(
            service,
            region_name=region_name,
            endpoint_url=moto_server,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    estate = build_estate(client)
    out = tmp_path / "snap.json"
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "blastscope", "collect", "aws", "--regions", REGION, "-o", str(out)],
        capture_output=True,
        text=True,
        env=cli_env(moto_server, tmp_path),
        timeout=120,
    )
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"wrote snapshot {out}" in proc.stderr
    print(f"collect aws against moto server: {elapsed:.2f}s")  # the measured baseline

    snap = load_snapshot(out)
    assert snap.scope["account"] == ACCOUNT and not snap.partial
    assert snap.warnings == (), snap.warnings
    nodes = snap.node_index()
    kinds = Counter(str(n.kind) for n in nodes.values())
    for kind in (
        "instance",
        "role",
        "bucket",
        "key",
        "secret",
        "database",
        "function",
        "load_balancer",
        "firewall",
        "subnet",
        "network",
        "account",
    ):
        assert kinds[kind] >= 1, kind
    web = nodes[f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{estate.web}"]
    assert web.props["public_ips"] and web.props["imds_v1"] is True
    runs_as = {(e.src, e.dst) for e in snap.edges if e.kind == "runs_as"}
    assert (web.id, f"arn:aws:iam::{ACCOUNT}:role/web-role") in runs_as
    assert nodes["arn:aws:s3:::acme-public-assets"].props["public"] is True
    assert f"{estate.key_arn}#policy" in snap.documents

    text = out.read_text()
    for planted in (
        PLANTED_KEY_ID,
        PLANTED_SECRET,
        PLANTED_ENV_SECRET,
        estate.secret_access_key,
        "hunter2-PLANTED-secret-value",
    ):
        assert planted not in text
        assert planted not in proc.stderr and planted not in proc.stdout
    assert json.loads(text)["schema"] == "blastscope.snapshot/1"


def test_missing_profile_is_one_line_and_exit_3(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "blastscope",
            "collect",
            "aws",
            "--profile",
            "nope",
            "-o",
            str(tmp_path / "s.json"),
        ],
        capture_output=True,
        text=True,
        env=cli_env(None, tmp_path),
        timeout=60,
    )
    assert proc.returncode == 3
    assert proc.stderr.strip().count("\n") == 0 and "profile" in proc.stderr
    assert not (tmp_path / "s.json").exists()


def test_rejected_credentials_before_reading_exit_3(moto_server: str, tmp_path: Path) -> None:
    """An unreachable endpoint stands in for AWS refusing us: nothing read, exit 3."""
    env = cli_env("http://127.0.0.1:9", tmp_path)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "blastscope",
            "collect",
            "aws",
            "-q",
            "-o",
            str(tmp_path / "s.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr
    assert not (tmp_path / "s.json").exists()
