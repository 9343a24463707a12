"""The demo's AWS account, seeded into moto with ordinary boto3 calls.

"Acme Shop" in us-east-1: a public web tier behind an ALB, an app tier and an RDS database in
private subnets, an SSH bastion, a CI runner, buckets for logs/backups/customer data/static
assets, two secrets, two KMS keys, a Lambda with a public URL. The attack paths are real
consequences of the policies and rules below, not annotations:

1. web-1 (exposed 443) → web-role → s3 acme-app-logs                            (role → bucket)
2. bastion-1 (SSH open) → bastion-role → ops-role → secrets-reader → secrets      (assume chain)
3. ci-runner (exposed 443) → ci-role → iam:PassRole + ec2:RunInstances → admin-role (escalation)
4. web-1 → app-1 over 8080 (app-sg admits web-sg) → app-role → acme-customer-data, orders-db
                                                                               (lateral movement)
Decoys that look risky but are not reachable:
- web-role's policy grants acme-backups, but the bucket policy explicitly denies web-role;
- legacy-ftp has a public IP but its security group admits nothing;
- staging-web has a public IP and SSH/443 open to the world, but its subnet's route table has
  no route to the internet gateway.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
ClientFor = Callable[..., Any]

CI_USER_DATA = """#!/bin/bash
# CI runner bootstrap (demo): a token left in user data, as happens.
export GITHUB_TOKEN=ghp_DEMOx0123456789abcdefghijklmnopqrstuv
systemctl start runner
"""


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions: list[str] | str, resources: list[str] | str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def trust_service(service: str) -> str:
    return doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def trust_role(*roles: str) -> str:
    arns = [f"arn:aws:iam::{ACCOUNT}:role/{r}" for r in roles]
    return doc({"Effect": "Allow", "Principal": {"AWS": arns}, "Action": "sts:AssumeRole"})


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def build(client: ClientFor) -> dict[str, str]:
    """Seed the account with ``client(service, region_name=...)``; returns names → native ids."""
    ids: dict[str, str] = {}
    _iam(client("iam", region_name=REGION))
    keys = _kms(client("kms", region_name=REGION), ids)
    _network_and_compute(client("ec2", region_name=REGION), ids)
    _data(client, ids, keys)
    return ids


def _iam(iam: Any) -> None:
    def role(name: str, trust: str, *policies: dict[str, Any], profile: bool = False) -> None:
        iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=trust,
            Tags=[{"Key": "app", "Value": "acme-shop"}],
        )
        if policies:
            iam.put_role_policy(
                RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=doc(*policies)
            )
        if profile:
            iam.create_instance_profile(InstanceProfileName=name)
            iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)

    ec2 = trust_service("ec2.amazonaws.com")
    admin = iam.create_policy(PolicyName="admin-all", PolicyDocument=doc(allow("*", "*")))[
        "Policy"
    ]["Arn"]
    role(
        "web-role",
        ec2,
        allow(
            ["s3:GetObject", "s3:ListBucket"],
            [
                "arn:aws:s3:::acme-app-logs",
                "arn:aws:s3:::acme-app-logs/*",
                "arn:aws:s3:::acme-backups",
                "arn:aws:s3:::acme-backups/*",
            ],
        ),
        allow("cloudwatch:PutMetricData", "*"),
        profile=True,
    )
    role(
        "app-role",
        ec2,
        allow(
            ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
            [
                "arn:aws:s3:::acme-customer-data",
                "arn:aws:s3:::acme-customer-data/*",
            ],
        ),
        allow(["kms:Decrypt", "kms:GenerateDataKey"], "*"),
        allow("rds-db:connect", f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:*/app"),
        profile=True,
    )
    role(
        "bastion-role",
        ec2,
        allow("sts:AssumeRole", role_arn("ops-role")),
        allow("ec2:Describe*", "*"),
        profile=True,
    )
    role(
        "ops-role",
        trust_role("bastion-role"),
        allow("sts:AssumeRole", role_arn("secrets-reader")),
        allow("ec2:*", "*"),
    )
    role(
        "secrets-reader",
        trust_role("ops-role"),
        allow(
            ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/*",
        ),
        allow("kms:Decrypt", "*"),
    )
    role(
        "ci-role",
        ec2,
        allow(["iam:PassRole", "ec2:RunInstances", "ec2:Describe*"], "*"),
        allow(["s3:PutObject", "s3:GetObject"], "arn:aws:s3:::acme-static-assets/*"),
        profile=True,
    )
    role("admin-role", ec2, profile=True)
    iam.attach_role_policy(RoleName="admin-role", PolicyArn=admin)
    role(
        "backup-role",
        trust_service("backup.amazonaws.com"),
        allow("s3:*", ["arn:aws:s3:::acme-backups", "arn:aws:s3:::acme-backups/*"]),
    )
    role(
        "resizer-role",
        trust_service("lambda.amazonaws.com"),
        allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::acme-static-assets/*"),
    )
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=admin)
    iam.create_group(GroupName="developers")
    iam.put_group_policy(
        GroupName="developers",
        PolicyName="read",
        PolicyDocument=doc(allow(["ec2:Describe*", "s3:List*", "logs:Get*"], "*")),
    )
    for user, group in (("alice", "admins"), ("bob", "developers"), ("carol", "developers")):
        iam.create_user(UserName=user)
        iam.add_user_to_group(GroupName=group, UserName=user)
        iam.create_login_profile(UserName=user, Password="Demo-only-Passw0rd!")
    iam.create_user(UserName="deploy-bot")
    iam.put_user_policy(
        UserName="deploy-bot",
        PolicyName="deploy",
        PolicyDocument=doc(allow(["s3:PutObject"], "arn:aws:s3:::acme-static-assets/*")),
    )
    iam.create_access_key(UserName="deploy-bot")


def _kms(kms: Any, ids: dict[str, str]) -> dict[str, str]:
    keys = {}
    for alias in ("customer-data", "secrets"):
        meta = kms.create_key(
            Description=f"acme {alias}", Tags=[{"TagKey": "app", "TagValue": "acme-shop"}]
        )["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/{alias}", TargetKeyId=meta["KeyId"])
        kms.enable_key_rotation(KeyId=meta["KeyId"])
        keys[alias] = meta["Arn"]
        ids[f"key:{alias}"] = meta["Arn"]
    return keys


def _sg(ec2: Any, vpc: str, name: str, rules: list[dict[str, Any]]) -> str:
    sg = ec2.create_security_group(GroupName=name, Description=f"{name} tier", VpcId=vpc)["GroupId"]
    if rules:
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=rules)
    return sg


def _port(port: int, *, cidr: str | None = None, group: str | None = None) -> dict[str, Any]:
    rule: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidr:
        rule["IpRanges"] = [{"CidrIp": cidr, "Description": "world"}]
    if group:
        rule["UserIdGroupPairs"] = [{"GroupId": group}]
    return rule


def _network_and_compute(ec2: Any, ids: dict[str, str]) -> None:
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[_tags("vpc", "acme-prod")])[
        "Vpc"
    ]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnets = {}
    for name, cidr, az in (
        ("public-a", "10.0.1.0/24", "a"),
        ("public-b", "10.0.2.0/24", "b"),
        ("app", "10.0.10.0/24", "a"),
        ("data-a", "10.0.20.0/24", "a"),
        ("data-b", "10.0.21.0/24", "b"),
        ("staging", "10.0.30.0/24", "a"),
    ):
        subnets[name] = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=cidr,
            AvailabilityZone=f"{REGION}{az}",
            TagSpecifications=[_tags("subnet", name)],
        )["Subnet"]["SubnetId"]
        ids[f"subnet:{name}"] = subnets[name]
    public_rt = ec2.create_route_table(
        VpcId=vpc, TagSpecifications=[_tags("route-table", "public")]
    )["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    staging_rt = ec2.create_route_table(
        VpcId=vpc, TagSpecifications=[_tags("route-table", "staging-no-internet")]
    )["RouteTable"]["RouteTableId"]
    for name in ("public-a", "public-b", "staging"):
        ec2.associate_route_table(
            RouteTableId=staging_rt if name == "staging" else public_rt, SubnetId=subnets[name]
        )
        ec2.modify_subnet_attribute(SubnetId=subnets[name], MapPublicIpOnLaunch={"Value": True})
    web = _sg(ec2, vpc, "web-sg", [_port(443, cidr="0.0.0.0/0"), _port(80, cidr="0.0.0.0/0")])
    bastion = _sg(ec2, vpc, "bastion-sg", [_port(22, cidr="0.0.0.0/0")])
    app = _sg(ec2, vpc, "app-sg", [_port(8080, group=web), _port(22, group=bastion)])
    db = _sg(ec2, vpc, "db-sg", [_port(5432, group=app)])
    legacy = _sg(ec2, vpc, "legacy-sg", [])
    staging = _sg(
        ec2, vpc, "staging-sg", [_port(22, cidr="0.0.0.0/0"), _port(443, cidr="0.0.0.0/0")]
    )
    ids.update(
        {
            "sg:web": web,
            "sg:bastion": bastion,
            "sg:app": app,
            "sg:db": db,
            "sg:legacy": legacy,
            "vpc": vpc,
        }
    )
    image = ec2.register_image(
        Name="acme-base-2025-10", RootDeviceName="/dev/sda1", Architecture="x86_64"
    )["ImageId"]
    for name, subnet, groups, profile, imds_v1, user_data in (
        ("web-1", "public-a", [web], "web-role", True, ""),
        ("bastion-1", "public-b", [bastion], "bastion-role", True, ""),
        ("ci-runner", "public-a", [web], "ci-role", False, CI_USER_DATA),
        ("app-1", "app", [app], "app-role", False, ""),
        ("legacy-ftp", "public-b", [legacy], None, True, ""),
        ("staging-web", "staging", [staging], "web-role", True, ""),
    ):
        kwargs: dict[str, Any] = {
            "ImageId": image,
            "MinCount": 1,
            "MaxCount": 1,
            "InstanceType": "t3.small",
            "SubnetId": subnets[subnet],
            "SecurityGroupIds": groups,
            "MetadataOptions": {
                "HttpTokens": "optional" if imds_v1 else "required",
                "HttpEndpoint": "enabled",
            },
            "TagSpecifications": [_tags("instance", name)],
        }
        if profile:
            kwargs["IamInstanceProfile"] = {"Name": profile}
        if user_data:
            kwargs["UserData"] = user_data
        ids[name] = ec2.run_instances(**kwargs)["Instances"][0]["InstanceId"]
    ids["subnet-group"] = ",".join((subnets["data-a"], subnets["data-b"]))


def _tags(resource: str, name: str) -> dict[str, Any]:
    return {
        "ResourceType": resource,
        "Tags": [{"Key": "Name", "Value": name}, {"Key": "app", "Value": "acme-shop"}],
    }


def _data(client: ClientFor, ids: dict[str, str], keys: dict[str, str]) -> None:
    s3 = client("s3", region_name=REGION)
    for bucket, purpose in (
        ("acme-app-logs", "logs"),
        ("acme-backups", "backups"),
        ("acme-customer-data", "customer-data"),
        ("acme-static-assets", "static-assets"),
    ):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_tagging(
            Bucket=bucket, Tagging={"TagSet": [{"Key": "purpose", "Value": purpose}]}
        )
        if bucket != "acme-static-assets":
            s3.put_public_access_block(
                Bucket=bucket,
                PublicAccessBlockConfiguration={
                    k: True
                    for k in (
                        "BlockPublicAcls",
                        "IgnorePublicAcls",
                        "BlockPublicPolicy",
                        "RestrictPublicBuckets",
                    )
                },
            )
    s3.put_bucket_tagging(
        Bucket="acme-customer-data",
        Tagging={
            "TagSet": [
                {"Key": "purpose", "Value": "customer-data"},
                {"Key": "data-classification", "Value": "pii"},
            ]
        },
    )
    s3.put_bucket_encryption(
        Bucket="acme-customer-data",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": keys["customer-data"],
                    }
                }
            ]
        },
    )
    s3.put_bucket_versioning(Bucket="acme-backups", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(
        Bucket="acme-backups",
        Policy=doc(
            {
                "Sid": "DenyWebTier",
                "Effect": "Deny",
                "Principal": {"AWS": role_arn("web-role")},
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::acme-backups", "arn:aws:s3:::acme-backups/*"],
            },
            {
                "Sid": "BackupService",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn("backup-role")},
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::acme-backups", "arn:aws:s3:::acme-backups/*"],
            },
        ),
    )
    s3.put_bucket_policy(
        Bucket="acme-static-assets",
        Policy=doc(
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::acme-static-assets/*",
            }
        ),
    )
    sm = client("secretsmanager", region_name=REGION)
    for name in ("prod/db-password", "prod/payments/stripe-api-key"):
        # Placeholder values: the collector never reads a secret's value.
        arn = sm.create_secret(
            Name=name, SecretString="demo-placeholder", KmsKeyId=keys["secrets"]
        )["ARN"]
        ids[f"secret:{name}"] = arn
    rds = client("rds", region_name=REGION)
    rds.create_db_subnet_group(
        DBSubnetGroupName="acme-data",
        DBSubnetGroupDescription="data tier",
        SubnetIds=ids["subnet-group"].split(","),
    )
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        MasterUsername="acme",
        MasterUserPassword="demo-placeholder",
        AllocatedStorage=50,
        DBSubnetGroupName="acme-data",
        VpcSecurityGroupIds=[ids["sg:db"]],
        PubliclyAccessible=False,
        StorageEncrypted=True,
        KmsKeyId=keys["customer-data"],
    )
    lam = client("lambda", region_name=REGION)
    lam.create_function(
        FunctionName="image-resizer",
        Runtime="python3.12",
        Role=role_arn("resizer-role"),
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
    )
    lam.create_function_url_config(FunctionName="image-resizer", AuthType="NONE")
    elbv2 = client("elbv2", region_name=REGION)
    lb = elbv2.create_load_balancer(
        Name="acme-web",
        Subnets=[ids["subnet:public-a"], ids["subnet:public-b"]],
        SecurityGroups=[ids["sg:web"]],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name="acme-web", Protocol="HTTP", Port=443, VpcId=ids["vpc"])[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": ids["web-1"]}])
    elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTPS",
        Port=443,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("handler.py", date_time=(2025, 10, 1, 0, 0, 0))
        zf.writestr(info, "def handler(event, context):\n    return {'statusCode': 200}\n")
    return buf.getvalue()
