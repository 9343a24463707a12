"""Small things every AWS service module needs: ARNs, tags, timestamps, guarded reads.

A read that fails for one resource (a bucket's policy, an instance's user data) must not
erase the resource: :class:`Gaps` records the prop as ``unknown`` and a warning, and the
transform writes ``null`` for it — never an empty value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import unquote

from blastscope.graph.model import Node, NodeKind, Partial, Warning
from blastscope.providers.aws.errors import is_fatal, to_warning

PROVIDER = "aws"
T = TypeVar("T")
MISSING: Any = object()
"""Marks a value that could not be read (distinct from None, "the cloud says there is none")."""


@dataclass(frozen=True, slots=True)
class Ctx:
    """Where a task runs: the account it reads and the region (``global`` for IAM/S3)."""

    account: str
    region: str
    partition: str = "aws"

    def arn(self, service: str, resource: str, *, region: str | None = None) -> str:
        reg = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{reg}:{self.account}:{resource}"

    def ec2_arn(self, kind: str, native_id: str) -> str:
        return self.arn("ec2", f"{kind}/{native_id}")


@dataclass(slots=True)
class Gaps:
    """Guarded reads: a failure is a warning plus an ``unknown`` prop, not a crash or a []."""

    service: str
    region: str
    warnings: list[Warning] = field(default_factory=list)

    def read(self, fn: Callable[[], T], *, what: str, absent: Iterable[str] = ()) -> T | Any:
        """``fn()``, or :data:`MISSING` when it fails; error codes in ``absent`` mean None.

        Credential failures propagate: they end the collection, not one prop.
        """
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - every SDK failure is a gap, not a crash
            if is_fatal(exc):
                raise
            code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
            if code and code in set(absent):
                return None
            warning = to_warning(self.service, self.region, exc)
            self.warnings.append(
                Warning(
                    warning.service, warning.region, warning.error, f"{what}: {warning.message}"
                )
            )
            return MISSING


def known(props: dict[str, Any], name: str, value: Any) -> None:
    """Set ``props[name]``; :data:`MISSING` becomes null and joins ``props["unknown"]``."""
    if value is MISSING:
        props[name] = None
        unknown = props.setdefault("unknown", [])
        if name not in unknown:
            unknown.append(name)
    else:
        props[name] = value


def node(node_id: str, kind: NodeKind, name: str, region: str, props: Mapping[str, Any]) -> Node:
    """An AWS node; ``unknown`` is sorted so snapshots compare equal across runs."""
    clean = dict(props)
    if "unknown" in clean:
        clean["unknown"] = sorted(clean["unknown"])
    return Node(id=node_id, kind=kind, name=name, provider=PROVIDER, region=region, props=clean)


def tags(raw: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """AWS ``[{"Key", "Value"}]`` tags as a dict (either key case: EC2 vs. others)."""
    out: dict[str, str] = {}
    for tag in raw or []:
        key = tag.get("Key", tag.get("key"))
        if key is not None:
            out[str(key)] = str(tag.get("Value", tag.get("value", "")))
    return out


def name_tag(raw: Iterable[Mapping[str, Any]] | None, default: str) -> str:
    return tags(raw).get("Name") or default


def iso(value: Any) -> str | None:
    """A timestamp from the SDK (datetime or string) as ISO-8601; None stays None."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def attach_resource_policy(part: Partial, props: dict[str, Any], arn: str, policy: Any) -> None:
    """Keep a resource policy under ``ARN#policy`` and point ``props.policy`` at it: MISSING
    (not read) marks it unknown, an empty answer means the resource has none."""
    if policy is MISSING:
        known(props, "policy", MISSING)
    elif policy:
        doc_id = f"{arn}#policy"
        part.documents[doc_id] = policy_doc(policy)
        props["policy"] = doc_id
    else:
        props["policy"] = None


def policy_doc(raw: Any) -> Any:
    """A policy as the cloud returned it: parsed JSON when it parses, else the string."""
    if isinstance(raw, (dict, list)):
        return raw
    if not isinstance(raw, str):
        return raw
    for text in (raw, unquote(raw)):
        try:
            return json.loads(text)
        except (json.JSONDecodeError, ValueError):
            continue
    return raw


def account_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def region_of(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 else ""
