"""Per-cloud permission evaluation: each module turns a snapshot's raw policy documents
into permission edges (``can_access``, ``can_assume``, ``can_escalate``) with their reasons.

Every cloud module (``aws``, ``azure``, ``gcp``) offers the same two questions, used by the
``can`` / ``who-can`` commands and the TUI's forms:

- ``evaluate(snapshot, principal, action, resource) -> Decision``
- ``who_can(snapshot, action, resource) -> list[tuple[str, Decision]]`` (allowed or conditional)
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from blastscope.graph.errors import InputError
from blastscope.graph.model import Snapshot


class Outcome(StrEnum):
    """The answer to "may this principal do this?", as the cloud would decide it."""

    ALLOW = "allow"
    CONDITIONAL = "conditional"
    """Allowed only if a condition we cannot decide statically holds."""
    EXPLICIT_DENY = "explicit_deny"
    IMPLICIT_DENY = "implicit_deny"


@dataclass(frozen=True, slots=True)
class StatementRef:
    """One policy statement (or role assignment / binding) that took part in a decision."""

    document: str
    """Document id in ``Snapshot.documents``."""
    index: int | None
    """Statement index in the document (None for documents without statements)."""
    sid: str | None
    effect: str
    """``Allow`` / ``Deny`` (AWS), ``allow`` / ``deny`` otherwise."""


@dataclass(frozen=True, slots=True)
class Decision:
    """An evaluation result and the statements that decided it."""

    outcome: Outcome
    statements: tuple[StatementRef, ...]
    reason: str
    """One sentence a person reads: "allowed by statement 2 of policy X; no boundary"."""

    @property
    def allowed(self) -> bool:
        """True for allow and conditional: the path may exist."""
        return self.outcome in (Outcome.ALLOW, Outcome.CONDITIONAL)


class Evaluator(Protocol):
    """What ``graph/iam/<cloud>.py`` modules offer."""

    def evaluate(self, snapshot: Snapshot, principal: str, action: str, resource: str) -> Decision:
        """Decide one request."""
        ...

    def who_can(self, snapshot: Snapshot, action: str, resource: str) -> list[tuple[str, Decision]]:
        """Every principal allowed (or conditionally allowed) to do ``action`` on ``resource``."""
        ...


def evaluator_for(provider: str) -> Evaluator:
    """The evaluation module of one cloud (``aws``, ``azure``, ``gcp``)."""
    if provider not in ("aws", "azure", "gcp"):
        raise InputError(f"no IAM evaluator for provider {provider!r}")
    module = importlib.import_module(f"blastscope.graph.iam.{provider}")
    return module  # type: ignore[return-value]
