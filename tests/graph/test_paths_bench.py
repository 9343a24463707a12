"""Speed of exposure, blast radius and exposed summaries on a synthetic estate.

``synthetic_estate(scale)`` writes a deterministic AWS-shaped snapshot following MODEL.md:
VPCs with public and private subnets, security groups (open, SG-referencing, VPC-CIDR),
instances (a tenth with public addresses) running as shared roles, users in groups, and many
data nodes that roles, groups and users can access. ``scale=1.0`` is about 100k nodes and 1M
edges. The fast test runs a small estate; the slow one measures the full size against a bare
networkx BFS over the same traversable edges (the floor) and prints the figures.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from blastscope.graph.build import build_graph
from blastscope.graph.exposure import exposure_edges
from blastscope.graph.model import (
    Edge,
    EdgeKind,
    Node,
    NodeKind,
    Snapshot,
    internet_node,
    save_snapshot,
)
from blastscope.graph.paths import TRAVERSABLE, blast_radius, exposed_summaries
from blastscope.tui.cli import main

A = "111122223333"
R = "us-east-1"


def _rule(rid: str, port: int, src: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": rid,
        "direction": "ingress",
        "action": "allow",
        "priority": None,
        "protocol": "tcp",
        "from_port": port,
        "to_port": port,
        "sources": [src],
        "targets": None,
    }


def synthetic_estate(scale: float = 1.0, seed: int = 7) -> Any:
    rnd = random.Random(seed)

    def n(base: int) -> int:
        return max(2, int(base * scale))

    ec2 = f"arn:aws:ec2:{R}:{A}"
    nodes: list[Node] = []
    edges: list[Edge] = []
    vpcs = [f"{ec2}:vpc/vpc-{i}" for i in range(n(20))]
    subnets: list[tuple[str, str, bool]] = []
    acl = f"{ec2}:network-acl/acl-open"
    nodes.append(
        Node(
            acl,
            NodeKind.NETWORK_ACL,
            "acl-open",
            "aws",
            R,
            {
                "rules": [
                    {
                        "id": "100",
                        "direction": d,
                        "action": "allow",
                        "priority": 100,
                        "protocol": "all",
                        "from_port": None,
                        "to_port": None,
                        "sources": [{"cidr": "0.0.0.0/0"}],
                    }
                    for d in ("ingress", "egress")
                ]
            },
        )
    )
    rt_pub, rt_priv = f"{ec2}:route-table/rtb-pub", f"{ec2}:route-table/rtb-priv"
    nodes.append(
        Node(
            rt_pub,
            NodeKind.ROUTE_TABLE,
            "pub",
            "aws",
            R,
            {
                "routes": [
                    {
                        "destination": "0.0.0.0/0",
                        "target": "igw-1",
                        "target_kind": "internet_gateway",
                    }
                ]
            },
        )
    )
    nodes.append(Node(rt_priv, NodeKind.ROUTE_TABLE, "priv", "aws", R, {"routes": []}))
    for v, vpc in enumerate(vpcs):
        nodes.append(
            Node(vpc, NodeKind.NETWORK, f"vpc-{v}", "aws", R, {"cidrs": [f"10.{v}.0.0/16"]})
        )
        for s in range(10):
            sid = f"{ec2}:subnet/subnet-{v}-{s}"
            public = s < 3
            nodes.append(
                Node(
                    sid,
                    NodeKind.SUBNET,
                    f"subnet-{v}-{s}",
                    "aws",
                    R,
                    {
                        "network": vpc,
                        "cidrs": [f"10.{v}.{s}.0/24"],
                        "network_acl": acl,
                        "route_table": rt_pub if public else rt_priv,
                    },
                )
            )
            subnets.append((sid, vpc, public))
    open_sgs = [f"{ec2}:security-group/sg-open-{i}" for i in range(n(75))]
    sgs = [f"{ec2}:security-group/sg-{i}" for i in range(n(425))]
    for sg in open_sgs:
        rules = [
            _rule("open-443", 443, {"cidr": "0.0.0.0/0"}),
            _rule("open-22", 22, {"cidr": "0.0.0.0/0"}),
        ]
        nodes.append(
            Node(
                sg,
                NodeKind.FIREWALL,
                sg.rsplit("/", 1)[1],
                "aws",
                R,
                {"scope": "instance", "rules": rules},
            )
        )
    for sg in sgs:
        if rnd.random() < 0.5:
            rules = [_rule("from-sg", 8080, {"firewall": rnd.choice(sgs + open_sgs)})]
        else:
            v, sub = rnd.randrange(len(vpcs)), rnd.randrange(10)
            rules = [_rule("from-subnet", 5432, {"cidr": f"10.{v}.{sub}.0/24"})]
        nodes.append(
            Node(
                sg,
                NodeKind.FIREWALL,
                sg.rsplit("/", 1)[1],
                "aws",
                R,
                {"scope": "instance", "rules": rules},
            )
        )
    roles = [f"arn:aws:iam::{A}:role/role-{i}" for i in range(n(1000))]
    users = [f"arn:aws:iam::{A}:user/user-{i}" for i in range(n(2000))]
    groups = [f"arn:aws:iam::{A}:group/group-{i}" for i in range(n(200))]
    nodes += [Node(r, NodeKind.ROLE, r.rsplit("/", 1)[1], "aws", "global", {}) for r in roles]
    nodes += [Node(u, NodeKind.IDENTITY, u.rsplit("/", 1)[1], "aws", "global", {}) for u in users]
    nodes += [Node(g, NodeKind.GROUP, g.rsplit("/", 1)[1], "aws", "global", {}) for g in groups]
    data: list[str] = []
    for kind, count, words in (
        (NodeKind.BUCKET, 30000, ["logs", "assets", "customer-pii", "prod-backups"]),
        (NodeKind.SECRET, 8000, ["db-password", "api-token"]),
        (NodeKind.DATABASE, 2000, ["orders", "prod-users"]),
        (NodeKind.SNAPSHOT, 8000, ["nightly-backup"]),
        (NodeKind.KEY, 4000, ["kms"]),
        (NodeKind.FUNCTION, 3000, ["worker"]),
    ):
        for i in range(n(count)):
            did = f"arn:aws:{kind}:{R}:{A}:{kind}/{rnd.choice(words)}-{i}"
            nodes.append(
                Node(
                    did,
                    kind,
                    did.rsplit("/", 1)[1],
                    "aws",
                    R,
                    {"encryption": None if i % 3 else "AES256"},
                )
            )
            data.append(did)
    instances = []
    public_subnets = [x for x in subnets if x[2]]
    private_subnets = [x for x in subnets if not x[2]]
    for i in range(n(10000)):
        public = rnd.random() < 0.1  # the web tier: public address, open to the world
        sid, vpc, _pub = rnd.choice(public_subnets if public else private_subnets)
        iid = f"{ec2}:instance/i-{i:06d}"
        v, sub = vpc.rsplit("-", 1)[1], sid.rsplit("-", 1)[1]
        props = {
            "state": "running",
            "private_ips": [f"10.{v}.{sub}.{i % 250 + 4}"],
            "public_ips": [f"54.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"] if public else [],
            "imds_v1": rnd.random() < 0.2,
        }
        nodes.append(Node(iid, NodeKind.INSTANCE, f"i-{i:06d}", "aws", R, props))
        edges += [
            Edge(iid, sid, EdgeKind.IN_SUBNET),
            Edge(iid, rnd.choice(open_sgs if public else sgs), EdgeKind.PROTECTED_BY),
            Edge(iid, rnd.choice(roles), EdgeKind.RUNS_AS, {"reason": "profile"}),
        ]
        disk = f"{ec2}:volume/vol-{i:06d}"
        nodes.append(Node(disk, NodeKind.DISK, f"vol-{i:06d}", "aws", R, {"encrypted": False}))
        edges.append(Edge(disk, iid, EdgeKind.ATTACHED_TO))
        instances.append(iid)
    levels = ("read", "write", "admin")

    def access(s: str, d: str) -> Edge:
        return Edge(s, d, EdgeKind.CAN_ACCESS, {"level": rnd.choice(levels), "actions": ["x:Get"]})

    for r in roles:
        edges += [access(r, d) for d in rnd.sample(data, 600)]
        edges += [
            Edge(r, t, EdgeKind.CAN_ASSUME, {"conditional": False}) for t in rnd.sample(roles, 2)
        ]
    for g in groups:
        edges += [access(g, d) for d in rnd.sample(data, 300)]
    for u in users:
        edges += [access(u, d) for d in rnd.sample(data, 150)]
        edges.append(Edge(u, rnd.choice(groups), EdgeKind.MEMBER_OF))
    for d in data[::2]:
        edges.append(Edge(d, rnd.choice(data), EdgeKind.ENCRYPTED_BY))
    # built directly (not merge_parts): the generator's own ids are unique by construction
    return Snapshot(
        provider="aws",
        scope={},
        collected_at="t",
        nodes=(internet_node(), *nodes),
        edges=tuple(edges),
    )


def _bare_bfs_floor(G: nx.MultiDiGraph, sources: list[str]) -> float:
    """Bare networkx BFS over the same traversable edges, timed over the same sources."""
    H = nx.DiGraph()
    for u, v, kind in G.edges(data="kind"):
        if kind in TRAVERSABLE:
            H.add_edge(*((v, u) if kind == "attached_to" else (u, v)))
    start = time.perf_counter()
    for s in sources:
        if s in H:
            nx.single_source_shortest_path(H, s)
    return time.perf_counter() - start


def test_small_estate_is_consistent() -> None:
    snap = synthetic_estate(scale=0.02)
    G = build_graph(snap)
    summaries = exposed_summaries(G)
    assert summaries, "the generator makes exposed instances"
    for s in summaries[:5]:
        radius = blast_radius(G, s.id)
        assert s.data_count == len(radius.reached)
        assert s.identity_count == len(radius.identities)


@pytest.mark.slow
def test_benchmark_full_scale(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    t0 = time.perf_counter()
    snap = synthetic_estate(scale=1.0)
    t1 = time.perf_counter()
    derived = exposure_edges(snap)
    t2 = time.perf_counter()
    G = build_graph(snap)
    t3 = time.perf_counter()
    summaries = exposed_summaries(G)
    t4 = time.perf_counter()
    exposed = [s.id for s in summaries]
    one = exposed[0]
    radius = blast_radius(G, one)
    t5 = time.perf_counter()
    floor_one = _bare_bfs_floor(G, [one])
    sample = exposed[:20]
    t6 = time.perf_counter()
    for s in sample:
        blast_radius(G, s)
    t7 = time.perf_counter()
    floor_sample = _bare_bfs_floor(G, sample)
    path = save_snapshot(snap, tmp_path / "big.json.gz")
    t8 = time.perf_counter()
    code = main(["exposed", str(path), "--format", "json", "-o", str(tmp_path / "e.json")])
    t9 = time.perf_counter()
    assert code == 0
    with capsys.disabled():
        print(
            f"\nnodes={G.number_of_nodes()} edges={G.number_of_edges()} exposed={len(exposed)}"
            f" derived={len(derived)}"
            f"\ngenerate {t1 - t0:.1f}s  exposure+lateral analysis {t2 - t1:.1f}s"
            f"  build_graph (all analyses) {t3 - t2:.1f}s"
            f"\nexposed_summaries (all {len(exposed)}) {t4 - t3:.2f}s"
            f"\nblast_radius one: {1000 * (t5 - t4):.0f} ms (reached {len(radius.reached)});"
            f" bare BFS {1000 * floor_one:.0f} ms; ratio {(t5 - t4) / floor_one:.1f}x"
            f"\nblast_radius x{len(sample)}: {t7 - t6:.2f}s; bare BFS {floor_sample:.2f}s;"
            f" ratio {(t7 - t6) / floor_sample:.1f}x"
            f"\n`exposed` end to end (load, build, analyse) {t9 - t8:.1f}s"
        )
    assert (t5 - t4) / floor_one < 20
