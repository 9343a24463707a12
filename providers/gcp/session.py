"""Credentials, clients and calls for the GCP collector: one place that knows endpoints,
retries and how a failed call becomes a warning.

Every service module receives a :class:`GcpSession` and asks it for SDK clients (compute,
resource manager, storage — REST transports) or for REST pages through google-auth's
``AuthorizedSession`` (Cloud SQL, Secret Manager, KMS, IAM — APIs whose Python clients speak
only gRPC or are not dependencies). ``--endpoint`` sends every API to one base URL (a private
endpoint or a test server); without it each API goes to its own ``*.googleapis.com`` host.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions

from blastscope.graph.errors import CloudError
from blastscope.graph.model import Warning

SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
TIMEOUT = 30.0
MAX_ATTEMPTS = 5
RETRY_BASE = 0.2
RETRY_CAP = 5.0
"""Throttling is retried with exponential backoff and full jitter, at most MAX_ATTEMPTS times.
SDK calls are made with ``retry=None`` so that this is the only retry policy: the SDKs' own
(storage retries a 429 for up to two minutes) would multiply with it."""

T = TypeVar("T")

_RETRYABLE = (gexc.TooManyRequests, gexc.ServiceUnavailable, gexc.BadGateway, gexc.GatewayTimeout)


@dataclass
class GcpSession:
    """Credentials plus endpoint; builds clients lazily and shares them between threads."""

    credentials: Any
    endpoint: str | None = None
    timeout: float = TIMEOUT
    """Seconds before one HTTP call is abandoned (a hanging API becomes a warning)."""
    sleep: Callable[[float], None] = time.sleep
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def options(self) -> ClientOptions | None:
        return ClientOptions(api_endpoint=self.endpoint) if self.endpoint else None

    def client(self, name: str, factory: Callable[[], T]) -> T:
        """One client per name (SDK clients are thread-safe for concurrent calls)."""
        with self._lock:
            if name not in self._clients:
                self._clients[name] = factory()
            return self._clients[name]  # type: ignore[no-any-return]

    def compute(self, cls_name: str) -> Any:
        from google.cloud import compute_v1

        cls = getattr(compute_v1, cls_name)
        return self.client(
            f"compute.{cls_name}",
            lambda: cls(credentials=self.credentials, client_options=self.options()),
        )

    def resourcemanager(self, cls_name: str) -> Any:
        from google.cloud import resourcemanager_v3

        cls = getattr(resourcemanager_v3, cls_name)
        return self.client(
            f"rm.{cls_name}",
            lambda: cls(
                credentials=self.credentials, transport="rest", client_options=self.options()
            ),
        )

    def storage(self, project: str) -> Any:
        from google.cloud import storage

        opts = {"api_endpoint": self.endpoint} if self.endpoint else None
        return self.client(
            f"storage.{project}",
            lambda: storage.Client(
                project=project, credentials=self.credentials, client_options=opts
            ),
        )

    def http(self) -> Any:
        from google.auth.transport.requests import AuthorizedSession

        return self.client("http", lambda: AuthorizedSession(self.credentials))

    def base(self, host: str) -> str:
        """Base URL of an API: the override endpoint, or ``https://<host>``."""
        return (self.endpoint or f"https://{host}").rstrip("/")

    # --- REST -------------------------------------------------------------------------------

    def get_json(
        self, host: str, path: str, params: dict[str, Any] | None = None, *, method: str = "GET"
    ) -> dict[str, Any]:
        """One REST read; errors raise google.api_core exceptions, throttling is retried.

        ``method`` is POST only for calls that are reads by API design (``:getIamPolicy``).
        """
        url = self.base(host) + path

        def call() -> dict[str, Any]:
            if method == "GET":
                resp = self.http().get(url, params=params, timeout=self.timeout)
            elif method == "POST" and path.endswith(":getIamPolicy"):
                resp = self.http().post(url, params=params, json={}, timeout=self.timeout)
            else:  # pragma: no cover - a guard, not a path
                raise ValueError(f"refusing non-read call {method} {path}")
            if resp.status_code >= 400:
                raise gexc.from_http_response(resp)
            try:
                data = resp.json()
            except json.JSONDecodeError as exc:
                raise gexc.ServerError(f"{path}: response is not JSON") from exc
            return data if isinstance(data, dict) else {}

        return self.retry(call)

    def pages(
        self, host: str, path: str, key: str, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Items of a paged REST list (``nextPageToken``), every page followed once."""
        query = dict(params or {})
        seen: set[str] = set()
        while True:
            page = self.get_json(host, path, query)
            yield from page.get(key, []) or []
            token = page.get("nextPageToken")
            if not token:
                return
            if token in seen:
                raise gexc.ServerError(f"{path}: the page token {token!r} came back twice")
            seen.add(token)
            query["pageToken"] = token

    def retry(self, call: Callable[[], T]) -> T:
        """Run ``call``; on 429/503 wait (exponential, full jitter) and try again, bounded."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return call()
            except _RETRYABLE:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                self.sleep(random.uniform(0, min(RETRY_CAP, RETRY_BASE * 2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover


def guarded_pages(pager: Any, token: Callable[[Any], str | None]) -> Iterator[Any]:
    """Pages of an SDK pager, stopping with an error if a page token comes back twice.

    The SDK pagers follow ``nextPageToken`` for as long as the server sends one; a server
    that loops would keep a collection running forever.
    """
    seen: set[str] = set()
    for page in pager.pages:
        yield page
        value = token(page)
        if value:
            if value in seen:
                raise gexc.ServerError(f"the page token {value!r} came back twice")
            seen.add(value)


# --- errors ---------------------------------------------------------------------------------


def is_fatal(exc: BaseException) -> bool:
    """Credentials rejected or expired: stop the collection, keep what was read."""
    from google.auth import exceptions as auth_exc

    return isinstance(
        exc, gexc.Unauthenticated | gexc.Unauthorized | auth_exc.RefreshError | CloudError
    )


def to_warning(service: str, region: str, exc: BaseException) -> Warning:
    """A failed read as a warning (what could not be read, and why, in one line)."""
    if isinstance(exc, gexc.GoogleAPICallError):
        text = _one_line(exc.message or str(exc))
        if isinstance(exc, gexc.PermissionDenied | gexc.Forbidden):
            disabled = "SERVICE_DISABLED" in str(exc) or "has not been used" in text
            error = "ApiNotEnabled" if disabled else "PermissionDenied"
        elif isinstance(exc, gexc.TooManyRequests):
            error = "Throttling"
        elif isinstance(exc, gexc.NotFound):
            error = "NotFound"
        elif isinstance(exc, gexc.ServerError):
            error = "ServerError"
        else:
            error = type(exc).__name__
        return Warning(service, region, error, text)
    name = type(exc).__name__
    if "Timeout" in name or "timed out" in str(exc):
        return Warning(service, region, "Timeout", _one_line(str(exc)))
    if "Connection" in name or "SSL" in name:
        return Warning(service, region, "Unreachable", _one_line(str(exc)))
    return Warning(service, region, name, _one_line(str(exc)))


def _one_line(text: str) -> str:
    line = " ".join(str(text).split())
    return line[:300]
