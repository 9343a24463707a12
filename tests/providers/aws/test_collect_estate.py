"""The AWS collector against a realistic estate in moto: what lands in the snapshot."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_estate import (
    ACCOUNT,
    PLANTED_ENV_SECRET,
    PLANTED_KEY_ID,
    PLANTED_SECRET,
    REGION,
    Estate,
    build_estate,
)
from botocore.awsrequest import AWSResponse
from conftest import only, provider, set_aws_env
from moto import mock_aws

import blastscope.providers.aws as aws_package
from blastscope.graph.model import Snapshot, load_snapshot, save_snapshot
from blastscope.providers.base import Scope


@dataclass
class Collected:
    estate: Estate
    snap: Snapshot
    calls: Counter[tuple[str, str]]


@pytest.fixture(scope="module")
def collected() -> Iterator[Collected]:
    """Build the estate and collect it once for the read-only tests of this module; every
    API operation the collector calls is recorded (botocore ``before-call``)."""
    calls: Counter[tuple[str, str]] = Counter()
    lock = threading.Lock()

    def record(model: Any, **_kw: Any) -> None:
        with lock:
            calls[(model.service_model.service_name, model.name)] += 1

    with pytest.MonkeyPatch.context() as mp:
        set_aws_env(mp)
        with mock_aws():
            estate = build_estate(boto3.client)
            session = boto3.session.Session(region_name=REGION)
            session.events.register("before-call", record)
            snap = provider(session).collect(Scope())
    yield Collected(estate, snap, calls)


PERMISSIONS = Path(aws_package.__file__).parent / "PERMISSIONS.md"


def arn(kind: str, native: str) -> str:
    return f"arn:aws:ec2:{REGION}:{ACCOUNT}:{kind}/{native}"


def edges(snap: Snapshot, kind: str) -> set[tuple[str, str]]:
    return {(e.src, e.dst) for e in snap.edges if e.kind == kind}


def test_estate_nodes_edges_and_documents(collected: Collected) -> None:
    estate, snap = collected.estate, collected.snap
    nodes = snap.node_index()
    assert snap.provider == "aws" and not snap.partial
    assert snap.scope["account"] == ACCOUNT and snap.scope["regions"] == [REGION]
    assert snap.warnings == ()

    web = nodes[arn("instance", estate.web)]
    assert web.kind == "instance" and web.name == "web"
    assert web.props["imds_v1"] is True
    assert len(web.props["public_ips"]) == 1
    assert web.props["instance_profile"].endswith(":instance-profile/web-profile")
    assert web.props["image_created"]
    worker = nodes[arn("instance", estate.worker)]
    assert worker.props["imds_v1"] is False and worker.props["public_ips"] == []

    role = f"arn:aws:iam::{ACCOUNT}:role/web-role"
    assert (web.id, role) in edges(snap, "runs_as")
    assert (web.id, arn("subnet", estate.public_subnet)) in edges(snap, "in_subnet")
    assert (web.id, arn("security-group", estate.web_sg)) in edges(snap, "protected_by")
    assert (arn("volume", estate.volume), web.id) in edges(snap, "attached_to")
    assert (arn("volume", estate.volume), estate.key_arn) in edges(snap, "encrypted_by")

    # Security groups in MODEL.md's firewall-rule shape, SG-to-SG references resolved to ids.
    web_rules = nodes[arn("security-group", estate.web_sg)].props["rules"]
    ssh = [r for r in web_rules if r["direction"] == "ingress" and r["from_port"] == 22]
    assert ssh and ssh[0]["sources"] == [{"cidr": "0.0.0.0/0"}]
    assert ssh[0]["protocol"] == "tcp" and ssh[0]["to_port"] == 22 and ssh[0]["action"] == "allow"
    assert re.match(r"sgr-", ssh[0]["id"])
    assert any({"cidr": "::/0"} in r["sources"] for r in web_rules)
    db_rules = nodes[arn("security-group", estate.db_sg)].props["rules"]
    assert {"firewall": arn("security-group", estate.web_sg)} in [
        s for r in db_rules if r["direction"] == "ingress" for s in r["sources"]
    ]

    # Routing: the public subnet routes 0.0.0.0/0 to the internet gateway.
    subnet = nodes[arn("subnet", estate.public_subnet)]
    assert subnet.props["map_public_ip"] is True
    assert subnet.props["route_table"] == arn("route-table", estate.route_table)
    assert (subnet.id, subnet.props["route_table"]) in edges(snap, "routes_via")
    routes = nodes[subnet.props["route_table"]].props["routes"]
    assert {
        "destination": "0.0.0.0/0",
        "target": arn("internet-gateway", estate.igw),
        "target_kind": "internet_gateway",
        "state": "active",
    } in routes
    assert nodes[arn("internet-gateway", estate.igw)].props["attached_network"] == arn(
        "vpc", estate.vpc
    )
    private = nodes[arn("subnet", estate.private_subnet)]
    assert (private.id, private.props["route_table"]) in edges(snap, "routes_via")
    acl = nodes[private.props["network_acl"]]
    assert acl.kind == "network_acl" and any(r["action"] == "deny" for r in acl.props["rules"])

    # IAM documents keyed as MODEL.md says.
    docs = snap.documents
    assert docs[f"{role}#trust"]["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert docs[f"{role}#inline/read-data"]["Statement"][0]["Action"] == ["s3:GetObject"]
    managed = f"arn:aws:iam::{ACCOUNT}:policy/secrets-read"
    assert nodes[managed].props["document"] == managed and managed in docs
    assert (role, managed) in edges(snap, "has_policy")
    alice = nodes[f"arn:aws:iam::{ACCOUNT}:user/alice"]
    assert (alice.id, f"arn:aws:iam::{ACCOUNT}:group/admins") in edges(snap, "member_of")
    assert alice.props["console"] is True and alice.props["mfa"] is False
    assert [k["id_suffix"] for k in alice.props["access_keys"]] == [estate.access_key_id[-4:]]
    assert nodes[f"arn:aws:iam::{ACCOUNT}:user/ci-bot"].props["inline_policies"] == [
        f"arn:aws:iam::{ACCOUNT}:user/ci-bot#inline/deploy"
    ]

    # Data stores.
    public = nodes["arn:aws:s3:::acme-public-assets"]
    private_bucket = nodes["arn:aws:s3:::acme-customer-data"]
    assert public.props["public"] is True and private_bucket.props["public"] is False
    assert private_bucket.props["encryption"] == "aws:kms"
    assert docs[private_bucket.props["policy"]]["Statement"][0]["Effect"] == "Allow"
    assert (private_bucket.id, estate.key_arn) in edges(snap, "encrypted_by")
    key = nodes[estate.key_arn]
    assert key.props["key_manager"] == "CUSTOMER" and key.props["policy"] in docs
    assert key.name == "customer-data"
    secret = nodes[estate.secret_arn]
    assert secret.props["policy"] == f"{estate.secret_arn}#policy"
    assert (secret.id, estate.key_arn) in edges(snap, "encrypted_by")
    db = nodes[f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders-db"]
    assert db.props["public"] is False and db.props["encrypted"] is True
    assert (db.id, arn("security-group", estate.db_sg)) in edges(snap, "protected_by")
    snapshot = nodes[f"arn:aws:ec2:{REGION}::snapshot/{estate.snapshot}"]
    assert snapshot.props["public"] is True and snapshot.props["encrypted"] is True
    fn = nodes[estate.function_arn]
    assert fn.props["url_auth"] == "NONE" and fn.props["runtime"] == "python3.12"
    assert (fn.id, f"arn:aws:iam::{ACCOUNT}:role/lambda-role") in edges(snap, "runs_as")
    lb = nodes[estate.lb_arn]
    assert lb.props["public"] is True and lb.props["listeners"] == [
        {"port": 80, "protocol": "HTTP"}
    ]
    assert (lb.id, web.id) in edges(snap, "forwards_to")
    classic = nodes[f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/legacy-elb"]
    assert classic.props["public"] is True and classic.props["type"] == "classic"
    assert classic.props["listeners"] == [{"port": 22, "protocol": "TCP"}]
    assert (classic.id, web.id) in edges(snap, "forwards_to")
    assert (classic.id, arn("security-group", estate.web_sg)) in edges(snap, "protected_by")

    # Secrets found in user data / env are nodes the workload contains; values never kept.
    found = {
        nodes[dst].props["finding"]["type"]
        for _, dst in edges(snap, "contains")
        if nodes[dst].kind == "secret"
    }
    assert {"AWS Access Key", "GitHub Token"} <= found
    assert any(f["type"] == "AWS Access Key" for f in web.props["user_data_findings"])
    account = nodes[f"aws:account/{ACCOUNT}"]
    assert account.kind == "account" and "cloudtrail" in account.props["logging"]


def test_no_secret_value_reaches_the_snapshot(collected: Collected, tmp_path: Any) -> None:
    estate, snap = collected.estate, collected.snap
    text = save_snapshot(snap, tmp_path / "s.json").read_text()
    for planted in (
        PLANTED_KEY_ID,
        PLANTED_SECRET,
        PLANTED_ENV_SECRET,
        estate.secret_access_key,
        "hunter2-PLANTED-secret-value",
        "Sup3rSecret!",
        "Passw0rd!Passw0rd!",
    ):
        assert planted not in text
    assert load_snapshot(tmp_path / "s.json").nodes == snap.nodes


FORBIDDEN = {
    ("secretsmanager", "GetSecretValue"),
    ("s3", "GetObject"),
    ("ssm", "GetParameter"),
    ("ssm", "GetParameters"),
    ("kms", "Decrypt"),
    ("lambda", "GetFunction"),
}
READ = re.compile(r"^(Describe|List|Get)[A-Z]")


def test_collector_calls_only_read_operations(collected: Collected) -> None:
    calls = collected.calls
    assert calls, "the recorder saw nothing"
    assert ("sts", "GetCallerIdentity") in calls
    bad = {op for op in calls if not READ.match(op[1]) or op in FORBIDDEN}
    assert bad == set(), f"non-read operations called: {sorted(bad)}"
    # Every operation is documented with its permission in providers/aws/PERMISSIONS.md.
    doc = PERMISSIONS.read_text()
    rows = [line.split("|") for line in doc.splitlines() if line.startswith("| `")]
    names = {row[1].split("`")[1]: row[2] for row in rows}
    undocumented = {
        (service, op)
        for service, op in calls
        if not re.search(rf"\b{op}\b", names.get(service, ""))
    }
    assert undocumented == set()
    # Everything the snapshot needs is read by these services:
    services = {service for service, _ in calls}
    assert services >= {"iam", "ec2", "s3", "kms", "secretsmanager", "rds", "lambda", "elbv2"}


def test_every_list_paginates(moto: None) -> None:
    sm = boto3.client("secretsmanager", region_name=REGION)
    for i in range(105):  # moto pages ListSecrets at 100
        sm.create_secret(Name=f"app/secret-{i:03}", SecretString="x")
    calls: list[str] = []
    session = boto3.session.Session(region_name=REGION)
    session.events.register("before-call.secretsmanager.ListSecrets", lambda **_k: calls.append(1))
    snap = provider(session, services=only("secretsmanager")).collect(Scope())
    assert len(calls) == 2, "ListSecrets must follow NextToken"
    assert sum(1 for n in snap.nodes if n.kind == "secret") == 105


def test_empty_account_and_empty_region(moto: None) -> None:
    snap = provider().collect(Scope(regions=("eu-west-3",)))
    assert snap.warnings == () and not snap.partial
    kinds = Counter(str(n.kind) for n in snap.nodes)
    assert kinds["account"] == 1 and kinds["instance"] == 0 and kinds["bucket"] == 0
    assert kinds["network"] == 1  # moto's default VPC; nothing else in the region
    assert all(n.region in ("", "eu-west-3") for n in snap.nodes)


def test_two_regions_collected_concurrently(moto: None) -> None:
    boto3.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.8.0.0/16")
    boto3.client("ec2", region_name="eu-west-1").create_vpc(CidrBlock="10.9.0.0/16")
    snap = provider(services=only("ec2-network", "kms")).collect(
        Scope(regions=(REGION, "eu-west-1"))
    )
    regions = {n.region for n in snap.nodes if n.kind == "network"}
    assert regions == {REGION, "eu-west-1"}
    assert snap.scope["regions"] == [REGION, "eu-west-1"]


def test_all_regions_means_the_enabled_ones(moto: None) -> None:
    """``all`` is what DescribeRegions answers (here an account with two regions enabled)."""
    seen: list[str] = []
    session = boto3.session.Session(region_name=REGION)
    enabled = {"Regions": [{"RegionName": "eu-west-1"}, {"RegionName": "us-east-1"}]}
    ok = AWSResponse("https://ec2", 200, {}, None)
    session.events.register("before-call.ec2.DescribeRegions", lambda **_k: (ok, enabled))
    session.events.register(
        "before-send.ec2.DescribeVpcs",
        lambda request, **_k: seen.append(request.url.split(".")[1]),
    )
    snap = provider(session, services=only("ec2-network")).collect(Scope(regions=("all",)))
    assert snap.scope["regions"] == ["eu-west-1", "us-east-1"]
    assert sorted(seen) == ["eu-west-1", "us-east-1"]
    assert snap.warnings == ()


def test_snapshot_round_trips_and_json_is_plain(collected: Collected, tmp_path: Any) -> None:
    snap = collected.snap
    path = save_snapshot(snap, tmp_path / "s.json.gz")
    again = load_snapshot(path)
    assert json.dumps(again.to_dict(), sort_keys=True) == json.dumps(
        json.loads(json.dumps(snap.to_dict(), default=str)), sort_keys=True
    )


def test_organization_scps_by_level(moto: None) -> None:
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    deny = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"}],
    }
    scp = org.create_policy(
        Content=json.dumps(deny),
        Description="no deletes",
        Name="no-deletes",
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]
    org.attach_policy(PolicyId=scp["Id"], TargetId=ACCOUNT)
    snap = provider(services=only("account")).collect(Scope())
    account = snap.node_index()[f"aws:account/{ACCOUNT}"]
    root_level, account_level = account.props["scp_levels"]
    assert scp["Arn"] in account_level and scp["Arn"] not in root_level
    assert root_level and set(account.props["scps"]) == set(root_level) | set(account_level)
    assert snap.documents[scp["Arn"]] == deny
    assert account.props["parent"].startswith("r-")


def test_no_organization_means_no_scps(moto: None) -> None:
    snap = provider(services=only("account")).collect(Scope())
    account = snap.node_index()[f"aws:account/{ACCOUNT}"]
    assert account.props["scps"] == [] and account.props["parent"] is None
    assert snap.warnings == ()


def test_a_bucket_is_read_in_its_own_region(moto: None) -> None:
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(
        Bucket="acme-eu-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    s3.put_bucket_policy(
        Bucket="acme-eu-logs",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:DeleteObject",
                        "Resource": "arn:aws:s3:::acme-eu-logs/*",
                    }
                ],
            }
        ),
    )
    hosts: list[str] = []
    session = boto3.session.Session(region_name=REGION)
    session.events.register(
        "before-send.s3.GetBucketPolicy", lambda request, **_k: hosts.append(request.url)
    )
    snap = provider(session, services=only("s3")).collect(Scope())
    bucket = snap.node_index()["arn:aws:s3:::acme-eu-logs"]
    assert bucket.region == "eu-west-1" and bucket.props["public"] is False
    assert snap.documents[bucket.props["policy"]]["Statement"][0]["Effect"] == "Deny"
    assert len(hosts) == 1 and "eu-west-1" in hosts[0]
