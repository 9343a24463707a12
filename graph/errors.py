"""Errors a user can act on: each carries a one-line message and the exit status it maps to.

The CLI prints ``message`` alone (no traceback): exit 2 for bad usage or input, 3 for a
cloud or credential failure.
"""

from __future__ import annotations

from blastscope.graph.redact import redact


class BlastscopeError(Exception):
    """Base of every error the CLI reports as one line."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        # The one line a user sees often quotes an SDK exception: never let it carry a secret.
        message = redact(message)
        super().__init__(message)
        self.message = message


class InputError(BlastscopeError):
    """Bad usage or input: an unknown node id, a malformed argument."""

    exit_code = 2


class SnapshotError(InputError):
    """A snapshot file that cannot be read: missing, truncated, not JSON, wrong schema."""


class CloudError(BlastscopeError):
    """The cloud or the credentials failed: no profile, expired token, unreachable endpoint."""

    exit_code = 3
