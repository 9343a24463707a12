"""Fixtures for the AWS collector tests: moto in-process, the estate, a fast provider."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).parent))

from aws_estate import REGION, Estate, build_estate  # noqa: E402

from blastscope.providers.aws.collector import AwsProvider  # noqa: E402
from blastscope.providers.aws.session import ClientSettings  # noqa: E402

FAST = ClientSettings(max_attempts=4, rates={"*": (1e6, 1e6)})
"""Retries on, rate limits generous (moto answers instantly), timeouts short."""


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # Moto's ~1,300 default AMIs come with snapshots "owned" by the test account.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


@pytest.fixture
def moto() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def estate(moto: None) -> Estate:
    return build_estate(boto3.client)


def provider(session: boto3.session.Session | None = None, **kwargs: object) -> AwsProvider:
    """A provider on ``session`` (default: a fresh one) with test-speed client settings."""
    chosen = session or boto3.session.Session(region_name=REGION)
    kwargs.setdefault("settings", FAST)
    return AwsProvider(session_factory=lambda _scope: chosen, **kwargs)  # type: ignore[arg-type]
