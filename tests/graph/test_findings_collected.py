"""Findings on what the real collectors' transforms emit (not on hand-written props)."""

from __future__ import annotations

from typing import Any

from blastscope.graph.findings import findings
from blastscope.graph.model import merge_parts

SUB = "0b6a3b7e-1c0d-4f6e-9d7a-5c1f8e2a4b90"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"


def arm_assignment(name: str, role: str, principal: str, scope: str) -> dict[str, Any]:
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/"
            f"roleDefinitions/{role}",
            "principalId": principal,
            "principalType": "ServicePrincipal",
            "scope": scope,
        },
    }


def test_azure_owner_assignment_from_the_collector_transform() -> None:
    from blastscope.providers.azure.authorization import transform_authorization
    from blastscope.providers.azure.common import principal_node_id

    sub_scope = f"/subscriptions/{SUB}"
    raw = {
        "subscription": SUB,
        "definitions": [],
        "assignments": [
            arm_assignment("a1", OWNER, "11111111-1111-1111-1111-111111111111", sub_scope),
            arm_assignment("a2", READER, "22222222-2222-2222-2222-222222222222", sub_scope),
            arm_assignment(
                "a3",
                OWNER,
                "33333333-3333-3333-3333-333333333333",
                f"{sub_scope}/resourceGroups/rg",
            ),
        ],
        "deny_assignments": [],
        "warnings": [],
    }
    snap = merge_parts([transform_authorization(raw)], provider="azure", scope={}, collected_at="t")
    found = {f.node: f for f in findings(snap, rules=["admin-principal"])}
    owner = principal_node_id("11111111-1111-1111-1111-111111111111")
    assert set(found) == {owner}
    assert found[owner].evidence["grants"][0]["role"] == "Owner"


def test_azure_public_container_from_the_collector_transform() -> None:
    from blastscope.providers.azure.storage import transform_storage

    def account(name: str, allow_public: bool) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Storage/"
            f"storageAccounts/{name}",
            "name": name,
            "location": "eastus",
            "kind": "StorageV2",
            "properties": {
                "allowBlobPublicAccess": allow_public,
                "networkAcls": {"defaultAction": "Allow"},
                "encryption": {"keySource": "Microsoft.Storage"},
            },
        }

    public, private = account("pub", True), account("priv", False)
    container = {"name": "web", "properties": {"publicAccess": "Blob"}}
    raw = {
        "accounts": [public, private],
        "containers": {public["id"].lower(): [container], private["id"].lower(): [container]},
        "warnings": [],
    }
    snap = merge_parts([transform_storage(raw)], provider="azure", scope={}, collected_at="t")
    found = findings(snap, rules=["public-bucket", "unencrypted-storage"])
    assert [(f.rule, f.node) for f in found] == [("public-bucket", public["id"])]
