"""Static evaluation of IAM ``Condition`` blocks against what a snapshot knows.

A request context here is partial: some keys are known (the principal's ARN, user name,
tags; the resource's tags and account), some are known to be absent (``aws:username`` for a
role), and the rest (``aws:SourceIp``, MFA, time...) are unknown. A condition on an unknown
key is MAYBE — the statement then makes a decision ``conditional`` instead of a guess.

One assumption is made on purpose: requests use TLS (``aws:SecureTransport`` is true), since
any caller can choose HTTPS; a "deny insecure transport" statement does not block them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from blastscope.graph.iam.aws_match import MAYBE, NO, YES, Tri, as_list, glob_match, substitute

UNKNOWN = None
"""Marker returned by :meth:`RequestContext.lookup` for a key we cannot know."""

_NEGATED = {
    "stringnotequals",
    "stringnotequalsignorecase",
    "stringnotlike",
    "arnnotequals",
    "arnnotlike",
    "numericnotequals",
    "datenotequals",
    "notipaddress",
}


@dataclass(frozen=True, slots=True)
class RequestContext:
    """What is known about one request: ``values`` by lower-case key (``[]`` = known absent).

    ``principal_tags`` / ``resource_tags`` are None when the tags were not read (unknown).
    """

    values: Mapping[str, list[str]] = field(default_factory=dict)
    principal_tags: Mapping[str, str] | None = None
    resource_tags: Mapping[str, str] | None = None

    def lookup(self, key: str) -> list[str] | None:
        """Values of a context key; ``[]`` when known absent; None when unknown."""
        low = key.lower()
        if low in self.values:
            return self.values[low]
        for prefix, tags in (
            ("aws:principaltag/", self.principal_tags),
            ("aws:resourcetag/", self.resource_tags),
        ):
            if low.startswith(prefix):
                if tags is None:
                    return None
                want = key[len(prefix) :].lower()
                return [v for k, v in tags.items() if k.lower() == want]
        return None

    def with_values(self, extra: Mapping[str, list[str]]) -> RequestContext:
        """A copy with more known keys (e.g. ``iam:PassedToService`` for escalation checks)."""
        merged = dict(self.values)
        merged.update({k.lower(): v for k, v in extra.items()})
        return RequestContext(merged, self.principal_tags, self.resource_tags)


def evaluate_condition(condition: Any, ctx: RequestContext) -> Tri:
    """YES / NO / MAYBE for a whole Condition block (its operators AND together)."""
    if not condition:
        return YES
    if not isinstance(condition, Mapping):
        return MAYBE
    result = YES
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            return MAYBE
        for key, expected in block.items():
            result = min(result, _one(str(operator), str(key), as_list(expected), ctx))
            if result == NO:
                return NO
    return result


def _one(operator: str, key: str, expected: list[str], ctx: RequestContext) -> Tri:
    op = operator.lower()
    set_op = ""
    for prefix in ("forallvalues:", "foranyvalue:"):
        if op.startswith(prefix):
            set_op, op = prefix[:-1], op[len(prefix) :]
    if_exists = op.endswith("ifexists")
    if if_exists:
        op = op[: -len("ifexists")]
    actual = ctx.lookup(key)
    if actual is None:
        return MAYBE
    if op == "null":
        want_null = bool(expected) and expected[0].lower() == "true"
        return YES if (not actual) == want_null else NO
    if not actual:
        if if_exists or set_op == "forallvalues" or op in _NEGATED:
            return YES
        return NO
    resolved: list[str] = []
    for value in expected:
        text, exact = substitute(value, ctx.lookup)
        if not exact:
            return MAYBE
        resolved.append(text)
    test = _COMPARATORS.get(op.replace("not", "", 1) if op in _NEGATED else op)
    if test is None:
        return MAYBE
    negated = op in _NEGATED

    def hit(value: str) -> Tri:
        r = test(value, resolved)
        if r == MAYBE:
            return MAYBE
        matched = r == YES
        return YES if matched != negated else NO

    results = [hit(v) for v in actual]
    if set_op == "forallvalues":
        return min(results)
    return max(results)


def _strings(value: str, expected: list[str]) -> Tri:
    return YES if value in expected else NO


def _strings_ci(value: str, expected: list[str]) -> Tri:
    return YES if value.lower() in {e.lower() for e in expected} else NO


def _like(value: str, expected: list[str]) -> Tri:
    return YES if any(glob_match(e, value) for e in expected) else NO


def _bool(value: str, expected: list[str]) -> Tri:
    return YES if value.lower() in {e.lower() for e in expected} else NO


def _numeric(cmp: Callable[[float, float], bool]) -> Callable[[str, list[str]], Tri]:
    def test(value: str, expected: list[str]) -> Tri:
        try:
            return YES if any(cmp(float(value), float(e)) for e in expected) else NO
        except ValueError:
            return MAYBE

    return test


def _date(cmp: Callable[[float, float], bool]) -> Callable[[str, list[str]], Tri]:
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

    def test(value: str, expected: list[str]) -> Tri:
        try:
            return YES if any(cmp(parse(value), parse(e)) for e in expected) else NO
        except ValueError:
            return MAYBE

    return test


def _ip(value: str, expected: list[str]) -> Tri:
    try:
        addr = ipaddress.ip_address(value)
        nets = [ipaddress.ip_network(e, strict=False) for e in expected]
    except ValueError:
        return MAYBE
    return YES if any(addr in n for n in nets if n.version == addr.version) else NO


_COMPARATORS: dict[str, Callable[[str, list[str]], Tri]] = {
    "stringequals": _strings,
    "stringequalsignorecase": _strings_ci,
    "stringlike": _like,
    "arnequals": _like,
    "arnlike": _like,
    "bool": _bool,
    "binaryequals": _strings,
    "numericequals": _numeric(lambda a, b: a == b),
    "numericlessthan": _numeric(lambda a, b: a < b),
    "numericlessthanequals": _numeric(lambda a, b: a <= b),
    "numericgreaterthan": _numeric(lambda a, b: a > b),
    "numericgreaterthanequals": _numeric(lambda a, b: a >= b),
    "dateequals": _date(lambda a, b: a == b),
    "datelessthan": _date(lambda a, b: a < b),
    "datelessthanequals": _date(lambda a, b: a <= b),
    "dategreaterthan": _date(lambda a, b: a > b),
    "dategreaterthanequals": _date(lambda a, b: a >= b),
    "ipaddress": _ip,
}
