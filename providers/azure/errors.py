"""Azure SDK exceptions → the snapshot's warnings, or fatal credential errors.

A 403 on one service is a gap in the picture (a warning; its resources stay unknown), while
a rejected or expired credential stops the collection: nothing more can be read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from blastscope.graph.errors import CloudError
from blastscope.graph.model import Warning

T = TypeVar("T")


class WriteRefused(Exception):
    """The read-only guard stopped a request that was not a read."""


def classify(exc: BaseException) -> tuple[str, str] | None:
    """``(error, message)`` for a warning, or None when the error is fatal (credentials)."""
    if isinstance(exc, CloudError):
        return None
    if isinstance(exc, ClientAuthenticationError):
        return None
    if type(exc).__name__ == "PaginationLoop":
        return "PaginationLoop", one_line(str(exc))
    if isinstance(exc, WriteRefused):
        return "ReadOnlyGuard", one_line(str(exc))
    if isinstance(exc, ResourceNotFoundError):
        return "NotFound", _http_message(exc)
    if isinstance(exc, HttpResponseError):
        status = exc.status_code or 0
        code = _error_code(exc)
        if status == 401:
            return None
        if status == 403:
            return "AccessDenied", f"{code or 'Forbidden'}: {_http_message(exc)}"
        if status == 429:
            return "Throttling", f"still throttled after retries: {_http_message(exc)}"
        if status >= 500:
            return "ServerError", f"HTTP {status}: {_http_message(exc)}"
        return code or f"HTTP{status}", _http_message(exc)
    if isinstance(exc, ServiceResponseError):
        return "Timeout", one_line(str(exc))
    if isinstance(exc, ServiceRequestError):
        return "ConnectionError", one_line(str(exc))
    if isinstance(exc, TimeoutError):
        return "Timeout", one_line(str(exc))
    return type(exc).__name__, one_line(str(exc))


def fatal_message(exc: BaseException) -> str:
    """One line for a credential failure."""
    if isinstance(exc, CloudError):
        return exc.message
    if isinstance(exc, HttpResponseError) and exc.status_code == 401:
        return f"Azure rejected the credential ({_error_code(exc) or 'HTTP 401'}); sign in again"
    return f"Azure credential failed: {one_line(str(exc))}"


def to_warning(exc: BaseException, service: str, region: str) -> Warning | None:
    found = classify(exc)
    if found is None:
        return None
    return Warning(service=service, region=region, error=found[0], message=found[1])


def attempt(
    fn: Callable[[], T], warnings: list[Warning], service: str, region: str, what: str
) -> T | None:
    """Run one read; on a non-fatal error record a warning naming ``what`` and return None."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - every SDK error is classified below
        found = classify(exc)
        if found is None:
            raise
        warnings.append(Warning(service, region, found[0], f"{what}: {found[1]}"))
        return None


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _error_code(exc: HttpResponseError) -> str:
    err = getattr(exc, "error", None)
    code = getattr(err, "code", None)
    return str(code) if code else ""


def _http_message(exc: HttpResponseError) -> str:
    err = getattr(exc, "error", None)
    message = getattr(err, "message", None) or exc.message or str(exc)
    return one_line(str(message).splitlines()[0] if message else "")
