"""Azure RBAC evaluation on literal snapshots with Azure's real built-in role definitions
(tests/data/azure/roles/builtin.json: Owner, Contributor, Reader, User Access Administrator,
Storage Blob Data Reader/Contributor, Key Vault Secrets User, Virtual Machine Contributor …)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from blastscope.graph.build import build_graph
from blastscope.graph.iam import Outcome, evaluator_for
from blastscope.graph.iam.azure import evaluate, permission_edges, who_can
from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, merge_parts

ROLES = {
    r["properties"]["roleName"]: r
    for r in json.loads(
        (Path(__file__).parents[2] / "data" / "azure" / "roles" / "builtin.json").read_text()
    )["value"]
}
SUB = "/subscriptions/22222222-2222-2222-2222-222222222222"
RG = f"{SUB}/resourceGroups/app"
ACCOUNT = f"{RG}/providers/Microsoft.Storage/storageAccounts/appdata"
OTHER_ACCOUNT = f"{SUB}/resourceGroups/other/providers/Microsoft.Storage/storageAccounts/logs"
VAULT = f"{RG}/providers/Microsoft.KeyVault/vaults/app-kv"
VM = f"{RG}/providers/Microsoft.Compute/virtualMachines/app-vm"
VM_IDENTITY = f"{VM}/providers/Microsoft.ManagedIdentity/identities/default"
UAMI = f"{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-mi"
BLOB_READ = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"
BLOB_WRITE = "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write"
GET_SECRET = "Microsoft.KeyVault/vaults/secrets/getSecret/action"
ALICE, BOB, CAROL, VM_OID = (f"aaaaaaaa-0000-0000-0000-00000000000{i}" for i in range(1, 5))
MG = "/providers/Microsoft.Management/managementGroups/corp"


def definition(name: str) -> tuple[str, dict[str, Any]]:
    role = ROLES[name]
    doc_id = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{role['name']}"
    return doc_id, {**role["properties"], "id": doc_id, "name": role["name"]}


def assignment(
    n: int, scope: str, role: str, principal: str, condition: str | None = None
) -> tuple[str, dict[str, Any]]:
    guid = f"00000000-0000-0000-0000-0000000000{n:02d}"
    doc_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{guid}"
    return doc_id, {
        "id": doc_id,
        "name": guid,
        "scope": scope,
        "principalId": principal,
        "principalType": "User",
        "roleDefinitionId": definition(role)[0],
        "condition": condition,
        "conditionVersion": "2.0" if condition else None,
    }


def snapshot(*assignments: tuple[str, dict[str, Any]], extra: dict[str, Any] | None = None):
    docs = dict(definition(name) for name in ROLES)
    docs.update(dict(assignments))
    docs.update(extra or {})
    nodes = [
        Node(SUB, NodeKind.ACCOUNT, "sub", "azure", props={"management_groups": [MG]}),
        Node(ACCOUNT, NodeKind.BUCKET, "appdata", "azure", props={"allow_shared_key_access": True}),
        Node(
            OTHER_ACCOUNT,
            NodeKind.BUCKET,
            "logs",
            "azure",
            props={"allow_shared_key_access": False},
        ),
        Node(VAULT, NodeKind.SECRET, "app-kv", "azure", props={"rbac_authorization": True}),
        Node(VM, NodeKind.INSTANCE, "app-vm", "azure"),
        Node(
            VM_IDENTITY,
            NodeKind.IDENTITY,
            "app-vm (system)",
            "azure",
            props={
                "principal_type": "managed_identity",
                "principal_id": VM_OID,
                "assignment": "system",
            },
        ),
        Node(
            UAMI,
            NodeKind.IDENTITY,
            "app-mi",
            "azure",
            props={
                "principal_type": "managed_identity",
                "principal_id": "ffff0000-0000-0000-0000-000000000001",
                "assignment": "user",
            },
        ),
    ] + [
        Node(
            f"azure:principal/{p}",
            NodeKind.IDENTITY,
            p,
            "azure",
            props={"principal_id": p, "principal_type": "user"},
        )
        for p in (ALICE, BOB, CAROL)
    ]
    part = Partial(nodes=nodes, edges=[Edge(VM, VM_IDENTITY, EdgeKind.RUNS_AS)], documents=docs)
    return merge_parts([part], provider="azure", scope={}, collected_at="t")


def test_data_actions_need_a_data_role_not_owner() -> None:
    snap = snapshot(
        assignment(1, SUB, "Owner", ALICE), assignment(2, ACCOUNT, "Storage Blob Data Reader", BOB)
    )
    assert (
        evaluate(snap, ALICE, "Microsoft.Storage/storageAccounts/write", ACCOUNT).outcome
        == Outcome.ALLOW
    )
    # Owner's "*" covers actions, never dataActions
    assert evaluate(snap, ALICE, BLOB_READ, ACCOUNT).outcome == Outcome.IMPLICIT_DENY
    decision = evaluate(snap, f"azure:principal/{BOB}", BLOB_READ, ACCOUNT)
    assert (
        decision.outcome == Outcome.ALLOW
        and decision.statements[0].sid == "Storage Blob Data Reader"
    )
    assert evaluate(snap, BOB, BLOB_WRITE, ACCOUNT).outcome == Outcome.IMPLICIT_DENY
    # the reader's assignment is on one account: not inherited sideways or upwards
    assert evaluate(snap, BOB, BLOB_READ, OTHER_ACCOUNT).outcome == Outcome.IMPLICIT_DENY
    assert evaluate(snap, BOB, BLOB_READ, RG).outcome == Outcome.IMPLICIT_DENY


def test_contributor_not_actions_block_role_assignment() -> None:
    snap = snapshot(
        assignment(1, RG.replace("resourceGroups", "resourcegroups"), "Contributor", ALICE)
    )
    # inherited from the resource group although the scope is spelt in another case
    assert evaluate(snap, ALICE, "Microsoft.Compute/virtualMachines/write", VM).allowed
    assert evaluate(
        snap, ALICE, "microsoft.storage/storageaccounts/listkeys/action", ACCOUNT
    ).allowed
    denied = evaluate(snap, ALICE, "Microsoft.Authorization/roleAssignments/write", VM)
    assert denied.outcome == Outcome.IMPLICIT_DENY  # notActions subtract; nothing else grants
    assert evaluate(snap, ALICE, "Microsoft.Authorization/roleAssignments/read", VM).allowed
    assert not evaluate(
        snap, ALICE, "Microsoft.Compute/virtualMachines/write", OTHER_ACCOUNT
    ).allowed


def test_reader_reads_everything_below_writes_nothing() -> None:
    snap = snapshot(assignment(1, SUB, "Reader", ALICE))
    assert evaluate(snap, ALICE, "Microsoft.Compute/virtualMachines/read", VM).allowed
    assert not evaluate(snap, ALICE, "Microsoft.Compute/virtualMachines/write", VM).allowed
    assert not evaluate(
        snap, ALICE, "Microsoft.Storage/storageAccounts/listKeys/action", ACCOUNT
    ).allowed
    assert permission_edges(snap) == []


def test_management_group_assignments_reach_member_subscriptions_only() -> None:
    snap = snapshot(
        assignment(1, MG, "Reader", ALICE),
        assignment(2, "/providers/Microsoft.Management/managementGroups/elsewhere", "Owner", BOB),
    )
    assert evaluate(snap, ALICE, "Microsoft.Compute/virtualMachines/read", VM).allowed
    assert not evaluate(snap, BOB, "Microsoft.Compute/virtualMachines/read", VM).allowed


def test_deny_assignment_beats_owner_except_excluded_principals() -> None:
    deny_id = f"{RG}/providers/Microsoft.Authorization/denyAssignments/d1"
    deny = {
        "id": deny_id,
        "name": "d1",
        "denyAssignmentName": "lock",
        "scope": RG,
        "permissions": [
            {
                "actions": ["*/delete"],
                "notActions": [],
                "dataActions": [BLOB_READ],
                "notDataActions": [],
            }
        ],
        "principals": [{"id": "00000000-0000-0000-0000-000000000000", "type": "SystemDefined"}],
        "excludePrincipals": [{"id": BOB, "type": "User"}],
        "doNotApplyToChildScopes": False,
    }
    snap = snapshot(
        assignment(1, SUB, "Owner", ALICE),
        assignment(2, SUB, "Owner", BOB),
        assignment(3, SUB, "Storage Blob Data Reader", CAROL),
        extra={deny_id: deny},
    )
    alice = evaluate(snap, ALICE, "Microsoft.Compute/virtualMachines/delete", VM)
    assert alice.outcome == Outcome.EXPLICIT_DENY and alice.statements[0].document == deny_id
    assert (alice.statements[0].index, alice.statements[0].effect) == (0, "deny")
    assert evaluate(snap, ALICE, "Microsoft.Compute/virtualMachines/write", VM).allowed
    assert evaluate(snap, BOB, "Microsoft.Compute/virtualMachines/delete", VM).allowed
    assert evaluate(snap, CAROL, BLOB_READ, ACCOUNT).outcome == Outcome.EXPLICIT_DENY
    assert evaluate(snap, CAROL, BLOB_READ, OTHER_ACCOUNT).allowed  # outside the deny's scope
    names = {p for p, _ in who_can(snap, "Microsoft.Compute/virtualMachines/delete", VM)}
    assert names == {f"azure:principal/{BOB}"}


def test_condition_makes_the_grant_conditional() -> None:
    cond = (
        "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'x'"
    )
    snap = snapshot(assignment(1, ACCOUNT, "Storage Blob Data Reader", ALICE, cond))
    decision = evaluate(snap, ALICE, BLOB_READ, ACCOUNT)
    assert decision.outcome == Outcome.CONDITIONAL and decision.allowed
    [edge] = [e for e in permission_edges(snap) if e.dst == ACCOUNT]
    assert edge.props["conditional"] is True and edge.props["level"] == "read"


def test_key_vault_rbac_and_access_policy_modes() -> None:
    policy_doc = f"{VAULT}#access_policies"
    policies = {
        "id": VAULT,
        "enableRbacAuthorization": False,
        "accessPolicies": [
            {
                "tenantId": "t",
                "objectId": BOB,
                "permissions": {"secrets": ["Get", "List"], "keys": []},
            }
        ],
    }
    rbac = snapshot(assignment(1, VAULT, "Key Vault Secrets User", ALICE))
    assert evaluate(rbac, ALICE, GET_SECRET, VAULT).allowed
    assert not evaluate(
        rbac, ALICE, "Microsoft.KeyVault/vaults/secrets/setSecret/action", VAULT
    ).allowed
    legacy = snapshot(
        assignment(1, VAULT, "Key Vault Secrets User", ALICE),
        assignment(2, SUB, "Contributor", CAROL),
        extra={policy_doc: policies},
    )
    # access-policy mode ignores RBAC data roles; policies decide
    assert evaluate(legacy, ALICE, GET_SECRET, VAULT).outcome == Outcome.IMPLICIT_DENY
    decision = evaluate(legacy, BOB, GET_SECRET, VAULT)
    assert decision.allowed and decision.statements[0].document == policy_doc
    assert not evaluate(
        legacy, BOB, "Microsoft.KeyVault/vaults/secrets/setSecret/action", VAULT
    ).allowed
    vault_node = Node(
        VAULT, NodeKind.SECRET, "app-kv", "azure", props={"rbac_authorization": False}
    )
    legacy = replace(legacy, nodes=tuple(vault_node if n.id == VAULT else n for n in legacy.nodes))
    edges = {(e.src, e.dst): e for e in permission_edges(legacy) if e.dst == VAULT}
    assert edges[(f"azure:principal/{BOB}", VAULT)].props["level"] == "read"
    # Contributor can write the vault, so can grant itself a policy: admin
    assert edges[(f"azure:principal/{CAROL}", VAULT)].props["level"] == "admin"
    assert (f"azure:principal/{ALICE}", VAULT) not in edges


def test_escalation_edges() -> None:
    snap = snapshot(
        assignment(1, RG, "Virtual Machine Contributor", ALICE),
        assignment(2, SUB, "User Access Administrator", BOB),
        assignment(3, UAMI, "Managed Identity Operator", CAROL),
    )
    got = {
        (e.src.rsplit("/", 1)[-1], e.dst, e.props["technique"], e.props["conditional"])
        for e in permission_edges(snap)
        if e.kind == EdgeKind.CAN_ESCALATE
    }
    assert (ALICE, VM_IDENTITY, "vm_run_command", False) in got
    assert (ALICE, VM_IDENTITY, "vm_extension", False) in got
    assert (BOB, VM_IDENTITY, "role_assignment_write", False) in got
    assert (BOB, UAMI, "role_assignment_write", False) in got
    # assign alone is not enough: Carol controls no VM to attach the identity to
    assert (CAROL, UAMI, "assign_identity", True) in got
    access = {
        (e.src.rsplit("/", 1)[-1], e.dst): e.props
        for e in permission_edges(snap)
        if e.kind == EdgeKind.CAN_ACCESS
    }
    # VM Contributor includes storageAccounts/listKeys/action: keys read every blob
    assert access[(ALICE, ACCOUNT)]["level"] == "admin"
    assert (
        "Microsoft.Storage/storageAccounts/listKeys/action" in access[(ALICE, ACCOUNT)]["actions"]
    )
    assert (ALICE, OTHER_ACCOUNT) not in access  # other resource group
    assert access[(BOB, OTHER_ACCOUNT)]["level"] == "admin"  # UAA: can grant itself anything
    assert access[(BOB, OTHER_ACCOUNT)]["actions"] == [
        "Microsoft.Authorization/roleAssignments/write"
    ]


def test_managed_identity_edges_start_at_the_identity_node() -> None:
    snap = snapshot(assignment(1, ACCOUNT, "Storage Blob Data Reader", VM_OID))
    [edge] = permission_edges(snap)
    assert (edge.src, edge.dst, edge.kind) == (VM_IDENTITY, ACCOUNT, EdgeKind.CAN_ACCESS)
    assert edge.props["evidence"][0]["role"] == "Storage Blob Data Reader"
    G = build_graph(snap)
    assert {d["kind"] for d in G.get_edge_data(VM_IDENTITY, ACCOUNT).values()} == {"can_access"}
    assert evaluator_for("azure").evaluate(snap, VM_IDENTITY, BLOB_READ, ACCOUNT).allowed


def test_unknown_role_definition_is_not_an_allow() -> None:
    doc_id, doc = assignment(1, SUB, "Owner", ALICE)
    doc = {
        **doc,
        "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{'9' * 8}",
    }
    snap = snapshot((doc_id, doc))
    decision = evaluate(snap, ALICE, "Microsoft.Compute/virtualMachines/read", VM)
    assert decision.outcome == Outcome.IMPLICIT_DENY and "not collected" in decision.reason


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        (
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
            "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
            True,
        ),
        ("*/read", "Microsoft.Compute/virtualMachines/read", True),
        ("*/read", "Microsoft.Compute/virtualMachines/readx", False),
        ("Microsoft.Compute/*", "microsoft.compute/disks/write", True),
        ("Microsoft.Compute/*", "Microsoft.ComputeX/disks/write", False),
        ("Microsoft.Authorization/*/Write", "Microsoft.Authorization/roleAssignments/write", True),
    ],
)
def test_wildcards(pattern: str, action: str, expected: bool) -> None:
    from blastscope.graph.iam.azure_actions import matches

    assert matches([pattern], action) is expected


def test_only_azure_nodes_are_considered() -> None:
    snap = snapshot(assignment(1, SUB, "Owner", ALICE))
    aws = Node("arn:aws:s3:::b", NodeKind.BUCKET, "b", "aws")
    mixed = merge_parts(
        [Partial(nodes=[*snap.nodes, aws], documents=dict(snap.documents))],
        provider="demo",
        scope={},
        collected_at="t",
    )
    assert all(e.dst != aws.id for e in permission_edges(mixed))
    assert any(e.dst == ACCOUNT for e in permission_edges(mixed))


def test_assignment_below_a_resource_reaches_part_of_it() -> None:
    container = f"{ACCOUNT}/blobServices/default/containers/invoices"
    secret = f"{VAULT}/secrets/db-password"
    snap = snapshot(
        assignment(1, container, "Storage Blob Data Reader", ALICE),
        assignment(2, secret, "Key Vault Secrets User", ALICE),
    )
    assert evaluate(snap, ALICE, BLOB_READ, container).allowed
    assert not evaluate(snap, ALICE, BLOB_READ, ACCOUNT).allowed  # not the whole account
    got = {e.dst: e.props for e in permission_edges(snap)}
    assert got[ACCOUNT]["partial"] is True and got[ACCOUNT]["scope"] == container.lower()
    assert got[ACCOUNT]["level"] == "read" and "invoices" in got[ACCOUNT]["reason"]
    assert got[VAULT]["partial"] is True and got[VAULT]["level"] == "read"


def test_raw_arm_documents_and_names_are_understood() -> None:
    """Documents in ARM's own nesting (``properties``) and under free-form ids still count."""
    role = ROLES["Storage Blob Data Reader"]
    docs = {
        "reader-role": role,  # raw ARM shape, id not a path
        "grant-1": {
            "properties": {
                "scope": ACCOUNT,
                "principalId": ALICE,
                "roleDefinitionId": "/providers/Microsoft.Authorization/roleDefinitions/"
                + role["name"],
            }
        },
    }
    nodes = [
        Node(ACCOUNT, NodeKind.BUCKET, "appdata", "azure"),
        Node(
            f"azure:principal/{ALICE}",
            NodeKind.IDENTITY,
            "alice@contoso.com",
            "azure",
            props={"principal_id": ALICE},
        ),
    ]
    snap = merge_parts(
        [Partial(nodes=nodes, documents=docs)], provider="azure", scope={}, collected_at="t"
    )
    decision = evaluate(snap, "alice@contoso.com", BLOB_READ, ACCOUNT)
    assert decision.allowed and decision.statements[0].document == "grant-1"
    assert [e.dst for e in permission_edges(snap)] == [ACCOUNT]
