"""Exposure on Azure-style NSGs (priorities, default rules) and GCP-style firewalls (targets),
and lateral ``network_reach`` edges — literal estates written to graph/MODEL.md's props."""

from __future__ import annotations

from typing import Any

from blastscope.graph.exposure import exposure_edges
from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, merge_parts


def rule(
    rid: str,
    prio: int | None,
    ports: tuple[int, int] | None,
    src: dict[str, Any],
    *,
    action: str = "allow",
    protocol: str = "tcp",
    targets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    lo, hi = ports or (None, None)
    return {
        "id": rid,
        "direction": "ingress",
        "action": action,
        "priority": prio,
        "protocol": protocol,
        "from_port": lo,
        "to_port": hi,
        "sources": [src],
        "targets": targets,
    }


INTERNET = {"cidr": "0.0.0.0/0"}
AZ_DEFAULTS = [
    rule("AllowVnetInBound", 65000, None, {"tag": "VirtualNetwork"}, protocol="all"),
    rule(
        "AllowAzureLoadBalancerInBound", 65001, None, {"tag": "AzureLoadBalancer"}, protocol="all"
    ),
    rule("DenyAllInBound", 65500, None, INTERNET, action="deny", protocol="all"),
]
SUB = "/subscriptions/s1/resourceGroups/rg"
VNET = f"{SUB}/providers/Microsoft.Network/virtualNetworks/vnet"
AZ_SUBNET = f"{VNET}/subnets/default"
NIC_NSG = f"{SUB}/providers/Microsoft.Network/networkSecurityGroups/vm-nsg"
SUBNET_NSG = f"{SUB}/providers/Microsoft.Network/networkSecurityGroups/subnet-nsg"
VM = f"{SUB}/providers/Microsoft.Compute/virtualMachines/vm1"


def snap(nodes: list[Node], edges: list[Edge], provider: str = "azure") -> Any:
    return merge_parts(
        [Partial(nodes=nodes, edges=edges)], provider=provider, scope={}, collected_at="t"
    )


def azure(nic_rules: list[dict[str, Any]] | None, subnet_rules: list[dict[str, Any]] | None) -> Any:
    nodes = [
        Node(VNET, NodeKind.NETWORK, "vnet", "azure", "westeurope", {"cidrs": ["10.1.0.0/16"]}),
        Node(
            AZ_SUBNET,
            NodeKind.SUBNET,
            "default",
            "azure",
            "westeurope",
            {
                "cidrs": ["10.1.0.0/24"],
                "network": VNET,
                "route_table": None,
                "network_acl": None,
                "default_internet_route": True,
            },
        ),
        Node(
            VM,
            NodeKind.INSTANCE,
            "vm1",
            "azure",
            "westeurope",
            {"public_ips": ["20.1.2.3"], "private_ips": ["10.1.0.4"], "state": "running"},
        ),
    ]
    edges = [Edge(VM, AZ_SUBNET, EdgeKind.IN_SUBNET)]
    if nic_rules is not None:
        nodes.append(
            Node(
                NIC_NSG,
                NodeKind.FIREWALL,
                "vm-nsg",
                "azure",
                "westeurope",
                {"scope": "instance", "rules": [*nic_rules, *AZ_DEFAULTS]},
            )
        )
        edges.append(Edge(VM, NIC_NSG, EdgeKind.PROTECTED_BY))
    if subnet_rules is not None:
        nodes.append(
            Node(
                SUBNET_NSG,
                NodeKind.FIREWALL,
                "subnet-nsg",
                "azure",
                "westeurope",
                {"scope": "subnet", "rules": [*subnet_rules, *AZ_DEFAULTS]},
            )
        )
        edges.append(Edge(AZ_SUBNET, SUBNET_NSG, EdgeKind.PROTECTED_BY))
    return snap(nodes, edges)


def exposed(snapshot: Any) -> dict[str, dict[str, Any]]:
    return {e.dst: dict(e.props) for e in exposure_edges(snapshot) if e.kind == EdgeKind.EXPOSES}


def test_azure_nic_nsg_allow_rdp_from_internet() -> None:
    found = exposed(azure([rule("rdp", 300, (3389, 3389), INTERNET)], None))
    assert found[VM]["ports"] == [[3389, 3389]] and found[VM]["dangerous"] == ["rdp"]
    assert found[VM]["rules"] == ["rdp"]


def test_azure_default_rules_alone_deny_the_internet() -> None:
    assert exposed(azure([], None)) == {}


def test_azure_lower_priority_deny_wins() -> None:
    nic = [
        rule("deny-rdp", 100, (3389, 3389), INTERNET, action="deny"),
        rule("rdp", 300, (3389, 3389), INTERNET),
    ]
    assert exposed(azure(nic, None)) == {}


def test_azure_subnet_nsg_must_also_admit() -> None:
    nic = [rule("rdp", 300, (3389, 3389), INTERNET)]
    assert exposed(azure(nic, [])) == {}
    assert VM in exposed(azure(nic, [rule("sub-rdp", 200, (3389, 3389), INTERNET)]))


def test_azure_without_any_nsg_admits_everything() -> None:
    props = exposed(azure(None, None))[VM]
    assert props["ports"] == [[0, 65535]] and "all_ports" in props["dangerous"]


def test_azure_no_default_route_not_exposed() -> None:
    s = azure([rule("rdp", 300, (3389, 3389), INTERNET)], None)
    nodes = [
        n
        if n.id != AZ_SUBNET
        else Node(
            AZ_SUBNET,
            NodeKind.SUBNET,
            "default",
            "azure",
            "westeurope",
            {"network": VNET, "route_table": None, "default_internet_route": False},
        )
        for n in s.nodes
    ]
    assert exposed(snap(nodes, list(s.edges))) == {}


GCP_NET = "//compute.googleapis.com/projects/p/global/networks/default"
GCP_SUBNET = "//compute.googleapis.com/projects/p/regions/us-central1/subnetworks/default"
GVM = "//compute.googleapis.com/projects/p/zones/us-central1-a/instances/web"
GCP_IMPLIED = rule("implied-deny-ingress", 65535, None, INTERNET, action="deny", protocol="all")


def gcp(fw_rules: list[dict[str, Any]], tags: list[str], linked: bool = True) -> Any:
    fws = [
        Node(
            f"{GCP_NET}/firewalls/{r['id']}",
            NodeKind.FIREWALL,
            r["id"],
            "gcp",
            "global",
            {"scope": "instance", "network": GCP_NET, "rules": [r]},
        )
        for r in [*fw_rules, GCP_IMPLIED]
    ]
    nodes = [
        Node(GCP_NET, NodeKind.NETWORK, "default", "gcp", "global", {}),
        Node(
            GCP_SUBNET,
            NodeKind.SUBNET,
            "default",
            "gcp",
            "us-central1",
            {
                "cidrs": ["10.128.0.0/20"],
                "network": GCP_NET,
                "route_table": None,
                "default_internet_route": True,
            },
        ),
        Node(
            GVM,
            NodeKind.INSTANCE,
            "web",
            "gcp",
            "us-central1-a",
            {
                "public_ips": ["34.1.2.3"],
                "private_ips": ["10.128.0.2"],
                "network_tags": tags,
                "service_accounts": ["web@p.iam.gserviceaccount.com"],
                "state": "RUNNING",
            },
        ),
        *fws,
    ]
    edges = [Edge(GVM, GCP_SUBNET, EdgeKind.IN_SUBNET)]
    if linked:
        edges += [Edge(GVM, f.id, EdgeKind.PROTECTED_BY) for f in fws]
    return snap(nodes, edges, "gcp")


def test_gcp_target_tag_selects_the_instance() -> None:
    allow_ssh = rule("allow-ssh", 1000, (22, 22), INTERNET, targets={"network_tags": ["ssh"]})
    assert exposed(gcp([allow_ssh], ["ssh"]))[GVM]["rules"] == ["allow-ssh"]
    assert exposed(gcp([allow_ssh], ["web"])) == {}


def test_gcp_network_wide_firewalls_without_protected_by_edges() -> None:
    allow_ssh = rule("allow-ssh", 1000, (22, 22), INTERNET, targets={"network_tags": ["ssh"]})
    assert GVM in exposed(gcp([allow_ssh], ["ssh"], linked=False))


def test_gcp_target_service_account_and_deny_wins_at_equal_priority() -> None:
    sa = {"service_accounts": ["web@p.iam.gserviceaccount.com"]}
    allow = rule("allow-http", 1000, (80, 80), INTERNET, targets=sa)
    assert exposed(gcp([allow], []))[GVM]["ports"] == [[80, 80]]
    deny = rule("deny-http", 1000, (80, 80), INTERNET, action="deny")
    assert exposed(gcp([allow, deny], [])) == {}


# --- network_reach ---------------------------------------------------------------------

R = "arn:aws:ec2:us-east-1:1"


def _inst(name: str, ip: str, vpc: str = "vpc-1") -> list[Any]:
    iid = f"{R}:instance/i-{name}"
    return [
        Node(
            iid,
            NodeKind.INSTANCE,
            name,
            "aws",
            "us-east-1",
            {"private_ips": [ip], "public_ips": [], "state": "running"},
        ),
        Edge(iid, f"{R}:subnet/{vpc}-a", EdgeKind.IN_SUBNET),
        Edge(iid, f"{R}:security-group/sg-{name}", EdgeKind.PROTECTED_BY),
    ]


def _sg(name: str, rules: list[dict[str, Any]]) -> Node:
    return Node(
        f"{R}:security-group/sg-{name}",
        NodeKind.FIREWALL,
        f"sg-{name}",
        "aws",
        "us-east-1",
        {"scope": "instance", "rules": rules},
    )


def lateral(db_rules: list[dict[str, Any]]) -> set[tuple[str, str]]:
    items = [
        *_inst("web", "10.0.1.10"),
        *_inst("app", "10.0.2.20"),
        *_inst("db", "10.0.3.30"),
        *_inst("other", "10.0.1.11", vpc="vpc-2"),
    ]
    nodes = [i for i in items if isinstance(i, Node)]
    edges = [i for i in items if isinstance(i, Edge)]
    for vpc in ("vpc-1", "vpc-2"):
        nodes.append(Node(f"{R}:vpc/{vpc}", NodeKind.NETWORK, vpc, "aws", "us-east-1", {}))
        nodes.append(
            Node(
                f"{R}:subnet/{vpc}-a",
                NodeKind.SUBNET,
                f"{vpc}-a",
                "aws",
                "us-east-1",
                {"network": f"{R}:vpc/{vpc}"},
            )
        )
    nodes += [_sg("web", []), _sg("app", []), _sg("other", []), _sg("db", db_rules)]
    s = snap(nodes, edges, "aws")
    return {
        (e.src.rsplit("/", 1)[1], e.dst.rsplit("/", 1)[1]): e.props
        for e in exposure_edges(s)
        if e.kind == EdgeKind.NETWORK_REACH
    }


def test_network_reach_by_security_group_reference() -> None:
    edges = lateral(
        [rule("sgr-pg", None, (5432, 5432), {"firewall": f"{R}:security-group/sg-web"})]
    )
    assert set(edges) == {("i-web", "i-db")}
    props = edges[("i-web", "i-db")]
    assert props["ports"] == [[5432, 5432]] and props["rules"] == ["sgr-pg"]
    assert "sgr-pg" in props["reason"]


def test_network_reach_by_cidr_stays_inside_the_network() -> None:
    edges = lateral([rule("sgr-subnet", None, (22, 22), {"cidr": "10.0.1.0/24"})])
    # i-other has an address in the CIDR but sits in another VPC
    assert set(edges) == {("i-web", "i-db")}
    wide = lateral([rule("sgr-vpc", None, (22, 22), {"cidr": "10.0.0.0/16"})])
    assert set(wide) == {("i-web", "i-db"), ("i-app", "i-db")}


def test_no_network_reach_without_an_admitting_rule() -> None:
    assert lateral([rule("sgr-pg", None, (5432, 5432), {"cidr": "192.168.0.0/16"})]) == {}


def test_flat_network_keeps_at_most_the_bound_of_sources_per_target(monkeypatch) -> None:
    """Machines behind one security group open to their whole VPC share candidates and
    props, but each edge names its own source, none is its own source, and past the
    bound each target keeps the first sources by id, marked truncated."""
    from blastscope.graph import lateral as lateral_module

    monkeypatch.setattr(lateral_module, "MAX_SOURCES_PER_TARGET", 2)
    names = ["a", "b", "c", "d"]
    nodes: list[Any] = [
        Node(f"{R}:vpc/vpc-1", NodeKind.NETWORK, "vpc-1", "aws", "us-east-1", {}),
        Node(
            f"{R}:subnet/vpc-1-a",
            NodeKind.SUBNET,
            "vpc-1-a",
            "aws",
            "us-east-1",
            {"network": f"{R}:vpc/vpc-1"},
        ),
        _sg("flat", [rule("sgr-vpc", None, (22, 22), {"cidr": "10.0.0.0/16"})]),
    ]
    edges: list[Edge] = []
    for i, name in enumerate(names):
        node, in_subnet, _own_sg = _inst(name, f"10.0.1.{10 + i}")
        nodes.append(node)
        edges += [in_subnet, Edge(node.id, f"{R}:security-group/sg-flat", EdgeKind.PROTECTED_BY)]
    reach = [
        e for e in exposure_edges(snap(nodes, edges, "aws")) if e.kind == EdgeKind.NETWORK_REACH
    ]
    got = {(e.src.rsplit("-", 1)[1], e.dst.rsplit("-", 1)[1]) for e in reach}
    assert got == {("b", "a"), ("c", "a"), ("a", "b"), ("c", "b")} | {("a", t) for t in "cd"} | {
        ("b", t) for t in "cd"
    }
    assert all(e.props["truncated"] and e.props["rules"] == ["sgr-vpc"] for e in reach)
    by_pair = {(e.src, e.dst): e.props["reason"] for e in reach}
    assert by_pair[(f"{R}:instance/i-c", f"{R}:instance/i-a")].startswith("a admits c on ")
    assert by_pair[(f"{R}:instance/i-b", f"{R}:instance/i-a")].startswith("a admits b on ")
    # Asked for some sources only (graph/focus.py), the bound still counts every source.
    from blastscope.graph.exposure import lateral_analysis

    estate = snap(nodes, edges, "aws")
    for source in ("c", "d"):
        sid = f"{R}:instance/i-{source}"
        got = lateral_analysis(estate, callers=frozenset({sid}))
        assert [(e.dst, e.props) for e in got] == [(e.dst, e.props) for e in reach if e.src == sid]


def test_a_database_port_that_is_not_a_number_is_every_port_not_a_crash() -> None:
    items = [*_inst("web", "10.0.1.10"), *_inst("db", "10.0.1.30")]
    nodes: list[Any] = [i for i in items if isinstance(i, Node)]
    edges = [i for i in items if isinstance(i, Edge)]
    db = nodes[1]
    nodes[1] = Node(
        db.id, NodeKind.DATABASE, "db", "aws", "us-east-1", {**db.props, "port": [5432]}
    )
    nodes += [
        Node(f"{R}:vpc/vpc-1", NodeKind.NETWORK, "vpc-1", "aws", "us-east-1", {}),
        Node(
            f"{R}:subnet/vpc-1-a",
            NodeKind.SUBNET,
            "a",
            "aws",
            "us-east-1",
            {"network": f"{R}:vpc/vpc-1"},
        ),
        _sg("web", []),
        _sg("db", [rule("sgr-pg", None, (5432, 5433), {"cidr": "10.0.0.0/16"})]),
    ]
    reach = [
        e for e in exposure_edges(snap(nodes, edges, "aws")) if e.kind == EdgeKind.NETWORK_REACH
    ]
    assert [(e.src, e.dst, e.props["ports"]) for e in reach] == [
        (f"{R}:instance/i-web", db.id, [[5432, 5433]])
    ]
