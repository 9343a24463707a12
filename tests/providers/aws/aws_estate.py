"""A small, realistic AWS estate built with boto3 (in moto), shared by the AWS tests.

A public web instance (IGW route, MapPublicIpOnLaunch, SSH open to the world, IMDSv1, an
instance profile, user data with a planted AWS key) in front of a private RDS database reached
through a security-group reference; buckets, a KMS key, a secret, a Lambda with a public URL.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
PLANTED_KEY_ID = "AKIAQWERTYUIOPASDFGH"
PLANTED_SECRET = "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"
PLANTED_ENV_SECRET = "ghp_PLANTEDx0123456789abcdefghijklmnopqr"
USER_DATA = f"""#!/bin/bash
export AWS_ACCESS_KEY_ID={PLANTED_KEY_ID}
export AWS_SECRET_ACCESS_KEY="{PLANTED_SECRET}"
yum install -y nginx
"""
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
TRUST_LAMBDA = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}

ClientFor = Callable[..., Any]


@dataclass
class Estate:
    """Ids of what :func:`build_estate` made, for assertions."""

    vpc: str = ""
    igw: str = ""
    public_subnet: str = ""
    public_subnet_b: str = ""
    private_subnet: str = ""
    route_table: str = ""
    web_sg: str = ""
    db_sg: str = ""
    web: str = ""
    worker: str = ""
    volume: str = ""
    snapshot: str = ""
    key_id: str = ""
    key_arn: str = ""
    secret_arn: str = ""
    access_key_id: str = ""
    secret_access_key: str = ""
    lb_arn: str = ""
    function_arn: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def policy(actions: list[str], resources: list[str]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources}],
        }
    )


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return 'ok'\n")
    return buf.getvalue()


def build_estate(client: ClientFor) -> Estate:
    """Build the estate with ``client(service, region_name=...)`` (moto in-process or server)."""
    e = Estate()
    iam = client("iam", region_name=REGION)
    ec2 = client("ec2", region_name=REGION)
    # --- IAM
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=json.dumps(TRUST_EC2))
    iam.put_role_policy(
        RoleName="web-role",
        PolicyName="read-data",
        PolicyDocument=policy(["s3:GetObject"], ["arn:aws:s3:::acme-customer-data/*"]),
    )
    managed = iam.create_policy(
        PolicyName="secrets-read",
        PolicyDocument=policy(["secretsmanager:GetSecretValue"], ["*"]),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="web-role", PolicyArn=managed)
    iam.create_instance_profile(InstanceProfileName="web-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web-role")
    iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=json.dumps(TRUST_LAMBDA))
    iam.create_group(GroupName="admins")
    admin = iam.create_policy(PolicyName="admin-all", PolicyDocument=policy(["*"], ["*"]))
    iam.attach_group_policy(GroupName="admins", PolicyArn=admin["Policy"]["Arn"])
    iam.create_user(UserName="alice")
    iam.add_user_to_group(GroupName="admins", UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Passw0rd!Passw0rd!")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    e.access_key_id, e.secret_access_key = key["AccessKeyId"], key["SecretAccessKey"]
    iam.create_user(UserName="ci-bot")
    iam.put_user_policy(
        UserName="ci-bot", PolicyName="deploy", PolicyDocument=policy(["lambda:*"], ["*"])
    )
    # --- network
    e.vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    e.igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=e.igw, VpcId=e.vpc)
    e.public_subnet = ec2.create_subnet(
        VpcId=e.vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=f"{REGION}a"
    )["Subnet"]["SubnetId"]
    e.public_subnet_b = ec2.create_subnet(
        VpcId=e.vpc, CidrBlock="10.0.3.0/24", AvailabilityZone=f"{REGION}b"
    )["Subnet"]["SubnetId"]
    e.private_subnet = ec2.create_subnet(
        VpcId=e.vpc, CidrBlock="10.0.2.0/24", AvailabilityZone=f"{REGION}b"
    )["Subnet"]["SubnetId"]
    for subnet in (e.public_subnet, e.public_subnet_b):
        ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    e.route_table = ec2.create_route_table(VpcId=e.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=e.route_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=e.igw)
    for subnet in (e.public_subnet, e.public_subnet_b):
        ec2.associate_route_table(RouteTableId=e.route_table, SubnetId=subnet)
    e.web_sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=e.vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=e.web_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            },
        ],
    )
    e.db_sg = ec2.create_security_group(GroupName="db", Description="db", VpcId=e.vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=e.db_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": e.web_sg}],
            }
        ],
    )
    # --- compute
    image = ec2.register_image(Name="web-base", RootDeviceName="/dev/sda1", Architecture="x86_64")[
        "ImageId"
    ]
    e.web = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        SubnetId=e.public_subnet,
        SecurityGroupIds=[e.web_sg],
        IamInstanceProfile={"Name": "web-profile"},
        UserData=USER_DATA,
        MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
    )["Instances"][0]["InstanceId"]
    e.worker = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        SubnetId=e.private_subnet,
        SecurityGroupIds=[e.db_sg],
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
    )["Instances"][0]["InstanceId"]
    # --- KMS, EBS
    kms = client("kms", region_name=REGION)
    meta = kms.create_key(Description="customer data")["KeyMetadata"]
    e.key_id, e.key_arn = meta["KeyId"], meta["Arn"]
    kms.create_alias(AliasName="alias/customer-data", TargetKeyId=e.key_id)
    e.volume = ec2.create_volume(
        AvailabilityZone=f"{REGION}a", Size=8, Encrypted=True, KmsKeyId=e.key_arn
    )["VolumeId"]
    ec2.attach_volume(VolumeId=e.volume, InstanceId=e.web, Device="/dev/sdf")
    e.snapshot = ec2.create_snapshot(VolumeId=e.volume, Description="backup")["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=e.snapshot,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    # --- S3
    s3 = client("s3", region_name=REGION)
    s3.create_bucket(Bucket="acme-public-assets")
    s3.put_bucket_policy(
        Bucket="acme-public-assets",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::acme-public-assets/*",
                    }
                ],
            }
        ),
    )
    s3.create_bucket(Bucket="acme-customer-data")
    s3.put_bucket_policy(
        Bucket="acme-customer-data",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/web-role"},
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::acme-customer-data/*",
                    }
                ],
            }
        ),
    )
    s3.put_bucket_encryption(
        Bucket="acme-customer-data",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": e.key_arn,
                    }
                }
            ]
        },
    )
    s3.put_public_access_block(
        Bucket="acme-customer-data",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    # --- Secrets Manager
    sm = client("secretsmanager", region_name=REGION)
    e.secret_arn = sm.create_secret(
        Name="prod/db-password", SecretString="hunter2-PLANTED-secret-value", KmsKeyId=e.key_arn
    )["ARN"]
    sm.put_resource_policy(
        SecretId=e.secret_arn,
        ResourcePolicy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/web-role"},
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    # --- RDS
    rds = client("rds", region_name=REGION)
    rds.create_db_subnet_group(
        DBSubnetGroupName="db-subnets",
        DBSubnetGroupDescription="db",
        SubnetIds=[e.private_subnet, e.public_subnet],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="orders-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="Sup3rSecret!",
        AllocatedStorage=20,
        DBSubnetGroupName="db-subnets",
        VpcSecurityGroupIds=[e.db_sg],
        PubliclyAccessible=False,
        StorageEncrypted=True,
        KmsKeyId=e.key_arn,
    )
    # --- Lambda with a public URL
    lam = client("lambda", region_name=REGION)
    role_arn = iam.get_role(RoleName="lambda-role")["Role"]["Arn"]
    e.function_arn = lam.create_function(
        FunctionName="thumbnailer",
        Runtime="python3.12",
        Role=role_arn,
        Handler="handler.handler",
        Code={"ZipFile": _zip()},
        Environment={"Variables": {"GITHUB_TOKEN": PLANTED_ENV_SECRET, "STAGE": "prod"}},
    )["FunctionArn"]
    lam.create_function_url_config(FunctionName="thumbnailer", AuthType="NONE")
    # --- load balancer in front of web
    elbv2 = client("elbv2", region_name=REGION)
    e.lb_arn = elbv2.create_load_balancer(
        Name="web-alb",
        Subnets=[e.public_subnet, e.public_subnet_b],
        SecurityGroups=[e.web_sg],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=8080, VpcId=e.vpc)[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": e.web}])
    elbv2.create_listener(
        LoadBalancerArn=e.lb_arn,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    elb = client("elb", region_name=REGION)
    elb.create_load_balancer(
        LoadBalancerName="legacy-elb",
        Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 22, "InstancePort": 22}],
        Subnets=[e.public_subnet],
        SecurityGroups=[e.web_sg],
    )
    elb.register_instances_with_load_balancer(
        LoadBalancerName="legacy-elb", Instances=[{"InstanceId": e.web}]
    )
    return e
