"""Compute rules: management ports, IMDSv1, old images, secrets in user data."""

from __future__ import annotations

from typing import Any

from blastscope.graph.findings import findings
from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Snapshot, merge_parts

NOW = "2026-06-01T00:00:00Z"
VM = "arn:aws:ec2:us-east-1:123456789012:instance/i-0abc"
SG = "arn:aws:ec2:us-east-1:123456789012:security-group/sg-1"


def snap(nodes: list[Node], edges: list[Edge] = (), docs: dict[str, Any] | None = None) -> Snapshot:  # type: ignore[assignment]
    part = Partial(nodes=list(nodes), edges=list(edges), documents=docs or {})
    return merge_parts([part], provider="aws", scope={}, collected_at=NOW)


def rule_hits(s: Snapshot, rule: str) -> dict[str, Any]:
    return {f.node: f for f in findings(s, rules=[rule])}


def rule(port: int | None, cidr: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": extra.pop("id", f"r{port}"),
        "direction": "ingress",
        "action": extra.pop("action", "allow"),
        "priority": extra.pop("priority", None),
        "protocol": extra.pop("protocol", "tcp"),
        "from_port": port,
        "to_port": extra.pop("to_port", port),
        "sources": [{"cidr": cidr}],
        "targets": extra.pop("targets", None),
        "description": "",
    }


def vm(node_id: str = VM, provider: str = "aws", **props: Any) -> Node:
    return Node(node_id, NodeKind.INSTANCE, node_id.rsplit("/", 1)[-1], provider, props=props)


def fw(
    fw_id: str, rules: list[dict[str, Any]], provider: str = "aws", scope: str = "instance"
) -> Node:
    return Node(fw_id, NodeKind.FIREWALL, fw_id, provider, props={"rules": rules, "scope": scope})


def guarded(instance: Node, *firewalls: Node) -> Snapshot:
    edges = [Edge(instance.id, f.id, EdgeKind.PROTECTED_BY) for f in firewalls]
    return snap([instance, *firewalls], edges)


def test_ssh_open_to_the_world_on_a_public_instance() -> None:
    s = guarded(
        vm(public_ips=["54.1.2.3"]), fw(SG, [rule(22, "0.0.0.0/0"), rule(443, "0.0.0.0/0")])
    )
    f = rule_hits(s, "management-port-open")[VM]
    assert (str(f.severity), f.evidence["ports"], f.evidence["services"]) == ("high", [22], ["ssh"])
    assert f.evidence["rules"] == [{"firewall": SG, "rule": "r22", "cidr": "0.0.0.0/0"}]


def test_ipv6_world_and_all_ports_count() -> None:
    s = guarded(vm(), fw(SG, [rule(None, "::/0", protocol="all", to_port=None)]))
    f = rule_hits(s, "management-port-open")[VM]
    assert str(f.severity) == "medium" and 3389 in f.evidence["ports"]
    s = guarded(vm(), fw(SG, [rule(-1, "0.0.0.0/0", protocol="-1", to_port=-1)]))
    assert 22 in rule_hits(s, "management-port-open")[VM].evidence["ports"]


def test_restricted_sources_https_and_udp_do_not_trigger() -> None:
    rules = [rule(22, "10.0.0.0/8"), rule(443, "0.0.0.0/0"), rule(22, "0.0.0.0/0", protocol="udp")]
    assert rule_hits(guarded(vm(), fw(SG, rules)), "management-port-open") == {}
    assert rule_hits(snap([vm()]), "management-port-open") == {}, "no firewall read: unknown"


def test_priority_deny_ahead_of_allow_wins() -> None:
    nsg = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n"
    deny = rule(22, "0.0.0.0/0", action="deny", priority=100, id="deny-ssh")
    allow = rule(22, "0.0.0.0/0", priority=200, id="allow-ssh")
    inst = vm("vm1", "azure", public_ips=["20.1.1.1"])
    assert rule_hits(guarded(inst, fw(nsg, [deny, allow], "azure")), "management-port-open") == {}
    flipped = [dict(deny, priority=300), allow]
    f = rule_hits(guarded(inst, fw(nsg, flipped, "azure")), "management-port-open")["vm1"]
    assert f.evidence["rules"][0]["rule"] == "allow-ssh"


