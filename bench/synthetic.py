"""Synthetic AWS organisations at scale, shaped like real estates, for the benchmarks.

``generate(size, seed)`` returns a Snapshot of about ``size`` nodes that follows
``graph/MODEL.md``: many accounts of uneven size, VPCs with public/private/isolated subnets,
route tables, internet and NAT gateways, NACLs, security groups that reference each other,
instances (about 1 % exposed), roles with wildcard-heavy policies in ``documents``, assume
chains that cross accounts, and buckets, keys, secrets and databases with resource policies.

The same (size, seed) always gives the same snapshot. Nothing goes through ``merge_parts``
(its canonical-JSON de-duplication is the wrong tool for a million generated nodes that are
unique by construction); shared empty props and rule templates keep 1M nodes compact.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Snapshot, internet_node

REGIONS = (
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
)
TEAMS = ("payments", "search", "identity", "web", "data", "ml", "platform", "growth", "ledger")
ENVS = ("prod", "prod", "staging", "dev")
COLLECTED_AT = "2026-01-01T00:00:00Z"
NO_PROPS: dict[str, Any] = {}
"""Shared by every edge without props: one dict instead of millions."""


@dataclass(slots=True)
class Out:
    """What the generator has emitted so far, plus the rng and id helpers."""

    rng: random.Random
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    documents: dict[str, Any] = field(default_factory=dict)

    def node(
        self, node_id: str, kind: NodeKind, name: str, region: str, props: dict[str, Any]
    ) -> str:
        self.nodes.append(Node(node_id, kind, name, "aws", region, props))
        return node_id

    def edge(self, src: str, dst: str, kind: EdgeKind, props: dict[str, Any] | None = None) -> None:
        self.edges.append(Edge(src, dst, kind, NO_PROPS if props is None else props))

    def hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def chance(self, p: float) -> bool:
        return self.rng.random() < p


@dataclass(slots=True)
class Account:
    """One account being generated: its id, regions and what later parts refer back to."""

    id: str
    index: int
    instances: int
    regions: tuple[str, ...]
    env: str
    prev_account: str | None
    roles: list[str] = field(default_factory=list)
    app_roles: list[str] = field(default_factory=list)
    buckets: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    chain_head: str = ""

    @property
    def node_id(self) -> str:
        return f"aws:account/{self.id}"


def generate(size: int, seed: int = 0) -> Snapshot:
    """Generate a snapshot of roughly ``size`` nodes (within one small account's worth).

    Examples:
        >>> snap = generate(1000, seed=1)
        >>> 900 <= len(snap.nodes) <= 1300
        True
        >>> generate(1000, seed=1) == snap
        True
    """
    from bench import synthetic_data, synthetic_iam, synthetic_net

    if size < 100:
        raise ValueError("size must be at least 100 nodes")
    out = Out(random.Random(seed))
    out.nodes.append(internet_node())
    synthetic_iam.aws_managed_policies(out)
    mgmt = f"{100000000000 + seed % 997:012d}"
    scp_id = f"arn:aws:organizations::{mgmt}:policy/o-{out.hex(10)}/service_control_policy/p-guard"
    out.documents[scp_id] = synthetic_iam.guardrail_scp()
    index = 0
    prev: str | None = None
    per_instance = 2.9  # nodes emitted per instance, measured over the account template
    while len(out.nodes) < size:
        remaining = size - len(out.nodes)
        drawn = int(out.rng.paretovariate(1.6) * 40)
        n_inst = max(8, min(drawn, 4000, int(remaining / per_instance)))
        n_regions = 1 if n_inst < 60 else min(len(REGIONS), 1 + n_inst // 300)
        acct = Account(
            id=f"{200000000000 + seed * 1_000_003 % 99_991 + index * 7_919:012d}",
            index=index,
            instances=n_inst,
            regions=tuple(out.rng.sample(REGIONS, n_regions)),
            env=out.rng.choice(ENVS),
            prev_account=prev,
        )
        out.node(
            acct.node_id,
            NodeKind.ACCOUNT,
            f"{acct.env}-{index:04d}",
            "",
            {
                "native_id": acct.id,
                "account": acct.id,
                "parent": f"ou-{mgmt[-4:]}-{acct.env}",
                "scps": [scp_id],
                "password_policy": {"MinimumPasswordLength": 14, "RequireSymbols": True},
                "logging": {"cloudtrail": out.chance(0.9), "guardduty": out.chance(0.6)},
                "tags": {"env": acct.env},
            },
        )
        synthetic_data.data_stores(out, acct)
        synthetic_iam.identities(out, acct)
        synthetic_net.network(out, acct)
        prev = acct.id
        index += 1
    return Snapshot(
        provider="aws",
        scope={"accounts": index, "synthetic": {"size": size, "seed": seed}},
        collected_at=COLLECTED_AT,
        nodes=tuple(out.nodes),
        edges=tuple(out.edges),
        documents=out.documents,
    )
