"""Synthetic networks and compute: VPCs, subnets, routes, NACLs, SGs, instances and friends.

Per VPC: two public subnets routed to an internet gateway, private subnets behind a NAT, and
one "isolated" subnet whose route table has no internet route (public IPs there are decoys).
Security groups reference each other (web → app → db, bastion → app, team groups at random).
About 1.2 % of instances hold a public IP behind an open web group; a few more are decoys.
VPCs hold about 100 instances each; team groups admit one or two other teams, so lateral
``network_reach`` grows with instances, not with their square.
"""

from __future__ import annotations

from typing import Any

from bench.synthetic import TEAMS, Account, Out
from blastscope.graph.model import EdgeKind, NodeKind

EMPTY: list[Any] = []
ALL_EGRESS = {
    "id": "egress-all",
    "direction": "egress",
    "action": "allow",
    "priority": None,
    "protocol": "all",
    "from_port": None,
    "to_port": None,
    "sources": [{"cidr": "0.0.0.0/0"}],
    "targets": None,
    "description": "default egress",
}
NACL_RULES = [
    {**ALL_EGRESS, "id": "100", "direction": d, "priority": 100, "description": ""}
    for d in ("ingress", "egress")
] + [
    {
        **ALL_EGRESS,
        "id": "32767",
        "direction": d,
        "action": "deny",
        "priority": 32767,
        "description": "",
    }
    for d in ("ingress", "egress")
]


