"""GCP IAM: who can do what to which resource, from the collected allow and deny policies.

Bindings are inherited organization → folders → project → resource; a role's permissions
come from the collected role definitions (documents ``roles/…``, ``projects/P/roles/…``),
never from a table here. ``allUsers`` / ``allAuthenticatedUsers`` are the ``internet`` node.
Registered as the ``gcp-iam`` analysis: ``can_access`` edges to data, ``can_escalate`` edges
between identities (see :mod:`blastscope.graph.iam.gcp_escalation`).
"""

from __future__ import annotations

from collections.abc import Iterable

from blastscope.graph.build import register_analysis
from blastscope.graph.errors import InputError
from blastscope.graph.iam import Decision
from blastscope.graph.iam.gcp_escalation import escalation_edges
from blastscope.graph.iam.gcp_eval import decide, effective_grants
from blastscope.graph.iam.gcp_policies import GcpIndex, build_index
from blastscope.graph.model import Edge, EdgeKind, NodeKind, Snapshot

LEVELS = ("read", "write", "admin")
ACCESS: dict[str, dict[str, frozenset[str]]] = {
    NodeKind.BUCKET: {
        "read": frozenset({"storage.objects.get", "storage.objects.list"}),
        "write": frozenset({"storage.objects.create", "storage.objects.delete",
                            "storage.objects.update"}),
        "admin": frozenset({"storage.buckets.setIamPolicy", "storage.objects.setIamPolicy",
                            "storage.buckets.update", "storage.buckets.delete"}),
    },
    NodeKind.SECRET: {
        "read": frozenset({"secretmanager.versions.access"}),
        "write": frozenset({"secretmanager.versions.add", "secretmanager.versions.destroy",
                            "secretmanager.versions.disable", "secretmanager.secrets.update",
                            "secretmanager.secrets.delete"}),
        "admin": frozenset({"secretmanager.secrets.setIamPolicy"}),
    },
    NodeKind.KEY: {
        "read": frozenset({"cloudkms.cryptoKeyVersions.useToDecrypt",
                           "cloudkms.cryptoKeyVersions.useToDecryptViaDelegation"}),
        "write": frozenset({"cloudkms.cryptoKeyVersions.useToEncrypt",
                            "cloudkms.cryptoKeyVersions.useToSign",
                            "cloudkms.cryptoKeyVersions.destroy", "cloudkms.cryptoKeys.update"}),
        "admin": frozenset({"cloudkms.cryptoKeys.setIamPolicy"}),
    },
    NodeKind.DATABASE: {
        "read": frozenset({"cloudsql.instances.connect", "cloudsql.instances.login",
                           "cloudsql.instances.export"}),
        "write": frozenset({"cloudsql.instances.import", "cloudsql.instances.update",
                            "cloudsql.instances.restoreBackup"}),
        "admin": frozenset({"cloudsql.users.create", "cloudsql.users.update",
                            "cloudsql.instances.delete", "cloudsql.instances.setIamPolicy"}),
    },
    NodeKind.DISK: {
        "read": frozenset({"compute.disks.createSnapshot", "compute.disks.use",
                           "compute.disks.useReadOnly"}),
        "write": frozenset({"compute.disks.update", "compute.disks.resize",
                            "compute.disks.delete"}),
        "admin": frozenset({"compute.disks.setIamPolicy"}),
    },
    NodeKind.SNAPSHOT: {
        "read": frozenset({"compute.snapshots.useReadOnly"}),
        "write": frozenset({"compute.snapshots.delete"}),
        "admin": frozenset({"compute.snapshots.setIamPolicy"}),
    },
}  # fmt: skip
"""Permissions that touch a resource's data, by how much they give away."""

_CACHE: list[tuple[Snapshot, GcpIndex]] = []


def index_for(snapshot: Snapshot) -> GcpIndex:
    """The snapshot's index, built once for repeated questions about the same snapshot."""
    if _CACHE and _CACHE[0][0] is snapshot:
        return _CACHE[0][1]
    idx = build_index(snapshot)
    _CACHE[:] = [(snapshot, idx)]
    return idx


def evaluate(snapshot: Snapshot, principal: str, action: str, resource: str) -> Decision:
    """May ``principal`` (node id, or a member like ``user:a@b.c``) use ``action`` on it?

    Raises:
        InputError: the resource is not a GCP node of the snapshot, or the principal is
            neither a node nor a policy member string.
    """
    idx = index_for(snapshot)
    if resource not in idx.nodes:
        raise InputError(f"no GCP resource {resource!r} in the snapshot")
    members = idx.members_for(principal)
    if not members:
        raise InputError(
            f"{principal!r} is not a GCP principal (a node id, or user:/serviceAccount:/"
            "group:/domain: member)"
        )
    return decide(idx, members, action, resource)


def who_can(snapshot: Snapshot, action: str, resource: str) -> list[tuple[str, Decision]]:
    """Every principal allowed (or conditionally allowed) to use ``action`` on ``resource``."""
    idx = index_for(snapshot)
    if resource not in idx.nodes:
        raise InputError(f"no GCP resource {resource!r} in the snapshot")
    found = effective_grants(idx, resource, frozenset({action}))
    out = []
    for principal in sorted(found):
        decision = decide(idx, idx.members_for(principal), action, resource)
        if decision.allowed:
            out.append((principal, decision))
    return out


@register_analysis("gcp-iam")
def permission_edges(snapshot: Snapshot) -> Iterable[Edge]:
    """``can_access`` to buckets, secrets, keys, databases, disks and snapshots, and
    ``can_escalate`` between identities, for the snapshot's GCP nodes."""
    idx = build_index(snapshot)
    if not idx.bindings:
        return []
    edges = list(access_edges(idx))
    edges.extend(escalation_edges(idx))
    return edges


def access_edges(idx: GcpIndex) -> Iterable[Edge]:
    for node in idx.nodes.values():
        levels = ACCESS.get(node.kind)
        if levels is None or node.props.get("embedded"):
            continue
        wanted = frozenset().union(*levels.values())
        for principal, grants in sorted(effective_grants(idx, node.id, wanted).items()):
            if principal == node.id:
                continue
            firm = sorted(p for p, g in grants.items() if not g.conditional)
            maybe = sorted(p for p, g in grants.items() if g.conditional)
            actions = firm or maybe
            level = next(lv for lv in reversed(LEVELS) if levels[lv] & set(actions))
            refs = {r for p in actions for r in grants[p].refs}
            roles = sorted({r.sid or "" for r in refs})
            who = idx.nodes[principal].name if principal in idx.nodes else principal
            reason = f"{who} can {level} {node.name} through {', '.join(roles)}" + (
                " (only under an IAM condition)" if not firm else ""
            )
            props = {
                "actions": actions,
                "level": level,
                "conditional": not firm,
                "reason": reason,
                "evidence": [
                    {"document": r.document, "statement": r.index, "role": r.sid}
                    for r in sorted(refs, key=lambda r: (r.document, r.index or 0))
                ],
            }
            if firm and maybe:
                props["conditional_actions"] = maybe
            yield Edge(principal, node.id, EdgeKind.CAN_ACCESS, props)
