"""Clients for one collection: one boto3 session, bounded retries, a client-side rate limit.

Botocore's ``adaptive`` retry mode backs off with jitter when AWS throttles; the token buckets
here keep us under AWS's own per-region, per-API buckets (EC2 refills about 20 reads/s) so we
rarely get there. Clients are cached per (service, region) and are thread-safe; the session
itself is only touched under a lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import boto3
from botocore.config import Config

SessionFactory = Callable[[], boto3.session.Session]
"""Builds the session every client of one collection comes from (injectable for tests)."""

MAX_ATTEMPTS = 6
"""Total attempts per call (first try included) before a throttle or 5xx becomes a warning."""

DEFAULT_RATES: Mapping[str, tuple[float, float]] = {
    # service: (refill per second, bucket size) — AWS's documented or observed read budgets.
    "ec2": (20.0, 100.0),
    "iam": (10.0, 20.0),
    "sts": (10.0, 20.0),
    "s3": (100.0, 200.0),
    "kms": (50.0, 100.0),
    "lambda": (10.0, 20.0),
    "rds": (10.0, 40.0),
    "secretsmanager": (20.0, 40.0),
    "elbv2": (10.0, 40.0),
    "elb": (10.0, 40.0),
    "cloudtrail": (5.0, 10.0),
}
FALLBACK_RATE = (10.0, 20.0)


class TokenBucket:
    """A thread-safe token bucket: ``take()`` blocks until a token is free."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._stamp = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take one token; returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    return waited
                delay = (1.0 - self._tokens) / self.rate
            time.sleep(delay)
            waited += delay


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Retry, timeout and rate-limit settings for every client of a collection."""

    max_attempts: int = MAX_ATTEMPTS
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    rates: Mapping[str, tuple[float, float]] | None = None


class Clients:
    """boto3 clients by (service, region), created once, rate-limited per (service, region)."""

    def __init__(
        self,
        session: boto3.session.Session,
        *,
        endpoint_url: str | None = None,
        settings: ClientSettings | None = None,
        home_region: str = "us-east-1",
    ) -> None:
        self.session = session
        self.home_region = home_region
        self.endpoint_url = endpoint_url
        self.settings = settings or ClientSettings()
        self._clients: dict[tuple[str, str], Any] = {}
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        self._lock = threading.Lock()
        self._config = Config(
            retries={"mode": "adaptive", "total_max_attempts": self.settings.max_attempts},
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
            user_agent_extra="blastscope",
        )

    def client(self, service: str, region: str) -> Any:
        """The client for ``service`` in ``region``; ``global`` services (IAM, S3 listing,
        Organizations) go through the home region, which keeps GovCloud and China right."""
        region = region if region and region != "global" else self.home_region
        key = (service, region)
        with self._lock:
            found = self._clients.get(key)
            if found is None:
                kwargs: dict[str, Any] = {"region_name": region, "config": self._config}
                if self.endpoint_url:
                    kwargs["endpoint_url"] = self.endpoint_url
                found = self.session.client(service, **kwargs)
                bucket = self._bucket(service, region)
                # before-send fires once per HTTP attempt, retries included; returning None
                # lets the request go on.
                found.meta.events.register("before-send", _Throttle(bucket))
                if service == "s3control" and not _is_aws_host(found.meta.endpoint_url):
                    found.meta.events.register("before-sign.s3-control", _strip_account_host)
                self._clients[key] = found
            return found

    def _bucket(self, service: str, region: str) -> TokenBucket:
        rates = self.settings.rates if self.settings.rates is not None else DEFAULT_RATES
        rate, capacity = rates.get(service) or rates.get("*") or FALLBACK_RATE
        bucket = self._buckets.get((service, region))
        if bucket is None:
            bucket = self._buckets[(service, region)] = TokenBucket(rate, capacity)
        return bucket


def _is_aws_host(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".api.aws"))


def _strip_account_host(request: Any, **_kwargs: Any) -> None:
    """S3 Control puts the account id in front of the host; a custom endpoint (a test server,
    a gateway) has no such names, so address it directly."""
    parts = urlsplit(request.url)
    first, _, rest = (parts.netloc or "").partition(".")
    if first.isdigit() and len(first) == 12 and rest:
        request.url = urlunsplit(parts._replace(netloc=rest))


class _Throttle:
    """A ``before-send`` hook that waits for a token; returns None so the request goes on."""

    def __init__(self, bucket: TokenBucket) -> None:
        self.bucket = bucket

    def __call__(self, **_kwargs: Any) -> None:
        self.bucket.take()


def paginate(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    """Every item of ``key`` across all pages of ``operation`` (botocore's paginator).

    Botocore stops on a repeated continuation token instead of looping forever.
    """
    items: list[Any] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key) or [])
    return items
