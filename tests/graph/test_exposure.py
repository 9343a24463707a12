"""Exposure rules, one literal estate per rule, written to graph/MODEL.md's props."""

from __future__ import annotations

from typing import Any

from blastscope.graph.exposure import exposure_edges
from blastscope.graph.model import INTERNET_ID, Edge, EdgeKind, Node, NodeKind, Partial, merge_parts

ACCT = "111122223333"
R = "us-east-1"
VPC = f"arn:aws:ec2:{R}:{ACCT}:vpc/vpc-1"
SUBNET = f"arn:aws:ec2:{R}:{ACCT}:subnet/subnet-pub"
RT = f"arn:aws:ec2:{R}:{ACCT}:route-table/rtb-1"
ACL = f"arn:aws:ec2:{R}:{ACCT}:network-acl/acl-1"
IGW = f"arn:aws:ec2:{R}:{ACCT}:internet-gateway/igw-1"
SG = f"arn:aws:ec2:{R}:{ACCT}:security-group/sg-web"
WEB = f"arn:aws:ec2:{R}:{ACCT}:instance/i-web"


def rule(
    rid: str,
    ports: tuple[int, int] | None = (22, 22),
    cidr: str | None = "0.0.0.0/0",
    *,
    action: str = "allow",
    priority: int | None = None,
    protocol: str = "tcp",
    direction: str = "ingress",
    sources: list[dict[str, Any]] | None = None,
    targets: dict[str, Any] | None = None,
) -> dict[str, Any]:
    lo, hi = ports if ports else (None, None)
    return {
        "id": rid,
        "direction": direction,
        "action": action,
        "priority": priority,
        "protocol": protocol,
        "from_port": lo,
        "to_port": hi,
        "sources": sources if sources is not None else [{"cidr": cidr}],
        "targets": targets,
    }


ALLOW_ALL_ACL = [
    rule("100", None, action="allow", priority=100, protocol="all"),
    rule("32767", None, action="deny", priority=32767, protocol="all"),
    rule("100", None, action="allow", priority=100, protocol="all", direction="egress"),
    rule("32767", None, action="deny", priority=32767, protocol="all", direction="egress"),
]


def aws_estate(
    *,
    sg_rules: list[dict[str, Any]] | None = None,
    acl_rules: list[dict[str, Any]] | None = None,
    routes: list[dict[str, Any]] | None = None,
    web_props: dict[str, Any] | None = None,
    extra: Partial | None = None,
) -> Any:
    igw_route = {
        "destination": "0.0.0.0/0",
        "target": IGW,
        "target_kind": "internet_gateway",
        "state": "active",
    }
    local = {
        "destination": "10.0.0.0/16",
        "target": "local",
        "target_kind": "local",
        "state": "active",
    }
    nodes = [
        Node(VPC, NodeKind.NETWORK, "vpc-1", "aws", R, {"cidrs": ["10.0.0.0/16"]}),
        Node(
            SUBNET,
            NodeKind.SUBNET,
            "public",
            "aws",
            R,
            {"cidrs": ["10.0.1.0/24"], "network": VPC, "route_table": RT, "network_acl": ACL},
        ),
        Node(
            RT,
            NodeKind.ROUTE_TABLE,
            "rtb-1",
            "aws",
            R,
            {"routes": routes if routes is not None else [local, igw_route]},
        ),
        Node(
            ACL,
            NodeKind.NETWORK_ACL,
            "acl-1",
            "aws",
            R,
            {"rules": acl_rules if acl_rules is not None else ALLOW_ALL_ACL},
        ),
        Node(IGW, NodeKind.GATEWAY, "igw-1", "aws", R, {"gateway_kind": "internet_gateway"}),
        Node(
            SG,
            NodeKind.FIREWALL,
            "web-sg",
            "aws",
            R,
            {
                "scope": "instance",
                "network": VPC,
                "rules": sg_rules if sg_rules is not None else [rule("sgr-ssh", (22, 22))],
            },
        ),
        Node(
            WEB,
            NodeKind.INSTANCE,
            "web",
            "aws",
            R,
            {
                "native_id": "i-web",
                "state": "running",
                "public_ips": ["54.1.2.3"],
                "private_ips": ["10.0.1.10"],
                "imds_v1": True,
                **(web_props or {}),
            },
        ),
    ]
    edges = [
        Edge(WEB, SUBNET, EdgeKind.IN_SUBNET),
        Edge(WEB, SG, EdgeKind.PROTECTED_BY),
        Edge(SUBNET, VPC, EdgeKind.IN_NETWORK),
    ]
    parts = [Partial(nodes=nodes, edges=edges)]
    if extra:
        parts.append(extra)
    return merge_parts(parts, provider="aws", scope={}, collected_at="t")


