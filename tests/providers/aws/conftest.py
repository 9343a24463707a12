"""Fixtures for the AWS collector tests: moto in-process, the estate, a fast provider."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries.bucket import TokenBucket as RetryTokenBucket
from botocore.retries.standard import ExponentialBackoff
from moto import mock_aws

sys.path.insert(0, str(Path(__file__).parent))

from aws_estate import REGION, Estate, build_estate  # noqa: E402

from blastscope.providers.aws import SERVICES, Service  # noqa: E402
from blastscope.providers.aws.collector import AwsProvider  # noqa: E402
from blastscope.providers.aws.session import ClientSettings  # noqa: E402

FAST = ClientSettings(max_attempts=4, rates={"*": (1e6, 1e6)})
"""Retries on, rate limits generous (moto answers instantly), timeouts short."""


def set_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # Moto's ~1,300 default AMIs come with snapshots "owned" by the test account.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    set_aws_env(monkeypatch)


@pytest.fixture
def moto() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def estate(moto: None) -> Estate:
    return build_estate(boto3.client)


def only(*names: str) -> tuple[Service, ...]:
    """The registered services called ``names`` (keeps a test to what it is about)."""
    chosen = tuple(s for s in SERVICES if s.name in names)
    assert len(chosen) == len(names), names
    return chosen


def provider(session: boto3.session.Session | None = None, **kwargs: object) -> AwsProvider:
    """A provider on ``session`` (default: a fresh one) with test-speed client settings."""
    chosen = session or boto3.session.Session(region_name=REGION)
    kwargs.setdefault("settings", FAST)
    return AwsProvider(session_factory=lambda _scope: chosen, **kwargs)  # type: ignore[arg-type]


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_kw: object) -> Iterator[bytes]:
        yield self.data


def aws_error(status: int, code: str, *, protocol: str, message: str = "injected") -> Any:
    """A raw HTTP error response in ``protocol``'s wire format, for botocore to parse."""
    if protocol == "json":
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}
    elif protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            "</Errors><RequestID>r-1</RequestID></Response>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    elif protocol == "query":
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}"
            "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
        ).encode()
        headers = {"Content-Type": "text/xml"}
    else:  # s3 rest-xml
        body = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        headers = {"Content-Type": "application/xml"}
    return AWSResponse("https://injected", status, headers, _Body(body))


@dataclass
class Injector:
    """A ``before-send`` hook: answers the first ``times`` attempts with ``response``."""

    response: Any
    times: float = float("inf")
    when: Callable[[Any], bool] = lambda _request: True
    attempts: int = 0

    def __call__(self, request: Any, **_kw: Any) -> Any:
        if not self.when(request):
            return None
        self.attempts += 1
        return self.response if self.attempts <= self.times else None


def inject(session: boto3.session.Session, event: str, injector: Injector) -> Injector:
    session.events.register(f"before-send.{event}", injector)
    return injector


@pytest.fixture
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries keep their count but not their seconds-long sleeps (backoff, and the
    adaptive mode's slowed-down send rate after a throttle)."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.01)
    monkeypatch.setattr(RetryTokenBucket, "acquire", lambda self, amount=1, block=True: True)
