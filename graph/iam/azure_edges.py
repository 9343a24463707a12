"""Derive Azure permission edges from an :class:`RbacIndex`.

For each principal whose roles could matter at all, the resources under its assignment
scopes are checked against a short list of actions per resource kind; results are cached on
(principal, resource variant, applicable assignments, applicable denies), so a subscription
of thousands of similar resources costs a handful of evaluations per principal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
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
    """Every Azure principal's ``can_access`` and ``can_escalate`` edges."""
    identities_of: dict[str, list[str]] = defaultdict(list)
    for e in index.snapshot.edges:
        if e.kind == EdgeKind.RUNS_AS and e.src in index.nodes and e.dst in index.nodes:
            identities_of[e.src].append(e.dst)
    edges: list[Edge] = []
    for oid in sorted(index.principals()):
        src = index.node_for(oid)
        if src is None or not _may_matter(index, oid):
            continue
        edges.extend(_PrincipalEdges(index, oid, src, identities_of).run())
    return edges


class _PrincipalEdges:
    """One principal's edges. Decisions depend only on a resource's *context* (the
    assignments and denies that apply there, its kind, a vault's own policies), so each
    (context, question) is evaluated once however many resources share it."""

    def __init__(
        self, index: RbacIndex, oid: str, src: str, identities_of: Mapping[str, list[str]]
    ) -> None:
        self.index, self.oid, self.src, self.identities_of = index, oid, src, identities_of
        self.decisions: dict[tuple[Any, ...], Decision] = {}
        self.results: dict[tuple[Any, ...], Any] = {}
        self.can_write_vm: bool | None = None

    def check(self, action: str, ctx: tuple[Any, ...], resource: str) -> Decision:
        from blastscope.graph.iam.azure import decide

        key = (action, ctx)
        found = self.decisions.get(key)
        if found is None:
            found = self.decisions[key] = decide(self.index, self.oid, action, resource)
        return found

    def granted(
        self, actions: Iterable[str], ctx: tuple[Any, ...], resource: str
    ) -> list[tuple[str, Decision]]:
        key = ("granted", tuple(actions), ctx)
        if key not in self.results:
            self.results[key] = [
                (a, d) for a in key[1] if (d := self.check(a, ctx, resource)).allowed
            ]
        return self.results[key]  # type: ignore[no-any-return]

    def run(self) -> Iterable[Edge]:
        reached: set[str] = set()
        for edge in self.resources():
            if edge.kind == EdgeKind.CAN_ACCESS:
                reached.add(edge.dst)
            yield edge
        yield from self.parts_of_resources(reached)

    def parts_of_resources(self, reached: set[str]) -> Iterable[Edge]:
        """Assignments scoped *below* a data resource (one container, one secret) still reach
        data in it: a ``can_access`` edge marked ``partial`` with the assignment's scope."""
        index = self.index
        for scope in sorted({a.scope for a in index.assignments.get(self.oid, ())}):
            n = _data_ancestor(index, scope)
            if n is None or n.id in reached or n.id == self.src:
                continue
            checks = access_checks(n)
            assert checks is not None
            props = self.access_props(checks, _context(index, self.oid, n, scope), scope)
            if props is None:
                continue
            part = scope[len(norm(n.id)) + 1 :]
            reason = props["reason"].replace("{name}", n.name)
            yield Edge(
                self.src,
                n.id,
                EdgeKind.CAN_ACCESS,
                {
                    **props,
                    "reason": f"on {part} of {n.name}: {reason}",
                    "partial": True,
                    "scope": scope,
                },
            )
            reached.add(n.id)

    def resources(self) -> Iterable[Edge]:
        index, src = self.index, self.src
        for n in _candidates(index, self.oid):
            if n.id == src:
                continue
            resource = index.lower_ids[n.id]
            ctx = _context(index, self.oid, n, resource)
            checks = access_checks(n)
            if checks is not None:
                props = self.access_props(checks, ctx, resource)
                if props is not None:
                    reason = props["reason"].replace("{name}", n.name)
                    yield Edge(src, n.id, EdgeKind.CAN_ACCESS, {**props, "reason": reason})
            if n.kind == NodeKind.INSTANCE and self.identities_of.get(n.id):
                for technique, actions in VM_TAKEOVER.items():
                    granted = self.granted(actions, ctx, resource)
                    if granted:
                        for ident in self.identities_of[n.id]:
                            if ident != src:
                                yield _escalate(src, ident, technique, granted, n)
            if n.kind == NodeKind.IDENTITY and n.props.get("principal_type") == "managed_identity":
                granted = self.granted((ROLE_ASSIGN,), ctx, resource)
                if granted:
                    yield _escalate(src, n.id, "role_assignment_write", granted, n)
                granted = self.granted((ASSIGN_IDENTITY,), ctx, resource)
                if granted and n.props.get("assignment") == "user":
                    if self.can_write_vm is None:
                        self.can_write_vm = _can_write_some_vm(index, self.oid)
                    yield _escalate(
                        src,
                        n.id,
                        "assign_identity",
                        granted,
                        n,
                        extra_conditional=not self.can_write_vm,
                    )

    def access_props(
        self, checks: Mapping[str, tuple[str, ...]], ctx: tuple[Any, ...], resource: str
    ) -> dict[str, Any] | None:
        key = ("access", tuple(checks.items()), ctx)
        if key in self.results:
            return self.results[key]  # type: ignore[no-any-return]
        granted: list[tuple[str, str, Decision]] = []
        for level in LEVELS:
            for action, d in self.granted(checks.get(level, ()), ctx, resource):
                granted.append((level, action, d))
        for action, d in self.granted((ROLE_ASSIGN,), ctx, resource):
            granted.append(("admin", action, d))
        props: dict[str, Any] | None = None
        if granted:
            firm = [g for g in granted if g[2].outcome == Outcome.ALLOW]
            best = (firm or granted)[-1]
            reason = best[2].reason
            if best[1] == ROLE_ASSIGN:
                reason = f"can grant itself any role on {{name}} ({reason})"
            props = {
                "actions": sorted({g[1] for g in granted}),
                "level": max((g[0] for g in granted), key=LEVELS.index),
                "conditional": not firm,
                "reason": reason,
                "evidence": _evidence(d for _, _, d in granted),
            }
        self.results[key] = props
        return props