def exposes(snapshot: Any) -> dict[str, dict[str, Any]]:
    return {e.dst: dict(e.props) for e in exposure_edges(snapshot) if e.kind == EdgeKind.EXPOSES}


def test_public_ip_igw_route_open_sg_is_exposed_with_evidence() -> None:
    found = exposes(aws_estate())
    assert set(found) == {WEB}
    props = found[WEB]
    assert props["ports"] == [[22, 22]]
    assert props["protocols"] == ["tcp"]
    assert props["rules"] == ["sgr-ssh", "100"] or set(props["rules"]) == {"sgr-ssh", "100"}
    assert props["cidrs"] == ["0.0.0.0/0"]
    assert props["via"] == "public_ip"
    assert props["dangerous"] == ["ssh"]
    assert props["imds_v1"] is True
    assert {"route_table": RT, "destination": "0.0.0.0/0", "target": IGW} in props["evidence"]
    assert {"firewall": SG, "rule": "sgr-ssh", "action": "allow"} in props["evidence"]
    assert "sgr-ssh" in props["reason"]


def test_no_internet_gateway_route_is_not_exposed() -> None:
    local = {"destination": "10.0.0.0/16", "target": "local", "target_kind": "local"}
    nat = {"destination": "0.0.0.0/0", "target": "nat-1", "target_kind": "nat_gateway"}
    assert exposes(aws_estate(routes=[local, nat])) == {}


def test_blackhole_igw_route_is_not_exposed() -> None:
    route = {
        "destination": "0.0.0.0/0",
        "target": IGW,
        "target_kind": "internet_gateway",
        "state": "blackhole",
    }
    assert exposes(aws_estate(routes=[route])) == {}


def test_no_public_ip_is_not_exposed() -> None:
    assert exposes(aws_estate(web_props={"public_ips": []})) == {}


def test_nacl_deny_at_lower_number_wins() -> None:
    acl = [
        rule("50", (22, 22), action="deny", priority=50),
        *ALLOW_ALL_ACL,
    ]
    assert exposes(aws_estate(acl_rules=acl)) == {}


def test_nacl_deny_at_higher_number_loses() -> None:
    acl = [rule("200", (22, 22), action="deny", priority=200), *ALLOW_ALL_ACL]
    assert set(exposes(aws_estate(acl_rules=acl))) == {WEB}


def test_nacl_partial_deny_leaves_the_rest_of_the_internet() -> None:
    acl = [rule("50", (22, 22), "198.51.100.0/24", action="deny", priority=50), *ALLOW_ALL_ACL]
    assert set(exposes(aws_estate(acl_rules=acl))) == {WEB}


def test_nacl_without_return_path_is_not_exposed() -> None:
    acl = [
        rule("100", None, action="allow", priority=100, protocol="all"),
        rule("100", (0, 1023), action="allow", priority=100, direction="egress"),
        rule("32767", None, action="deny", priority=32767, protocol="all", direction="egress"),
    ]
    assert exposes(aws_estate(acl_rules=acl)) == {}


def test_sg_from_private_cidr_only_is_not_exposed() -> None:
    assert exposes(aws_estate(sg_rules=[rule("sgr-int", (22, 22), "10.0.0.0/8")])) == {}


def test_sg_from_one_office_cidr_is_exposed_to_it() -> None:
    found = exposes(aws_estate(sg_rules=[rule("sgr-office", (443, 443), "203.0.113.0/24")]))
    assert found[WEB]["cidrs"] == ["203.0.113.0/24"]
    assert found[WEB]["dangerous"] == []


