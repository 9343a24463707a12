"""admin-principal on real policy shapes: AWS documents, Azure role assignments, GCP bindings."""

from __future__ import annotations

from typing import Any

from blastscope.graph.findings import findings
from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Snapshot, merge_parts

ACCT = "123456789012"
ADMIN_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
READ_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}],
}
POWER_USER = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}],
}


def snap(nodes: list[Node], docs: dict[str, Any], edges: list[Edge] = ()) -> Snapshot:  # type: ignore[assignment]
    part = Partial(nodes=list(nodes), edges=list(edges), documents=docs)
    return merge_parts([part], provider="demo", scope={}, collected_at="2026-06-01T00:00:00Z")


def admins(s: Snapshot) -> dict[str, Any]:
    return {f.node: f for f in findings(s, rules=["admin-principal"])}


def iam(kind: NodeKind, name: str, **props: Any) -> Node:
    noun = {NodeKind.IDENTITY: "user", NodeKind.ROLE: "role", NodeKind.GROUP: "group"}[kind]
    return Node(f"arn:aws:iam::{ACCT}:{noun}/{name}", kind, name, "aws", props=props)


def policy(arn: str, document: str | None = None) -> Node:
    return Node(
        arn, NodeKind.POLICY, arn.rsplit("/", 1)[-1], "aws", props={"document": document or arn}
    )


def test_aws_attached_inline_and_group_admin() -> None:
    role = iam(NodeKind.ROLE, "ops")
    user = iam(
        NodeKind.IDENTITY, "carol", inline_policies=[f"arn:aws:iam::{ACCT}:user/carol#inline/all"]
    )
    group = iam(NodeKind.GROUP, "admins")
    member = iam(NodeKind.IDENTITY, "dave")
    reader = iam(NodeKind.ROLE, "reader")
    power = iam(NodeKind.ROLE, "power")
    pol_admin, pol_read = policy(ADMIN_ARN), policy(f"arn:aws:iam::{ACCT}:policy/read")
    pol_power = policy("arn:aws:iam::aws:policy/PowerUserAccess")
    docs = {
        ADMIN_ARN: ADMIN_DOC,
        pol_read.id: READ_DOC,
        pol_power.id: POWER_USER,
        f"{user.id}#inline/all": ADMIN_DOC,
    }
    edges = [
        Edge(role.id, ADMIN_ARN, EdgeKind.HAS_POLICY),
        Edge(group.id, ADMIN_ARN, EdgeKind.HAS_POLICY),
        Edge(member.id, group.id, EdgeKind.MEMBER_OF),
        Edge(reader.id, pol_read.id, EdgeKind.HAS_POLICY),
        Edge(power.id, pol_power.id, EdgeKind.HAS_POLICY),
    ]
    nodes = [role, user, group, member, reader, power, pol_admin, pol_read, pol_power]
    found = admins(snap(nodes, docs, edges))
    assert set(found) == {role.id, user.id, group.id, member.id}
    assert found[member.id].evidence["grants"][0]["via_group"] == group.id
    assert found[role.id].evidence["grants"] == [
        {"document": ADMIN_ARN, "statement": 0, "conditional": False}
    ]


def test_aws_managed_admin_without_document_and_boundary_cap() -> None:
    capped = iam(NodeKind.ROLE, "capped", permissions_boundary="bnd")
    bare = iam(NodeKind.ROLE, "bare")
    edges = [
        Edge(capped.id, ADMIN_ARN, EdgeKind.HAS_POLICY),
        Edge(bare.id, ADMIN_ARN, EdgeKind.HAS_POLICY),
    ]
    found = admins(snap([capped, bare, policy(ADMIN_ARN)], {"bnd": READ_DOC}, edges))
    assert set(found) == {bare.id}


def test_aws_conditional_admin_is_medium() -> None:
    doc = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*:*",
                "Resource": ["*"],
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ]
    }
    role = iam(NodeKind.ROLE, "mfa-admin", inline_policies=["d"])
    f = admins(snap([role], {"d": doc}))[role.id]
    assert str(f.severity) == "medium" and f.evidence["grants"][0]["conditional"] is True


SUB = "0b6a3b7e-1c0d-4f6e-9d7a-5c1f8e2a4b90"
DEFS = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions"


