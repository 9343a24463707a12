"""Benchmark of the AWS permission edges on a synthetic account (run on demand).

    .venv/bin/python tests/graph/iam/test_aws_bench.py 200 1000 5000   # principals

The account has N principals (70 % users, 30 % roles; users in groups), 2 managed policies
per principal (with wildcards, NotAction, conditions, a few admins and denies) and 10 data
resources per principal (buckets, keys, secrets, databases, volumes, functions).
The default test run builds a small one and checks the edges are sane; the full-size run
is marked slow.

Measured (one core, on a machine shared with other jobs; CPU seconds of this process):
200 principals / 10,000 resources: 6.3 s, 361k edges, 327 MiB;
1,000 / 10,000: 16.4 s, 888k edges (812k can_access), 722 MiB;
5,000 / 10,000: 118 s, 5.3M edges, 4.2 GiB — edges grow with principals × resources
whenever policies say ``Resource: *``.
"""

from __future__ import annotations

import random
import resource
import sys
import time
from typing import Any

import pytest

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Snapshot, merge_parts

A = "111122223333"
R = "us-east-1"


def _statement(rng: random.Random, teams: int) -> dict[str, Any]:
    team = f"team{rng.randrange(teams)}"
    roll = rng.random()
    if roll < 0.005:
        return {"Effect": "Allow", "Action": "*", "Resource": "*"}
    if roll < 0.30:
        return {
            "Effect": "Allow",
            "Action": ["s3:Get*", "s3:List*"],
            "Resource": [f"arn:aws:s3:::{team}-*", f"arn:aws:s3:::{team}-*/*"],
        }
    if roll < 0.45:
        return {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": f"arn:aws:s3:::{team}-*/${{aws:username}}/*",
        }
    if roll < 0.47:
        return {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*",
        }
    if roll < 0.50:
        return {
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:Encrypt"],
            "Resource": f"arn:aws:kms:{R}:{A}:key/{team}-*",
        }
    if roll < 0.62:
        return {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": f"arn:aws:secretsmanager:{R}:{A}:secret:{team}-*",
        }
    if roll < 0.72:
        return {
            "Effect": "Allow",
            "Action": ["rds:Describe*", "rds:ModifyDBInstance"],
            "Resource": f"arn:aws:rds:{R}:{A}:db:{team}-*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": team}},
        }
    if roll < 0.75:
        return {
            "Effect": "Allow",
            "Action": ["ec2:Describe*", "ec2:CreateSnapshot", "ec2:AttachVolume"],
            "Resource": "*",
        }
    if roll < 0.84:
        return {
            "Effect": "Allow",
            "Action": ["lambda:InvokeFunction", "lambda:UpdateFunctionCode"],
            "Resource": f"arn:aws:lambda:{R}:{A}:function:{team}-*",
        }
    if roll < 0.86:
        return {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}
    if roll < 0.91:
        return {
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": f"arn:aws:iam::{A}:role/{team}-*",
        }
    if roll < 0.96:
        return {
            "Effect": "Deny",
            "Action": ["s3:DeleteBucket", "kms:ScheduleKeyDeletion"],
            "Resource": "*",
        }
    return {
        "Effect": "Allow",
        "NotAction": ["iam:*", "organizations:*"],
        "Resource": f"arn:aws:s3:::{team}-*",
    }


def synthetic_snapshot(principals: int, *, resources: int | None = None, seed: int = 7) -> Snapshot:
    """N principals, 2N managed policies, ``resources`` data resources (default 10N), N/20
    groups (teams of about 20 principals)."""
    rng = random.Random(seed)
    teams = max(principals // 20, 1)
    part = Partial()
    policies = []
    for i in range(2 * principals):
        arn = f"arn:aws:iam::{A}:policy/p{i}"
        part.documents[arn] = {
            "Version": "2012-10-17",
            "Statement": [_statement(rng, teams) for _ in range(rng.randint(1, 3))],
        }
        part.nodes.append(Node(arn, NodeKind.POLICY, f"p{i}", "aws", "global", {"document": arn}))
        policies.append(arn)
    groups = []
    for g in range(teams):
        arn = f"arn:aws:iam::{A}:group/team{g}"
        part.nodes.append(
            Node(arn, NodeKind.GROUP, f"team{g}", "aws", "global", {"inline_policies": []})
        )
        part.edges.append(Edge(arn, rng.choice(policies), EdgeKind.HAS_POLICY))
        groups.append(arn)
    for i in range(principals):
        team = f"team{rng.randrange(teams)}"
        if i % 10 < 7:
            arn = f"arn:aws:iam::{A}:user/u{i}"
            part.nodes.append(
                Node(
                    arn,
                    NodeKind.IDENTITY,
                    f"u{i}",
                    "aws",
                    "global",
                    {
                        "principal_type": "user",
                        "inline_policies": [],
                        "tags": {"team": team},
                        "console": rng.random() < 0.5,
                    },
                )
            )
            part.edges.append(Edge(arn, rng.choice(groups), EdgeKind.MEMBER_OF))
        else:
            arn = f"arn:aws:iam::{A}:role/{team}-r{i}"
            trust = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": (
                            {"AWS": f"arn:aws:iam::{A}:root"}
                            if rng.random() < 0.5
                            else {"Service": "ec2.amazonaws.com"}
                        ),
                    }
                ],
            }
            part.documents[f"{arn}#trust"] = trust
            part.nodes.append(
                Node(
                    arn,
                    NodeKind.ROLE,
                    f"{team}-r{i}",
                    "aws",
                    "global",
                    {
                        "inline_policies": [],
                        "trust_policy": f"{arn}#trust",
                        "tags": {"team": team},
                        "instance_profiles": [arn.replace(":role/", ":instance-profile/")],
                    },
                )
            )
        for p in rng.sample(policies, 2):
            part.edges.append(Edge(arn, p, EdgeKind.HAS_POLICY))
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    for i in range(resources if resources is not None else 10 * principals):
        team = f"team{rng.randrange(teams)}"
        kind = rng.choice(["bucket"] * 5 + ["key", "secret", "database", "disk", "function"])
        if kind == "bucket":
            arn = f"arn:aws:s3:::{team}-b{i}"
            props: dict[str, Any] = {"policy": None}
            if rng.random() < 0.1:
                props["policy"] = f"{arn}#policy"
                part.documents[f"{arn}#policy"] = {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [arn, f"{arn}/*"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                }
            node = Node(arn, NodeKind.BUCKET, f"{team}-b{i}", "aws", R, props)
        elif kind == "key":
            arn = f"arn:aws:kms:{R}:{A}:key/{team}-k{i}"
            part.documents[f"{arn}#policy"] = key_policy
            node = Node(arn, NodeKind.KEY, f"k{i}", "aws", R, {"policy": f"{arn}#policy"})
        elif kind == "secret":
            arn = f"arn:aws:secretsmanager:{R}:{A}:secret:{team}-s{i}-AbCdEf"
            node = Node(arn, NodeKind.SECRET, f"{team}-s{i}", "aws", R, {"policy": None})
        elif kind == "database":
            arn = f"arn:aws:rds:{R}:{A}:db:{team}-d{i}"
            node = Node(arn, NodeKind.DATABASE, f"{team}-d{i}", "aws", R, {"engine": "postgres"})
        elif kind == "disk":
            arn = f"arn:aws:ec2:{R}:{A}:volume/vol-{team}-{i}"
            node = Node(arn, NodeKind.DISK, f"vol-{i}", "aws", R, {"encrypted": True})
        else:
            arn = f"arn:aws:lambda:{R}:{A}:function:{team}-f{i}"
            node = Node(arn, NodeKind.FUNCTION, f"{team}-f{i}", "aws", R, {"policy": None})
        part.nodes.append(node)
    return merge_parts([part], provider="aws", scope={"account": A}, collected_at="t")


def measure(principals: int, resources: int = 10_000) -> dict[str, Any]:
    from blastscope.graph.iam import aws
    from blastscope.graph.iam.aws_index import build_index

    snap = synthetic_snapshot(principals, resources=resources)
    aws.index_for(snap)  # warm the action catalogue (loaded once per process)
    start, cpu = time.perf_counter(), time.process_time()
    build_index(snap)
    edges = aws.permission_edges(Snapshot(**{f: getattr(snap, f) for f in snap.__slots__}))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    counts: dict[str, int] = {}
    for e in edges:
        counts[str(e.kind)] = counts.get(str(e.kind), 0) + 1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "principals": principals,
        "nodes": len(snap.nodes),
        "seconds": round(elapsed, 2),
        "cpu_seconds": round(cpu, 2),
        "edges": counts,
        "max_rss_mib": round(rss),
    }


def test_small_synthetic_account_has_sane_edges():
    snap = synthetic_snapshot(40)
    from blastscope.graph.iam.aws import permission_edges

    edges = permission_edges(snap)
    kinds = {str(e.kind) for e in edges}
    assert {"can_access", "can_assume", "can_escalate"} <= kinds
    assert all(e.props.get("reason") and "evidence" in e.props for e in edges)


@pytest.mark.slow
def test_benchmark_1000_principals_10k_resources():
    result = measure(1000)
    print(result)  # a benchmark, not a timed test: the figures go in the notes
    assert result["max_rss_mib"] < 1024


if __name__ == "__main__":
    for n in [int(a) for a in sys.argv[1:]] or [200, 1000]:
        print(measure(n), flush=True)
