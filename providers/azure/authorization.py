"""Role definitions, role assignments (every scope that applies to the subscription: the
management groups above it, the subscription, its resource groups and resources) and deny
assignments, kept as documents for graph/iam/azure.py to evaluate; Entra ID principals named
by assignments become nodes (``azure:principal/<object id>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import Node, NodeKind, Partial, Warning
from blastscope.providers.azure.clients import Clients
from blastscope.providers.azure.common import (
    PROVIDER_NAME,
    lower,
    node,
    principal_node_id,
    props,
    rest,
    rest_list,
)
from blastscope.providers.azure.errors import attempt

SERVICE = "authorization"
EVERYONE = "00000000-0000-0000-0000-000000000000"
_KINDS = {
    "user": ("identity", "user"),
    "group": ("group", None),
    "foreigngroup": ("group", None),
    "serviceprincipal": ("identity", "service_principal"),
}


def get_authorization(
    clients: Clients, subscription: str, region: str = "global"
) -> dict[str, Any]:
    """Role definitions, role assignments and deny assignments that apply to one subscription."""
    warnings: list[Warning] = []
    auth = clients.authorization
    scope = f"/subscriptions/{subscription}"
    definitions = rest_list(auth.role_definitions.list(scope))
    assignments = attempt(
        lambda: rest_list(auth.role_assignments.list_for_subscription()),
        warnings,
        SERVICE,
        region,
        "role assignments",
    )
    # Custom roles defined at a management group are not always listed at the subscription:
    # read each definition an assignment names but the listing lacked.
    listed = {str(d.get("name") or "").lower() for d in definitions}
    wanted = {
        str(props(a).get("roleDefinitionId") or "")
        for a in assignments or []
        if str(props(a).get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower() not in listed
    }
    for role_id in sorted(w for w in wanted if w):
        found = attempt(
            lambda role_id=role_id: rest(auth.role_definitions.get_by_id(role_id)),
            warnings,
            SERVICE,
            region,
            f"role definition {role_id.rsplit('/', 1)[-1]}",
        )
        if found:
            definitions.append(found)
    denies = attempt(
        lambda: rest_list(auth.deny_assignments.list()),
        warnings,
        SERVICE,
        region,
        "deny assignments",
    )
    return {
        "subscription": subscription,
        "definitions": definitions,
        "assignments": assignments,
        "deny_assignments": denies,
        "warnings": warnings,
    }


def document(resource: Mapping[str, Any]) -> dict[str, Any]:
    """MODEL.md's document shape: the ARM ``properties`` object plus ``id`` and ``name``."""
    return {**props(resource), "id": resource.get("id"), "name": resource.get("name")}


def transform_authorization(raw: Mapping[str, Any]) -> Partial:
    """Definitions and assignments as documents; principal nodes; the management groups."""
    part = Partial(warnings=list(raw.get("warnings", [])))
    subscription = str(raw["subscription"])
    for definition in raw.get("definitions") or []:
        part.documents[str(definition["id"])] = document(definition)
    management_groups: set[str] = set()
    principals: dict[str, str] = {}
    for assignment in raw.get("assignments") or []:
        doc = document(assignment)
        part.documents[str(assignment["id"])] = doc
        scope = str(doc.get("scope") or "")
        if lower(scope).startswith("/providers/microsoft.management/managementgroups/"):
            management_groups.add(scope)
        pid = str(doc.get("principalId") or "").lower()
        if pid:
            principals.setdefault(pid, str(doc.get("principalType") or ""))
    for deny in raw.get("deny_assignments") or []:
        doc = document(deny)
        part.documents[str(deny["id"])] = doc
        for principal in doc.get("principals") or []:
            pid = str(principal.get("id") or "").lower()
            if pid and pid != EVERYONE:
                principals.setdefault(pid, str(principal.get("type") or ""))
    for pid, ptype in sorted(principals.items()):
        kind, principal_type = _KINDS.get(ptype.lower(), ("identity", "service_principal"))
        part.nodes.append(
            node(
                principal_node_id(pid),
                NodeKind(kind),
                pid,
                subscription=subscription,
                principal_id=pid,
                **({"principal_type": principal_type} if principal_type else {}),
                entra_type=ptype or None,
            )
        )
    acct_props: dict[str, Any] = {
        "role_assignments_read": raw.get("assignments") is not None,
        "deny_assignments_read": raw.get("deny_assignments") is not None,
    }
    if raw.get("assignments") is not None:
        acct_props["management_groups"] = sorted(management_groups)
    # Only the keys this task knows; the collector's account node carries name, tags, state.
    part.nodes.append(
        Node(
            id=f"/subscriptions/{subscription}",
            kind=NodeKind.ACCOUNT,
            name=str(raw.get("subscription_name") or subscription),
            provider=PROVIDER_NAME,
            props={"account": subscription, **acct_props},
        )
    )
    return part
