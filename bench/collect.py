"""Collection benchmark: the real AWS collector against moto with a per-call latency.

moto answers in microseconds, which hides what matters on a real account: round trips. A
``before-call`` hook on the session sleeps ``latency_ms`` on every API call (and counts it),
so sequential collection (one worker) against the collector's own concurrency shows what
running regions and services side by side buys.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from typing import Any

REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "sa-east-1")
TRUST_EC2 = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def _env() -> None:
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        os.environ.pop(var, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        }
    )


def seed(regions: tuple[str, ...]) -> None:
    """A modest estate in every region: a VPC, SGs, instances, volumes, keys and secrets."""
    import boto3

    iam = boto3.client("iam", region_name="us-east-1")
    for i in range(10):
        iam.create_role(RoleName=f"app-{i}", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
        iam.create_user(UserName=f"user-{i}")
    s3 = boto3.client("s3", region_name="us-east-1")
    for i in range(5):
        s3.create_bucket(Bucket=f"bench-bucket-{i}")
    for region in regions:
        ec2 = boto3.client("ec2", region_name=region)
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
        image = ec2.register_image(Name="base", RootDeviceName="/dev/sda1")["ImageId"]
        ec2.run_instances(
            ImageId=image, MinCount=5, MaxCount=5, SubnetId=subnet, SecurityGroupIds=[sg]
        )
        kms = boto3.client("kms", region_name=region)
        sm = boto3.client("secretsmanager", region_name=region)
        for i in range(2):
            kms.create_key(Description=f"key {i}")
            sm.create_secret(Name=f"bench/{i}", SecretString="not-a-real-secret")


def run(*, latency_ms: float = 50.0, regions: int = 4) -> dict[str, Any]:
    """Collect the same moto estate with 1 worker and with the collector's default."""
    try:
        from blastscope.providers.aws.collector import AwsProvider
    except ModuleNotFoundError:
        return {"status": "not available", "note": "blastscope.providers.aws not on main"}
    import boto3
    from moto import mock_aws

    from blastscope.providers.base import Scope

    _env()
    chosen = REGIONS[: max(1, min(regions, len(REGIONS)))]
    modes = []
    with mock_aws():
        seed(chosen)
        default_workers = AwsProvider().max_workers
        for name, workers in (
            ("sequential (1 worker)", 1),
            (f"concurrent ({default_workers} workers)", default_workers),
        ):
            calls = itertools.count()
            lock = threading.Lock()

            def slow(calls: Any = calls, lock: threading.Lock = lock, **_kwargs: Any) -> None:
                with lock:
                    next(calls)
                time.sleep(latency_ms / 1000)

            session = boto3.session.Session(region_name="us-east-1")
            session.events.register("before-call", slow)
            provider = AwsProvider(session_factory=lambda _s, s=session: s, max_workers=workers)
            start = time.perf_counter()
            snap = provider.collect(Scope(regions=chosen))
            seconds = time.perf_counter() - start
            modes.append(
                {
                    "name": name,
                    "workers": workers,
                    "calls": next(calls),
                    "seconds": round(seconds, 3),
                }
            )
    return {
        "status": "ok",
        "latency_ms": latency_ms,
        "regions": len(chosen),
        "nodes": len(snap.nodes),
        "warnings": len(snap.warnings),
        "modes": modes,
    }
