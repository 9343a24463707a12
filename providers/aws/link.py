"""After the tasks: join what one task saw with what another saw, then close dangling edges.

Tasks never read each other's results; this pure step runs on all their parts before the
merge. It resolves instance profiles to roles (``runs_as``) and KMS aliases to keys, unites
the ``unknown`` lists of nodes two tasks both describe, and gives every edge end that no task
produced a stub node marked unknown (a role whose IAM read failed is still a role) — except
for edges to things that are simply gone (a snapshot's deleted source volume).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Warning
from blastscope.providers.aws.common import PROVIDER, account_of, region_of

STUB_KINDS = (
    (":iam::", ":role/", NodeKind.ROLE),
    (":iam::", ":user/", NodeKind.IDENTITY),
    (":iam::", ":group/", NodeKind.GROUP),
    (":iam::", ":policy/", NodeKind.POLICY),
    (":kms:", ":key/", NodeKind.KEY),
    (":kms:", ":alias/", NodeKind.KEY),
    (":ec2:", ":security-group/", NodeKind.FIREWALL),
    (":ec2:", ":subnet/", NodeKind.SUBNET),
    (":ec2:", ":vpc/", NodeKind.NETWORK),
    (":ec2:", ":instance/", NodeKind.INSTANCE),
    (":ec2:", ":route-table/", NodeKind.ROUTE_TABLE),
    (":ec2:", ":network-acl/", NodeKind.NETWORK_ACL),
    (":ec2:", ":volume/", NodeKind.DISK),
)
DROP_WHEN_GONE = frozenset({EdgeKind.CONTAINS, EdgeKind.ENCRYPTED_BY})
"""Edges to a deleted source volume or a never-created default key mean nothing: drop them."""


CREDENTIAL_PROPS = ("access_keys", "console", "mfa")


def link(parts: list[Partial], *, failed: frozenset[str] = frozenset()) -> Partial:
    """The extra part that completes ``parts`` (they are edited in place for unknowns/aliases).

    ``failed`` names services whose whole task failed: when users' credentials could not be
    read, every user's ``access_keys``/``mfa``/``console`` is unknown rather than absent.
    """
    extra = Partial()
    if "iam-credentials" in failed:
        for part in parts:
            part.nodes[:] = [_credentials_unknown(n) for n in part.nodes]
    nodes = [n for p in parts for n in p.nodes]
    _unite_unknowns(parts, nodes)
    by_id = {n.id: n for n in nodes}
    role_of_profile = {
        profile: n.id
        for n in nodes
        if n.kind == NodeKind.ROLE
        for profile in n.props.get("instance_profiles") or []
    }
    iam_read = any(n.kind == NodeKind.ROLE for n in nodes) or any(
        n.kind == NodeKind.POLICY for n in nodes
    )
    for n in nodes:
        profile = n.props.get("instance_profile") if n.kind == NodeKind.INSTANCE else None
        if not profile:
            continue
        role = role_of_profile.get(profile)
        if role:
            extra.edges.append(Edge(n.id, role, EdgeKind.RUNS_AS, {"via": profile}))
        elif iam_read:
            extra.warnings.append(
                Warning(
                    "iam",
                    "global",
                    "Unresolved",
                    f"instance profile {profile} of {n.name} has no role in the IAM data",
                )
            )
    key_of_alias = {
        alias: n.id
        for n in nodes
        if n.kind == NodeKind.KEY
        for alias in n.props.get("aliases") or []
    }
    for part in parts:
        part.edges[:] = [_resolve_alias(e, key_of_alias) for e in part.edges]
    known_ids = set(by_id)
    stubs: dict[str, Node] = {}
    for part in [*parts, extra]:
        kept = []
        for edge in part.edges:
            missing = [end for end in (edge.src, edge.dst) if end not in known_ids]
            if missing and edge.kind in DROP_WHEN_GONE and missing == [edge.dst]:
                continue
            for end in missing:
                stub = stub_node(end)
                if stub is None:
                    break
                stubs[end] = stub
            else:
                kept.append(edge)
        part.edges[:] = kept
    extra.nodes.extend(stubs[k] for k in sorted(stubs))
    return extra


def _credentials_unknown(n: Node) -> Node:
    if n.kind != NodeKind.IDENTITY or n.props.get("principal_type") != "user":
        return n
    props = dict(n.props)
    for name in CREDENTIAL_PROPS:
        props.setdefault(name, None)
    props["unknown"] = sorted({*(props.get("unknown") or []), *CREDENTIAL_PROPS})
    return Node(n.id, n.kind, n.name, n.provider, n.region, props)


def stub_node(node_id: str) -> Node | None:
    """A node for an id only seen as an edge end: its kind from the ARN, everything unknown."""
    for service, marker, kind in STUB_KINDS:
        if service in node_id and marker in node_id:
            name = node_id.rsplit("/", 1)[-1]
            props: dict[str, Any] = {
                "account": account_of(node_id),
                "native_id": name,
                "stub": True,
                "unknown": ["*"],
            }
            return Node(node_id, kind, name, PROVIDER, region_of(node_id), props)
    return None


def _resolve_alias(edge: Edge, key_of_alias: dict[str, str]) -> Edge:
    if edge.kind == EdgeKind.ENCRYPTED_BY and edge.dst in key_of_alias:
        return Edge(edge.src, key_of_alias[edge.dst], edge.kind, edge.props)
    return edge


def _unite_unknowns(parts: Iterable[Partial], nodes: list[Node]) -> None:
    """Two tasks describing one node each list their unknowns; the merge must keep both."""
    union: dict[str, set[str]] = defaultdict(set)
    count: dict[str, int] = defaultdict(int)
    for n in nodes:
        count[n.id] += 1
        union[n.id].update(n.props.get("unknown") or [])
    shared = {i for i, c in count.items() if c > 1 and union[i]}
    if not shared:
        return
    for part in parts:
        for index, n in enumerate(part.nodes):
            if n.id in shared:
                props = dict(n.props)
                props["unknown"] = sorted(union[n.id])
                part.nodes[index] = Node(n.id, n.kind, n.name, n.provider, n.region, props)
