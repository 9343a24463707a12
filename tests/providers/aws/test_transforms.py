"""Pure transforms: raw AWS response dicts → nodes, edges, documents. No SDK, no moto."""

from __future__ import annotations

import pytest

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial
from blastscope.providers.aws import ec2_firewall, ec2_instances, ec2_network, iam, kms, link, s3
from blastscope.providers.aws.common import MISSING, Ctx, policy_doc

CTX = Ctx(account="111122223333", region="eu-west-1")


def test_sg_rule_all_traffic_ipv6_and_sg_reference() -> None:
    rule = ec2_firewall.sg_rule(
        {
            "SecurityGroupRuleId": "sgr-1",
            "GroupId": "sg-a",
            "IsEgress": False,
            "IpProtocol": "-1",
            "FromPort": -1,
            "ToPort": -1,
            "ReferencedGroupInfo": {"GroupId": "sg-b", "UserId": "444455556666"},
        },
        CTX,
        {},
    )
    assert rule == {
        "id": "sgr-1",
        "direction": "ingress",
        "action": "allow",
        "priority": None,
        "protocol": "all",
        "from_port": None,
        "to_port": None,
        "sources": [{"firewall": "arn:aws:ec2:eu-west-1:444455556666:security-group/sg-b"}],
        "targets": None,
        "description": "",
    }


def test_sg_rule_prefix_list_carries_its_cidrs_or_null() -> None:
    raw = {
        "SecurityGroupRuleId": "sgr-2",
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "PrefixListId": "pl-1",
        "IsEgress": True,
    }
    known = ec2_firewall.sg_rule(raw, CTX, {"pl-1": [{"Cidr": "10.0.0.0/8"}]})
    assert known["sources"] == [{"prefix_list": "pl-1", "cidrs": ["10.0.0.0/8"]}]
    assert known["direction"] == "egress" and (known["from_port"], known["to_port"]) == (443, 443)
    unknown = ec2_firewall.sg_rule(raw, CTX, {"pl-1": MISSING})
    assert unknown["sources"] == [{"prefix_list": "pl-1", "cidrs": None}]


@pytest.mark.parametrize(
    ("protocol", "ports", "expected"),
    [
        ("6", {"From": 22, "To": 22}, ("tcp", 22, 22)),
        ("-1", None, ("all", None, None)),
        ("17", {"From": 53, "To": 53}, ("udp", 53, 53)),
        ("50", None, ("50", None, None)),
    ],
)
def test_nacl_rules_are_prioritised_allow_or_deny(protocol, ports, expected) -> None:  # type: ignore[no-untyped-def]
    entry = {
        "RuleNumber": 90,
        "Protocol": protocol,
        "RuleAction": "deny",
        "Egress": False,
        "CidrBlock": "0.0.0.0/0",
    }
    if ports:
        entry["PortRange"] = ports
    part = ec2_network.transform_network(
        {"NetworkAcls": [{"NetworkAclId": "acl-1", "VpcId": "vpc-1", "Entries": [entry]}]}, CTX
    )
    (rule,) = part.nodes[0].props["rules"]
    assert (rule["protocol"], rule["from_port"], rule["to_port"]) == expected
    assert rule["action"] == "deny" and rule["priority"] == 90 and rule["id"] == "90"


def test_subnet_uses_the_main_table_unless_explicitly_associated() -> None:
    raw = {
        "Subnets": [
            {"SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.0.1.0/24"},
            {"SubnetId": "subnet-2", "VpcId": "vpc-1", "CidrBlock": "10.0.2.0/24"},
        ],
        "RouteTables": [
            {
                "RouteTableId": "rtb-main",
                "VpcId": "vpc-1",
                "Associations": [{"Main": True}],
                "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"}],
            },
            {
                "RouteTableId": "rtb-pub",
                "VpcId": "vpc-1",
                "Associations": [{"Main": False, "SubnetId": "subnet-1"}],
                "Routes": [
                    {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"},
                    {"DestinationIpv6CidrBlock": "::/0", "EgressOnlyInternetGatewayId": "eigw-1"},
                    {"DestinationPrefixListId": "pl-9", "GatewayId": "vpce-1"},
                    {
                        "DestinationCidrBlock": "10.8.0.0/16",
                        "NatGatewayId": "nat-1",
                        "State": "blackhole",
                    },
                ],
            },
        ],
        "NetworkAcls": [],
    }
    part = ec2_network.transform_network(raw, CTX)
    nodes = {n.id: n for n in part.nodes}
    sub1 = nodes[CTX.ec2_arn("subnet", "subnet-1")]
    sub2 = nodes[CTX.ec2_arn("subnet", "subnet-2")]
    assert sub1.props["route_table"] == CTX.ec2_arn("route-table", "rtb-pub")
    assert sub2.props["route_table"] == CTX.ec2_arn("route-table", "rtb-main")
    assert sub1.props["network_acl"] is None
    via = {(e.src, e.props["main"]) for e in part.edges if e.kind == EdgeKind.ROUTES_VIA}
    assert via == {(sub1.id, False), (sub2.id, True)}
    routes = nodes[CTX.ec2_arn("route-table", "rtb-pub")].props["routes"]
    assert [(r["target_kind"], r["state"]) for r in routes] == [
        ("internet_gateway", "active"),
        ("other", "active"),
        ("other", "active"),
        ("nat_gateway", "blackhole"),
    ]
    assert routes[2]["destination"] == "pl-9"


