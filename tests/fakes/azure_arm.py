"""A fake Azure Resource Manager over HTTPS, speaking ARM's REST shapes from JSON files.

``tests/data/azure/<estate>/routes.json`` maps request paths (as ARM spells them; matched
case-insensitively, the query ignored except ``statusOnly``/``$expand``) to response files
holding real REST bodies. Lists longer than ``page_size`` are split into pages chained by
absolute ``nextLink`` URLs with a ``$skiptoken``, as ARM does. The fake also plays the App
Service managed-identity endpoint (``/msi/token``) so an unmodified DefaultAzureCredential
gets a token, records every request, and injects faults (403, 429 + Retry-After, 401).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fakes import tls

DATA = Path(__file__).resolve().parent.parent / "data" / "azure"
TOKEN = "fake-arm-token"
SUBSCRIPTION = "11111111-1111-1111-1111-111111111111"
"""The subscription of the recorded estate."""
IDENTITY_HEADER = "fake-identity-header"


@dataclass
class Fault:
    """Answer requests whose path matches ``pattern`` with an error, ``times`` times (None:
    always)."""

    pattern: str
    status: int
    code: str
    message: str = "injected by the test"
    times: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to stall before answering (a hanging endpoint)."""
    loop: bool = False
    """Answer normally, but with a ``nextLink`` pointing back at the same page."""

    def matches(self, path: str) -> bool:
        return re.search(self.pattern, path, re.IGNORECASE) is not None


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str | None


class ArmFake:
    """State of one fake ARM: routes, recorded requests, faults, token validity."""

    def __init__(self, estate: str | Path = "estate", *, page_size: int = 2) -> None:
        folder = Path(estate) if Path(estate).is_absolute() else DATA / estate
        self.folder = folder
        routes = json.loads((folder / "routes.json").read_text())
        self.routes = {key.lower(): value for key, value in routes.items()}
        self.page_size = page_size
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.token_valid = True
        self.lock = threading.Lock()
        self.base_url = ""
        self.ca_path = ""

    # --- lifecycle ----------------------------------------------------------------------
    def start(self, *, plain: bool = False) -> ArmFake:
        fake = self

        class Handler(_Handler):
            arm = fake

        self.base_url, self.ca_path = tls.start(Handler, plain=plain)
        return self

    def stop(self) -> None:
        tls.stop(self.base_url)

    def env(self, tmp: Path) -> dict[str, str]:
        """Environment in which an unmodified DefaultAzureCredential reaches this fake only."""
        import os

        config = tmp / "azure-config"
        config.mkdir(exist_ok=True)
        drop = ("AZURE_", "MSI_", "IDENTITY_", "IMDS_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
        env.update(
            IDENTITY_ENDPOINT=f"{self.base_url}/msi/token",
            IDENTITY_HEADER=IDENTITY_HEADER,
            AZURE_CONFIG_DIR=str(config),
            REQUESTS_CA_BUNDLE=self.ca_path,
            SSL_CERT_FILE=self.ca_path,
            NO_PROXY="127.0.0.1,localhost",
        )
        return env

    # --- behaviour ----------------------------------------------------------------------
    def fault_for(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(path) and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def arm_paths(self) -> list[str]:
        return [r.path for r in self.requests if not r.path.startswith("/msi/")]

    def body_for(self, path: str, query: dict[str, list[str]]) -> Any | None:
        key = path.rstrip("/").lower()
        if query.get("statusOnly", [""])[0].lower() == "true":
            key += "?statusonly=true"
        elif query.get("$expand"):
            key += f"?$expand={query['$expand'][0].lower()}"
        name = self.routes.get(key)
        if name is None:
            return None
        return json.loads((self.folder / name).read_text())


class StubCredential:
    """Hands out the fake's token; every request still goes through azure-core's pipeline
    (bearer policy, retries, TLS)."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(self.token, int(time.time()) + 3600)


class _Handler(BaseHTTPRequestHandler):
    arm: ArmFake
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", "00000000-0000-0000-0000-00000000fa4e")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        self._send(status, {"error": {"code": code, "message": message}}, headers)

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        arm = self.arm
        with arm.lock:
            arm.requests.append(
                Request(self.command, parts.path, query, self.headers.get("Authorization"))
            )
        if parts.path.startswith("/msi/token"):
            if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
                return self._error(401, "BadIdentityHeader", "missing X-IDENTITY-HEADER")
            expires = int(time.time()) + 3600
            return self._send(
                200,
                {
                    "access_token": TOKEN,
                    "expires_on": str(expires),
                    "resource": query.get("resource", [""])[0],
                    "token_type": "Bearer",
                },
            )
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._error(401, "AuthenticationFailed", "missing or wrong bearer token")
        if not arm.token_valid:
            return self._error(
                401,
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
            )
        if "api-version" not in query:
            return self._error(400, "MissingApiVersionParameter", "api-version is required")
        fault = arm.fault_for(parts.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and not fault.loop and fault.status:
            return self._error(fault.status, fault.code, fault.message, fault.headers)
        if self.command not in ("GET", "HEAD"):
            return self._error(405, "MethodNotAllowed", "this fake serves reads only")
        body = arm.body_for(parts.path, query)
        if body is None:
            return self._error(404, "ResourceNotFound", f"no route for {parts.path}")
        if isinstance(body, dict) and isinstance(body.get("value"), list):
            body = self._page(body, parts.path, query)
            if fault is not None and fault.loop:
                body["nextLink"] = f"{arm.base_url}{self.path}"
        return self._send(200, body)

    def _page(self, body: dict[str, Any], path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        items = body["value"]
        start = int(query.get("$skiptoken", ["0"])[0])
        size = self.arm.page_size
        page = {**body, "value": items[start : start + size]}
        page.pop("nextLink", None)
        if start + size < len(items):
            flat = {k: v[0] for k, v in query.items() if k != "$skiptoken"}
            flat["$skiptoken"] = str(start + size)
            page["nextLink"] = f"{self.arm.base_url}{path}?{urlencode(flat)}"
        return page

    do_GET = _handle
    do_POST = _handle
    do_PUT = _handle
    do_PATCH = _handle
    do_DELETE = _handle
    do_HEAD = _handle
