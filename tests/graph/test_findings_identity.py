"""Identity rules: MFA, key age and use, root keys, wildcard trust."""

from __future__ import annotations

from typing import Any

from blastscope.graph.findings import findings
from blastscope.graph.model import Edge, Node, NodeKind, Partial, Snapshot, merge_parts

NOW = "2026-06-01T00:00:00Z"
USER = "arn:aws:iam::123456789012:user/alice"
ROLE = "arn:aws:iam::123456789012:role/deploy"


def snap(nodes: list[Node], docs: dict[str, Any] | None = None, edges: list[Edge] = ()) -> Snapshot:  # type: ignore[assignment]
    part = Partial(nodes=list(nodes), edges=list(edges), documents=docs or {})
    return merge_parts([part], provider="aws", scope={}, collected_at=NOW)


def hits(s: Snapshot, rule: str) -> dict[str, Any]:
    return {f.node: f for f in findings(s, rules=[rule])}


def user(node_id: str = USER, provider: str = "aws", **props: Any) -> Node:
    return Node(
        node_id,
        NodeKind.IDENTITY,
        node_id.rsplit("/", 1)[-1],
        provider,
        props={"principal_type": "user", **props},
    )


def key(created: str, last_used: Any = "absent", status: str = "Active") -> dict[str, Any]:
    k = {"id_suffix": "WXYZ", "status": status, "created": created}
    if last_used != "absent":
        k["last_used"] = last_used
    return k


def test_console_user_without_mfa() -> None:
    s = snap(
        [
            user(console=True, mfa=False),
            user("u2", console=True, mfa=True),
            user("u3", console=False, mfa=False),
            user("u4", console=True, mfa=None),
        ]
    )
    assert set(hits(s, "console-no-mfa")) == {USER}


def test_access_key_older_than_90_days() -> None:
    s = snap(
        [
            user(access_keys=[key("2026-01-01T00:00:00Z"), key("2026-05-20T00:00:00Z")]),
            user("u-inactive", access_keys=[key("2020-01-01", status="Inactive")]),
            user("u-fresh", access_keys=[key("2026-04-01T00:00:00Z")]),
        ]
    )
    found = hits(s, "access-key-old")
    assert set(found) == {USER}
    assert found[USER].evidence["keys"] == [
        {"id_suffix": "WXYZ", "created": "2026-01-01T00:00:00Z", "age_days": 151}
    ]


def test_gcp_service_account_key_age_is_named_as_such() -> None:
    sa = "//iam.googleapis.com/projects/p/serviceAccounts/ci@p.iam.gserviceaccount.com"
    s = snap([user(sa, "gcp", principal_type="service_account", access_keys=[key("2025-01-01")])])
    assert hits(s, "access-key-old")[sa].title.startswith("service-account key")


def test_unused_keys_need_last_used_data() -> None:
    s = snap(
        [
            user(access_keys=[key("2025-01-01", last_used="2026-01-01T00:00:00Z")]),
            user("u-never", access_keys=[key("2025-01-01", last_used=None)]),
            user("u-recent", access_keys=[key("2025-01-01", last_used="2026-05-30")]),
            user("u-unknown", access_keys=[key("2025-01-01")]),
            user("u-new-never", access_keys=[key("2026-05-25", last_used=None)]),
        ]
    )
    assert set(hits(s, "access-key-unused")) == {USER, "u-never"}


def test_root_access_keys_and_mfa_from_account_props() -> None:
    acct = Node(
        "aws:account/123456789012",
        NodeKind.ACCOUNT,
        "prod",
        "aws",
        props={"root_access_keys": 1, "root_mfa": False},
    )
    ok = Node(
        "aws:account/2",
        NodeKind.ACCOUNT,
        "ok",
        "aws",
        props={"root_access_keys": 0, "root_mfa": True},
    )
    s = snap([acct, ok])
    assert set(hits(s, "root-access-keys")) == {acct.id}
    assert set(hits(s, "root-no-mfa")) == {acct.id}
    assert str(hits(s, "root-access-keys")[acct.id].severity) == "critical"


