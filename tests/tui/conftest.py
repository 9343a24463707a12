"""A small AWS-shaped estate (per graph/MODEL.md) with literal derived edges, a fixed clock,
and a generator for 100k-node estates: enough to drive every screen deterministically.

The estate: two internet-exposed instances (web-01 with SSH and HTTPS, batch-01 with HTTPS),
one private; web-01 runs as web-role, which reads the customer-PII bucket and may assume
admin-role (which reads the database password secret and administers the KMS key); web-01 can
also reach the orders database over the network. Two collection warnings.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from types import ModuleType

import pytest

from blastscope.graph.model import (
    Edge,
    EdgeKind,
    Node,
    NodeKind,
    Partial,
    Snapshot,
    Warning,
    merge_parts,
)

ACCT = "111122223333"
R = "us-east-1"
NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
"""The fixed clock: the fixture estate was collected 12 hours before it."""


def arn(service: str, resource: str, region: str = R) -> str:
    return f"arn:aws:{service}:{region}:{ACCT}:{resource}"


WEB = arn("ec2", "instance/i-0web0000000000001")
BATCH = arn("ec2", "instance/i-0bat0000000000002")
PRIVATE = arn("ec2", "instance/i-0int0000000000003")
WEB_ROLE = f"arn:aws:iam::{ACCT}:role/web-role"
BATCH_ROLE = f"arn:aws:iam::{ACCT}:role/batch-role"
ADMIN_ROLE = f"arn:aws:iam::{ACCT}:role/admin-role"
ALICE = f"arn:aws:iam::{ACCT}:user/alice"
ADMINS = f"arn:aws:iam::{ACCT}:group/admins"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
PII = "arn:aws:s3:::acme-customer-pii"
LOGS = "arn:aws:s3:::acme-logs"
BACKUPS = "arn:aws:s3:::acme-backups"
DB = arn("rds", "db:orders-db")
SECRET = arn("secretsmanager", "secret:prod/db-password-AbCdEf")
KEY = arn("kms", "key/1234abcd-12ab-34cd-56ef-1234567890ab")
VOL = arn("ec2", "volume/vol-0aaa0000000000001")
VPC = arn("ec2", "vpc/vpc-0123")
SUBNET = arn("ec2", "subnet/subnet-0pub")
SG_WEB = arn("ec2", "security-group/sg-0web")
SG_DB = arn("ec2", "security-group/sg-0db")
IGW = arn("ec2", "internet-gateway/igw-0123")
RTB = arn("ec2", "route-table/rtb-0123")

WEB_INLINE = f"{WEB_ROLE}#inline/read-customer-data"
ADMIN_INLINE = f"{ADMIN_ROLE}#inline/ops"


def _stmt(sid: str, actions: list[str], resources: list[str], effect: str = "Allow") -> dict:
    return {"Sid": sid, "Effect": effect, "Action": actions, "Resource": resources}


def _trust(principal: dict) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
    }


DOCUMENTS = {
    WEB_INLINE: {
        "Version": "2012-10-17",
        "Statement": [
            _stmt("ListAll", ["s3:ListAllMyBuckets"], ["*"]),
            _stmt("ReadPii", ["s3:GetObject", "s3:ListBucket"], [PII, PII + "/*"]),
            _stmt("AssumeAdmin", ["sts:AssumeRole"], [ADMIN_ROLE]),
        ],
    },
    f"{WEB_ROLE}#trust": _trust({"Service": "ec2.amazonaws.com"}),
    f"{BATCH_ROLE}#trust": _trust({"Service": "ec2.amazonaws.com"}),
    f"{ADMIN_ROLE}#trust": _trust({"AWS": WEB_ROLE}),
    ADMIN_INLINE: {
        "Version": "2012-10-17",
        "Statement": [
            _stmt("Secrets", ["secretsmanager:GetSecretValue"], [SECRET]),
            _stmt("Keys", ["kms:*"], [KEY]),
            {
                **_stmt("Backups", ["s3:PutObject"], [BACKUPS + "/*"]),
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            },
        ],
    },
    f"{BATCH_ROLE}#inline/logs": {
        "Version": "2012-10-17",
        "Statement": [_stmt("Logs", ["s3:GetObject"], [LOGS + "/*"])],
    },
    ADMIN_POLICY: {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
}


def _rule(rid: str, port: int, cidr: str = "0.0.0.0/0") -> dict:
    return {
        "id": rid,
        "direction": "ingress",
        "action": "allow",
        "priority": None,
        "protocol": "tcp",
        "from_port": port,
        "to_port": port,
        "sources": [{"cidr": cidr}],
        "targets": None,
        "description": "",
    }


def _nodes() -> list[Node]:
    def n(id_: str, kind: NodeKind, name: str, region: str = R, **props: object) -> Node:
        return Node(id_, kind, name, "aws", region, {"account": ACCT, **props})

    return [
        n(f"aws:account/{ACCT}", NodeKind.ACCOUNT, ACCT, "", native_id=ACCT),
        n(VPC, NodeKind.NETWORK, "prod-vpc", native_id="vpc-0123", cidrs=["10.0.0.0/16"]),
        n(SUBNET, NodeKind.SUBNET, "public-a", native_id="subnet-0pub", route_table=RTB),
        n(
            RTB,
            NodeKind.ROUTE_TABLE,
            "public-rt",
            routes=[
                {
                    "destination": "0.0.0.0/0",
                    "target": IGW,
                    "target_kind": "internet_gateway",
                    "state": "active",
                }
            ],
        ),
        n(IGW, NodeKind.GATEWAY, "igw-0123", gateway_kind="internet_gateway", attached_network=VPC),
        n(
            SG_WEB,
            NodeKind.FIREWALL,
            "web-sg",
            native_id="sg-0web",
            scope="instance",
            rules=[_rule("sgr-0ssh", 22), _rule("sgr-0https", 443)],
        ),
        n(
            SG_DB,
            NodeKind.FIREWALL,
            "db-sg",
            native_id="sg-0db",
            scope="instance",
            rules=[_rule("sgr-0pg", 5432, "10.0.0.0/16")],
        ),
        n(
            WEB,
            NodeKind.INSTANCE,
            "web-01",
            native_id="i-0web0000000000001",
            state="running",
            public_ips=["203.0.113.10"],
            private_ips=["10.0.1.10"],
            imds_v1=True,
            instance_profile=f"arn:aws:iam::{ACCT}:instance-profile/web",
            tags={"Name": "web-01", "env": "prod"},
        ),
        n(
            BATCH,
            NodeKind.INSTANCE,
            "batch-01",
            native_id="i-0bat0000000000002",
            state="running",
            public_ips=["203.0.113.20"],
            private_ips=["10.0.1.20"],
            imds_v1=False,
        ),
        n(
            PRIVATE,
            NodeKind.INSTANCE,
            "internal-01",
            native_id="i-0int0000000000003",
            state="running",
            public_ips=[],
            private_ips=["10.0.2.30"],
            imds_v1=False,
        ),
        n(
            WEB_ROLE,
            NodeKind.ROLE,
            "web-role",
            "",
            trust_policy=f"{WEB_ROLE}#trust",
            inline_policies=[WEB_INLINE],
        ),
        n(
            BATCH_ROLE,
            NodeKind.ROLE,
            "batch-role",
            "",
            trust_policy=f"{BATCH_ROLE}#trust",
            inline_policies=[f"{BATCH_ROLE}#inline/logs"],
        ),
        n(
            ADMIN_ROLE,
            NodeKind.ROLE,
            "admin-role",
            "",
            trust_policy=f"{ADMIN_ROLE}#trust",
            inline_policies=[ADMIN_INLINE],
        ),
        n(
            ALICE,
            NodeKind.IDENTITY,
            "alice",
            "",
            principal_type="user",
            mfa=False,
            console=True,
            access_keys=[
                {
                    "id_suffix": "WXYZ",
                    "status": "Active",
                    "created": "2024-01-02",
                    "last_used": None,
                }
            ],
        ),
        n(ADMINS, NodeKind.GROUP, "admins", ""),
        n(
            ADMIN_POLICY,
            NodeKind.POLICY,
            "AdministratorAccess",
            "",
            document=ADMIN_POLICY,
            aws_managed=True,
            attachment_count=1,
        ),
        n(
            PII,
            NodeKind.BUCKET,
            "acme-customer-pii",
            R,
            public=False,
            encryption=None,
            tags={"data": "pii"},
        ),
        n(LOGS, NodeKind.BUCKET, "acme-logs", R, public=False, encryption="AES256"),
        n(BACKUPS, NodeKind.BUCKET, "acme-backups", R, public=False, encryption="aws:kms"),
        n(
            DB,
            NodeKind.DATABASE,
            "orders-db",
            engine="postgres",
            public=False,
            encrypted=True,
            port=5432,
        ),
        n(SECRET, NodeKind.SECRET, "prod/db-password", rotation=False),
        n(KEY, NodeKind.KEY, "prod-data-key", key_manager="CUSTOMER", state="Enabled"),
        n(VOL, NodeKind.DISK, "web-01-root", encrypted=False, size_gb=8),
    ]


def _edges() -> list[Edge]:
    def e(src: str, dst: str, kind: str, **props: object) -> Edge:
        return Edge(src, dst, EdgeKind(kind), props)

    return [
        e(WEB, SUBNET, "in_subnet"),
        e(BATCH, SUBNET, "in_subnet"),
        e(SUBNET, VPC, "in_network"),
        e(SUBNET, RTB, "routes_via", main=False),
        e(WEB, SG_WEB, "protected_by"),
        e(BATCH, SG_WEB, "protected_by"),
        e(DB, SG_DB, "protected_by"),
        e(VOL, WEB, "attached_to", device="/dev/xvda"),
        e(WEB, WEB_ROLE, "runs_as", via=f"arn:aws:iam::{ACCT}:instance-profile/web"),
        e(BATCH, BATCH_ROLE, "runs_as", via=f"arn:aws:iam::{ACCT}:instance-profile/batch"),
        e(ALICE, ADMINS, "member_of"),
        e(ADMINS, ADMIN_POLICY, "has_policy", attachment="managed"),
        e(PII, KEY, "encrypted_by"),
        e(
            "internet",
            WEB,
            "exposes",
            ports=[[22, 22], [443, 443]],
            protocols=["tcp"],
            rules=["sgr-0ssh", "sgr-0https"],
            cidrs=["0.0.0.0/0"],
            via="public_ip",
            dangerous=["ssh"],
            imds_v1=True,
            reason="web-sg admits 0.0.0.0/0 on tcp 22 and 443 to public IP 203.0.113.10",
        ),
        e(
            "internet",
            BATCH,
            "exposes",
            ports=[[443, 443]],
            protocols=["tcp"],
            rules=["sgr-0https"],
            cidrs=["0.0.0.0/0"],
            via="public_ip",
            dangerous=[],
            imds_v1=False,
            reason="web-sg admits 0.0.0.0/0 on tcp 443 to public IP 203.0.113.20",
        ),
        e(
            WEB_ROLE,
            PII,
            "can_access",
            actions=["s3:GetObject", "s3:ListBucket"],
            level="read",
            conditional=False,
            evidence=[{"document": WEB_INLINE, "statement": 1}],
            reason="statement ReadPii of web-role's inline policy read-customer-data allows "
            "s3:GetObject on acme-customer-pii",
        ),
        e(
            WEB_ROLE,
            ADMIN_ROLE,
            "can_assume",
            conditional=False,
            evidence=[
                {"document": WEB_INLINE, "statement": 2},
                {"document": f"{ADMIN_ROLE}#trust", "statement": 0},
            ],
            reason="admin-role trusts web-role and statement AssumeAdmin allows sts:AssumeRole",
        ),
        e(
            ADMIN_ROLE,
            SECRET,
            "can_access",
            actions=["secretsmanager:GetSecretValue"],
            level="read",
            conditional=False,
            evidence=[{"document": ADMIN_INLINE, "statement": 0}],
            reason="statement Secrets of admin-role's inline policy ops allows "
            "secretsmanager:GetSecretValue",
        ),
        e(
            ADMIN_ROLE,
            KEY,
            "can_access",
            actions=["kms:*"],
            level="admin",
            conditional=False,
            evidence=[{"document": ADMIN_INLINE, "statement": 1}],
            reason="statement Keys of admin-role's inline policy ops allows kms:* on the key",
        ),
        e(
            ADMIN_ROLE,
            BACKUPS,
            "can_access",
            actions=["s3:PutObject"],
            level="write",
            conditional=True,
            evidence=[{"document": ADMIN_INLINE, "statement": 2}],
            reason="statement Backups allows s3:PutObject only with MFA (condition)",
        ),
        e(
            BATCH_ROLE,
            LOGS,
            "can_access",
            actions=["s3:GetObject"],
            level="read",
            conditional=False,
            evidence=[{"document": f"{BATCH_ROLE}#inline/logs", "statement": 0}],
            reason="statement Logs of batch-role's inline policy allows s3:GetObject",
        ),
        e(
            WEB,
            DB,
            "network_reach",
            ports=[[5432, 5432]],
            protocols=["tcp"],
            rules=["sgr-0pg"],
            reason="db-sg admits 10.0.0.0/16 on tcp 5432; web-01 is 10.0.1.10",
        ),
    ]


def build_estate() -> Snapshot:
    """The fixture estate, collected 12 hours before :data:`NOW`."""
    part = Partial(
        nodes=_nodes(),
        edges=_edges(),
        documents=dict(DOCUMENTS),
        warnings=[
            Warning("lambda", "eu-west-1", "AccessDenied", "lambda:ListFunctions denied by an SCP"),
            Warning("rds", R, "Throttling", "DescribeDBInstances throttled after 5 retries"),
        ],
    )
    return merge_parts(
        [part],
        provider="aws",
        scope={"account": ACCT, "regions": [R, "eu-west-1"]},
        collected_at="2026-11-30T12:00:00Z",
    )


def build_big_estate(n: int = 100_000) -> Snapshot:
    """``n`` nodes: instances, roles and buckets in a regular pattern, a few hundred exposed."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    per = max(1, n // 4)
    for i in range(per):
        inst = arn("ec2", f"instance/i-{i:017x}")
        role = f"arn:aws:iam::{ACCT}:role/role-{i}"
        bucket = f"arn:aws:s3:::bucket-{i}"
        sg = arn("ec2", f"security-group/sg-{i:08x}")
        nodes += [
            Node(
                inst,
                NodeKind.INSTANCE,
                f"host-{i}",
                "aws",
                R,
                {
                    "native_id": f"i-{i:017x}",
                    "public_ips": ["198.51.100.1"] if i % 250 == 0 else [],
                },
            ),
            Node(role, NodeKind.ROLE, f"role-{i}", "aws", "", {}),
            Node(bucket, NodeKind.BUCKET, f"bucket-{i}", "aws", R, {"public": False}),
            Node(sg, NodeKind.FIREWALL, f"sg-{i}", "aws", R, {"rules": []}),
        ]
        edges += [
            Edge(inst, role, EdgeKind.RUNS_AS, {}),
            Edge(
                role,
                bucket,
                EdgeKind.CAN_ACCESS,
                {"actions": ["s3:GetObject"], "level": "read", "conditional": False},
            ),
            Edge(inst, sg, EdgeKind.PROTECTED_BY, {}),
        ]
        if i % 250 == 0:
            edges.append(
                Edge(
                    "internet",
                    inst,
                    EdgeKind.EXPOSES,
                    {"ports": [[443, 443]], "dangerous": [], "via": "public_ip"},
                )
            )
    return merge_parts(
        [Partial(nodes=nodes, edges=edges)],
        provider="aws",
        scope={"account": ACCT, "regions": [R]},
        collected_at="2026-11-30T12:00:00Z",
    )


@pytest.fixture(scope="session")
def estate() -> Snapshot:
    return build_estate()


@pytest.fixture(scope="session")
def fx() -> ModuleType:
    """This module: tests read the estate's ids (``fx.PII``) and clock (``fx.NOW``) from it."""
    return sys.modules[__name__]


@pytest.fixture(scope="session")
def big_estate() -> Snapshot:
    """100,000 nodes (built once per session: about a second)."""
    return build_big_estate(100_000)
