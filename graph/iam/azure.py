"""Azure RBAC evaluation: role assignments inherited down scopes (management group →
subscription → resource group → resource), actions/notActions and dataActions/notDataActions
with wildcards, deny assignments, ABAC conditions (→ conditional), and Key Vault access
policies for vaults not in RBAC mode. Role definitions come from the snapshot's documents.

``permission_edges`` (analysis ``azure-rbac``) derives ``can_access`` edges to storage
accounts, Key Vaults, SQL servers, disks and snapshots, and ``can_escalate`` edges (role
assignment write, VM run command / extensions onto a VM's identities, identity assign).
"""

from __future__ import annotations

from typing import Any

from blastscope.graph.build import register_analysis
from blastscope.graph.iam import Decision, Outcome, StatementRef
from blastscope.graph.iam.azure_actions import (
    access_policy_permission,
    planes,
    policy_allows,
)
from blastscope.graph.iam.azure_index import EVERYONE, RbacIndex, index_for, norm
from blastscope.graph.model import Edge, Snapshot

__all__ = ["evaluate", "who_can", "permission_edges"]


def evaluate(snapshot: Snapshot, principal: str, action: str, resource: str) -> Decision:
    """May ``principal`` (node id, ``azure:principal/<oid>`` or object id) do ``action`` on
    ``resource`` (an ARM id or scope)?

    Deny assignments win over any role assignment; an allow that rests only on assignments
    with an ABAC condition is ``conditional``.
    """
    index = index_for(snapshot)
    oid = index.object_id(principal)
    if oid is None:
        return Decision(Outcome.IMPLICIT_DENY, (), f"unknown principal {principal!r}")
    return decide(index, oid, action, norm(resource))


def who_can(snapshot: Snapshot, action: str, resource: str) -> list[tuple[str, Decision]]:
    """Every principal allowed (or conditionally allowed) to do ``action`` on ``resource``."""
    index = index_for(snapshot)
    target = norm(resource)
    out: list[tuple[str, Decision]] = []
    for oid in sorted(index.principals()):
        decision = decide(index, oid, action, target)
        if decision.allowed:
            out.append((index.node_for(oid) or f"azure:principal/{oid}", decision))
    return out


def decide(index: RbacIndex, oid: str, action: str, resource: str) -> Decision:
    """The decision on normalised inputs (shared by evaluate, who_can and the edges)."""
    control, data = planes(action)
    denies = [
        d
        for d in index.denies
        if (d.principals & {oid, EVERYONE})
        and oid not in d.excluded
        and index.applies(d.scope, resource, children=d.child_scopes)
        and any(b.grants(action, control=control, data=data) for b in d.blocks)
    ]
    if denies:
        refs = tuple(
            StatementRef(d.id, _block_index(d.blocks, action, control, data), d.name, "deny")
            for d in denies
        )
        return Decision(
            Outcome.EXPLICIT_DENY, refs, f"{action} denied by deny assignment '{denies[0].name}'"
        )
    vault = index.vault_policies.get(resource)
    policy_perm = access_policy_permission(action) if vault is not None else None
    if policy_perm is not None and vault is not None:
        # Access-policy vaults ignore RBAC for data actions: only their policies count.
        doc_id, policies = vault
        for i, policy in enumerate(policies):
            if str(policy.get("objectId") or "").lower() == oid and policy_allows(
                policy, *policy_perm
            ):
                ref = StatementRef(doc_id, i, None, "allow")
                outcome = Outcome.CONDITIONAL if policy.get("applicationId") else Outcome.ALLOW
                return Decision(
                    outcome,
                    (ref,),
                    f"{action} allowed by access policy {i} of the vault "
                    f"({policy_perm[0]}: {policy_perm[1]})",
                )
        return Decision(
            Outcome.IMPLICIT_DENY, (), f"no access policy of the vault grants {policy_perm[1]}"
        )
    allows: list[StatementRef] = []
    conditional: list[StatementRef] = []
    scopes: list[str] = []
    missing: list[str] = []
    for assignment in index.assignments.get(oid, ()):
        if not index.applies(assignment.scope, resource):
            continue
        role = index.roles.get(assignment.role_guid)
        if role is None:
            missing.append(assignment.role_guid)
            continue
        for i, block in enumerate(role.blocks):
            if block.grants(action, control=control, data=data):
                ref = StatementRef(assignment.id, i, role.name, "allow")
                if assignment.condition:
                    conditional.append(ref)
                else:
                    allows.append(ref)
                    scopes.append(assignment.scope)
                break
    if allows:
        first = allows[0]
        return Decision(
            Outcome.ALLOW,
            tuple(allows + conditional),
            f"{action} allowed by role '{first.sid}' assigned at {scopes[0]}",
        )
    if conditional:
        first = conditional[0]
        return Decision(
            Outcome.CONDITIONAL,
            tuple(conditional),
            f"{action} allowed by role '{first.sid}' only if its assignment's condition holds",
        )
    tail = f"; role definition(s) not collected: {', '.join(sorted(missing))}" if missing else ""
    return Decision(Outcome.IMPLICIT_DENY, (), f"no role assignment grants {action}{tail}")


def _block_index(blocks: Any, action: str, control: bool, data: bool) -> int | None:
    for i, block in enumerate(blocks):
        if block.grants(action, control=control, data=data):
            return i
    return None


@register_analysis("azure-rbac")
def permission_edges(snapshot: Snapshot) -> list[Edge]:
    """``can_access`` and ``can_escalate`` edges for every Azure principal we can name."""
    from blastscope.graph.iam.azure_edges import derive

    return derive(index_for(snapshot))


def evidence(decision: Decision) -> list[dict[str, Any]]:
    """A decision's statements as edge evidence entries."""
    return [
        {"document": s.document, "statement": s.index, "role": s.sid, "effect": s.effect}
        for s in decision.statements
    ]