def _evidence(decisions: Iterable[Decision]) -> list[dict[str, Any]]:
    """Evidence entries of some decisions, de-duplicated (decisions are cached, so is this)."""
    return [dict(item) for item in _evidence_cached(tuple(decisions))]


@lru_cache(maxsize=4096)
def _evidence_cached(decisions: tuple[Decision, ...]) -> tuple[dict[str, Any], ...]:
    from blastscope.graph.iam.azure import evidence

    docs = {json_key(s): s for d in decisions for s in evidence(d)}
    return tuple(sorted(docs.values(), key=json_key))


_WHAT = {
    "vm_run_command": "can run commands on {name} and act as its identity",
    "vm_extension": "can install an extension on {name} and act as its identity",
    "role_assignment_write": "can assign roles on {name}",
    "assign_identity": "can attach identity {name} to a VM it controls",
}


def _escalate(
    src: str,
    dst: str,
    technique: str,
    granted: list[tuple[str, Decision]],
    via: Node,
    *,
    extra_conditional: bool = False,
) -> Edge:
    actions, conditional, why, evidence = _escalation_parts(
        technique, tuple(granted), extra_conditional
    )
    what = _WHAT[technique].format(name=via.name)
    if technique == "assign_identity" and extra_conditional:
        what += " (needs write on some VM, not found)"
    return Edge(
        src,
        dst,
        EdgeKind.CAN_ESCALATE,
        {
            "technique": technique,
            "actions": list(actions),
            "conditional": conditional,
            "reason": f"{what} ({why})",
            "evidence": [dict(e) for e in evidence],
            "via": via.id,
        },
    )


@lru_cache(maxsize=4096)
def _escalation_parts(
    technique: str, granted: tuple[tuple[str, Decision], ...], extra_conditional: bool
) -> tuple[tuple[str, ...], bool, str, tuple[dict[str, Any], ...]]:
    """What every escalation edge of one (technique, decisions) shares, built once."""
    conditional = extra_conditional or all(d.outcome == Outcome.CONDITIONAL for _, d in granted)
    actions = tuple(sorted({a for a, _ in granted}))
    return (
        actions,
        conditional,
        granted[0][1].reason,
        _evidence_cached(tuple(d for _, d in granted)),
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


def _data_ancestor(index: RbacIndex, scope: str) -> Node | None:
    """The nearest data node strictly above ``scope`` (a storage account above a container)."""
    parts = scope.split("/")
    for cut in range(len(parts) - 1, 2, -1):
        found = index.nodes_lower.get("/".join(parts[:cut]))
        if found is not None:
            return found if access_checks(found) is not None else None
    return None


def _context(index: RbacIndex, oid: str, n: Node, resource: str) -> tuple[Any, ...]:
    """What a decision for ``oid`` on ``n`` depends on: the assignments and deny assignments
    that apply there, the node kind, and the vault's own access policies."""
    applicable = tuple(
        a.id for a in index.assignments.get(oid, ()) if index.applies(a.scope, resource)
    )
    denies = ()
    if index.denies:
        denies = tuple(
            d.id
            for d in index.denies
            if (d.principals & {oid, EVERYONE})
            and index.applies(d.scope, resource, children=d.child_scopes)
        )
    exact = resource if resource in index.vault_policies else None
    return (n.kind, applicable, denies, exact)


def _can_write_some_vm(index: RbacIndex, oid: str) -> bool:
    """Could ``oid`` create or change some VM (to attach an identity to)? Probed at each of
    its assignment scopes, which covers every VM below them."""
    from blastscope.graph.iam.azure import decide

    for assignment in index.assignments.get(oid, ()):
        probe = f"{assignment.scope}/providers/microsoft.compute/virtualmachines/any"
        if decide(index, oid, VM_WRITE, probe).allowed:
            return True
    return False
