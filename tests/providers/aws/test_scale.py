"""The collection-speed baseline: 2 regions × (50 instances, 20 SGs, 10 buckets) in moto.

Prints API calls and wall time (run with ``-s``); asserts the call count stays linear in the
estate, so a change that adds a call per resource per region shows up here.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import boto3
import pytest

from blastscope.providers.aws.collector import AwsProvider
from blastscope.providers.base import Scope

REGIONS = ("us-east-1", "eu-west-1")


def seed() -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    for i in range(10):
        s3.create_bucket(Bucket=f"scale-bucket-{i:02}")
    for region in REGIONS:
        ec2 = boto3.client("ec2", region_name=region)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        groups = []
        for i in range(20):
            gid = ec2.create_security_group(GroupName=f"sg-{i}", Description="x", VpcId=vpc)[
                "GroupId"
            ]
            ec2.authorize_security_group_ingress(
                GroupId=gid,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    }
                ],
            )
            groups.append(gid)
        image = ec2.register_image(Name="base", RootDeviceName="/dev/sda1")["ImageId"]
        for i in range(50):
            ec2.run_instances(
                ImageId=image,
                MinCount=1,
                MaxCount=1,
                SubnetId=subnet,
                SecurityGroupIds=[groups[i % 20]],
            )


@pytest.mark.slow
def test_scale_baseline(moto: None) -> None:
    seed()
    calls: Counter[str] = Counter()
    lock = threading.Lock()

    def record(model: Any, **_kw: Any) -> None:
        with lock:
            calls[f"{model.service_model.service_name}:{model.name}"] += 1

    session = boto3.session.Session(region_name="us-east-1")
    session.events.register("before-call", record)
    start = time.perf_counter()
    # Production client settings: adaptive retries and the per-service/region rate limits.
    snap = AwsProvider(session_factory=lambda _s: session).collect(Scope(regions=REGIONS))
    seconds = time.perf_counter() - start
    total = sum(calls.values())
    print(f"\n2 regions x (50 instances, 20 SGs) + 10 buckets: {total} API calls, {seconds:.2f}s")
    for op, n in calls.most_common(8):
        print(f"  {n:5} {op}")
    assert snap.warnings == ()
    assert sum(1 for n in snap.nodes if n.kind == "instance") == 100
    assert calls["ec2:DescribeInstanceAttribute"] == 100  # user data: one call per instance
    assert total < 100 * 2 + 10 * 9 + 2 * 40  # linear: per instance, per bucket, per region
