"""What an AWS error means for a collection: a gap to report, or the end of the run.

AccessDenied, throttling that outlasted the retries, timeouts and 5xx concern one service
in one region: they become a :class:`Warning` and the rest is still collected. Missing,
invalid or expired credentials concern everything: they stop the run.
"""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)

from blastscope.graph.errors import CloudError
from blastscope.graph.model import Warning
from blastscope.providers.base import Task

FATAL_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidToken",
        "InvalidAccessKeyId",
        "AuthFailure",
        "SignatureDoesNotMatch",
        "TokenRefreshRequired",
        "RequestExpired",
    }
)
"""Credential failures: every later call would fail the same way."""

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "AuthorizationErrorException",
        "Forbidden",
        "AllAccessDisabled",
    }
)
THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "EC2ThrottledException",
        "BandwidthLimitExceeded",
        "PriorRequestNotComplete",
    }
)
_CREDENTIAL_ERRORS = (
    NoCredentialsError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
    NoRegionError,
)


def error_code(exc: BaseException) -> str:
    """The AWS error code of ``exc`` (``ClientError``), or a short name for other failures."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


def is_fatal(exc: BaseException) -> bool:
    """True when ``exc`` means the credentials are unusable, for this call and every other."""
    if isinstance(exc, _CREDENTIAL_ERRORS):
        return True
    return isinstance(exc, ClientError) and error_code(exc) in FATAL_CODES


def kind_of(exc: BaseException) -> str:
    """The warning's ``error`` field: a stable category plus AWS's own code when it adds one."""
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError, TimeoutError)):
        return "Timeout"
    if isinstance(exc, EndpointConnectionError):
        return "ConnectionError"
    code = error_code(exc)
    if code in DENIED_CODES:
        return "AccessDenied"
    if code in THROTTLE_CODES:
        return "Throttling"
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if int(status) >= 500:
            return "ServerError"
        if int(status) == 403:
            return "AccessDenied"
    return code


def one_line(exc: BaseException, limit: int = 300) -> str:
    """The error's message on one line, short enough for a terminal."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_warning(service: str, region: str, exc: BaseException) -> Warning:
    """The warning that records ``exc`` as a gap in ``service``/``region``."""
    kind = kind_of(exc)
    message = one_line(exc)
    if kind == "Throttling":
        message = f"still throttled after retries: {message}"
    return Warning(service=service, region=region or "global", error=kind, message=message)


def classify(task: Task, exc: BaseException) -> Warning | None:
    """``run_tasks``'s classifier: None (fatal) for credential failures, else a warning."""
    if is_fatal(exc) or isinstance(exc, CloudError):
        return None
    return to_warning(task.service, task.region, exc)