def test_sg_union_all_ports_and_databases_flagged() -> None:
    sg = [rule("sgr-all", None, protocol="all"), rule("sgr-pg", (5432, 5432))]
    props = exposes(aws_estate(sg_rules=sg))[WEB]
    assert props["ports"] == [[0, 65535]]
    assert {"all_ports", "ssh", "rdp", "database"} <= set(props["dangerous"])
    assert {"tcp", "udp", "icmp"} <= set(props["protocols"])


def test_ipv6_only_route_and_rule() -> None:
    routes = [{"destination": "::/0", "target": IGW, "target_kind": "internet_gateway"}]
    sg = [rule("sgr-v6", (80, 80), "::/0")]
    v6 = {"public_ips": [], "ipv6_addresses": ["2600:1f18::10"]}
    # the NACL's IPv4 rules do not admit IPv6 (AWS NACLs need their own ::/0 entries)
    assert exposes(aws_estate(routes=routes, sg_rules=sg, web_props=v6)) == {}
    acl = [
        rule("101", None, "::/0", priority=101, protocol="all"),
        rule("101", None, "::/0", priority=101, protocol="all", direction="egress"),
        *ALLOW_ALL_ACL,
    ]
    props = exposes(aws_estate(routes=routes, sg_rules=sg, web_props=v6, acl_rules=acl))[WEB]
    assert props["cidrs"] == ["::/0"] and props["ports"] == [[80, 80]]
    # an IPv4-only rule does not admit an IPv6 route
    assert (
        exposes(
            aws_estate(
                routes=routes, sg_rules=[rule("sgr-v4", (80, 80))], web_props=v6, acl_rules=acl
            )
        )
        == {}
    )


def test_unknown_route_table_is_marked_not_hidden() -> None:
    snap = aws_estate()
    nodes = [
        n
        if n.id != SUBNET
        else Node(
            SUBNET,
            NodeKind.SUBNET,
            "public",
            "aws",
            R,
            {"network": VPC, "route_table": None, "network_acl": ACL, "unknown": ["route_table"]},
        )
        for n in snap.nodes
    ]
    snap2 = merge_parts(
        [Partial(nodes=nodes, edges=list(snap.edges))], provider="aws", scope={}, collected_at="t"
    )
    assert exposes(snap2)[WEB]["unknown"] == ["route_table"]


LB = f"arn:aws:elasticloadbalancing:{R}:{ACCT}:loadbalancer/app/web/1"
LB_SG = f"arn:aws:ec2:{R}:{ACCT}:security-group/sg-lb"


def _lb(instance_rules: list[dict[str, Any]], *, public: bool = True) -> Any:
    extra = Partial(
        nodes=[
            Node(
                LB,
                NodeKind.LOAD_BALANCER,
                "web-alb",
                "aws",
                R,
                {
                    "public": public,
                    "listeners": [{"port": 443, "protocol": "HTTPS"}],
                    "firewalls": [LB_SG],
                },
            ),
            Node(
                LB_SG,
                NodeKind.FIREWALL,
                "lb-sg",
                "aws",
                R,
                {"scope": "instance", "rules": [rule("sgr-443", (443, 443))]},
            ),
        ],
        edges=[
            Edge(LB, LB_SG, EdgeKind.PROTECTED_BY),
            Edge(LB, WEB, EdgeKind.FORWARDS_TO, {"port": 8080, "protocol": "HTTP"}),
        ],
    )
    return aws_estate(sg_rules=instance_rules, web_props={"public_ips": []}, extra=extra)


def test_instance_behind_public_lb_admitting_the_lb_sg_is_exposed() -> None:
    found = exposes(_lb([rule("sgr-from-lb", (8080, 8080), sources=[{"firewall": LB_SG}])]))
    assert set(found) == {LB, WEB}
    assert found[LB]["ports"] == [[443, 443]]
    assert found[WEB]["via"] == "load_balancer"
    assert found[WEB]["ports"] == [[8080, 8080]]
    assert found[WEB]["load_balancer"] == LB
    assert found[WEB]["rules"] == ["sgr-from-lb"]


