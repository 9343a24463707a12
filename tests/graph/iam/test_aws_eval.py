"""AWS evaluation against the cases of AWS's documentation (each names its doc section).

Docs: IAM User Guide, "Policy evaluation logic" (reference_policies_evaluation-logic*),
"IAM JSON policy elements" (NotAction, NotResource, Principal), "Permissions boundaries for
IAM entities", "AWS KMS key policies", "IAM policy variables", "Condition operators".
"""

from __future__ import annotations

import pytest

from blastscope.graph.errors import InputError
from blastscope.graph.iam import Outcome, evaluator_for
from blastscope.graph.iam.aws import evaluate

A = "111122223333"
ALICE = f"arn:aws:iam::{A}:user/alice"

# A fragment of the AWS managed policy ReadOnlyAccess (real statement shape and actions).
READ_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadOnlyActions",
            "Effect": "Allow",
            "Action": [
                "s3:Get*",
                "s3:List*",
                "kms:Describe*",
                "kms:List*",
                "secretsmanager:Describe*",
                "iam:Get*",
                "iam:List*",
                "ec2:Describe*",
            ],
            "Resource": "*",
        }
    ],
}
# The AWS managed policy PowerUserAccess (as published).
POWER_USER = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "iam:CreateServiceLinkedRole",
                "iam:DeleteServiceLinkedRole",
                "iam:ListRoles",
                "organizations:DescribeOrganization",
                "account:ListRegions",
                "account:GetAccountInformation",
            ],
            "Resource": "*",
        },
    ],
}
ADMIN = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
# "AWS KMS key policies" → "Default key policy": allows the account, delegating to IAM.
DEFAULT_KEY_POLICY = {
    "Version": "2012-10-17",
    "Id": "key-default-1",
    "Statement": [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}


def outcome(snap, principal, action, resource):
    return evaluate(snap, principal, action, resource).outcome


def test_identity_policy_managed_read_only(estate):
    """ "Policy evaluation for requests within a single account": identity policy alone."""
    ro = estate.policy("ReadOnlyAccess", READ_ONLY, aws_managed=True)
    alice = estate.user("alice", managed=[ro])
    bucket = estate.bucket("reports")
    snap = estate.snapshot()
    d = evaluate(snap, alice, "s3:GetObject", bucket)
    assert d.outcome == Outcome.ALLOW
    assert [(r.document, r.index, r.sid) for r in d.statements] == [(ro, 0, "ReadOnlyActions")]
    assert ro in d.reason
    assert outcome(snap, alice, "S3:GETOBJECT", bucket) == Outcome.ALLOW  # actions ignore case
    assert outcome(snap, alice, "s3:PutObject", bucket) == Outcome.IMPLICIT_DENY


def test_resource_policy_alone_allows_within_account(estate):
    """Evaluation-logic example (carlossalazar): a bucket policy naming the user allows
    s3:PutObject although his identity policy does not."""
    bucket_policy = estate.doc(
        {
            "Sid": "AllowPut",
            "Effect": "Allow",
            "Principal": {"AWS": ALICE},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::logs-alice/*",
        }
    )
    alice = estate.user(
        "alice",
        inline={"read": estate.doc(estate.allow(["s3:ListBucket"], "arn:aws:s3:::logs-alice"))},
    )
    bucket = estate.bucket("logs-alice", policy=bucket_policy)
    bob = estate.user("bob")
    snap = estate.snapshot()
    d = evaluate(snap, alice, "s3:PutObject", bucket + "/2024/app.log")
    assert d.outcome == Outcome.ALLOW and d.statements[0].document == f"{bucket}#policy"
    assert outcome(snap, alice, "s3:PutObject", bucket) == Outcome.ALLOW  # some object
    assert outcome(snap, alice, "s3:ListBucket", bucket) == Outcome.ALLOW
    assert outcome(snap, alice, "s3:ListBucket", bucket + "/x") == Outcome.IMPLICIT_DENY
    assert outcome(snap, bob, "s3:PutObject", bucket) == Outcome.IMPLICIT_DENY


def test_explicit_deny_in_group_overrides_user_allow(estate):
    """ "Determining whether a request is allowed or denied": an explicit deny wins."""
    no_delete = estate.policy("NoDelete", estate.doc(estate.deny("s3:DeleteObject")))
    group = estate.group("auditors", managed=[no_delete])
    alice = estate.user("alice", inline={"all": ADMIN}, groups=[group])
    bucket = estate.bucket("b")
    snap = estate.snapshot()
    d = evaluate(snap, alice, "s3:DeleteObject", bucket)
    assert d.outcome == Outcome.EXPLICIT_DENY
    assert [(r.document, r.effect) for r in d.statements] == [(no_delete, "Deny")]
    assert outcome(snap, alice, "s3:GetObject", bucket) == Outcome.ALLOW


def test_notaction_with_deny(estate):
    """ "IAM JSON policy elements: NotAction" — Deny with NotAction: everything except IAM is
    denied (the doc's "deny all but IAM" example)."""
    alice = estate.user(
        "alice",
        inline={
            "admin": ADMIN,
            "only-iam": estate.doc(
                {"Sid": "DenyAllButIAM", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*"}
            ),
        },
    )
    bucket = estate.bucket("b")
    snap = estate.snapshot()
    d = evaluate(snap, alice, "s3:GetObject", bucket)
    assert d.outcome == Outcome.EXPLICIT_DENY and d.statements[0].sid == "DenyAllButIAM"
    assert outcome(snap, alice, "iam:ListUsers", f"arn:aws:iam::{A}:user/x") == Outcome.ALLOW


def test_notaction_with_allow_power_user(estate):
    """PowerUserAccess: Allow + NotAction grants everything but IAM/Organizations/Account."""
    pu = estate.policy("PowerUserAccess", POWER_USER, aws_managed=True)
    alice = estate.user("alice", managed=[pu])
    bucket = estate.bucket("b")
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:PutObject", bucket) == Outcome.ALLOW
    assert (
        outcome(snap, alice, "iam:CreateUser", f"arn:aws:iam::{A}:user/x") == Outcome.IMPLICIT_DENY
    )
    assert outcome(snap, alice, "iam:ListRoles", f"arn:aws:iam::{A}:role/x") == Outcome.ALLOW


def test_notresource_deny(estate):
    """ "IAM JSON policy elements: NotResource" — deny s3 outside one bucket."""
    alice = estate.user(
        "alice",
        inline={
            "p": estate.doc(
                estate.allow("s3:*"),
                {
                    "Effect": "Deny",
                    "Action": "s3:*",
                    "NotResource": ["arn:aws:s3:::hr", "arn:aws:s3:::hr/*"],
                },
            )
        },
    )
    hr, other = estate.bucket("hr"), estate.bucket("other")
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:GetObject", hr) == Outcome.ALLOW
    assert outcome(snap, alice, "s3:GetObject", other) == Outcome.EXPLICIT_DENY


def test_notresource_allow(estate):
    alice = estate.user(
        "alice",
        inline={
            "p": estate.doc(
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "NotResource": "arn:aws:s3:::secret/*",
                }
            )
        },
    )
    secret, other = estate.bucket("secret"), estate.bucket("other")
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:GetObject", other) == Outcome.ALLOW
    assert outcome(snap, alice, "s3:GetObject", secret) == Outcome.IMPLICIT_DENY


def test_question_mark_and_star_in_resources(estate):
    alice = estate.user(
        "alice", inline={"p": estate.doc(estate.allow("s3:ListBucket", "arn:aws:s3:::logs-?"))}
    )
    one, ten = estate.bucket("logs-1"), estate.bucket("logs-10")
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:ListBucket", one) == Outcome.ALLOW
    assert outcome(snap, alice, "s3:ListBucket", ten) == Outcome.IMPLICIT_DENY


def test_bucket_vs_object_arns(estate):
    """S3 actions act on bucket ARNs (ListBucket) or object ARNs (GetObject): a statement on
    ``arn:aws:s3:::b`` does not grant objects, ``b/*`` does not grant ListBucket."""
    alice = estate.user(
        "alice",
        inline={
            "p": estate.doc(
                estate.allow("s3:*", "arn:aws:s3:::b"),
                estate.allow("s3:GetObject", "arn:aws:s3:::c/*"),
            )
        },
    )
    b, c = estate.bucket("b"), estate.bucket("c")
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:ListBucket", b) == Outcome.ALLOW
    assert outcome(snap, alice, "s3:GetObject", b) == Outcome.IMPLICIT_DENY
    assert outcome(snap, alice, "s3:GetObject", c) == Outcome.ALLOW
    assert outcome(snap, alice, "s3:ListBucket", c) == Outcome.IMPLICIT_DENY


def test_policy_variable_username_home_folder(estate):
    """ "IAM policy variables": s3 home folders ``home/${aws:username}/*``."""
    home = estate.doc(
        estate.allow(["s3:GetObject", "s3:PutObject"], "arn:aws:s3:::homes/home/${aws:username}/*")
    )
    g = estate.group("staff", inline={"home": home})
    alice = estate.user("alice", groups=[g])
    role = estate.role("svc", inline={"home": home})
    bucket = estate.bucket("homes")
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:GetObject", f"{bucket}/home/alice/notes.txt") == Outcome.ALLOW
    assert (
        outcome(snap, alice, "s3:GetObject", f"{bucket}/home/bob/notes.txt")
        == Outcome.IMPLICIT_DENY
    )
    # A role has no aws:username: the variable matches nothing.
    assert outcome(snap, role, "s3:GetObject", f"{bucket}/home/svc/x") == Outcome.IMPLICIT_DENY


def test_principal_tag_variable_known_and_unknown(estate):
    """``${aws:PrincipalTag/team}``: decided from the principal's tags; unknown tags →
    conditional, never a guess."""
    p = estate.doc(
        estate.allow(
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:us-east-1:{A}:secret:${{aws:PrincipalTag/team}}-*",
        )
    )
    alice = estate.user("alice", inline={"p": p}, tags={"team": "pay"})
    bob = estate.user("bob", inline={"p": p}, tags={"team": "web"})
    carol = estate.user("carol", inline={"p": p}, unknown=["tags"])
    s = estate.secret("pay")
    snap = estate.snapshot()
    assert outcome(snap, alice, "secretsmanager:GetSecretValue", s) == Outcome.ALLOW
    assert outcome(snap, bob, "secretsmanager:GetSecretValue", s) == Outcome.IMPLICIT_DENY
    assert outcome(snap, carol, "secretsmanager:GetSecretValue", s) == Outcome.CONDITIONAL


def test_condition_on_principal_tag_decided_statically(estate):
    p = estate.doc(
        estate.allow("s3:*", Condition={"StringEquals": {"aws:PrincipalTag/dept": "finance"}})
    )
    alice = estate.user("alice", inline={"p": p}, tags={"dept": "finance"})
    bob = estate.user("bob", inline={"p": p}, tags={})
    b = estate.bucket("b")
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:GetObject", b) == Outcome.ALLOW
    assert outcome(snap, bob, "s3:GetObject", b) == Outcome.IMPLICIT_DENY


def test_source_ip_bucket_policy_is_conditional(estate):
    """Bucket policy examples: "Restrict access to specific IP addresses" — Allow with
    IpAddress aws:SourceIp cannot be decided statically."""
    bucket_policy = estate.doc(
        {
            "Sid": "IPAllow",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::office/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}},
        }
    )
    alice = estate.user("alice")
    b = estate.bucket("office", policy=bucket_policy)
    snap = estate.snapshot()
    d = evaluate(snap, alice, "s3:GetObject", b)
    assert d.outcome == Outcome.CONDITIONAL and d.allowed
    assert d.statements[0].sid == "IPAllow"
    assert "condition" in d.reason


def test_deny_not_ip_address_makes_conditional(estate):
    """The doc's Deny + NotIpAddress: allowed only from the office range → conditional."""
    bucket_policy = estate.doc(
        {
            "Sid": "OfficeOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::office", "arn:aws:s3:::office/*"],
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}},
        }
    )
    alice = estate.user("alice", inline={"p": READ_ONLY})
    b = estate.bucket("office", policy=bucket_policy)
    snap = estate.snapshot()
    d = evaluate(snap, alice, "s3:GetObject", b)
    assert d.outcome == Outcome.CONDITIONAL
    assert {r.sid for r in d.statements} == {"ReadOnlyActions", "OfficeOnly"}


def test_deny_insecure_transport_does_not_block_tls_requests(estate):
    """Bucket policy "aws:SecureTransport false → Deny": a caller using HTTPS is not denied."""
    bucket_policy = estate.doc(
        {
            "Sid": "AllowSSLRequestsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
    alice = estate.user("alice", inline={"p": READ_ONLY})
    b = estate.bucket("b", policy=bucket_policy)
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:GetObject", b) == Outcome.ALLOW


def test_mfa_condition_is_conditional(estate):
    alice = estate.user(
        "alice",
        inline={
            "p": estate.doc(
                estate.allow("s3:*"),
                estate.deny(
                    "s3:DeleteObject",
                    Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                ),
            )
        },
    )
    b = estate.bucket("b")
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:DeleteObject", b) == Outcome.CONDITIONAL
    assert outcome(snap, alice, "s3:GetObject", b) == Outcome.ALLOW


def test_permissions_boundary_intersects(estate):
    """ "Permissions boundaries for IAM entities": AdministratorAccess with a boundary that
    allows only S3, CloudWatch and EC2."""
    boundary = estate.policy(
        "DevBoundary", estate.doc(estate.allow(["s3:*", "cloudwatch:*", "ec2:*"]))
    )
    alice = estate.user("alice", inline={"admin": ADMIN}, boundary=boundary)
    b = estate.bucket("b")
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:GetObject", b) == Outcome.ALLOW
    d = evaluate(snap, alice, "iam:CreateUser", f"arn:aws:iam::{A}:user/x")
    assert d.outcome == Outcome.IMPLICIT_DENY and "boundary" in d.reason


def test_boundary_and_resource_policy_user_vs_role(estate):
    """ "Evaluating identity-based policies with resource-based policies" + boundaries: an
    implicit deny in a user's boundary does not limit a resource policy naming the user; a
    resource policy naming a role ARN is still limited by the role's boundary."""
    boundary = estate.policy("OnlyEc2", estate.doc(estate.allow("ec2:*")))
    alice = estate.user("alice", boundary=boundary)
    role = estate.role("app", boundary=boundary)
    bucket_policy = estate.doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": [ALICE, role]},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/*",
        }
    )
    b = estate.bucket("b", policy=bucket_policy)
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:GetObject", b) == Outcome.ALLOW
    assert outcome(snap, role, "s3:GetObject", b) == Outcome.IMPLICIT_DENY


def test_kms_key_policy_required(estate):
    """ "AWS KMS key policies": identity policies work only if the key policy allows the
    account (default key policy); a key policy naming a user allows alone."""
    alice = estate.user("alice", inline={"kms": estate.doc(estate.allow("kms:Decrypt"))})
    bob = estate.user("bob")
    default_key = estate.key("1111", policy=DEFAULT_KEY_POLICY)
    locked_key = estate.key(
        "2222",
        policy=estate.doc(
            {
                "Sid": "KeyAdmins",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:user/bob"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ),
    )
    unknown_key = estate.key("3333", policy=None)
    snap = estate.snapshot()
    assert outcome(snap, alice, "kms:Decrypt", default_key) == Outcome.ALLOW
    assert outcome(snap, bob, "kms:Decrypt", default_key) == Outcome.IMPLICIT_DENY
    d = evaluate(snap, alice, "kms:Decrypt", locked_key)
    assert d.outcome == Outcome.IMPLICIT_DENY and "key policy" in d.reason
    assert outcome(snap, bob, "kms:Decrypt", locked_key) == Outcome.ALLOW
    assert outcome(snap, alice, "kms:Decrypt", unknown_key) == Outcome.CONDITIONAL


def test_assume_role_needs_trust_policy(estate):
    """ "How to use trust policies with IAM roles": the trust policy must allow; a trust naming
    the account delegates to the caller's identity policy; naming the user allows alone."""
    may_assume = estate.doc(estate.allow("sts:AssumeRole"))
    alice = estate.user("alice", inline={"p": may_assume})
    bob = estate.user("bob")
    by_account = estate.role("by-account", trust_policy=estate.trust(f"arn:aws:iam::{A}:root"))
    by_name = estate.role("by-name", trust_policy=estate.trust(f"arn:aws:iam::{A}:user/bob"))
    service = estate.role("ec2-only", trust_policy=estate.trust(service="ec2.amazonaws.com"))
    snap = estate.snapshot()
    assert outcome(snap, alice, "sts:AssumeRole", by_account) == Outcome.ALLOW
    assert outcome(snap, bob, "sts:AssumeRole", by_account) == Outcome.IMPLICIT_DENY
    assert outcome(snap, bob, "sts:AssumeRole", by_name) == Outcome.ALLOW
    assert outcome(snap, alice, "sts:AssumeRole", by_name) == Outcome.IMPLICIT_DENY
    d = evaluate(snap, alice, "sts:AssumeRole", service)
    assert d.outcome == Outcome.IMPLICIT_DENY and "trust policy" in d.reason


def test_trust_with_external_id_is_conditional(estate):
    alice = estate.user("alice")
    role = estate.role(
        "vendor",
        trust_policy=estate.trust(ALICE, Condition={"StringEquals": {"sts:ExternalId": "12345"}}),
    )
    snap = estate.snapshot()
    assert outcome(snap, alice, "sts:AssumeRole", role) == Outcome.CONDITIONAL


def test_scp_deny_list_and_allow_list(estate):
    """ "Service control policies": an SCP deny wins over AdministratorAccess; with an allow
    list, what the SCP does not allow is implicitly denied."""
    estate.scp("full", estate.doc(estate.allow("*")))
    estate.scp(
        "no-leave", estate.doc(estate.deny(["s3:DeleteBucket", "organizations:LeaveOrganization"]))
    )
    estate.scp("only-s3-kms", estate.doc(estate.allow(["s3:*", "kms:*"])))
    alice = estate.user("alice", inline={"admin": ADMIN})
    b = estate.bucket("b")
    snap = estate.snapshot()
    assert outcome(snap, alice, "s3:GetObject", b) == Outcome.ALLOW
    assert outcome(snap, alice, "s3:DeleteBucket", b) == Outcome.EXPLICIT_DENY
    d = evaluate(snap, alice, "ec2:TerminateInstances", f"arn:aws:ec2:us-east-1:{A}:instance/i-1")
    assert d.outcome == Outcome.IMPLICIT_DENY and "SCP" in d.reason


def test_secret_and_lambda_resource_policies(estate):
    role = estate.role("app")
    s = estate.secret(
        "db",
        policy=estate.doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ),
    )
    fn = estate.function(
        "f",
        policy=estate.doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": role},
                "Action": "lambda:InvokeFunction",
                "Resource": "*",
            }
        ),
    )
    snap = estate.snapshot()
    assert outcome(snap, role, "secretsmanager:GetSecretValue", s) == Outcome.ALLOW
    assert outcome(snap, role, "lambda:InvokeFunction", fn) == Outcome.ALLOW
    assert outcome(snap, role, "lambda:UpdateFunctionCode", fn) == Outcome.IMPLICIT_DENY


def test_invalid_json_document_makes_principal_unknown(estate):
    alice = estate.user("alice")
    estate.part.nodes[-1].props["inline_policies"].append(f"{ALICE}#inline/broken")
    estate.raw_document(f"{ALICE}#inline/broken", '{"Statement": [ {"Effect": "Allow", ')
    b = estate.bucket("b")
    snap = estate.snapshot()
    d = evaluate(snap, alice, "s3:GetObject", b)
    assert d.outcome == Outcome.CONDITIONAL
    assert "not valid JSON" in d.reason


def test_unknown_principal_is_input_error(estate):
    estate.user("alice")
    snap = estate.snapshot()
    with pytest.raises(InputError, match="alice"):
        evaluate(snap, f"arn:aws:iam::{A}:user/alic", "s3:GetObject", "arn:aws:s3:::b")


def test_who_can_and_evaluator_for(estate):
    ro = estate.policy("ReadOnlyAccess", READ_ONLY, aws_managed=True)
    alice = estate.user("alice", managed=[ro])
    estate.user("bob")
    role = estate.role("reader", managed=[ro])
    b = estate.bucket("b")
    snap = estate.snapshot()
    module = evaluator_for("aws")
    rows = module.who_can(snap, "s3:GetObject", b)
    assert [pid for pid, _ in rows] == sorted([alice, role])
    assert all(d.outcome == Outcome.ALLOW for _, d in rows)


def test_cross_account_needs_both_sides(estate):
    """ "Cross-account policy evaluation logic": the bucket policy (other account) and the
    caller's identity policy must both allow."""
    AwsEstate = type(estate)  # noqa: N806 - the fixture's class
    other = AwsEstate(account="444455556666")
    caller = f"arn:aws:iam::{A}:user/alice"
    shared = other.bucket(
        "shared",
        policy=other.doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::shared/*",
            }
        ),
    )
    private = other.bucket("private")
    home = AwsEstate()
    home.user("alice", inline={"p": home.doc(home.allow("s3:GetObject"))})
    home.user("bob")
    from blastscope.graph.model import merge_parts

    snap = merge_parts(
        [home.snapshot_part(), other.snapshot_part()], provider="aws", scope={}, collected_at="t"
    )
    assert outcome(snap, caller, "s3:GetObject", shared) == Outcome.ALLOW
    d = evaluate(snap, caller, "s3:GetObject", private)
    assert d.outcome == Outcome.IMPLICIT_DENY and "cross-account" in d.reason
    assert (
        outcome(snap, f"arn:aws:iam::{A}:user/bob", "s3:GetObject", shared) == Outcome.IMPLICIT_DENY
    )


def test_ebs_snapshot_arns_carry_no_account_but_belong_to_one(estate):
    """``arn:aws:ec2:REGION::snapshot/ID`` has an empty account field: the owner the
    collector records decides whether a request is cross-account (no snapshot policy exists,
    so an admin of another account is denied)."""
    AwsEstate = type(estate)  # noqa: N806 - the fixture's class
    from blastscope.graph.iam.aws import permission_edges
    from blastscope.graph.model import NodeKind, merge_parts

    def ebs_snapshot(e, sid):
        arn = f"arn:aws:ec2:us-east-1::snapshot/{sid}"
        return e._resource(arn, NodeKind.SNAPSHOT, sid, None, "us-east-1", native_id=sid)

    home, other = AwsEstate(), AwsEstate(account="444455556666")
    home.role("admin", inline={"p": home.doc(home.allow("*"))})
    mine, theirs = ebs_snapshot(home, "snap-mine"), ebs_snapshot(other, "snap-theirs")
    snap = merge_parts(
        [home.snapshot_part(), other.snapshot_part()], provider="aws", scope={}, collected_at="t"
    )
    admin = f"arn:aws:iam::{A}:role/admin"
    assert outcome(snap, admin, "ec2:CreateVolume", mine) == Outcome.ALLOW
    d = evaluate(snap, admin, "ec2:CreateVolume", theirs)
    assert d.outcome == Outcome.IMPLICIT_DENY and "cross-account" in d.reason
    reached = {e.dst for e in permission_edges(snap) if e.src == admin}
    assert mine in reached and theirs not in reached


def test_restrict_public_buckets_blocks_cross_account_access_through_a_public_policy(estate):
    """S3 Block Public Access: with RestrictPublicBuckets on, a bucket whose policy is public
    grants nothing across accounts — not even the statement naming the caller's account —
    while callers of the owner's account keep their access. A policy pinned by
    aws:PrincipalOrgID is not public, so the setting does not touch it."""
    AwsEstate = type(estate)  # noqa: N806 - the fixture's class
    from blastscope.graph.model import merge_parts

    other = AwsEstate(account="444455556666")

    def site(name, *, restrict, condition=None):
        public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
        public["Resource"] = f"arn:aws:s3:::{name}/*"
        if condition:
            public["Condition"] = condition
        named = {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
            "Action": "s3:PutObject",
            "Resource": f"arn:aws:s3:::{name}/*",
        }
        block = {"RestrictPublicBuckets": True} if restrict else None
        return other.bucket(name, policy=other.doc(public, named), public_access_block=block)

    blocked, open_site = site("blocked", restrict=True), site("open", restrict=False)
    org_only = site("org", restrict=True, condition={"StringEquals": {"aws:PrincipalOrgID": "o-1"}})
    other.user("owner-reader")
    home = AwsEstate()
    home.user("alice", inline={"p": home.doc(home.allow(["s3:GetObject", "s3:PutObject"]))})
    snap = merge_parts(
        [home.snapshot_part(), other.snapshot_part()], provider="aws", scope={}, collected_at="t"
    )
    alice = f"arn:aws:iam::{A}:user/alice"
    owner = "arn:aws:iam::444455556666:user/owner-reader"
    d = evaluate(snap, alice, "s3:GetObject", f"{blocked}/index.html")
    assert d.outcome == Outcome.IMPLICIT_DENY and "RestrictPublicBuckets" in d.reason
    assert outcome(snap, alice, "s3:PutObject", f"{blocked}/x") == Outcome.IMPLICIT_DENY
    assert outcome(snap, owner, "s3:GetObject", f"{blocked}/index.html") == Outcome.ALLOW
    assert outcome(snap, alice, "s3:GetObject", f"{open_site}/index.html") == Outcome.ALLOW
    assert outcome(snap, alice, "s3:PutObject", f"{org_only}/x") == Outcome.ALLOW
