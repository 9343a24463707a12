"""Key Vaults as ``secret`` nodes: RBAC mode or access policies (kept as a document the
evaluator reads), and network exposure of the vault endpoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import NodeKind, Partial
from blastscope.providers.azure.clients import Clients
from blastscope.providers.azure.common import (
    node,
    principal_node_id,
    props,
    resource_node,
    rest_list,
    subscription_of,
)

SERVICE = "keyvault"


def access_policy_doc_id(vault_id: str) -> str:
    """The document id of a vault's access policies."""
    return f"{vault_id}#access_policies"


def get_vaults(clients: Clients, region: str = "global") -> dict[str, Any]:
    """Every Key Vault of the subscription, with its properties."""
    return {"vaults": rest_list(clients.keyvault.vaults.list_by_subscription()), "warnings": []}


def transform_vaults(raw: Mapping[str, Any]) -> Partial:
    """Vault nodes (kind ``secret``), access-policy documents, nodes for their principals."""
    part = Partial(warnings=list(raw.get("warnings", [])))
    for vault in raw.get("vaults") or []:
        p = props(vault)
        vault_id = str(vault["id"])
        rbac = bool(p.get("enableRbacAuthorization"))
        acls = p.get("networkAcls") or {}
        network_open = p.get("publicNetworkAccess") != "Disabled" and (
            str(acls.get("defaultAction") or "Allow").lower() == "allow"
            or bool(acls.get("ipRules"))
        )
        doc_id = access_policy_doc_id(vault_id)
        part.documents[doc_id] = {
            "id": vault_id,
            "tenantId": p.get("tenantId"),
            "enableRbacAuthorization": rbac,
            "accessPolicies": list(p.get("accessPolicies") or []),
        }
        for policy in p.get("accessPolicies") or []:
            oid = str(policy.get("objectId") or "").lower()
            if oid:
                # an Entra principal named only here still needs a node for its edges
                part.nodes.append(
                    node(
                        principal_node_id(oid),
                        NodeKind.IDENTITY,
                        oid,
                        subscription=subscription_of(vault_id) or "",
                        principal_id=oid,
                    )
                )
        part.nodes.append(
            resource_node(
                vault,
                NodeKind.SECRET,
                store="key_vault",
                policy=doc_id,
                rbac_authorization=rbac,
                vault_uri=p.get("vaultUri"),
                network_open=network_open,
                public_network_access=p.get("publicNetworkAccess"),
                soft_delete=p.get("enableSoftDelete"),
                purge_protection=p.get("enablePurgeProtection"),
                rotation=None,
                last_changed=None,
            )
        )
    return part
