"""Findings never crash on odd data: any JSON value in any prop or document a rule reads."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blastscope.graph.findings import RULES, findings
from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Snapshot

PROPS = [
    "rules",
    "scope",
    "public_ips",
    "network_tags",
    "service_accounts",
    "imds_v1",
    "image",
    "image_created",
    "user_data_findings",
    "embedded",
    "finding",
    "console",
    "mfa",
    "access_keys",
    "principal_type",
    "root_access_keys",
    "root_mfa",
    "trust_policy",
    "policy",
    "inline_policies",
    "permissions_boundary",
    "document",
    "principal_id",
    "email",
    "native_id",
    "public",
    "acl_grants",
    "public_access_block",
    "encryption",
    "encrypted",
    "unknown",
    "shared_with",
    "authorized_networks",
    "endpoint",
    "port",
    "rotation",
    "last_changed",
    "key_manager",
    "state",
    "logging",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 70000)
    | st.text(max_size=12)
    | st.sampled_from(["0.0.0.0/0", "::/0", "*", "allUsers", "Allow", "2020-01-01", "tcp"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Effect",
                    "Action",
                    "Resource",
                    "Principal",
                    "AWS",
                    "Statement",
                    "bindings",
                    "members",
                    "role",
                    "cidr",
                    "sources",
                    "from_port",
                    "to_port",
                    "priority",
                    "action",
                    "direction",
                    "protocol",
                    "targets",
                    "trails",
                    "guardduty",
                    "status",
                    "created",
                    "last_used",
                    "enabled",
                    "scope",
                    "roleDefinitionId",
                    "principalId",
                    "properties",
                    "permissions",
                    "actions",
                    "notActions",
                    "auditConfigs",
                    "grantee",
                    "permission",
                    "type",
                    "hash_prefix",
                    "Condition",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
IDS = ["a", "b", "c", "a#iam", "//cloudresourcemanager.googleapis.com/projects/p"]
nodes = st.builds(
    Node,
    id=st.sampled_from(IDS),
    kind=st.sampled_from(list(NodeKind)),
    name=st.just("n"),
    provider=st.sampled_from(["aws", "azure", "gcp"]),
    props=st.dictionaries(st.sampled_from(PROPS), json_values, max_size=6),
)
edges = st.builds(
    Edge,
    src=st.sampled_from(IDS),
    dst=st.sampled_from(IDS),
    kind=st.sampled_from(
        [
            EdgeKind.PROTECTED_BY,
            EdgeKind.IN_SUBNET,
            EdgeKind.CONTAINS,
            EdgeKind.HAS_POLICY,
            EdgeKind.MEMBER_OF,
        ]
    ),
)
doc_ids = st.sampled_from(
    [
        *IDS,
        "//cloudresourcemanager.googleapis.com/projects/p#iam",
        "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/x",
        "/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/y",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(nodes, max_size=6, unique_by=lambda n: n.id),
    st.lists(edges, max_size=8),
    st.dictionaries(doc_ids, json_values, max_size=4),
    st.sampled_from(["2026-06-01T00:00:00Z", "not a date", ""]),
)
def test_any_props_make_findings_or_nothing(
    ns: list[Node], es: list[Edge], docs: dict[str, Any], when: str
) -> None:
    snap = Snapshot(
        provider="demo",
        scope={},
        collected_at=when,
        nodes=tuple(ns),
        edges=tuple(es),
        documents=docs,
    )
    found = findings(snap)
    assert all(f.rule in RULES and f.node in {n.id for n in ns} for f in found)


def rich_estate() -> dict[str, Any]:
    """One node per rule input, well-formed: the mutation test bends it."""
    rule = {
        "id": "r",
        "direction": "ingress",
        "action": "allow",
        "priority": 100,
        "protocol": "tcp",
        "from_port": 22,
        "to_port": 22,
        "sources": [{"cidr": "0.0.0.0/0"}],
        "targets": {"network_tags": ["web"]},
    }
    admin = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                "Principal": "*",
                "Condition": {"Bool": {"x": "true"}},
            }
        ]
    }
    proj = "//cloudresourcemanager.googleapis.com/projects/p"
    az = "/subscriptions/s/providers/Microsoft.Authorization"
    nodes = {
        "fw": ("firewall", {"rules": [rule], "scope": "instance"}),
        "vm": (
            "instance",
            {
                "public_ips": ["1.1.1.1"],
                "imds_v1": True,
                "network_tags": ["web"],
                "image_created": "2020-01-01",
                "service_accounts": ["sa@p"],
                "user_data_findings": [{"type": "t", "location": "l", "hash_prefix": "h"}],
            },
        ),
        "sec": (
            "secret",
            {
                "embedded": True,
                "finding": {"type": "t", "hash_prefix": "h"},
                "rotation": False,
                "last_changed": "2020-01-01",
                "policy": "doc",
            },
        ),
        "sec2": ("secret", {"rotation": {"enabled": False}, "last_changed": "2020-01-01"}),
        "u": (
            "identity",
            {
                "console": True,
                "mfa": False,
                "principal_type": "user",
                "inline_policies": ["doc"],
                "permissions_boundary": "doc",
                "access_keys": [{"status": "Active", "created": "2020-01-01", "last_used": None}],
            },
        ),
        "r": ("role", {"trust_policy": "doc"}),
        "g": ("group", {"principal_id": "pid", "email": "sa@p"}),
        "b": (
            "bucket",
            {
                "public": True,
                "acl_grants": [{"grantee": "AllUsers", "permission": "READ"}],
                "policy": "doc",
                "public_access_block": {"IgnorePublicAcls": False},
                "encryption": None,
            },
        ),
        "d": (
            "database",
            {"public": True, "authorized_networks": ["0.0.0.0/0"], "encrypted": False},
        ),
        "s": ("snapshot", {"public": True, "shared_with": ["1"], "encrypted": False}),
        "k": ("key", {"key_manager": "CUSTOMER", "state": "Enabled", "rotation": False}),
        proj: (
            "account",
            {
                "root_access_keys": 1,
                "root_mfa": False,
                "native_id": "s",
                "logging": {
                    "trails": [{"multi_region": True}],
                    "guardduty": {"r": False},
                    "activity_log_export": False,
                    "defender_plans": {"VM": "Free"},
                },
            },
        ),
        "sub": ("subnet", {}),
    }
    documents = {
        "doc": admin,
        f"{proj}#iam": {
            "bindings": [{"role": "roles/owner", "members": ["allUsers", "group:sa@p"]}],
            "auditConfigs": [
                {"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}
            ],
        },
        "b#iam": {"bindings": [{"role": "roles/viewer", "members": ["allUsers"]}]},
        f"{az}/roleAssignments/a": {
            "properties": {
                "scope": "/subscriptions/s",
                "principalId": "pid",
                "roleDefinitionId": f"{az}/roleDefinitions/c",
            }
        },
        f"{az}/roleDefinitions/c": {"permissions": [{"actions": ["*"], "notActions": []}]},
        "roles/custom": {"includedPermissions": ["resourcemanager.projects.setIamPolicy"]},
    }
    edges = [
        ("vm", "fw", "protected_by"),
        ("vm", "sub", "in_subnet"),
        ("sub", "fw", "protected_by"),
        ("vm", "sec", "contains"),
        ("u", "g", "member_of"),
        ("r", "pol", "has_policy"),
    ]
    return {"nodes": nodes, "documents": documents, "edges": edges}


def bend_inside(data: st.DataObject, mapping: dict[str, Any]) -> dict[str, Any]:
    """Bend the values, keep the mapping: props and documents are objects in any snapshot
    ``load_snapshot`` accepts."""
    return {k: bend(data, v, 1) for k, v in mapping.items()}


def bend(data: st.DataObject, value: Any, depth: int = 0) -> Any:
    """Replace some parts of ``value`` (anywhere in the tree) with arbitrary JSON."""
    if data.draw(st.integers(0, 9)) == 0:
        return data.draw(json_values)
    if isinstance(value, dict) and depth < 6:
        return {k: bend(data, v, depth + 1) for k, v in value.items()}
    if isinstance(value, list) and depth < 6:
        return [bend(data, v, depth + 1) for v in value]
    return value


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), st.sampled_from(["aws", "azure", "gcp"]))
def test_bent_well_formed_estates_never_crash(data: st.DataObject, provider: str) -> None:
    base = rich_estate()
    ns = [
        Node(i, NodeKind(kind), i, provider, props=bend_inside(data, props))
        for i, (kind, props) in base["nodes"].items()
    ]
    ns.append(Node("pol", NodeKind.POLICY, "pol", provider, props={"document": "doc"}))
    es = [Edge(s, d, EdgeKind(k)) for s, d, k in base["edges"]]
    snap = Snapshot(
        provider="demo",
        scope={},
        collected_at="2026-06-01T00:00:00Z",
        nodes=tuple(ns),
        edges=tuple(es),
        documents=bend_inside(data, base["documents"]),
    )
    findings(snap)


def test_the_unbent_estate_triggers_most_rules() -> None:
    """The mutation test starts from data that exercises the rules (else it proves little)."""
    base = rich_estate()
    fired: set[str] = set()
    for provider in ("aws", "azure", "gcp"):
        ns = [Node(i, NodeKind(k), i, provider, props=p) for i, (k, p) in base["nodes"].items()]
        ns.append(Node("pol", NodeKind.POLICY, "pol", provider, props={"document": "doc"}))
        es = [Edge(s, d, EdgeKind(k)) for s, d, k in base["edges"]]
        snap = Snapshot(
            provider="demo",
            scope={},
            collected_at="2026-06-01T00:00:00Z",
            nodes=tuple(ns),
            edges=tuple(es),
            documents=base["documents"],
        )
        fired |= {f.rule for f in findings(snap)}
    assert fired == set(RULES)
