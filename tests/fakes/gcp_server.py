"""A local HTTPS server that answers Google Cloud REST calls with recorded JSON shapes.

Served over TLS by the shared ``tls`` helper. Routes map ``METHOD /path`` (URL-decoded,
no query) to a JSON file under ``tests/data/gcp``;
``?pageToken=T`` serves the file's sibling ``<name>.T.json``. Faults are injected per path
fragment (a 403, a 429, a 401 …), every request is recorded, and ``POST /token`` answers the
JWT-bearer grant google-auth makes for service-account keys.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from fakes import tls

DATA = Path(__file__).resolve().parents[1] / "data" / "gcp"
STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    authorized: bool


@dataclass
class Fault:
    fragment: str
    status: int
    times: int
    message: str
    reason: str = ""


@dataclass
class FakeGcp:
    """Routes, faults and the request log; ``url`` once started."""

    routes: dict[str, str]
    url: str = ""
    ca_file: Path | None = None
    requests: list[Recorded] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self, fragment: str, status: int, *, times: int = 1, message: str = "", reason: str = ""
    ) -> None:
        """The next ``times`` requests whose path contains ``fragment`` get ``status``."""
        self.faults.append(
            Fault(fragment, status, times, message or STATUS.get(status, "error"), reason)
        )

    def answer(self, method: str, raw_path: str, authorized: bool) -> tuple[int, Any]:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        query = parse_qs(parts.query)
        with self.lock:
            self.requests.append(Recorded(method, path, query, authorized))
            for fault in self.faults:
                if fault.times > 0 and fault.fragment in path:
                    fault.times -= 1
                    return fault.status, _error(fault)
        if method == "POST" and path == "/token":
            return 200, {
                "access_token": "fake-access-token",
                "expires_in": 3600,
                "token_type": "Bearer",
            }
        if not authorized:
            return 401, _error(Fault("", 401, 0, "Request had invalid authentication credentials."))
        name = self.routes.get(f"{method} {path}")
        if name is None:
            return 404, _error(Fault("", 404, 0, f"The requested resource {path} was not found."))
        token = (query.get("pageToken") or [""])[0]
        file = DATA / name
        if token:
            file = file.with_name(f"{file.stem}.{token}.json")
        return 200, json.loads(file.read_text())

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]


def _error(fault: Fault) -> dict[str, Any]:
    status = STATUS.get(fault.status, "UNKNOWN")
    error: dict[str, Any] = {"code": fault.status, "message": fault.message, "status": status}
    error["errors"] = [
        {"message": fault.message, "domain": "global", "reason": fault.reason or status.lower()}
    ]
    if fault.reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": fault.reason,
                "domain": "googleapis.com",
            }
        ]
    return {"error": error}


def _handler(fake: FakeGcp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            auth = self.headers.get("Authorization", "")
            status, body = fake.answer(self.command, self.path, auth.startswith("Bearer "))
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return Handler


@contextmanager
def serve(
    routes: dict[str, str], workdir: Path | None = None, *, plain: bool = False
) -> Iterator[FakeGcp]:
    """Start the fake on 127.0.0.1 over TLS (the shared test CA of ``tls``: ``fake.ca_file``),
    or over plain http."""
    fake = FakeGcp(routes=routes)
    with tls.serving(_handler(fake), plain=plain) as (base_url, ca_path):
        fake.url, fake.ca_file = base_url, Path(ca_path)
        yield fake
