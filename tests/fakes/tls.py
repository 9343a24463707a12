"""A local HTTPS server for fakes of cloud APIs: a throwaway CA (trustme) and a
ThreadingHTTPServer wrapped in TLS, so real SDKs that refuse plain http (azure-core's bearer
policy, google-auth) talk to it unmodified.

Usage::

    base_url, ca_path = tls.start(MyHandler)   # "https://127.0.0.1:PORT", "/tmp/.../ca.pem"
    ...                                        # point REQUESTS_CA_BUNDLE / SSL_CERT_FILE at ca_path
    tls.stop(base_url)

or ``with tls.serving(MyHandler) as (base_url, ca_path): ...``. One CA per test process; its
PEM is written once to a temporary folder. ``alpn`` lets a fake offer e.g. ``["h2", "http/1.1"]``
and switch on ``request.connection.selected_alpn_protocol()`` (gRPC and REST on one port).
"""

from __future__ import annotations

import atexit
import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import trustme

_lock = threading.Lock()
_ca: trustme.CA | None = None
_ca_path: str | None = None
_servers: dict[str, tuple[ThreadingHTTPServer, threading.Thread]] = {}


def ca() -> tuple[trustme.CA, str]:
    """The process's test CA and the path of its PEM (made on first use)."""
    global _ca, _ca_path
    with _lock:
        if _ca is None:
            _ca = trustme.CA()
            folder = tempfile.mkdtemp(prefix="blastscope-ca-")
            atexit.register(shutil.rmtree, folder, True)
            path = Path(folder) / "ca.pem"
            _ca.cert_pem.write_to_path(str(path))
            _ca_path = str(path)
        assert _ca_path is not None
        return _ca, _ca_path


def server_context(alpn: Sequence[str] | None = None) -> ssl.SSLContext:
    """A server-side TLS context with a leaf for 127.0.0.1 and localhost, signed by :func:`ca`."""
    authority, _ = ca()
    leaf = authority.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    if alpn:
        context.set_alpn_protocols(list(alpn))
    return context


class _PlainServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        pass


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    context: ssl.SSLContext

    def get_request(self):  # type: ignore[no-untyped-def]
        # Handshake in the handler thread (lazily, on first read), not in the accept loop:
        # one slow or broken client must not stall the server.
        sock, addr = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):  # type: ignore[no-untyped-def]
        # A client dropping a connection (retry policies, timeouts) is not a test failure.
        pass


def start(
    handler: type[BaseHTTPRequestHandler],
    *,
    host: str = "127.0.0.1",
    alpn: Sequence[str] | None = None,
    plain: bool = False,
) -> tuple[str, str]:
    """Serve ``handler`` over HTTPS (or plain HTTP, as some test servers do) on an
    ephemeral port; returns ``(base_url, ca_path)``."""
    server: ThreadingHTTPServer
    if plain:
        server = _PlainServer((host, 0), handler)
    else:
        server = _TLSServer((host, 0), handler)
        server.context = server_context(alpn)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="tls-fake", daemon=True
    )
    thread.start()
    base_url = f"{'http' if plain else 'https'}://{host}:{server.server_address[1]}"
    with _lock:
        _servers[base_url] = (server, thread)
    return base_url, ca()[1]


def stop(base_url: str) -> None:
    """Stop the server started at ``base_url`` (idempotent)."""
    with _lock:
        entry = _servers.pop(base_url, None)
    if entry is None:
        return
    server, thread = entry
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@contextmanager
def serving(
    handler: type[BaseHTTPRequestHandler],
    *,
    alpn: Sequence[str] | None = None,
    plain: bool = False,
) -> Iterator[tuple[str, str]]:
    """``start`` … ``stop`` as a context manager."""
    base_url, ca_path = start(handler, alpn=alpn, plain=plain)
    try:
        yield base_url, ca_path
    finally:
        stop(base_url)
