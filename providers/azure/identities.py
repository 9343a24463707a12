"""User-assigned managed identities: identity nodes keyed by their ARM id, carrying the
principal (object) id that role assignments name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import NodeKind, Partial
from blastscope.providers.azure.clients import Clients
from blastscope.providers.azure.common import props, resource_node, rest_list

SERVICE = "identities"


def get_identities(clients: Clients, region: str = "global") -> dict[str, Any]:
    """Every user-assigned managed identity of the subscription."""
    return {
        "identities": rest_list(clients.msi.user_assigned_identities.list_by_subscription()),
        "warnings": [],
    }


def transform_identities(raw: Mapping[str, Any]) -> Partial:
    """One identity node per user-assigned managed identity."""
    part = Partial(warnings=list(raw.get("warnings", [])))
    for ident in raw.get("identities") or []:
        p = props(ident)
        part.nodes.append(
            resource_node(
                ident,
                NodeKind.IDENTITY,
                principal_type="managed_identity",
                assignment="user",
                principal_id=p.get("principalId"),
                client_id=p.get("clientId"),
                tenant_id=p.get("tenantId"),
            )
        )
    return part
