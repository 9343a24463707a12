"""Data rules: public buckets/snapshots/databases, encryption, rotation."""

from __future__ import annotations

from typing import Any

from blastscope.graph.findings import findings
from blastscope.graph.model import Node, NodeKind, Partial, Snapshot, merge_parts

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
BPA_ON = {
    k: True
    for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
}


def snap(nodes: list[Node], docs: dict[str, Any] | None = None) -> Snapshot:
    part = Partial(nodes=list(nodes), documents=docs or {})
    return merge_parts([part], provider="demo", scope={}, collected_at="2026-06-01T00:00:00Z")


def hits(s: Snapshot, rule: str) -> dict[str, Any]:
    return {f.node: f for f in findings(s, rules=[rule])}


def node(kind: NodeKind, node_id: str, provider: str = "aws", **props: Any) -> Node:
    return Node(node_id, kind, node_id, provider, props=props)


def test_public_buckets_by_flag_acl_policy_and_iam() -> None:
    public_policy = {
        "Statement": [
            {
                "Sid": "Pub",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::pol/*",
            }
        ]
    }
    gcs = "//storage.googleapis.com/projects/_/buckets/site"
    nodes = [
        node(NodeKind.BUCKET, "flag", "azure", public=True),
        node(NodeKind.BUCKET, "acl", acl_grants=[{"grantee": ALL_USERS, "permission": "WRITE"}]),
        node(NodeKind.BUCKET, "pol", policy="pol#policy", public_access_block=None),
        node(NodeKind.BUCKET, gcs, "gcp"),
    ]
    docs = {
        "pol#policy": public_policy,
        f"{gcs}#iam": {
            "bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]
        },
    }
    found = hits(snap(nodes, docs), "public-bucket")
    assert set(found) == {"flag", "acl", "pol", gcs}
    assert str(found["acl"].severity) == "critical"
    assert found["pol"].evidence["reasons"] == [
        {"reason": "policy", "document": "pol#policy", "statement": "Pub"}
    ]


def test_block_public_access_and_private_buckets_do_not_trigger() -> None:
    public_policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}
        ]
    }
    nodes = [
        node(
            NodeKind.BUCKET,
            "blocked",
            acl_grants=[{"grantee": ALL_USERS, "permission": "READ"}],
            policy="blocked#policy",
            public_access_block=BPA_ON,
        ),
        node(
            NodeKind.BUCKET,
            "private",
            public=False,
            acl_grants=[{"grantee": "owner-canonical-id", "permission": "FULL_CONTROL"}],
        ),
        node(NodeKind.BUCKET, "unknown", public=None),
    ]
    assert hits(snap(nodes, {"blocked#policy": public_policy}), "public-bucket") == {}


def test_unencrypted_stores_but_not_unknown_ones() -> None:
    nodes = [
        node(NodeKind.DISK, "vol-1", encrypted=False),
        node(NodeKind.SNAPSHOT, "snap-1", encrypted=False),
        node(NodeKind.DATABASE, "db-1", encrypted=True),
        node(NodeKind.DATABASE, "db-2", encrypted=None, unknown=["encrypted"]),
        node(NodeKind.BUCKET, "b-none", encryption=None),
        node(NodeKind.BUCKET, "b-aes", encryption="AES256"),
        node(NodeKind.BUCKET, "b-unread", encryption=None, unknown=["encryption"]),
        node(NodeKind.DISK, "vol-2"),
    ]
    assert set(hits(snap(nodes), "unencrypted-storage")) == {"vol-1", "snap-1", "b-none"}


def test_public_snapshots() -> None:
    nodes = [
        node(NodeKind.SNAPSHOT, "snap-pub", public=True, shared_with=[]),
        node(NodeKind.SNAPSHOT, "snap-shared", public=False, shared_with=["111122223333"]),
    ]
    found = hits(snap(nodes), "public-snapshot")
    assert set(found) == {"snap-pub"} and str(found["snap-pub"].severity) == "critical"


def test_public_databases() -> None:
    nodes = [
        node(NodeKind.DATABASE, "rds", public=True, endpoint="x.rds.amazonaws.com", port=5432),
        node(NodeKind.DATABASE, "sql", "gcp", public=True, authorized_networks=["0.0.0.0/0"]),
        node(NodeKind.DATABASE, "azsql", "azure", public=False, authorized_networks=["10.0.0.0/8"]),
    ]
    found = hits(snap(nodes), "public-database")
    assert set(found) == {"rds", "sql"}
    assert (str(found["rds"].severity), str(found["sql"].severity)) == ("high", "critical")


def test_secrets_without_rotation() -> None:
    nodes = [
        node(NodeKind.SECRET, "s-off", rotation=False, last_changed="2024-01-01T00:00:00Z"),
        node(NodeKind.SECRET, "s-on", rotation=True),
        node(NodeKind.SECRET, "s-unread"),
        node(NodeKind.SECRET, "s-embedded", embedded=True, rotation=False),
        node(NodeKind.SECRET, "s-recent", rotation={"enabled": False}, last_changed="2026-05-01"),
    ]
    found = hits(snap(nodes), "secret-no-rotation")
    assert set(found) == {"s-off", "s-recent"}
    assert (str(found["s-off"].severity), str(found["s-recent"].severity)) == ("medium", "low")


def test_customer_keys_without_rotation() -> None:
    nodes = [
        node(NodeKind.KEY, "k-cust", key_manager="CUSTOMER", state="Enabled", rotation=False),
        node(NodeKind.KEY, "k-aws", key_manager="AWS", state="Enabled", rotation=False),
        node(NodeKind.KEY, "k-rot", key_manager="CUSTOMER", state="Enabled", rotation=True),
        node(
            NodeKind.KEY, "k-gone", key_manager="CUSTOMER", state="PendingDeletion", rotation=False
        ),
    ]
    assert set(hits(snap(nodes), "key-no-rotation")) == {"k-cust"}


def test_rotation_null_that_was_read_means_none_configured() -> None:
    nodes = [
        node(
            NodeKind.KEY, "gcp-key", "gcp", key_manager="CUSTOMER", state="ENABLED", rotation=None
        ),
        node(
            NodeKind.KEY,
            "gcp-rot",
            "gcp",
            key_manager="CUSTOMER",
            state="ENABLED",
            rotation="7776000s",
        ),
        node(
            NodeKind.KEY,
            "gcp-unread",
            "gcp",
            key_manager="CUSTOMER",
            rotation=None,
            unknown=["rotation"],
        ),
        node(NodeKind.SECRET, "gcp-secret", "gcp", rotation=None),
        node(NodeKind.SECRET, "gcp-secret-rot", "gcp", rotation="2592000s"),
    ]
    found = findings(snap(nodes), rules=["key-no-rotation", "secret-no-rotation"])
    assert {(f.rule, f.node) for f in found} == {
        ("key-no-rotation", "gcp-key"),
        ("secret-no-rotation", "gcp-secret"),
    }
