"""Derive Azure permission edges from an :class:`RbacIndex`.

For each principal whose roles could matter at all, the resources under its assignment
scopes are checked against a short list of actions per resource kind; results are cached on
(principal, resource variant, applicable assignments, applicable denies), so a subscription
of thousands of similar resources costs a handful of evaluations per principal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from blastscope.graph.iam import Decision, Outcome
from blastscope.graph.iam.azure_actions import planes
from blastscope.graph.iam.azure_index import EVERYONE, RbacIndex, norm
from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind

ROLE_ASSIGN = "Microsoft.Authorization/roleAssignments/write"
_SB = "Microsoft.Storage/storageAccounts"
_KV = "Microsoft.KeyVault/vaults"
STORAGE = {
    "read": (
        f"{_SB}/blobServices/containers/blobs/read",
        f"{_SB}/fileServices/fileshares/files/read",
        f"{_SB}/tableServices/tables/entities/read",
        f"{_SB}/queueServices/queues/messages/read",
    ),
    "write": (
        f"{_SB}/blobServices/containers/blobs/write",
        f"{_SB}/blobServices/containers/blobs/delete",
        f"{_SB}/fileServices/fileshares/files/write",
        f"{_SB}/tableServices/tables/entities/write",
        f"{_SB}/queueServices/queues/messages/write",
    ),
}
STORAGE_KEYS = (f"{_SB}/listKeys/action", f"{_SB}/ListAccountSas/action")
"""Account keys read everything, while shared-key access is allowed."""
VAULT = {
    "read": (
        f"{_KV}/secrets/getSecret/action",
        f"{_KV}/keys/decrypt/action",
        f"{_KV}/keys/unwrap/action",
        f"{_KV}/keys/sign/action",
    ),
    "write": (f"{_KV}/secrets/setSecret/action", f"{_KV}/secrets/delete", f"{_KV}/keys/delete"),
}
VAULT_POLICY_ADMIN = (f"{_KV}/write", f"{_KV}/accessPolicies/write")
"""In access-policy mode whoever can write the vault can grant itself a policy."""
SQL = {
    "read": ("Microsoft.Sql/servers/databases/export/action",),
    "admin": ("Microsoft.Sql/servers/write", "Microsoft.Sql/servers/administrators/write"),
}
DISK = {
    "read": ("Microsoft.Compute/disks/beginGetAccess/action",),
    "write": ("Microsoft.Compute/disks/write",),
}
SNAPSHOT = {
    "read": ("Microsoft.Compute/snapshots/beginGetAccess/action",),
    "write": ("Microsoft.Compute/snapshots/write",),
}
VM_TAKEOVER = {
    "vm_run_command": (
        "Microsoft.Compute/virtualMachines/runCommand/action",
        "Microsoft.Compute/virtualMachines/runCommands/write",
    ),
    "vm_extension": ("Microsoft.Compute/virtualMachines/extensions/write",),
}
ASSIGN_IDENTITY = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action"
VM_WRITE = "Microsoft.Compute/virtualMachines/write"
LEVELS = ("read", "write", "admin")


def access_checks(n: Node) -> dict[str, tuple[str, ...]] | None:
    """Level → actions that reach ``n``'s data (None: not a data node we evaluate)."""
    p = n.props
    if n.kind == NodeKind.BUCKET:
        checks = dict(STORAGE)
        if p.get("allow_shared_key_access") is not False:
            checks["admin"] = STORAGE_KEYS
        return checks
    if n.kind == NodeKind.SECRET and "#secret/" not in n.id:
        checks = dict(VAULT)
        if p.get("rbac_authorization") is False:
            checks["admin"] = VAULT_POLICY_ADMIN
        return checks
    if n.kind == NodeKind.DATABASE:
        return dict(SQL)
    if n.kind == NodeKind.DISK:
        return dict(DISK)
    if n.kind == NodeKind.SNAPSHOT:
        return dict(SNAPSHOT)
    return None


ALL_ACTIONS = frozenset(
    a
    for table in (STORAGE, VAULT, SQL, DISK, SNAPSHOT, VM_TAKEOVER)
    for actions in table.values()
    for a in actions
) | {ROLE_ASSIGN, ASSIGN_IDENTITY, *STORAGE_KEYS, *VAULT_POLICY_ADMIN}


def derive(index: RbacIndex) -> list[Edge]:
    from blastscope.graph.iam.azure import decide, evidence

    identities_of: dict[str, list[str]] = defaultdict(list)
    for e in index.snapshot.edges:
        if e.kind == EdgeKind.RUNS_AS and e.src in index.nodes and e.dst in index.nodes:
            identities_of[e.src].append(e.dst)
    edges: list[Edge] = []
    for oid in sorted(index.principals()):
        src = index.node_for(oid)
        if src is None or not _may_matter(index, oid):
            continue
        cache: dict[tuple[Any, ...], Decision] = {}

        def check(action: str, n: Node, oid: str = oid, cache: dict = cache) -> Decision:  # type: ignore[type-arg]
            key = _cache_key(index, oid, action, n)
            if key not in cache:
                cache[key] = decide(index, oid, action, norm(n.id))
            return cache[key]

        can_write_vm = None
        for n in _candidates(index, oid):
            if n.id == src:
                continue
            checks = access_checks(n)
            if checks is not None:
                edge = _access_edge(src, n, checks, check, evidence)
                if edge is not None:
                    edges.append(edge)
            if n.kind == NodeKind.INSTANCE and identities_of.get(n.id):
                for technique, actions in VM_TAKEOVER.items():
                    granted = [(a, d) for a in actions if (d := check(a, n)).allowed]
                    if granted:
                        for ident in identities_of[n.id]:
                            if ident != src:
                                edges.append(_escalate(src, ident, technique, granted, n, evidence))
            if n.kind == NodeKind.IDENTITY and n.props.get("principal_type") == "managed_identity":
                granted = [(ROLE_ASSIGN, d)] if (d := check(ROLE_ASSIGN, n)).allowed else []
                if granted:
                    edges.append(
                        _escalate(src, n.id, "role_assignment_write", granted, n, evidence)
                    )
                if n.props.get("assignment") == "user" and (d := check(ASSIGN_IDENTITY, n)).allowed:
                    if can_write_vm is None:
                        can_write_vm = _can_write_some_vm(index, oid, decide)
                    edges.append(
                        _escalate(
                            src,
                            n.id,
                            "assign_identity",
                            [(ASSIGN_IDENTITY, d)],
                            n,
                            evidence,
                            extra_conditional=not can_write_vm,
                        )
                    )
    return edges