def test_unreadable_route_tables_make_the_subnet_route_unknown() -> None:
    raw = {
        "Subnets": [{"SubnetId": "subnet-1", "VpcId": "vpc-1", "CidrBlock": "10.0.0.0/24"}],
        "RouteTables": MISSING,
        "NetworkAcls": MISSING,
        "SecurityGroups": MISSING,
    }
    (subnet,) = [n for n in ec2_network.transform_network(raw, CTX).nodes]
    assert subnet.props["route_table"] is None and subnet.props["network_acl"] is None
    assert subnet.props["unknown"] == ["network_acl", "route_table"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"HttpTokens": "optional", "HttpEndpoint": "enabled"}, True),
        ({"HttpTokens": "required", "HttpEndpoint": "enabled"}, False),
        ({"HttpTokens": "optional", "HttpEndpoint": "disabled"}, False),
        (None, None),
    ],
)
def test_imds_v1(options, expected) -> None:  # type: ignore[no-untyped-def]
    assert ec2_instances.imds_v1(options) is expected


def test_instance_public_ips_from_enis_and_eips_and_unknown_user_data() -> None:
    raw = {
        "Instances": [
            {
                "InstanceId": "i-1",
                "SubnetId": "subnet-1",
                "VpcId": "vpc-1",
                "ImageId": "ami-1",
                "State": {"Name": "running"},
                "SecurityGroups": [{"GroupId": "sg-1"}],
            }
        ],
        "NetworkInterfaces": [
            {
                "Attachment": {"InstanceId": "i-1"},
                "Groups": [{"GroupId": "sg-2"}],
                "PrivateIpAddresses": [{"Association": {"PublicIp": "3.3.3.3"}}],
            }
        ],
        "Addresses": [{"InstanceId": "i-1", "PublicIp": "4.4.4.4"}],
        "ImageCreated": {"ami-1": MISSING},
        "UserDataFindings": {"i-1": MISSING},
    }
    part = ec2_instances.transform_instances(raw, CTX)
    (inst,) = part.nodes
    assert inst.props["public_ips"] == ["3.3.3.3", "4.4.4.4"]
    assert inst.props["unknown"] == ["image_created", "user_data_findings"]
    assert inst.props["user_data_findings"] is None
    fws = {e.dst for e in part.edges if e.kind == EdgeKind.PROTECTED_BY}
    assert fws == {CTX.ec2_arn("security-group", "sg-1"), CTX.ec2_arn("security-group", "sg-2")}


def test_iam_documents_and_names_when_moto_omits_policy_name() -> None:
    role = "arn:aws:iam::111122223333:role/app"
    details = {
        "UserDetailList": [
            {
                "Arn": "arn:aws:iam::111122223333:user/bob",
                "UserName": "bob",
                "GroupList": ["devs"],
                "PermissionsBoundary": {
                    "PermissionsBoundaryArn": "arn:aws:iam::aws:policy/PowerUserAccess"
                },
                "UserPolicyList": [
                    {"PolicyName": "p", "PolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%7D"}
                ],
            }
        ],
        "GroupDetailList": [
            {"Arn": "arn:aws:iam::111122223333:group/team/devs", "GroupName": "devs"}
        ],
        "RoleDetailList": [
            {
                "Arn": role,
                "RoleName": "app",
                "AssumeRolePolicyDocument": {"Statement": []},
                "InstanceProfileList": [{"Arn": "arn:aws:iam::111122223333:instance-profile/app"}],
            }
        ],
        "Policies": [
            {
                "Arn": "arn:aws:iam::aws:policy/PowerUserAccess",
                "DefaultVersionId": "v3",
                "PolicyVersionList": [
                    {"VersionId": "v2", "IsDefaultVersion": False, "Document": {"old": 1}},
                    {"VersionId": "v3", "IsDefaultVersion": True, "Document": {"new": 1}},
                ],
            }
        ],
    }
    part = iam.transform_authorization_details(details, CTX)
    nodes = {n.id: n for n in part.nodes}
    policy = nodes["arn:aws:iam::aws:policy/PowerUserAccess"]
    assert policy.name == "PowerUserAccess" and policy.props["aws_managed"] is True
    assert part.documents["arn:aws:iam::aws:policy/PowerUserAccess"] == {"new": 1}
    assert part.documents["arn:aws:iam::111122223333:user/bob#inline/p"] == {
        "Version": "2012-10-17"
    }
    assert part.documents[f"{role}#trust"] == {"Statement": []}
    bob = nodes["arn:aws:iam::111122223333:user/bob"]
    assert bob.props["permissions_boundary"] == "arn:aws:iam::aws:policy/PowerUserAccess"
    assert (
        Edge(bob.id, "arn:aws:iam::111122223333:group/team/devs", EdgeKind.MEMBER_OF) in part.edges
    )
    assert nodes[role].props["instance_profiles"] == [
        "arn:aws:iam::111122223333:instance-profile/app"
    ]


