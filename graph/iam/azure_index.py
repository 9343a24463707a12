"""An index over one snapshot's Azure RBAC input, built once: role definitions by GUID,
role and deny assignments by principal, the scope hierarchy, and principals' nodes.

Scopes and ids compare case-insensitively (ARM spells ``resourceGroups`` both ways); a role
assignment's ``roleDefinitionId`` is matched on its GUID, since the same built-in role is
listed under every subscription's path.
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from blastscope.graph.iam.azure_actions import PermissionBlock, blocks
from blastscope.graph.model import Node, NodeKind, Snapshot

EVERYONE = "00000000-0000-0000-0000-000000000000"
PRINCIPAL_PREFIX = "azure:principal/"
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_MG_PREFIX = "/providers/microsoft.management/managementgroups/"


def norm(ident: str | None) -> str:
    """An id or scope in the form scopes compare in: lower case, no trailing slash."""
    return (ident or "").strip().rstrip("/").lower() or "/"


@dataclass(frozen=True, slots=True)
class RoleDef:
    id: str
    guid: str
    name: str
    blocks: tuple[PermissionBlock, ...]


@dataclass(frozen=True, slots=True)
class Assignment:
    id: str
    scope: str
    """Normalised (lower-case) scope."""
    principal: str
    role_guid: str
    condition: str | None


@dataclass(frozen=True, slots=True)
class DenyAssignment:
    id: str
    name: str
    scope: str
    principals: frozenset[str]
    excluded: frozenset[str]
    child_scopes: bool
    blocks: tuple[PermissionBlock, ...]


class RbacIndex:
    """Everything evaluation needs, keyed for near-linear edge derivation."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.nodes: dict[str, Node] = {}
        self.nodes_lower: dict[str, Node] = {}
        self.lower_ids: dict[str, str] = {}
        self.roles: dict[str, RoleDef] = {}
        self.assignments: dict[str, list[Assignment]] = defaultdict(list)
        self.denies: list[DenyAssignment] = []
        self.principal_nodes: dict[str, str] = {}
        self.account_mgs: dict[str, frozenset[str]] = {}
        self.vault_policies: dict[str, tuple[str, list[Mapping[str, Any]]]] = {}
        self._build()
        self.sorted_ids = sorted(self.nodes_lower)

    def _build(self) -> None:
        for n in self.snapshot.nodes:
            if n.provider != "azure":
                continue
            self.nodes[n.id] = n
            key = norm(n.id)
            self.nodes_lower[key] = n
            self.lower_ids[n.id] = key
            pid = str(n.props.get("principal_id") or "").lower()
            if n.kind in (NodeKind.IDENTITY, NodeKind.GROUP) and pid:
                managed = n.props.get("principal_type") == "managed_identity"
                if managed or pid not in self.principal_nodes:
                    self.principal_nodes[pid] = n.id
            if n.kind == NodeKind.ACCOUNT:
                mgs = n.props.get("management_groups") or []
                self.account_mgs[norm(n.id)] = frozenset(norm(m) for m in mgs)
        for doc_id, raw in self.snapshot.documents.items():
            if not isinstance(raw, Mapping):
                continue
            doc = _flatten(raw)
            kind = _doc_kind(doc_id.lower(), doc)
            if kind == "definition":
                guid = _guid_of(doc_id, doc)
                role = RoleDef(doc_id, guid, str(doc.get("roleName") or guid), blocks(doc))
                self.roles[guid] = role
                name = str(doc.get("name") or "").lower()
                if name and name != guid:
                    self.roles.setdefault(name, role)
            elif kind == "assignment":
                principal = str(doc.get("principalId") or "").lower()
                if principal:
                    self.assignments[principal].append(
                        Assignment(
                            id=doc_id,
                            scope=norm(str(doc.get("scope") or _scope_of(doc_id))),
                            principal=principal,
                            role_guid=norm(str(doc.get("roleDefinitionId"))).rsplit("/", 1)[-1],
                            condition=doc.get("condition") or None,
                        )
                    )
            elif kind == "deny":
                self.denies.append(_deny(doc_id, doc))
            elif kind == "vault" and doc.get("enableRbacAuthorization") is False:
                policies = [p for p in doc.get("accessPolicies") or [] if isinstance(p, Mapping)]
                vault = doc.get("id") if isinstance(doc.get("id"), str) else None
                self.vault_policies[norm(vault or doc_id.rsplit("#", 1)[0])] = (doc_id, policies)

    # --- principals ---------------------------------------------------------------------
    def object_id(self, principal: str) -> str | None:
        """The Entra object id behind a node id, ``azure:principal/<oid>`` or a bare GUID."""
        text = principal.strip()
        if text.lower().startswith(PRINCIPAL_PREFIX):
            return text[len(PRINCIPAL_PREFIX) :].lower()
        found = self.nodes.get(text) or self.nodes_lower.get(norm(text))
        if found is None:
            named = [
                n
                for n in self.nodes.values()
                if n.name == text and n.kind in (NodeKind.IDENTITY, NodeKind.GROUP)
            ]
            found = named[0] if len(named) == 1 else None
        if found is not None:
            pid = found.props.get("principal_id")
            return str(pid).lower() if pid else None
        return text.lower() if _GUID.match(text.lower()) else None

    def node_for(self, object_id: str) -> str | None:
        """The node showing a principal: its managed identity, else its Entra node."""
        found = self.principal_nodes.get(object_id)
        if found:
            return found
        ident = f"{PRINCIPAL_PREFIX}{object_id}"
        return ident if ident in self.nodes else None

    def principals(self) -> set[str]:
        """Object ids of every principal with a role assignment or a vault access policy."""
        out = set(self.assignments)
        for _doc, policies in self.vault_policies.values():
            out.update(str(p.get("objectId") or "").lower() for p in policies)
        out.discard("")
        return out

    # --- scopes -------------------------------------------------------------------------
    def applies(self, scope: str, resource: str, *, children: bool = True) -> bool:
        """Does an assignment at ``scope`` cover ``resource`` (both normalised)?"""
        if scope == resource:
            return True
        if not children:
            return False
        if scope == "/":
            return True
        if scope.startswith(_MG_PREFIX):
            sub = subscription_scope(resource)
            return sub is not None and scope in self.account_mgs.get(sub, frozenset())
        return resource.startswith(scope + "/")

    def under(self, scope: str) -> Iterator[Node]:
        """Indexed nodes at or below ``scope`` (bisect over the sorted ids)."""
        if scope == "/" or scope.startswith(_MG_PREFIX):
            for key in self.sorted_ids:
                if self.applies(scope, key):
                    yield self.nodes_lower[key]
            return
        start = bisect.bisect_left(self.sorted_ids, scope)
        for key in self.sorted_ids[start:]:
            if key != scope and not key.startswith(scope + "/") and not key.startswith(scope + "#"):
                break
            if key == scope or key.startswith(scope + "/"):
                yield self.nodes_lower[key]