def test_instance_behind_lb_whose_sg_does_not_admit_the_port() -> None:
    found = exposes(_lb([rule("sgr-other", (9090, 9090), sources=[{"firewall": LB_SG}])]))
    assert set(found) == {LB}


def test_internal_lb_exposes_nothing() -> None:
    found = exposes(
        _lb([rule("sgr-from-lb", (8080, 8080), sources=[{"firewall": LB_SG}])], public=False)
    )
    assert found == {}


def test_function_url_auth_none_only() -> None:
    fns = [
        Node(
            "arn:aws:lambda:us-east-1:1:function:open",
            NodeKind.FUNCTION,
            "open",
            "aws",
            R,
            {"url_auth": "NONE", "url": "https://x.lambda-url.us-east-1.on.aws/"},
        ),
        Node(
            "arn:aws:lambda:us-east-1:1:function:iam",
            NodeKind.FUNCTION,
            "iam",
            "aws",
            R,
            {"url_auth": "AWS_IAM"},
        ),
        Node(
            "arn:aws:lambda:us-east-1:1:function:none",
            NodeKind.FUNCTION,
            "none",
            "aws",
            R,
            {"url_auth": None},
        ),
    ]
    snap = merge_parts([Partial(nodes=fns)], provider="aws", scope={}, collected_at="t")
    found = exposes(snap)
    assert set(found) == {"arn:aws:lambda:us-east-1:1:function:open"}
    assert found["arn:aws:lambda:us-east-1:1:function:open"]["via"] == "function_url"


def test_stopped_terminated_instance_not_exposed() -> None:
    assert exposes(aws_estate(web_props={"state": "terminated"})) == {}


def test_exposes_edges_start_at_internet() -> None:
    assert all(
        e.src == INTERNET_ID for e in exposure_edges(aws_estate()) if e.kind == EdgeKind.EXPOSES
    )


RDS = f"arn:aws:rds:{R}:{ACCT}:db:orders"
DB_SG = f"arn:aws:ec2:{R}:{ACCT}:security-group/sg-db"


def _rds(public: bool, cidr: str) -> Any:
    extra = Partial(
        nodes=[
            Node(
                RDS,
                NodeKind.DATABASE,
                "orders",
                "aws",
                R,
                {"public": public, "port": 5432, "engine": "postgres"},
            ),
            Node(
                DB_SG,
                NodeKind.FIREWALL,
                "sg-db",
                "aws",
                R,
                {"scope": "instance", "rules": [rule("sgr-pg", (5432, 5432), cidr)]},
            ),
        ],
        edges=[Edge(RDS, SUBNET, EdgeKind.IN_SUBNET), Edge(RDS, DB_SG, EdgeKind.PROTECTED_BY)],
    )
    return aws_estate(web_props={"public_ips": []}, extra=extra)


def test_publicly_accessible_database_open_to_the_world() -> None:
    props = exposes(_rds(True, "0.0.0.0/0"))[RDS]
    assert props["via"] == "public_endpoint" and props["ports"] == [[5432, 5432]]
    assert props["dangerous"] == ["database"] and props["rules"] == ["100", "sgr-pg"]


def test_database_not_public_or_closed_is_not_exposed() -> None:
    assert exposes(_rds(False, "0.0.0.0/0")) == {}
    assert exposes(_rds(True, "10.0.0.0/16")) == {}


def test_managed_database_authorized_networks() -> None:
    db = Node(
        "//sqladmin.googleapis.com/projects/p/instances/pg",
        NodeKind.DATABASE,
        "pg",
        "gcp",
        "us-central1",
        {"public": True, "port": 5432, "authorized_networks": ["0.0.0.0/0"]},
    )
    closed = Node(
        "//sqladmin.googleapis.com/projects/p/instances/pg2",
        NodeKind.DATABASE,
        "pg2",
        "gcp",
        "us-central1",
        {"public": True, "port": 5432, "authorized_networks": ["10.0.0.0/8"]},
    )
    snap = merge_parts([Partial(nodes=[db, closed])], provider="gcp", scope={}, collected_at="t")
    assert set(exposes(snap)) == {db.id}
