"""Parsing AWS policy documents into statements, and matching one statement to a request.

A document that is not valid JSON (the collector stores the original string) or not a
policy yields no statements and a warning: whoever it applies to is *unknown*, never
"has no permissions".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from blastscope.graph.iam import StatementRef
from blastscope.graph.iam.aws_conditions import RequestContext, evaluate_condition
from blastscope.graph.iam.aws_match import (
    MAYBE,
    NO,
    YES,
    Tri,
    as_list,
    glob_match,
    glob_prefix,
    substitute,
)


@dataclass(frozen=True, slots=True)
class Statement:
    """One normalized statement; ``None`` means the element is absent."""

    ref: StatementRef
    allow: bool
    actions: tuple[str, ...] | None
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None
    not_resources: tuple[str, ...] | None
    principals: tuple[str, ...] | None
    not_principals: tuple[str, ...] | None
    condition: Any
    action_key: tuple[tuple[str, ...] | None, tuple[str, ...] | None] = (None, None)
    """(actions, not_actions): the cache key of action matching (set on parse)."""
    resource_free: bool = False
    """True when the statement matches every resource alike (``Resource: *``, no
    resource-dependent condition): its result can be shared across resources."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "action_key", (self.actions, self.not_actions))
        free = (
            self.not_resources is None
            and self.resources is not None
            and "*" in self.resources
            and not mentions_resource(self.condition)
        )
        object.__setattr__(self, "resource_free", free)


@dataclass(frozen=True, slots=True)
class Target:
    """The resource of a request: an ARN, or every object under an S3 prefix (``family``)."""

    arn: str
    family: bool = False


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    statements: tuple[Statement, ...]
    error: str | None


def parse_document(doc_id: str, raw: Any) -> ParsedDocument:
    """Statements of one stored document; ``error`` says why it could not be read."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            return ParsedDocument((), f"policy {doc_id} is not valid JSON ({exc.msg})")
    if not isinstance(raw, dict) or "Statement" not in raw:
        return ParsedDocument((), f"policy {doc_id} has no Statement")
    items = raw["Statement"]
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return ParsedDocument((), f"policy {doc_id}: Statement is not a list")
    out = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            return ParsedDocument((), f"policy {doc_id}: statement {index} is not an object")
        effect = str(item.get("Effect", ""))
        if effect not in ("Allow", "Deny"):
            return ParsedDocument((), f"policy {doc_id}: statement {index} has Effect {effect!r}")
        sid = item.get("Sid")
        out.append(
            Statement(
                ref=StatementRef(doc_id, index, str(sid) if sid is not None else None, effect),
                allow=effect == "Allow",
                actions=_lower(item.get("Action")),
                not_actions=_lower(item.get("NotAction")),
                resources=_strs(item.get("Resource")),
                not_resources=_strs(item.get("NotResource")),
                principals=_principals(item["Principal"]) if "Principal" in item else None,
                not_principals=(
                    _principals(item["NotPrincipal"]) if "NotPrincipal" in item else None
                ),
                condition=item.get("Condition"),
            )
        )
    return ParsedDocument(tuple(out), None)


def _lower(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(v.lower() for v in as_list(value))


def _strs(value: Any) -> tuple[str, ...] | None:
    return None if value is None else tuple(as_list(value))


def _principals(value: Any) -> tuple[str, ...]:
    """Principal element as ``AWS:arn``, ``Service:name``, ``*`` strings."""
    if value == "*":
        return ("*",)
    out: list[str] = []
    if isinstance(value, dict):
        for kind, names in value.items():
            for name in as_list(names):
                out.append("*" if (kind == "AWS" and name == "*") else f"{kind}:{name}")
    return tuple(out)


def mentions_resource(condition: Any) -> bool:
    text = json.dumps(condition).lower() if condition else ""
    return "resourcetag" in text or "resourceaccount" in text or "requestedregion" in text


@lru_cache(maxsize=262144)
def action_matches(action_key: tuple[Any, Any], action: str) -> bool:
    """Whether a statement's Action / NotAction covers one lower-case action."""
    actions, not_actions = action_key
    if actions is not None:
        return any(glob_match(p, action) for p in actions)
    if not_actions is not None:
        return not any(glob_match(p, action) for p in not_actions)
    return False