def _flatten(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """Accept the raw ARM shape (``{"id", "name", "properties": {...}}``) as well as
    MODEL.md's flattened one."""
    inner = doc.get("properties")
    if isinstance(inner, Mapping):
        return {**inner, **{k: v for k, v in doc.items() if k != "properties"}}
    return doc


def _doc_kind(low_id: str, doc: Mapping[str, Any]) -> str | None:
    """Which Azure RBAC input a document is: by its ARM id, else by its fields."""
    if "/providers/microsoft.authorization/roledefinitions/" in low_id:
        return "definition"
    if "/providers/microsoft.authorization/roleassignments/" in low_id:
        return "assignment"
    if "/providers/microsoft.authorization/denyassignments/" in low_id:
        return "deny"
    if low_id.endswith("#access_policies") or "accessPolicies" in doc:
        return "vault"
    if "roleDefinitionId" in doc and "principalId" in doc:
        return "assignment"
    if "denyAssignmentName" in doc or ("excludePrincipals" in doc and "permissions" in doc):
        return "deny"
    if "roleName" in doc and "permissions" in doc:
        return "definition"
    return None


def _guid_of(doc_id: str, doc: Mapping[str, Any]) -> str:
    tail = norm(doc_id).rsplit("/", 1)[-1]
    if _GUID.match(tail):
        return tail
    name = str(doc.get("name") or "").lower()
    return name if _GUID.match(name) else tail


def subscription_scope(resource: str) -> str | None:
    """``/subscriptions/<id>`` of a normalised resource id, or None."""
    parts = resource.split("/")
    if len(parts) >= 3 and parts[1] == "subscriptions":
        return f"/subscriptions/{parts[2]}"
    return None


def _scope_of(assignment_id: str) -> str:
    low = assignment_id.lower()
    cut = low.find("/providers/microsoft.authorization/")
    return assignment_id[:cut] if cut > 0 else "/"


def _deny(doc_id: str, doc: Mapping[str, Any]) -> DenyAssignment:
    def ids(key: str) -> frozenset[str]:
        return frozenset(
            str(p.get("id") or "").lower() for p in doc.get(key) or [] if isinstance(p, Mapping)
        )

    return DenyAssignment(
        id=doc_id,
        name=str(doc.get("denyAssignmentName") or doc.get("name") or doc_id),
        scope=norm(str(doc.get("scope") or _scope_of(doc_id))),
        principals=ids("principals"),
        excluded=ids("excludePrincipals"),
        child_scopes=not bool(doc.get("doNotApplyToChildScopes")),
        blocks=blocks(doc),
    )


_CACHE: dict[int, tuple[Snapshot, RbacIndex]] = {}
_LOCK = threading.Lock()


def index_for(snapshot: Snapshot) -> RbacIndex:
    """The (cached) index of ``snapshot``; snapshots are immutable."""
    with _LOCK:
        hit = _CACHE.get(id(snapshot))
        if hit is not None and hit[0] is snapshot:
            return hit[1]
    built = RbacIndex(snapshot)
    with _LOCK:
        if len(_CACHE) > 4:
            _CACHE.clear()
        _CACHE[id(snapshot)] = (snapshot, built)
    return built