def network(out: Out, acct: Account) -> None:
    """Every region's VPCs with their instances, load balancers, databases and functions."""
    per_region = max(1, acct.instances // len(acct.regions))
    for region in acct.regions:
        n_vpcs = max(1, per_region // 100)
        for v in range(n_vpcs):
            _vpc(out, acct, region, v, max(1, per_region // n_vpcs))


def _rule(out: Out, port: int | None, source: dict[str, Any], proto: str = "tcp") -> dict[str, Any]:
    return {
        "id": f"sgr-{out.hex(17)}",
        "direction": "ingress",
        "action": "allow",
        "priority": None,
        "protocol": proto,
        "from_port": port,
        "to_port": port,
        "sources": [source],
        "targets": None,
        "description": "",
    }


def _vpc(out: Out, acct: Account, region: str, v: int, n_inst: int) -> None:
    a = acct.id
    arn = f"arn:aws:ec2:{region}:{a}"
    octet = (acct.index * 7 + v) % 250
    cidr = f"10.{octet}.0.0/16"
    native = f"vpc-{out.hex(17)}"
    vpc = out.node(
        f"{arn}:vpc/{native}",
        NodeKind.NETWORK,
        f"{acct.env}-vpc-{v}",
        region,
        {"native_id": native, "account": a, "cidrs": [cidr], "is_default": False},
    )
    igw = out.node(
        f"{arn}:internet-gateway/igw-{out.hex(17)}",
        NodeKind.GATEWAY,
        "igw",
        region,
        {"account": a, "gateway_kind": "internet_gateway", "attached_network": vpc},
    )
    nat = out.node(
        f"{arn}:natgateway/nat-{out.hex(17)}",
        NodeKind.GATEWAY,
        "nat",
        region,
        {"account": a, "gateway_kind": "nat_gateway", "attached_network": vpc},
    )
    local = {"destination": cidr, "target": "local", "target_kind": "local", "state": "active"}
    tables = {}
    for label, extra in (
        (
            "public",
            [
                {
                    "destination": "0.0.0.0/0",
                    "target": igw,
                    "target_kind": "internet_gateway",
                    "state": "active",
                }
            ],
        ),
        (
            "private",
            [
                {
                    "destination": "0.0.0.0/0",
                    "target": nat,
                    "target_kind": "nat_gateway",
                    "state": "active",
                }
            ],
        ),
        ("isolated", []),
    ):
        tables[label] = out.node(
            f"{arn}:route-table/rtb-{out.hex(17)}",
            NodeKind.ROUTE_TABLE,
            f"{label}-rt",
            region,
            {"account": a, "routes": [local, *extra]},
        )
    nacl = out.node(
        f"{arn}:network-acl/acl-{out.hex(17)}",
        NodeKind.NETWORK_ACL,
        "default-acl",
        region,
        {"account": a, "rules": NACL_RULES},
    )
    subnets: dict[str, list[str]] = {"public": [], "private": [], "isolated": []}
    n_private = 2 + min(4, n_inst // 100)
    for s, label in enumerate(["public", "public", "isolated"] + ["private"] * n_private):
        sid = out.node(
            f"{arn}:subnet/subnet-{out.hex(17)}",
            NodeKind.SUBNET,
            f"{label}-{s}",
            region,
            {
                "account": a,
                "cidrs": [f"10.{octet}.{s}.0/24"],
                "network": vpc,
                "route_table": tables[label],
                "network_acl": nacl,
                "default_internet_route": False,
                "map_public_ip": label != "private",
            },
        )
        out.edge(sid, vpc, EdgeKind.IN_NETWORK)
        out.edge(sid, tables[label], EdgeKind.ROUTES_VIA, {"main": label == "private"})
        out.edge(sid, nacl, EdgeKind.PROTECTED_BY)
        subnets[label].append(sid)
    sgs = _security_groups(out, acct, region, vpc, n_inst)
    _instances(out, acct, region, vpc, n_inst, subnets, sgs, octet)


def _security_groups(out: Out, acct: Account, region: str, vpc: str, n_inst: int) -> dict[str, Any]:
    arn = f"arn:aws:ec2:{region}:{acct.id}:security-group/sg-"
    ids = {name: f"{arn}{out.hex(17)}" for name in ("web", "ssh", "bastion", "app", "db", "closed")}
    world = {"cidr": "0.0.0.0/0"}
    rules = {
        "web": [_rule(out, 443, world), _rule(out, 80, world), _rule(out, 443, {"cidr": "::/0"})],
        "ssh": [_rule(out, 22, world)],
        "bastion": [_rule(out, 22, {"cidr": "203.0.113.0/24"})],
        "app": [
            _rule(out, 8080, {"firewall": ids["web"]}),
            _rule(out, 22, {"firewall": ids["bastion"]}),
        ],
        "db": [
            _rule(out, 5432, {"firewall": ids["app"]}),
            _rule(out, 3306, {"firewall": ids["app"]}),
        ],
        "closed": [],
    }
    teams = [f"team-{TEAMS[t % len(TEAMS)]}-{t}" for t in range(max(2, n_inst // 10))]
    for name in teams:
        ids[name] = f"{arn}{out.hex(17)}"
    for name in teams:
        # Each team admits one or two other teams (and now and then itself): narrow, as
        # most real SG references are, so lateral reach stays near-linear in instances.
        peers = out.rng.sample(teams, min(len(teams), out.rng.choice((1, 1, 2))))
        port = out.rng.choice((22, 8080, 9200, 6379, 5672, None))
        rules[name] = [_rule(out, port, {"firewall": ids[p]}) for p in peers]
        if out.chance(0.05):
            rules[name].append(_rule(out, 9200, world))
    for name, sg in ids.items():
        out.node(
            sg,
            NodeKind.FIREWALL,
            name,
            region,
            {
                "account": acct.id,
                "native_id": sg.rsplit("/", 1)[1],
                "network": vpc,
                "scope": "instance",
                "rules": [*rules[name], ALL_EGRESS],
            },
        )
        out.edge(sg, vpc, EdgeKind.IN_NETWORK)
    return ids


def _instances(
    out: Out,
    acct: Account,
    region: str,
    vpc: str,
    n_inst: int,
    subnets: dict[str, list[str]],
    sgs: dict[str, Any],
    octet: int,
) -> None:
    a, rng = acct.id, out.rng
    teams = [k for k in sgs if k.startswith("team-")]
    private_instances = []
    disks = []
    for i in range(n_inst):
        roll = rng.random()
        if roll < 0.012:
            tier, groups = "public", ["web"] + (["ssh"] if rng.random() < 0.2 else [])
        elif roll < 0.015:
            tier, groups = "public", ["bastion"]
        elif roll < 0.018:
            tier, groups = "isolated", ["web"]
        elif roll < 0.02:
            tier, groups = "public", ["closed"]
        elif roll < 0.17:
            tier, groups = "private", ["app", rng.choice(teams)]
        else:
            tier, groups = "private", [rng.choice(teams)]
        role = acct.app_roles[i % len(acct.app_roles)]
        native = f"i-{out.hex(17)}"
        inst = out.node(
            f"arn:aws:ec2:{region}:{a}:instance/{native}",
            NodeKind.INSTANCE,
            f"{acct.env}-{tier}-{i}",
            region,
            {
                "account": a,
                "native_id": native,
                "state": "running" if rng.random() < 0.95 else "stopped",
                "public_ips": [
                    f"54.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
                ]
                if tier != "private"
                else EMPTY,
                "private_ips": [f"10.{octet}.{i % 250}.{1 + i // 250 % 250}"],
                "ipv6_addresses": EMPTY,
                "imds_v1": rng.random() < 0.3,
                "image": f"ami-{out.hex(17)}",
                "image_created": "2024-06-01",
                "platform": "linux",
                "instance_profile": role.replace(":role/", ":instance-profile/"),
                "launch_time": "2025-10-01T00:00:00Z",
                "user_data_findings": EMPTY,
                "tags": {"team": TEAMS[i % len(TEAMS)], "env": acct.env},
            },
        )
        subnet = rng.choice(subnets[tier])
        out.edge(inst, subnet, EdgeKind.IN_SUBNET)
        out.edge(inst, vpc, EdgeKind.IN_NETWORK)
        for g in groups:
            out.edge(inst, sgs[g], EdgeKind.PROTECTED_BY)
        out.edge(
            inst, role, EdgeKind.RUNS_AS, {"via": role.replace(":role/", ":instance-profile/")}
        )
        disk = out.node(
            f"arn:aws:ec2:{region}:{a}:volume/vol-{out.hex(17)}",
            NodeKind.DISK,
            f"{native}-root",
            region,
            {"account": a, "encrypted": rng.random() < 0.7, "size_gb": 20, "public": False},
        )
        out.edge(disk, inst, EdgeKind.ATTACHED_TO, {"device": "/dev/xvda"})
        disks.append(disk)
        if tier == "private":
            private_instances.append(inst)
    _services(out, acct, region, vpc, n_inst, subnets, sgs, private_instances, disks)


def _services(
    out: Out,
    acct: Account,
    region: str,
    vpc: str,
    n_inst: int,
    subnets: dict[str, list[str]],
    sgs: dict[str, Any],
    private: list[str],
    disks: list[str],
) -> None:
    a, rng = acct.id, out.rng
    tag = vpc.rsplit("-", 1)[1][:6]  # names are unique per VPC, not per region
    for i in range(n_inst // 150):
        lb = out.node(
            f"arn:aws:elasticloadbalancing:{region}:{a}:loadbalancer/app/web-{tag}-{i}/{out.hex(16)}",
            NodeKind.LOAD_BALANCER,
            f"web-{tag}-{i}",
            region,
            {
                "account": a,
                "public": rng.random() < 0.5,
                "dns_name": f"web-{i}.{region}.elb.amazonaws.com",
                "listeners": [{"port": 443, "protocol": "HTTPS"}],
                "firewalls": [sgs["web"]],
            },
        )
        for s in subnets["public"]:
            out.edge(lb, s, EdgeKind.IN_SUBNET)
        out.edge(lb, sgs["web"], EdgeKind.PROTECTED_BY)
        for target in rng.sample(private, min(4, len(private))):
            out.edge(lb, target, EdgeKind.FORWARDS_TO, {"port": 8080, "protocol": "HTTP"})
    for i in range(max(1, n_inst // 20)):
        db = out.node(
            f"arn:aws:rds:{region}:{a}:db:{TEAMS[i % len(TEAMS)]}-db-{tag}-{i}",
            NodeKind.DATABASE,
            f"{TEAMS[i % len(TEAMS)]}-db-{tag}-{i}",
            region,
            {
                "account": a,
                "engine": rng.choice(("postgres", "mysql")),
                "public": rng.random() < 0.05,
                "encrypted": True,
                "endpoint": f"db-{i}.{a}.{region}.rds.amazonaws.com",
                "port": 5432,
                "authorized_networks": EMPTY,
            },
        )
        out.edge(db, rng.choice(subnets["private"]), EdgeKind.IN_SUBNET)
        out.edge(db, sgs["db"], EdgeKind.PROTECTED_BY)
        out.edge(db, rng.choice(acct.keys), EdgeKind.ENCRYPTED_BY)
    for i in range(max(1, n_inst // 10)):
        url_auth = "NONE" if rng.random() < 0.01 else ("AWS_IAM" if rng.random() < 0.05 else None)
        fid = f"arn:aws:lambda:{region}:{a}:function:{TEAMS[i % len(TEAMS)]}-fn-{tag}-{i}"
        out.node(
            fid,
            NodeKind.FUNCTION,
            fid.rsplit(":", 1)[1],
            region,
            {
                "account": a,
                "runtime": "python3.12",
                "url_auth": url_auth,
                "url": f"https://{out.hex(32)}.lambda-url.{region}.on.aws/" if url_auth else None,
                "policy": None,
            },
        )
        out.edge(fid, rng.choice(acct.app_roles), EdgeKind.RUNS_AS, {"via": "execution_role"})
    for i in range(len(disks) // 30):
        snap = out.node(
            f"arn:aws:ec2:{region}::snapshot/snap-{out.hex(17)}",
            NodeKind.SNAPSHOT,
            f"backup-{tag}-{i}",
            region,
            {
                "account": a,
                "encrypted": rng.random() < 0.8,
                "public": rng.random() < 0.02,
                "shared_with": EMPTY,
                "source": disks[i * 30],
            },
        )
        out.edge(snap, disks[i * 30], EdgeKind.CONTAINS)
