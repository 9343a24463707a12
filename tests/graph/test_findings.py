"""The findings framework: registry, ordering, stable ids, graph attachment, scale."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from blastscope.graph.build import build_graph
from blastscope.graph.errors import InputError
from blastscope.graph.findings import (
    RULES,
    Severity,
    by_node,
    findings,
    parse_severity,
    severity_counts,
)
from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Snapshot, merge_parts

NOW = "2026-06-01T00:00:00Z"


def estate() -> Snapshot:
    sg = Node(
        "sg",
        NodeKind.FIREWALL,
        "sg",
        "aws",
        props={
            "rules": [
                {
                    "id": "ssh",
                    "direction": "ingress",
                    "action": "allow",
                    "priority": None,
                    "protocol": "tcp",
                    "from_port": 22,
                    "to_port": 22,
                    "sources": [{"cidr": "0.0.0.0/0"}],
                }
            ]
        },
    )
    web = Node(
        "web", NodeKind.INSTANCE, "web", "aws", props={"imds_v1": True, "public_ips": ["1.2.3.4"]}
    )
    hardened = Node("hard", NodeKind.INSTANCE, "hard", "aws", props={"imds_v1": False})
    vol = Node("vol", NodeKind.DISK, "vol", "aws", props={"encrypted": False})
    return merge_parts(
        [Partial(nodes=[sg, web, hardened, vol], edges=[Edge("web", "sg", EdgeKind.PROTECTED_BY)])],
        provider="aws",
        scope={},
        collected_at=NOW,
    )


def test_rules_are_registered_once_with_metadata() -> None:
    assert len(RULES) >= 18
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and rule.remediation and rule.title
        assert rule.category in {"compute", "identity", "data", "logging"}


def test_findings_sorted_worst_first_with_stable_ids() -> None:
    found = findings(estate())
    assert [(f.id, str(f.severity)) for f in found] == [
        ("imds-v1:web", "high"),
        ("management-port-open:web", "high"),
        ("unencrypted-storage:vol", "medium"),
    ]
    assert [f.id for f in findings(estate())] == [f.id for f in found]
    json.dumps([f.to_dict() for f in found])  # exportable as is


def test_min_severity_and_rule_selection() -> None:
    assert [f.rule for f in findings(estate(), min_severity=Severity.HIGH)] == [
        "imds-v1",
        "management-port-open",
    ]
    assert [f.rule for f in findings(estate(), rules=["unencrypted-storage"])] == [
        "unencrypted-storage"
    ]
    with pytest.raises(InputError, match="unknown findings rule"):
        findings(estate(), rules=["nope"])


def test_helpers() -> None:
    found = findings(estate())
    assert severity_counts(found) == {"critical": 0, "high": 2, "medium": 1, "low": 0, "info": 0}
    assert sorted(by_node(found)) == ["vol", "web"]
    assert parse_severity(" HIGH ") is Severity.HIGH
    with pytest.raises(InputError, match="not one of critical, high"):
        parse_severity("severe")


def test_build_graph_attaches_findings_to_nodes() -> None:
    G = build_graph(estate(), derive=False)
    assert [f.rule for f in G.nodes["web"]["findings"]] == ["imds-v1", "management-port-open"]
    assert G.nodes["hard"]["findings"] == [] and G.nodes["internet"]["findings"] == []
    assert len(G.graph["findings"]) == 3


def test_fixing_a_finding_removes_it() -> None:
    before = estate()
    nodes = tuple(
        replace(n, props={**n.props, "imds_v1": False}) if n.id == "web" else n
        for n in before.nodes
    )
    after = {f.id for f in findings(replace(before, nodes=nodes))}
    assert "imds-v1:web" not in after and "management-port-open:web" in after


def test_provider_of_the_node_decides_in_multi_cloud_snapshots() -> None:
    trust = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
    aws_role = Node("r-aws", NodeKind.ROLE, "r", "aws", props={"trust_policy": "t"})
    gcp_role = Node("r-gcp", NodeKind.ROLE, "r", "gcp", props={"trust_policy": "t"})
    snap = merge_parts(
        [Partial(nodes=[aws_role, gcp_role], documents={"t": trust})],
        provider="demo",
        scope={},
        collected_at=NOW,
    )
    assert {f.node for f in findings(snap, rules=["wildcard-trust"])} == {"r-aws"}


def synthetic(n: int) -> Snapshot:
    """n/2 instances behind 100 security groups (SSH open), n/2 console users."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    rule = {
        "id": "ssh",
        "direction": "ingress",
        "action": "allow",
        "protocol": "tcp",
        "from_port": 22,
        "to_port": 22,
        "sources": [{"cidr": "0.0.0.0/0"}],
    }
    for i in range(100):
        nodes.append(Node(f"sg{i}", NodeKind.FIREWALL, "sg", "aws", props={"rules": [rule]}))
    for i in range(n // 2):
        props = {"imds_v1": i % 2 == 0, "image_created": "2020-01-01"}
        nodes.append(Node(f"i{i}", NodeKind.INSTANCE, "vm", "aws", props=props))
        edges.append(Edge(f"i{i}", f"sg{i % 100}", EdgeKind.PROTECTED_BY))
        nodes.append(
            Node(f"u{i}", NodeKind.IDENTITY, "u", "aws", props={"console": True, "mfa": i % 3 == 0})
        )
    return Snapshot(
        provider="aws", scope={}, collected_at=NOW, nodes=tuple(nodes), edges=tuple(edges)
    )


def expected_count(n: int) -> int:
    half = n // 2
    return half + (half + 1) // 2 + half + (half - (half + 2) // 3)


def test_10k_nodes_every_rule_counted() -> None:
    assert len(findings(synthetic(10_000))) == expected_count(10_000)


@pytest.mark.slow
def test_findings_scale_to_100k_nodes() -> None:
    # Speed is measured by the bench, not by a wall-clock assertion on a shared machine.
    assert len(findings(synthetic(100_000))) == expected_count(100_000)