def test_credentials_never_keep_a_key_and_failures_are_unknown() -> None:
    record = {
        "User": {"Arn": "arn:aws:iam::1:user/x", "UserName": "x"},
        "AccessKeys": [
            {"AccessKeyId": "AKIAABCDEFGHIJKLMNOP", "Status": "Active", "LastUsed": MISSING}
        ],
        "MFADevices": MISSING,
        "LoginProfile": None,
    }
    (user,) = iam.transform_user_credentials([record], CTX).nodes
    assert user.props["access_keys"] == [
        {"id_suffix": "MNOP", "status": "Active", "created": None, "last_used": None}
    ]
    assert user.props["mfa"] is None and user.props["console"] is False
    assert user.props["unknown"] == ["access_keys.last_used", "mfa"]


@pytest.mark.parametrize(
    ("policy", "grants", "pab", "expected"),
    [
        (
            '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}',
            [],
            None,
            True,
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:*",'
            ' "Condition": {"IpAddress": {}}}]}',
            [],
            None,
            False,
        ),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*"}]}',
            [],
            {"RestrictPublicBuckets": True},
            False,
        ),
        (
            None,
            [
                {
                    "Grantee": {"URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                    "Permission": "READ",
                }
            ],
            None,
            True,
        ),
        (
            None,
            [{"Grantee": {"URI": "http://acs.amazonaws.com/groups/global/AllUsers"}}],
            {"IgnorePublicAcls": True},
            False,
        ),
        (MISSING, [], None, None),
        (
            '{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*"}]}',
            [],
            MISSING,
            None,
        ),
    ],
)
def test_bucket_public(policy, grants, pab, expected) -> None:  # type: ignore[no-untyped-def]
    assert s3.is_public(policy, grants, pab, None) is expected


def test_key_refs_and_unparseable_policy_kept_as_text() -> None:
    assert kms.key_ref("1234", CTX) == "arn:aws:kms:eu-west-1:111122223333:key/1234"
    assert kms.key_ref("alias/x", CTX) == "arn:aws:kms:eu-west-1:111122223333:alias/x"
    assert policy_doc("{not json") == "{not json"


def test_link_resolves_profiles_and_aliases_and_stubs_dangling_ends() -> None:
    inst = CTX.ec2_arn("instance", "i-1")
    key = "arn:aws:kms:eu-west-1:111122223333:key/k1"
    alias = "arn:aws:kms:eu-west-1:111122223333:alias/data"
    parts = [
        Partial(
            nodes=[
                Node(
                    inst,
                    NodeKind.INSTANCE,
                    "i-1",
                    "aws",
                    props={
                        "instance_profile": "arn:aws:iam::111122223333:instance-profile/p",
                        "unknown": ["a"],
                    },
                )
            ],
            edges=[
                Edge(inst, CTX.ec2_arn("security-group", "sg-9"), EdgeKind.PROTECTED_BY),
                Edge("arn:aws:s3:::b", alias, EdgeKind.ENCRYPTED_BY),
                Edge(
                    "arn:aws:s3:::b", "arn:aws:kms:eu-west-1:1:alias/aws/s3", EdgeKind.ENCRYPTED_BY
                ),
            ],
        ),
        Partial(
            nodes=[
                Node(
                    "arn:aws:iam::111122223333:role/r",
                    NodeKind.ROLE,
                    "r",
                    "aws",
                    props={"instance_profiles": ["arn:aws:iam::111122223333:instance-profile/p"]},
                ),
                Node(key, NodeKind.KEY, "data", "aws", props={"aliases": [alias]}),
                Node("arn:aws:s3:::b", NodeKind.BUCKET, "b", "aws"),
                Node(inst, NodeKind.INSTANCE, "i-1", "aws", props={"unknown": ["b"]}),
            ]
        ),
    ]
    extra = link.link(parts)
    assert (
        Edge(
            inst,
            "arn:aws:iam::111122223333:role/r",
            EdgeKind.RUNS_AS,
            {"via": "arn:aws:iam::111122223333:instance-profile/p"},
        )
        in extra.edges
    )
    assert [e.dst for e in parts[0].edges if e.kind == EdgeKind.ENCRYPTED_BY] == [key]
    (stub,) = extra.nodes
    assert stub.kind == NodeKind.FIREWALL and stub.props["unknown"] == ["*"]
    assert [n.props["unknown"] for p in parts for n in p.nodes if n.id == inst] == [["a", "b"]] * 2