def test_azure_subnet_nsg_must_also_admit() -> None:
    nic = fw("nic-nsg", [rule(3389, "0.0.0.0/0", priority=100)], "azure")
    sub_nsg = fw(
        "sub-nsg",
        [rule(None, "0.0.0.0/0", action="deny", priority=4096, to_port=None, protocol="all")],
        "azure",
        scope="subnet",
    )
    inst = vm("vm1", "azure")
    subnet = Node("sub", NodeKind.SUBNET, "sub", "azure")
    edges = [
        Edge("vm1", "nic-nsg", EdgeKind.PROTECTED_BY),
        Edge("vm1", "sub", EdgeKind.IN_SUBNET),
        Edge("sub", "sub-nsg", EdgeKind.PROTECTED_BY),
    ]
    assert rule_hits(snap([inst, nic, sub_nsg, subnet], edges), "management-port-open") == {}
    open_sub = fw("sub-nsg", [rule(3389, "0.0.0.0/0", priority=100)], "azure", scope="subnet")
    hits = rule_hits(snap([inst, nic, open_sub, subnet], edges), "management-port-open")
    assert hits["vm1"].evidence["ports"] == [3389]


def test_gcp_target_tags_decide_which_instances_a_rule_covers() -> None:
    gfw = fw(
        "//compute.googleapis.com/projects/p/global/firewalls/ssh",
        [rule(22, "0.0.0.0/0", priority=1000, targets={"network_tags": ["bastion"]})],
        "gcp",
    )
    tagged = vm("web", "gcp", network_tags=["bastion"])
    other = vm("db", "gcp", network_tags=["db"])
    edges = [Edge("web", gfw.id, EdgeKind.PROTECTED_BY), Edge("db", gfw.id, EdgeKind.PROTECTED_BY)]
    hits = rule_hits(snap([tagged, other, gfw], edges), "management-port-open")
    assert set(hits) == {"web"}


def test_imds_v1() -> None:
    s = snap([vm(imds_v1=True, public_ips=["3.3.3.3"]), vm("i-2", imds_v1=False)])
    hits = rule_hits(s, "imds-v1")
    assert set(hits) == {VM} and str(hits[VM].severity) == "high"


def test_old_image_is_measured_from_collection_time() -> None:
    s = snap(
        [
            vm(image="ami-1", image_created="2025-01-01T00:00:00.000Z"),
            vm("i-new", image="ami-2", image_created="2026-05-01T00:00:00Z"),
            vm("i-unk", image="ami-3", image_created=None),
        ]
    )
    hits = rule_hits(s, "image-old")
    assert set(hits) == {VM}
    assert hits[VM].evidence["age_days"] == 516 and str(hits[VM].severity) == "medium"


def test_user_data_secrets_from_secret_nodes_and_props() -> None:
    finding = {"type": "AWS Access Key", "location": "user_data:3", "hash_prefix": "a1b2c3d4e5f6"}
    secret = Node(
        f"{VM}#secret/a1b2c3d4e5f6",
        NodeKind.SECRET,
        "AWS Access Key",
        "aws",
        props={"embedded": True, "finding": finding},
    )
    s = snap([vm(), secret], [Edge(VM, secret.id, EdgeKind.CONTAINS)])
    f = rule_hits(s, "user-data-secret")[VM]
    assert f.evidence["secrets"] == [{**finding, "node": secret.id}]
    assert "AWS Access Key" in f.title
    fn = Node("fn", NodeKind.FUNCTION, "fn", "aws", props={"user_data_findings": [finding]})
    assert set(rule_hits(snap([fn]), "user-data-secret")) == {"fn"}


def test_no_user_data_secret_without_findings() -> None:
    plain = Node("s", NodeKind.SECRET, "db", "aws", props={"rotation": True})
    s = snap([vm(user_data_findings=[]), plain], [Edge(VM, "s", EdgeKind.CONTAINS)])
    assert rule_hits(s, "user-data-secret") == {}


def test_one_nsg_on_both_nic_and_subnet_is_evaluated_in_both_layers() -> None:
    nsg = fw("nsg", [rule(22, "0.0.0.0/0", priority=100)], "azure")
    subnet = Node("sub", NodeKind.SUBNET, "sub", "azure")
    edges = [
        Edge("vm1", "nsg", EdgeKind.PROTECTED_BY),
        Edge("vm1", "sub", EdgeKind.IN_SUBNET),
        Edge("sub", "nsg", EdgeKind.PROTECTED_BY),
    ]
    found = rule_hits(snap([vm("vm1", "azure"), nsg, subnet], edges), "management-port-open")
    assert found["vm1"].evidence["ports"] == [22]