def test_root_identity_node_keys() -> None:
    root = user(
        "root", principal_type="root", mfa=True, console=True, access_keys=[key("2026-05-01")]
    )
    s = snap([root, user("plain", access_keys=[key("2026-05-01")])])
    assert set(hits(s, "root-access-keys")) == {"root"}
    assert hits(s, "root-no-mfa") == {} and hits(s, "console-no-mfa") == {}


def trust(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        stmt["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [stmt]}


def role(node_id: str) -> Node:
    return Node(
        node_id,
        NodeKind.ROLE,
        node_id.rsplit("/", 1)[-1],
        "aws",
        props={"trust_policy": f"{node_id}#trust"},
    )


def test_wildcard_trust_policy() -> None:
    docs = {
        f"{ROLE}#trust": trust({"AWS": "*"}),
        "r2#trust": trust("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
        "r3#trust": trust({"AWS": "arn:aws:iam::111122223333:root"}),
        "r4#trust": trust({"Service": "ec2.amazonaws.com"}),
    }
    s = snap([role(ROLE), role("r2"), role("r3"), role("r4")], docs)
    found = hits(s, "wildcard-trust")
    assert set(found) == {ROLE, "r2"}
    assert str(found[ROLE].severity) == "critical"
    assert (str(found["r2"].severity), found["r2"].evidence["conditional"]) == ("medium", True)


def test_wildcard_in_resource_policies_and_gcp_all_users() -> None:
    secret = Node("sec", NodeKind.SECRET, "sec", "aws", props={"policy": "sec#policy"})
    docs: dict[str, Any] = {
        "sec#policy": {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "*",
                }
            ]
        },
        "//cloudresourcemanager.googleapis.com/projects/p#iam": {
            "bindings": [{"role": "roles/viewer", "members": ["allAuthenticatedUsers"]}]
        },
        "//cloudresourcemanager.googleapis.com/projects/q#iam": {
            "bindings": [{"role": "roles/viewer", "members": ["user:a@example.com"]}]
        },
    }
    projects = [
        Node(f"//cloudresourcemanager.googleapis.com/projects/{p}", NodeKind.ACCOUNT, p, "gcp")
        for p in "pq"
    ]
    found = hits(snap([secret, *projects], docs), "wildcard-trust")
    assert set(found) == {"sec", projects[0].id}
    assert str(found[projects[0].id].severity) == "critical"


def test_root_as_the_aws_collector_writes_it() -> None:
    """Root identity with ``access_keys_present``; the account's IAM summary only as a
    fallback when the root user has no node of its own."""
    root = user(
        "arn:aws:iam::1:root",
        principal_type="root",
        account="1",
        mfa=False,
        access_keys_present=True,
        console=True,
    )
    covered = Node(
        "aws:account/1",
        NodeKind.ACCOUNT,
        "a",
        "aws",
        props={
            "native_id": "1",
            "iam_summary": {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1},
        },
    )
    bare = Node(
        "aws:account/2",
        NodeKind.ACCOUNT,
        "b",
        "aws",
        props={
            "native_id": "2",
            "iam_summary": {"AccountMFAEnabled": 0, "AccountAccessKeysPresent": 1},
        },
    )
    fine = Node(
        "aws:account/3",
        NodeKind.ACCOUNT,
        "c",
        "aws",
        props={
            "native_id": "3",
            "iam_summary": {"AccountMFAEnabled": 1, "AccountAccessKeysPresent": 0},
        },
    )
    s = snap([root, covered, bare, fine])
    assert set(hits(s, "root-access-keys")) == {root.id, bare.id}
    assert set(hits(s, "root-no-mfa")) == {root.id, bare.id}


def test_last_use_is_only_trusted_where_the_cloud_reports_it() -> None:
    sa = "//iam.googleapis.com/projects/p/serviceAccounts/ci@p.iam.gserviceaccount.com"
    gcp = user(
        sa, "gcp", principal_type="service_account", access_keys=[key("2025-01-01", last_used=None)]
    )
    unread = user(
        "u-unread",
        unknown=["access_keys.last_used"],
        access_keys=[key("2025-01-01", last_used=None)],
    )
    assert hits(snap([gcp, unread]), "access-key-unused") == {}
