"""The shared HTTPS fake helper: a real TLS handshake against the test CA, and stop frees it."""

from __future__ import annotations

import json
import ssl
import urllib.request
from http.server import BaseHTTPRequestHandler

import pytest
from fakes import tls


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_serves_https_trusted_by_the_ca_file() -> None:
    with tls.serving(_Hello) as (base_url, ca_path):
        assert base_url.startswith("https://127.0.0.1:")
        context = ssl.create_default_context(cafile=ca_path)
        with urllib.request.urlopen(f"{base_url}/x?y=1", context=context, timeout=5) as resp:
            assert json.load(resp) == {"path": "/x?y=1"}
        with pytest.raises(urllib.error.URLError):  # the system store does not trust it
            urllib.request.urlopen(base_url, context=ssl.create_default_context(), timeout=5)
    with pytest.raises(OSError):
        urllib.request.urlopen(base_url, context=context, timeout=2)