def assignment(name: str, role_guid: str, principal: str, scope: str) -> tuple[str, dict[str, Any]]:
    doc_id = f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}"
    return doc_id, {
        "id": doc_id,
        "name": name,
        "properties": {
            "roleDefinitionId": f"{DEFS}/{role_guid}",
            "principalId": principal,
            "principalType": "ServicePrincipal",
            "scope": scope,
        },
    }


def test_azure_owner_at_subscription_but_not_contributor_or_rg_owner() -> None:
    sub_scope = f"/subscriptions/{SUB}"
    contributor = "b24988ac-6180-42a0-ab88-20f7382dd24c"
    custom = "11111111-2222-3333-4444-555555555555"
    docs = dict(
        [
            assignment("a1", "8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "p-owner", sub_scope),
            assignment("a2", contributor, "p-contrib", sub_scope),
            assignment(
                "a3",
                "8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
                "p-rg",
                f"{sub_scope}/resourceGroups/rg",
            ),
            assignment("a4", custom, "p-custom", sub_scope),
        ]
    )
    docs[f"{DEFS}/{contributor}"] = {
        "id": f"{DEFS}/{contributor}",
        "properties": {
            "roleName": "Contributor",
            "permissions": [
                {
                    "actions": ["*"],
                    "notActions": [
                        "Microsoft.Authorization/*/Delete",
                        "Microsoft.Authorization/*/Write",
                        "Microsoft.Authorization/elevateAccess/Action",
                    ],
                }
            ],
        },
    }
    docs[f"{DEFS}/{custom}"] = {
        "id": f"{DEFS}/{custom}",
        "properties": {
            "roleName": "Assigner",
            "permissions": [{"actions": ["Microsoft.Authorization/*"], "notActions": []}],
        },
    }
    nodes = [
        Node(f"sp-{p}", NodeKind.IDENTITY, p, "azure", props={"principal_id": p.upper()})
        for p in ("p-owner", "p-contrib", "p-rg", "p-custom")
    ]
    found = admins(snap(nodes, docs))
    assert set(found) == {"sp-p-owner", "sp-p-custom"}
    assert found["sp-p-owner"].evidence["grants"][0]["role"] == "Owner"
    assert found["sp-p-custom"].evidence["grants"][0]["role"] == "Assigner"


def test_azure_unmatched_principal_lands_on_the_subscription() -> None:
    sub = Node(f"/subscriptions/{SUB}", NodeKind.ACCOUNT, "prod", "azure", props={"native_id": SUB})
    docs = dict(
        [assignment("a1", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "ghost", f"/subscriptions/{SUB}")]
    )
    assert set(admins(snap([sub], docs))) == {sub.id}


def test_gcp_owner_editor_and_custom_set_iam() -> None:
    proj = "//cloudresourcemanager.googleapis.com/projects/acme"

    def sa(name: str) -> Node:
        email = f"{name}@acme.iam.gserviceaccount.com"
        return Node(
            f"//iam.googleapis.com/projects/acme/serviceAccounts/{email}",
            NodeKind.IDENTITY,
            name,
            "gcp",
            props={"email": email, "principal_type": "service_account"},
        )

    owner, editor, custom, viewer = sa("owner"), sa("editor"), sa("custom"), sa("viewer")
    docs = {
        f"{proj}#iam": {
            "version": 1,
            "etag": "BwX=",
            "bindings": [
                {"role": "roles/owner", "members": [f"serviceAccount:{owner.props['email']}"]},
                {"role": "roles/editor", "members": [f"serviceAccount:{editor.props['email']}"]},
                {
                    "role": "projects/acme/roles/iamBoss",
                    "members": [f"serviceAccount:{custom.props['email']}"],
                },
                {"role": "roles/viewer", "members": [f"serviceAccount:{viewer.props['email']}"]},
            ],
        },
        "projects/acme/roles/iamBoss": {
            "name": "projects/acme/roles/iamBoss",
            "includedPermissions": ["resourcemanager.projects.setIamPolicy"],
        },
    }
    found = admins(snap([owner, editor, custom, viewer], docs))
    assert set(found) == {owner.id, editor.id, custom.id}
    assert str(found[owner.id].severity) == "high" and str(found[editor.id].severity) == "medium"
