"""When AWS misbehaves: denied, throttled, failing, hanging, expired — what the snapshot says."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_estate import ACCOUNT, REGION
from botocore.awsrequest import AWSResponse
from conftest import FAST, Injector, aws_error, inject, only, provider
from moto.core import set_initial_no_auth_action_count

from blastscope.graph.errors import CloudError, InputError
from blastscope.providers.aws.collector import AwsProvider, default_session
from blastscope.providers.aws.session import ClientSettings
from blastscope.providers.base import CollectionAborted, Scope


def session() -> boto3.session.Session:
    return boto3.session.Session(region_name=REGION)


def kinds(snap: Any) -> set[str]:
    return {str(n.kind) for n in snap.nodes}


def test_access_denied_on_one_service_is_a_warning_and_the_rest_is_read(moto: None) -> None:
    """Moto enforcing IAM gives the real AccessDenied for a principal denied rds:*."""

    @set_initial_no_auth_action_count(4)
    def run() -> Any:
        iam = boto3.client("iam", region_name=REGION)
        iam.create_user(UserName="auditor")
        iam.put_user_policy(
            UserName="auditor",
            PolicyName="audit",
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "*", "Resource": "*"},
                        {"Effect": "Deny", "Action": "rds:*", "Resource": "*"},
                    ],
                }
            ),
        )
        key = iam.create_access_key(UserName="auditor")["AccessKey"]
        boto3.client("ec2", region_name=REGION).create_vpc(CidrBlock="10.1.0.0/16")
        auditor = boto3.session.Session(
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
            region_name=REGION,
        )
        return provider(auditor, services=only("iam", "ec2-network", "rds", "lambda")).collect(
            Scope()
        )

    snap = run()
    denied = {(w.service, w.region) for w in snap.warnings if w.error == "AccessDenied"}
    assert ("rds", REGION) in denied
    # Moto 5.2 miscomputes Lambda's signature when it enforces IAM (403 SignatureDoesNotMatch
    # on ListFunctions): a moto quirk, reported the same way. Nothing else may be denied.
    assert denied <= {("rds", REGION), ("lambda", REGION)}
    assert not snap.partial
    assert {"identity", "network"} <= kinds(snap)
    assert any(n.kind == "network" and "10.1.0.0/16" in n.props["cidrs"] for n in snap.nodes)


def test_a_throttled_call_is_retried_not_skipped(moto: None, quick_backoff: None) -> None:
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    s = session()
    throttle = inject(
        s, "kms.ListKeys", Injector(aws_error(400, "ThrottlingException", protocol="json"), times=2)
    )
    snap = provider(s, services=only("kms")).collect(Scope())
    assert throttle.attempts == 3
    assert snap.warnings == ()
    assert key in snap.node_index()


def launch(count: int = 1) -> list[str]:
    ec2 = boto3.client("ec2", region_name=REGION)
    image = ec2.register_image(Name="base", RootDeviceName="/dev/sda1")["ImageId"]
    answer = ec2.run_instances(ImageId=image, MinCount=count, MaxCount=count)
    return [i["InstanceId"] for i in answer["Instances"]]


def test_ec2_request_limit_storm_then_success(moto: None, quick_backoff: None) -> None:
    launch(2)
    s = session()
    storm = inject(
        s,
        "ec2.DescribeInstances",
        Injector(aws_error(503, "RequestLimitExceeded", protocol="ec2"), times=3),
    )
    settings = ClientSettings(max_attempts=5, rates={"*": (1e6, 1e6)})
    snap = provider(s, settings=settings, services=only("ec2-instances")).collect(Scope())
    assert storm.attempts == 4 and snap.warnings == ()
    assert sum(1 for n in snap.nodes if n.kind == "instance") == 2


def test_persistent_throttling_marks_the_slice_and_the_run_finishes(
    moto: None, quick_backoff: None
) -> None:
    launch(1)
    boto3.client("kms", region_name=REGION).create_key()
    s = session()
    always = inject(
        s, "ec2.DescribeInstances", Injector(aws_error(503, "RequestLimitExceeded", protocol="ec2"))
    )
    snap = provider(s, services=only("ec2-instances", "ebs", "kms")).collect(Scope())
    assert always.attempts == FAST.max_attempts  # bounded: gave up after max_attempts
    assert [(w.service, w.error) for w in snap.warnings] == [("ec2-instances", "Throttling")]
    # Volumes still name the instances they are attached to: stubs, marked unknown.
    instances = [n for n in snap.nodes if n.kind == "instance"]
    assert instances and all(n.props["stub"] and n.props["unknown"] == ["*"] for n in instances)
    assert {"disk", "key"} <= kinds(snap)


def test_server_error_on_one_service_is_a_warning(moto: None, quick_backoff: None) -> None:
    launch(1)
    s = session()
    inject(
        s, "rds.DescribeDBInstances", Injector(aws_error(500, "InternalFailure", protocol="query"))
    )
    snap = provider(s, services=only("rds", "ec2-instances")).collect(Scope())
    assert [(w.service, w.error) for w in snap.warnings] == [("rds", "ServerError")]
    assert "database" not in kinds(snap) and "instance" in kinds(snap)


def test_a_policy_that_cannot_be_read_is_unknown_not_absent(moto: None) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    for name in ("acme-public-assets", "acme-customer-data"):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_policy(
            Bucket=name,
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": "*",
                            "Action": "s3:GetObject",
                            "Resource": f"arn:aws:s3:::{name}/*",
                        }
                    ],
                }
            ),
        )
    s = session()
    inject(
        s,
        "s3.GetBucketPolicy",
        Injector(
            aws_error(403, "AccessDenied", protocol="s3"),
            when=lambda request: "acme-public-assets" in request.url,
        ),
    )
    snap = provider(s, services=only("s3")).collect(Scope())
    bucket = snap.node_index()["arn:aws:s3:::acme-public-assets"]
    assert bucket.props["policy"] is None and "policy" in bucket.props["unknown"]
    assert bucket.props["public"] is None and "public" in bucket.props["unknown"]
    other = snap.node_index()["arn:aws:s3:::acme-customer-data"]
    assert other.props["policy"] and "unknown" not in other.props and other.props["public"]
    assert [(w.service, w.error) for w in snap.warnings] == [("s3", "AccessDenied")]
    assert "acme-public-assets" in snap.warnings[0].message


def test_expired_token_before_anything_is_read_is_a_cloud_error(moto: None) -> None:
    s = session()
    inject(s, "sts.GetCallerIdentity", Injector(aws_error(403, "ExpiredToken", protocol="query")))
    with pytest.raises(CloudError) as exc:
        provider(s).collect(Scope())
    assert "ExpiredToken" in exc.value.message and "\n" not in exc.value.message
    assert exc.value.exit_code == 3


def test_expired_token_mid_way_keeps_the_partial_snapshot(moto: None) -> None:
    boto3.client("iam", region_name=REGION).create_user(UserName="bob")
    boto3.client("kms", region_name=REGION).create_key()
    s = session()
    inject(s, "kms.ListKeys", Injector(aws_error(400, "ExpiredTokenException", protocol="json")))
    with pytest.raises(CollectionAborted) as exc:
        provider(s, max_workers=1, services=only("iam", "kms", "rds")).collect(Scope())
    snap = exc.value.snapshot
    assert snap.partial and "ExpiredToken" in exc.value.message
    assert "identity" in kinds(snap)  # IAM ran before KMS
    assert "key" not in kinds(snap)
    assert "database" not in kinds(snap)  # not started once the credentials failed


def test_no_credentials_is_a_cloud_error(monkeypatch: pytest.MonkeyPatch, moto: None) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(CloudError, match="no AWS credentials"):
        provider(boto3.session.Session(region_name=REGION)).collect(Scope())


def test_missing_profile_is_a_cloud_error() -> None:
    with pytest.raises(CloudError, match="profile not found: nope"):
        default_session(Scope(profile="nope"))


@pytest.fixture
def hanging_endpoint() -> Iterator[str]:
    """A TCP server that accepts and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_a_hanging_service_times_out_into_a_warning(
    moto: None, hanging_endpoint: str, monkeypatch: pytest.MonkeyPatch, quick_backoff: None
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_KMS", hanging_endpoint)
    settings = ClientSettings(
        max_attempts=2, connect_timeout=0.5, read_timeout=0.5, rates={"*": (1e6, 1e6)}
    )
    boto3.client("iam", region_name=REGION).create_user(UserName="bob")
    snap = provider(settings=settings, services=only("iam", "kms")).collect(Scope())
    assert [(w.service, w.error) for w in snap.warnings] == [("kms", "Timeout")]
    assert "key" not in kinds(snap)
    assert f"arn:aws:iam::{ACCOUNT}:user/bob" in snap.node_index()


@pytest.mark.parametrize("regions", [("us-east-1", "bad region"), ("all", "us-east-1")])
def test_bad_region_names_are_input_errors_before_credentials(regions: tuple[str, ...]) -> None:
    def no_session(_scope: Scope) -> boto3.session.Session:
        raise AssertionError("credentials were tried before the input was checked")

    with pytest.raises(InputError, match="--regions"):
        AwsProvider(session_factory=no_session).collect(Scope(regions=regions))


def test_a_looping_pagination_token_ends_in_a_warning(moto: None) -> None:
    boto3.client("kms", region_name=REGION).create_key()
    s = session()
    page = {"SecretList": [], "NextToken": "same-token-again"}
    ok = AWSResponse("https://secretsmanager", 200, {}, None)
    s.events.register("before-call.secrets-manager.ListSecrets", lambda **_k: (ok, page))
    snap = provider(s, services=only("secretsmanager", "kms")).collect(Scope())
    assert [(w.service, w.error) for w in snap.warnings] == [("secretsmanager", "PaginationError")]
    assert "key" in kinds(snap)


def test_saved_connection_assumes_its_role(
    moto: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from blastscope.providers.credentials import add_connection

    monkeypatch.setenv("BLASTSCOPE_CONFIG_DIR", str(tmp_path))
    iam = boto3.client("iam", region_name=REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="auditor", AssumeRolePolicyDocument=json.dumps(trust))
    add_connection("aws", "prod-audit", {"role_arn": role["Role"]["Arn"], "region": "eu-west-1"})
    session = default_session(Scope(connection="prod-audit"))
    assert session.region_name == "eu-west-1"
    assert session.get_credentials().access_key != "testing"  # temporary role credentials
    snap = AwsProvider(session_factory=default_session, services=only("iam")).collect(
        Scope(connection="prod-audit")
    )
    assert "assumed-role/auditor" in snap.scope["principal"]
    assert snap.scope["regions"] == ["eu-west-1"]


def test_unknown_connection_is_input_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("BLASTSCOPE_CONFIG_DIR", str(tmp_path))
    with pytest.raises(InputError, match="no saved connection"):
        default_session(Scope(connection="nope"))


def test_a_region_the_account_has_not_enabled_is_skipped_with_a_warning(moto: None) -> None:
    s = session()
    enabled = {"Regions": [{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}]}
    ok = AWSResponse("https://ec2", 200, {}, None)
    s.events.register("before-call.ec2.DescribeRegions", lambda **_k: (ok, enabled))
    snap = provider(s, services=only("ec2-network")).collect(
        Scope(regions=("eu-west-1", "ap-east-1"))
    )
    assert snap.scope["regions"] == ["eu-west-1"]
    assert [(w.region, w.error) for w in snap.warnings] == [("ap-east-1", "RegionDisabled")]
    assert {n.region for n in snap.nodes if n.kind == "network"} == {"eu-west-1"}


def test_users_credentials_unreadable_are_unknown_not_absent(moto: None) -> None:
    boto3.client("iam", region_name=REGION).create_user(UserName="bob")
    s = session()
    inject(s, "iam.ListUsers", Injector(aws_error(403, "AccessDenied", protocol="query")))
    snap = provider(s, services=only("iam", "iam-credentials")).collect(Scope())
    bob = snap.node_index()[f"arn:aws:iam::{ACCOUNT}:user/bob"]
    assert [(w.service, w.error) for w in snap.warnings] == [("iam-credentials", "AccessDenied")]
    assert bob.props["unknown"] == ["access_keys", "console", "mfa"]
    assert bob.props["mfa"] is None and bob.props["access_keys"] is None
