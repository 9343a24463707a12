"""One pass over a snapshot: each AWS principal's statements, each resource's policy.

Built once per snapshot (cached) so that evaluating many requests never rescans nodes:
a principal's identity statements (its inline and managed policies, plus its groups'),
its permissions boundary, the SCPs of its account; a resource's policy (bucket, key,
secret, function, role trust); AWS resources indexed by service and kind.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from blastscope.graph.iam.aws_conditions import RequestContext
from blastscope.graph.iam.aws_match import arn_parts
from blastscope.graph.iam.aws_policy import ParsedDocument, Statement, parse_document
from blastscope.graph.lastfew import LastFew
from blastscope.graph.model import Node, Snapshot

RESOURCE_POLICY_KINDS = {
    "bucket": "policy",
    "secret": "policy",
    "key": "policy",
    "function": "policy",
}
"""Node kind → the prop naming its resource-based policy document."""


@dataclass(slots=True)
class Principal:
    """An AWS user or role, with every statement that applies to it as a caller."""

    id: str
    node: Node
    account: str
    is_role: bool
    name: str
    identity: tuple[Statement, ...]
    boundary: tuple[Statement, ...] | None
    scp_levels: tuple[tuple[Statement, ...], ...]
    unknown: tuple[str, ...]
    """Why some of its policies are unknown (unreadable documents); empty when all known."""
    groups: tuple[str, ...] = ()
    managed: tuple[str, ...] = ()
    """Managed policy node ids attached to it or its groups."""


@dataclass(slots=True)
class ResourcePolicy:
    """The resource-based policy of a node: statements, or unknown (``error``)."""

    doc_id: str | None
    statements: tuple[Statement, ...]
    error: str | None
    required: bool
    """KMS key policies and role trust policies must allow; others may grant alone."""
    restricted: bool = False
    """S3 Block Public Access ``RestrictPublicBuckets`` is on (bucket or account) and the
    policy is public: it grants nothing across accounts, not even to accounts it names."""


@dataclass(slots=True)
class AwsIndex:
    """Everything evaluation needs from one snapshot, computed once."""

    snapshot: Snapshot
    nodes: dict[str, Node]
    principals: dict[str, Principal]
    by_kind: dict[str, list[Node]]
    sorted_ids: dict[str, list[str]]
    """AWS node ids by ARN service, sorted (for prefix look-ups of Resource patterns)."""
    members: dict[str, list[str]]
    """Group id → member user ids."""
    runs_as: dict[str, list[str]]
    """Role/identity id → instance/function ids running as it."""
    holders: dict[str, list[str]]
    """Managed policy node id → principals/groups it is attached to."""
    warnings: list[str] = field(default_factory=list)
    _docs: dict[str, ParsedDocument] = field(default_factory=dict)
    _policies: dict[tuple[str, str], ResourcePolicy | None] = field(default_factory=dict)

    def document(self, doc_id: str) -> ParsedDocument:
        """A parsed document (missing → error, recorded once as a warning)."""
        if not isinstance(doc_id, str):  # a bent snapshot: the reference itself is unreadable
            return ParsedDocument((), f"policy reference {doc_id!r} is not a document id")
        parsed = self._docs.get(doc_id)
        if parsed is None:
            if doc_id in self.snapshot.documents:
                parsed = parse_document(doc_id, self.snapshot.documents[doc_id])
            else:
                parsed = ParsedDocument((), f"policy {doc_id} was not collected")
            if parsed.error:
                self.warnings.append(parsed.error)
            self._docs[doc_id] = parsed
        return parsed

    def resource_policy(self, node: Node | None, service: str) -> ResourcePolicy | None:
        """The resource policy that takes part for ``service`` actions on ``node``."""
        if node is None:
            return None
        key = (node.id, service)
        if key not in self._policies:
            self._policies[key] = self._resource_policy(node, service)
        return self._policies[key]

    def _resource_policy(self, node: Node, service: str) -> ResourcePolicy | None:
        kind = str(node.kind)
        if kind == "role":
            if service != "sts":
                return None
            doc_id = node.props.get("trust_policy") or f"{node.id}#trust"
            return self._policy(doc_id, required=True, optional=False)
        prop = RESOURCE_POLICY_KINDS.get(kind)
        if prop is None:
            return None
        required = kind == "key"
        unknown_props = node.props.get("unknown") or ()
        if prop in unknown_props:
            return ResourcePolicy(None, (), f"the policy of {node.id} could not be read", required)
        doc_id = node.props.get(prop)
        if doc_id is None and f"{node.id}#policy" in self.snapshot.documents:
            doc_id = f"{node.id}#policy"
        if doc_id is None:
            if required:
                return ResourcePolicy(
                    None, (), f"the key policy of {node.id} was not collected", True
                )
            return None
        policy = self._policy(str(doc_id), required=required, optional=not required)
        if kind == "bucket" and _restricts_public(node) and any(map(is_public, policy.statements)):
            policy.restricted = True
        return policy

    def _policy(self, doc_id: str, *, required: bool, optional: bool) -> ResourcePolicy:
        parsed = self.document(doc_id)
        return ResourcePolicy(doc_id, parsed.statements, parsed.error, required)

    def context(
        self, principal: Principal, resource: Node | None, resource_arn: str
    ) -> RequestContext:
        """What is known of a request by ``principal`` on a resource (see aws_conditions)."""
        p = principal.node
        values: dict[str, list[str]] = {
            "aws:principalarn": [p.id],
            "aws:principalaccount": [principal.account],
            "aws:principaltype": ["AssumedRole" if principal.is_role else "User"],
            "aws:securetransport": ["true"],
            "aws:principalisawsservice": ["false"],
            "kms:calleraccount": [principal.account],
        }
        if principal.is_role:
            values["aws:username"] = []
        else:
            values["aws:username"] = [principal.name]
            uid = p.props.get("user_id") or p.props.get("native_id")
            if uid:
                values["aws:userid"] = [str(uid)]
        parts = arn_parts(resource_arn)
        r_account = resource_account_of(resource_arn, resource)
        if r_account:
            values["aws:resourceaccount"] = [r_account]
            values["s3:resourceaccount"] = [r_account]
        region = (resource.region if resource is not None else "") or (parts[2] if parts else "")
        if region and region != "global":
            values["aws:requestedregion"] = [region]
        return RequestContext(values, _tags(p), _tags(resource) if resource is not None else None)

    def ids_with_prefix(self, service: str, prefix: str) -> list[str]:
        """AWS node ids of ``service`` that start with ``prefix`` (bisect, no scan)."""
        ids = self.sorted_ids.get(service, [])
        lo = bisect.bisect_left(ids, prefix)
        hi = bisect.bisect_left(ids, prefix + "\U0010ffff")
        return ids[lo:hi]


def _tags(node: Node | None) -> dict[str, str] | None:
    if node is None or "tags" in (node.props.get("unknown") or ()):
        return None
    tags = node.props.get("tags")
    return dict(tags) if isinstance(tags, dict) else {}


def index_for(snapshot: Snapshot) -> AwsIndex:
    """The (cached) index of a snapshot; the last few snapshots are kept."""
    return _INDEXES(snapshot)


def build_index(snapshot: Snapshot) -> AwsIndex:
    """Index the AWS part of a snapshot (nodes whose provider is ``aws``)."""
    nodes = {n.id: n for n in snapshot.nodes if n.provider == "aws"}
    by_kind: dict[str, list[Node]] = defaultdict(list)
    by_service: dict[str, list[str]] = defaultdict(list)
    for n in nodes.values():
        by_kind[str(n.kind)].append(n)
        parts = arn_parts(n.id)
        if parts:
            by_service[parts[1]].append(n.id)
    groups_of: dict[str, list[str]] = defaultdict(list)
    members: dict[str, list[str]] = defaultdict(list)
    attached: dict[str, list[str]] = defaultdict(list)
    holders: dict[str, list[str]] = defaultdict(list)
    runs_as: dict[str, list[str]] = defaultdict(list)
    for e in snapshot.edges:
        kind = str(e.kind)
        if kind == "member_of" and e.src in nodes and e.dst in nodes:
            groups_of[e.src].append(e.dst)
            members[e.dst].append(e.src)
        elif kind == "has_policy" and e.src in nodes:
            attached[e.src].append(e.dst)
            holders[e.dst].append(e.src)
        elif kind == "runs_as" and e.dst in nodes:
            runs_as[e.dst].append(e.src)
    ix = AwsIndex(
        snapshot=snapshot,
        nodes=nodes,
        principals={},
        by_kind=dict(by_kind),
        sorted_ids={s: sorted(ids) for s, ids in by_service.items()},
        members=dict(members),
        runs_as=dict(runs_as),
        holders=dict(holders),
    )
    scp_cache: dict[str, tuple[tuple[tuple[Statement, ...], ...], tuple[str, ...]]] = {}
    for n in list(by_kind.get("identity", ())) + list(by_kind.get("role", ())):
        ix.principals[n.id] = _principal(ix, n, groups_of, attached, scp_cache)
    return ix


def _principal(
    ix: AwsIndex,
    node: Node,
    groups_of: dict[str, list[str]],
    attached: dict[str, list[str]],
    scp_cache: dict[str, Any],
) -> Principal:
    unknown: list[str] = []
    statements: list[Statement] = []
    owners = [node.id, *groups_of.get(node.id, ())]
    managed: list[str] = []
    for owner_id in owners:
        owner = ix.nodes.get(owner_id)
        if owner is None:
            continue
        if "inline_policies" in (owner.props.get("unknown") or ()):
            unknown.append(f"the inline policies of {owner_id} could not be read")
        doc_ids = list(owner.props.get("inline_policies") or ())
        for policy_id in attached.get(owner_id, ()):
            managed.append(policy_id)
            policy = ix.nodes.get(policy_id)
            doc_ids.append(str((policy.props.get("document") if policy else None) or policy_id))
        statements.extend(_statements(ix, doc_ids, unknown))
    boundary = None
    boundary_id = node.props.get("permissions_boundary")
    if boundary_id:
        boundary = tuple(_statements(ix, [str(boundary_id)], unknown))
    parts = arn_parts(node.id)
    account = (parts[3] if parts else "") or str(node.props.get("account") or "")
    if account not in scp_cache:
        scp_cache[account] = _scp_levels(ix, account)
    levels, scp_unknown = scp_cache[account]
    unknown.extend(scp_unknown)
    is_role = str(node.kind) == "role"
    name = node.name or (node.id.rsplit("/", 1)[-1])
    return Principal(
        id=node.id,
        node=node,
        account=account,
        is_role=is_role,
        name=name,
        identity=tuple(statements),
        boundary=boundary,
        scp_levels=levels,
        unknown=tuple(unknown),
        groups=tuple(groups_of.get(node.id, ())),
        managed=tuple(managed),
    )


def _statements(ix: AwsIndex, doc_ids: Iterable[str], unknown: list[str]) -> list[Statement]:
    out: list[Statement] = []
    for doc_id in doc_ids:
        parsed = ix.document(doc_id)
        if parsed.error:
            unknown.append(parsed.error)
        out.extend(parsed.statements)
    return out


def _scp_levels(
    ix: AwsIndex, account: str
) -> tuple[tuple[tuple[Statement, ...], ...], tuple[str, ...]]:
    """SCPs of an account as levels that must each allow.

    ``props.scps`` is a flat list of document ids, or a list of lists (one per OU level, the
    policies of a level unite). In a flat list each SCP with an Allow is its own level and
    Deny-only SCPs (deny lists next to FullAWSAccess) only deny.
    """
    node = ix.nodes.get(f"aws:account/{account}")
    scps = node.props.get("scps") if node is not None else None
    if not scps:
        return (), ()
    unknown: list[str] = []
    levels: list[tuple[Statement, ...]] = []
    deny_only: list[Statement] = []
    for entry in scps:
        ids = entry if isinstance(entry, list) else [entry]
        stmts = _statements(ix, [str(i) for i in ids], unknown)
        if any(s.allow for s in stmts) or isinstance(entry, list):
            levels.append(tuple(stmts))
        else:
            deny_only.extend(stmts)
    if deny_only:
        levels.append(tuple(deny_only) + (_ALLOW_ALL,))
    return tuple(levels), tuple(unknown)


_ALLOW_ALL = parse_document(
    "implicit#FullAWSAccess",
    {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
).statements[0]


def resource_account_of(arn: str, node: Node | None) -> str:
    """``aws:ResourceAccount``: the ARN's account field, or the collected owner where the
    ARN has none (S3 buckets and objects, EBS snapshots: ``arn:aws:ec2:r::snapshot/…``)."""
    parts = arn_parts(arn)
    account = parts[3] if parts else ""
    if parts and (parts[1] == "s3" or not account) and node is not None:
        account = str(node.props.get("account") or "")
    return account


_FIXED_KEYS = (
    "aws:sourceip",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourcearn",
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
    "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
)
"""Condition keys that pin a statement to known callers: with one of them, a statement
naming ``*`` is not public (AWS's "The meaning of 'public'" for S3)."""


def is_public(st: Statement) -> bool:
    """An Allow statement open to anyone: Principal ``*`` (or NotPrincipal) and no condition
    on a key that pins the caller."""
    if not st.allow or not (st.not_principals is not None or "*" in (st.principals or ())):
        return False
    return not any(k in _FIXED_KEYS for k in condition_keys(st))


def condition_keys(st: Statement) -> set[str]:
    """The (lower-case) condition keys a statement tests."""
    return {str(k).lower() for op in (st.condition or {}).values() for k in (op or {})}


def _restricts_public(node: Node) -> bool:
    return any(
        isinstance(block, dict) and block.get("RestrictPublicBuckets") is True
        for block in (
            node.props.get("public_access_block"),
            node.props.get("account_public_access_block"),
        )
    )


_INDEXES: LastFew[Snapshot, AwsIndex] = LastFew(build_index)