def _access_edge(src, n, checks, check, evidence) -> Edge | None:  # type: ignore[no-untyped-def]
    granted: list[tuple[str, str, Decision]] = []
    for level in LEVELS:
        for action in checks.get(level, ()):
            d = check(action, n)
            if d.allowed:
                granted.append((level, action, d))
    d = check(ROLE_ASSIGN, n)
    if d.allowed:
        granted.append(("admin", ROLE_ASSIGN, d))
    if not granted:
        return None
    level = max((g[0] for g in granted), key=LEVELS.index)
    firm = [g for g in granted if g[2].outcome == Outcome.ALLOW]
    conditional = not firm
    best = (firm or granted)[-1]
    docs = {json_key(s): s for g in granted for s in evidence(g[2])}
    if best[1] == ROLE_ASSIGN:
        reason = f"can grant itself any role on {n.name} ({best[2].reason})"
    else:
        reason = best[2].reason
    return Edge(
        src,
        n.id,
        EdgeKind.CAN_ACCESS,
        {
            "actions": sorted({g[1] for g in granted}),
            "level": level,
            "conditional": conditional,
            "reason": reason,
            "evidence": sorted(docs.values(), key=json_key),
        },
    )


def _escalate(  # type: ignore[no-untyped-def]
    src, dst, technique, granted, via: Node, evidence, *, extra_conditional: bool = False
) -> Edge:
    conditional = extra_conditional or all(d.outcome == Outcome.CONDITIONAL for _, d in granted)
    what = {
        "vm_run_command": f"can run commands on {via.name} and act as its identity",
        "vm_extension": f"can install an extension on {via.name} and act as its identity",
        "role_assignment_write": f"can assign roles on {via.name}",
        "assign_identity": f"can attach identity {via.name} to a VM it controls",
    }[technique]
    if technique == "assign_identity" and extra_conditional:
        what += " (needs write on some VM, not found)"
    docs = {json_key(s): s for _, d in granted for s in evidence(d)}
    return Edge(
        src,
        dst,
        EdgeKind.CAN_ESCALATE,
        {
            "technique": technique,
            "actions": sorted({a for a, _ in granted}),
            "conditional": conditional,
            "reason": f"{what} ({granted[0][1].reason})",
            "evidence": sorted(docs.values(), key=json_key),
            "via": via.id,
        },
    )


def json_key(item: Mapping[str, Any]) -> str:
    return f"{item.get('document')}|{item.get('statement')}"


def _candidates(index: RbacIndex, oid: str) -> Iterable[Node]:
    seen: set[str] = set()
    scopes = sorted({a.scope for a in index.assignments.get(oid, ())})
    for scope in scopes:
        for n in index.under(scope):
            if n.id not in seen:
                seen.add(n.id)
                yield n
    for vault, (_doc, policies) in index.vault_policies.items():
        if any(str(p.get("objectId") or "").lower() == oid for p in policies):
            n = index.nodes_lower.get(vault)
            if n is not None and n.id not in seen:
                seen.add(n.id)
                yield n


def _may_matter(index: RbacIndex, oid: str) -> bool:
    """Skip principals whose roles grant none of the checked actions (Reader, say)."""
    for vault_doc, policies in index.vault_policies.values():
        del vault_doc
        if any(str(p.get("objectId") or "").lower() == oid for p in policies):
            return True
    for assignment in index.assignments.get(oid, ()):
        role = index.roles.get(assignment.role_guid)
        if role is None:
            continue
        for action in ALL_ACTIONS:
            control, data = planes(action)
            if any(b.grants(action, control=control, data=data) for b in role.blocks):
                return True
    return False


def _cache_key(index: RbacIndex, oid: str, action: str, n: Node) -> tuple[Any, ...]:
    resource = norm(n.id)
    applicable = tuple(
        a.id for a in index.assignments.get(oid, ()) if index.applies(a.scope, resource)
    )
    denies = tuple(
        d.id
        for d in index.denies
        if (d.principals & {oid, EVERYONE})
        and index.applies(d.scope, resource, children=d.child_scopes)
    )
    exact = resource if resource in index.vault_policies else None
    return (action, n.kind, applicable, denies, exact)


def _can_write_some_vm(index: RbacIndex, oid: str, decide) -> bool:  # type: ignore[no-untyped-def]
    for assignment in index.assignments.get(oid, ()):
        probe = f"{assignment.scope}/providers/microsoft.compute/virtualmachines/any"
        if decide(index, oid, VM_WRITE, probe).allowed:
            return True
    for n in index.nodes.values():
        if n.kind == NodeKind.INSTANCE and decide(index, oid, VM_WRITE, norm(n.id)).allowed:
            return True
    return False
