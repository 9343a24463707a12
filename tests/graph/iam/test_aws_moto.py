"""End to end: IAM, S3 and KMS created with boto3 in moto, collected by the AWS provider,
then evaluated — the documents and props are exactly what the collector writes."""

from __future__ import annotations

import json

import boto3
import moto
import pytest

from blastscope.graph.iam import Outcome
from blastscope.graph.iam.aws import evaluate, permission_edges
from blastscope.providers.aws import SERVICES, collector
from blastscope.providers.base import Scope

REGION = "us-east-1"


def _doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def snapshot(monkeypatch):
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with moto.mock_aws():
        iam = boto3.client("iam", region_name=REGION)
        account = boto3.client("sts", region_name=REGION).get_caller_identity()["Account"]
        arn = f"arn:aws:iam::{account}"
        admin = _doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
        iam.create_role(
            RoleName="ec2-admin",
            AssumeRolePolicyDocument=_doc(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ec2.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ),
        )
        iam.put_role_policy(RoleName="ec2-admin", PolicyName="admin", PolicyDocument=admin)
        iam.create_instance_profile(InstanceProfileName="ec2-admin")
        iam.add_role_to_instance_profile(InstanceProfileName="ec2-admin", RoleName="ec2-admin")
        iam.create_role(
            RoleName="deployer",
            AssumeRolePolicyDocument=_doc(
                {"Effect": "Allow", "Principal": {"AWS": f"{arn}:root"}, "Action": "sts:AssumeRole"}
            ),
        )
        iam.create_user(UserName="victim")
        iam.create_group(GroupName="devs")
        for user in ("attacker", "reader"):
            iam.create_user(UserName=user)
        iam.add_user_to_group(GroupName="devs", UserName="attacker")
        iam.put_group_policy(
            GroupName="devs",
            PolicyName="self-admin",
            PolicyDocument=_doc(
                {
                    "Effect": "Allow",
                    "Action": "iam:AttachGroupPolicy",
                    "Resource": f"{arn}:group/devs",
                }
            ),
        )
        policy = iam.create_policy(
            PolicyName="attack",
            PolicyDocument=_doc(
                {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"{arn}:role/ec2-admin"},
                {
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole", "iam:PutRolePolicy"],
                    "Resource": f"{arn}:role/deployer",
                },
                {
                    "Effect": "Allow",
                    "Action": "iam:CreateAccessKey",
                    "Resource": f"{arn}:user/victim",
                },
            ),
        )["Policy"]["Arn"]
        iam.attach_user_policy(UserName="attacker", PolicyArn=policy)
        iam.put_user_policy(
            UserName="attacker",
            PolicyName="run",
            PolicyDocument=_doc({"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"}),
        )
        iam.put_user_policy(
            UserName="reader",
            PolicyName="pass-only",
            PolicyDocument=_doc({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
        )
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="payroll")
        s3.put_bucket_policy(
            Bucket="payroll",
            Policy=_doc(
                {
                    "Sid": "Reader",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"{arn}:user/reader"},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::payroll/*",
                }
            ),
        )
        services = tuple(
            s for s in SERVICES if s.name in ("iam", "iam-credentials", "account", "s3")
        )
        provider = collector.AwsProvider(
            session_factory=lambda _scope: boto3.session.Session(region_name=REGION),
            services=services,
        )
        yield provider.collect(Scope(regions=(REGION,))), arn


def test_collected_estate_edges(snapshot):
    snap, arn = snapshot
    edges = permission_edges(snap)
    short = {
        (
            e.src.rsplit("/", 1)[-1],
            str(e.kind),
            e.dst.rsplit("/", 1)[-1].rsplit(":", 1)[-1],
            e.props.get("technique"),
        )
        for e in edges
    }
    assert ("attacker", "can_escalate", "ec2-admin", "passrole-ec2") in short
    assert ("attacker", "can_escalate", "victim", "create-access-key") in short
    assert ("attacker", "can_escalate", "devs", "attach-group-policy") in short
    assert ("attacker", "can_escalate", "deployer", "put-role-policy") in short
    assert ("attacker", "can_assume", "deployer", None) in short
    assert ("reader", "can_access", "payroll", None) in short
    assert not any(src == "reader" and kind == "can_escalate" for src, kind, _, _ in short)
    d = evaluate(snap, f"{arn}:user/reader", "s3:GetObject", "arn:aws:s3:::payroll/a.csv")
    assert d.outcome == Outcome.ALLOW and d.statements[0].sid == "Reader"