def action_set(action_key: tuple[Any, Any], universe: frozenset[str]) -> frozenset[str]:
    """The actions of ``universe`` a statement covers (cached per universe)."""
    return _action_set(action_key, universe)


@lru_cache(maxsize=65536)
def _action_set(action_key: tuple[Any, Any], universe: frozenset[str]) -> frozenset[str]:
    return frozenset(a for a in universe if action_matches(action_key, a))


def resource_match(stmt: Statement, target: Target, ctx: RequestContext) -> Tri:
    """YES / MAYBE / NO: does the statement's Resource (NotResource) cover the target?

    For an object family a Deny must cover every object (YES) and an Allow some object.
    """
    return match_prepared(stmt, prepare(stmt, ctx), target)


Prepared = tuple[tuple[str, bool], ...]
"""A statement's Resource / NotResource patterns with policy variables substituted."""


def prepare(stmt: Statement, ctx: RequestContext) -> Prepared:
    """Substitute the variables of a statement's resource patterns once for a principal."""
    patterns = stmt.resources if stmt.resources is not None else stmt.not_resources or ()
    out = []
    for raw in patterns:
        pattern, exact = substitute(raw, ctx.lookup)
        if "\x02" not in pattern:  # a variable absent from the request matches nothing
            out.append((pattern, exact))
    return tuple(out)


def match_prepared(stmt: Statement, prepared: Prepared, target: Target) -> Tri:
    """:func:`resource_match` with the patterns already substituted."""
    if stmt.resources is not None:
        return _any_pattern(prepared, target, stmt.allow)
    if stmt.not_resources is not None:
        # The statement applies to what NotResource does not list: invert the "some"/"all".
        hit = _any_pattern(prepared, target, not stmt.allow)
        return YES if hit == NO else NO if hit == YES else MAYBE
    # Resource-based policies (role trust policies above all) may omit Resource: it is the
    # resource the policy is attached to.
    return YES


def _any_pattern(patterns: Prepared, target: Target, some: bool) -> Tri:
    best = NO
    for pattern, exact in patterns:
        if target.family:
            any_hit, all_hit = glob_prefix(pattern, target.arn)
            hit = any_hit if some else all_hit
        else:
            hit = glob_match(pattern, target.arn)
        if hit:
            if exact:
                return YES
            best = MAYBE
    return best


def principal_match(stmt: Statement, arn: str, account: str, role_name: str | None) -> str | None:
    """How a resource-policy statement names a principal.

    Returns ``"direct"`` (the user ARN, ``*``, or a role session — not limited by a
    permissions boundary), ``"role"`` (the role ARN: the boundary still applies),
    ``"account"`` (the account: identity policies must allow too), or None.
    """
    if stmt.principals is not None:
        return _named(stmt.principals, arn, account, role_name)
    if stmt.not_principals is not None:
        return None if _named(stmt.not_principals, arn, account, role_name) else "direct"
    return None


def _named(names: tuple[str, ...], arn: str, account: str, role_name: str | None) -> str | None:
    best = None
    for name in names:
        if name == "*":
            return "direct"
        if not name.startswith("AWS:"):
            continue
        value = name[4:]
        if value == arn:
            return "role" if role_name is not None else "direct"
        if role_name is not None and value.startswith(f"arn:aws:sts::{account}:assumed-role/"):
            session_role = value.split("/")[1] if value.count("/") >= 1 else ""
            if session_role == role_name:
                return "direct"
        if value in (account, f"arn:aws:iam::{account}:root"):
            best = "account"
    return best


def condition_match(stmt: Statement, ctx: RequestContext) -> Tri:
    """The statement's Condition against the context (YES when it has none)."""
    return evaluate_condition(stmt.condition, ctx) if stmt.condition else YES


__all__ = [
    "MAYBE",
    "NO",
    "YES",
    "ParsedDocument",
    "Statement",
    "Target",
    "action_matches",
    "action_set",
    "condition_match",
    "parse_document",
    "principal_match",
    "resource_match",
]
