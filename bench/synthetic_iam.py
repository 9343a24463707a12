"""Synthetic IAM: wildcard-heavy policies, instance roles, users and groups, assume chains.

Chains: an app role assumes ``deploy-0`` which assumes ``deploy-1`` … whose tail may assume
``xacct-audit`` in *any* account (``arn:aws:iam::*:role/xacct-audit``); the next account's
``xacct-audit`` trusts this account's root in a third of the accounts, so some chains cross
several accounts, as in real organisations.
"""

from __future__ import annotations

from typing import Any

from bench.synthetic import TEAMS, Account, Out
from blastscope.graph.model import EdgeKind, NodeKind

V = "2012-10-17"
AWS_MANAGED = {
    "AdministratorAccess": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    "PowerUserAccess": [
        {
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["iam:CreateServiceLinkedRole", "iam:ListRoles", "organizations:Describe*"],
            "Resource": "*",
        },
    ],
    "ReadOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": ["ec2:Describe*", "s3:Get*", "s3:List*", "iam:Get*", "iam:List*", "rds:D*"],
            "Resource": "*",
        }
    ],
    "AmazonS3FullAccess": [
        {"Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*"}
    ],
    "SecretsManagerReadWrite": [
        {"Effect": "Allow", "Action": ["secretsmanager:*", "kms:Decrypt"], "Resource": "*"}
    ],
}


def aws_managed_policies(out: Out) -> None:
    """The AWS-managed policies every account can attach: one node each, shared."""
    for name, statements in AWS_MANAGED.items():
        arn = f"arn:aws:iam::aws:policy/{name}"
        out.documents[arn] = {"Version": V, "Statement": statements}
        out.node(
            arn,
            NodeKind.POLICY,
            name,
            "",
            {"document": arn, "default_version": "v1", "aws_managed": True, "attachment_count": 0},
        )


def guardrail_scp() -> dict[str, Any]:
    """The organisation's SCP: full access minus leaving the org and stopping CloudTrail."""
    return {
        "Version": V,
        "Statement": [
            {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Sid": "Guardrails",
                "Effect": "Deny",
                "Action": ["organizations:LeaveOrganization", "cloudtrail:StopLogging"],
                "Resource": "*",
            },
        ],
    }


def identities(out: Out, acct: Account) -> None:
    """Managed policies, roles (apps, chain, admin, CI), groups and users of one account."""
    a = acct.id
    managed = [f"arn:aws:iam::aws:policy/{n}" for n in AWS_MANAGED]
    for i in range(max(3, acct.instances // 30)):
        arn = f"arn:aws:iam::{a}:policy/{TEAMS[i % len(TEAMS)]}-access-{i}"
        out.documents[arn] = {"Version": V, "Statement": _app_statements(out, acct, i)}
        out.node(
            arn,
            NodeKind.POLICY,
            arn.rsplit("/", 1)[1],
            "",
            {"account": a, "document": arn, "default_version": "v1", "aws_managed": False},
        )
        managed.append(arn)
    boundary = f"arn:aws:iam::{a}:policy/boundary"
    out.documents[boundary] = {
        "Version": V,
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:*", "kms:*", "secretsmanager:*", "ec2:*"],
                "Resource": "*",
            }
        ],
    }
    out.node(boundary, NodeKind.POLICY, "boundary", "", {"account": a, "document": boundary})
    ec2_trust = {
        "Effect": "Allow",
        "Principal": {"Service": "ec2.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    for i in range(max(2, acct.instances // 12)):
        name = f"app-{TEAMS[i % len(TEAMS)]}-{i}"
        role = _role(
            out,
            acct,
            name,
            trust=[ec2_trust],
            inline=_app_statements(out, acct, i + 7)
            + (
                [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Resource": f"arn:aws:iam::{a}:role/deploy-0",
                    }
                ]
                if i == 0
                else []
            ),
            # Mostly the account's own policies; now and then a broad AWS-managed one.
            managed=out.rng.sample(managed[5:], out.rng.choice((0, 1, 1, 2)))
            + ([managed[3]] if out.chance(0.03) else []),
            boundary=boundary if out.chance(0.2) else None,
            profile=True,
        )
        acct.app_roles.append(role)
    chain_len = out.rng.randint(3, 8)
    prev = acct.app_roles[0]
    for k in range(chain_len):
        last = k == chain_len - 1
        target = (
            "arn:aws:iam::*:role/xacct-audit" if last else f"arn:aws:iam::{a}:role/deploy-{k + 1}"
        )
        inline = [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": target}]
        if last:
            inline.append(
                {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
            )
        prev = _role(
            out,
            acct,
            f"deploy-{k}",
            trust=[{"Effect": "Allow", "Principal": {"AWS": prev}, "Action": "sts:AssumeRole"}],
            inline=inline,
        )
        if k == 0:
            acct.chain_head = prev
    if acct.prev_account and out.chance(0.33):
        _role(
            out,
            acct,
            "xacct-audit",
            trust=[
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{acct.prev_account}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
            inline=[
                {
                    "Effect": "Allow",
                    "Action": ["s3:Get*", "s3:List*", "kms:Decrypt"],
                    "Resource": "*",
                }
            ],
        )
    root_mfa = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{a}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    }
    _role(out, acct, "admin", trust=[root_mfa], managed=[managed[0]])
    _role(
        out,
        acct,
        "data-admin",
        trust=[root_mfa],
        inline=[
            {
                "Effect": "Allow",
                "Action": "s3:*",
                "Resource": f"arn:aws:s3:::acme-{a}-customer-data-*",
            }
        ],
    )
    oidc = f"arn:aws:iam::{a}:oidc-provider/token.actions.githubusercontent.com"
    _role(
        out,
        acct,
        "ci-deploy",
        trust=[
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/*"}
                },
            }
        ],
        inline=[
            {
                "Effect": "Allow",
                "Action": ["iam:PassRole", "ec2:RunInstances", "lambda:*"],
                "Resource": "*",
            },
            {"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::acme-{a}-artifacts-*"},
        ],
    )
    _groups_and_users(out, acct, managed)


def _groups_and_users(out: Out, acct: Account, managed: list[str]) -> None:
    a = acct.id
    groups = []
    for gname, pol in (
        ("admins", managed[0]),
        ("developers", managed[5]),
        ("readonly", managed[2]),
        ("power-users", managed[1]),
    ):
        gid = f"arn:aws:iam::{a}:group/{gname}"
        out.node(gid, NodeKind.GROUP, gname, "", {"account": a, "inline_policies": []})
        out.edge(gid, pol, EdgeKind.HAS_POLICY, {"attachment": "managed"})
        groups.append(gid)
    for i in range(max(2, acct.instances // 15)):
        uid = f"arn:aws:iam::{a}:user/user{i}.{TEAMS[i % len(TEAMS)]}"
        inline = []
        if out.chance(0.02):
            doc = f"{uid}#inline/self-service"
            out.documents[doc] = {
                "Version": V,
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": ["iam:CreateAccessKey", "iam:AttachUserPolicy"],
                        "Resource": "*",
                    }
                ],
            }
            inline.append(doc)
        out.node(
            uid,
            NodeKind.IDENTITY,
            uid.rsplit("/", 1)[1],
            "",
            {
                "account": a,
                "principal_type": "user",
                "inline_policies": inline,
                "permissions_boundary": None,
                "access_keys": [
                    {
                        "id_suffix": out.hex(4).upper(),
                        "status": "Active",
                        "created": "2024-03-01",
                        "last_used": None,
                    }
                ]
                if out.chance(0.6)
                else [],
                "mfa": out.chance(0.7),
                "console": out.chance(0.5),
            },
        )
        roll = out.rng.random()
        group = groups[0] if roll < 0.03 else groups[3] if roll < 0.08 else groups[1 + i % 2]
        out.edge(uid, group, EdgeKind.MEMBER_OF)


def _role(
    out: Out,
    acct: Account,
    name: str,
    *,
    trust: list[dict[str, Any]],
    inline: list[dict[str, Any]] | None = None,
    managed: list[str] = (),  # type: ignore[assignment]
    boundary: str | None = None,
    profile: bool = False,
) -> str:
    arn = f"arn:aws:iam::{acct.id}:role/{name}"
    out.documents[f"{arn}#trust"] = {"Version": V, "Statement": trust}
    inline_ids = []
    if inline:
        inline_ids.append(f"{arn}#inline/{name}-policy")
        out.documents[inline_ids[0]] = {"Version": V, "Statement": inline}
    profiles = [f"arn:aws:iam::{acct.id}:instance-profile/{name}"] if profile else []
    out.node(
        arn,
        NodeKind.ROLE,
        name,
        "",
        {
            "account": acct.id,
            "inline_policies": inline_ids,
            "permissions_boundary": boundary,
            "trust_policy": f"{arn}#trust",
            "instance_profiles": profiles,
        },
    )
    for pol in managed:
        out.edge(arn, pol, EdgeKind.HAS_POLICY, {"attachment": "managed"})
    acct.roles.append(arn)
    return arn


def _app_statements(out: Out, acct: Account, i: int) -> list[dict[str, Any]]:
    """A wildcard-heavy app policy: mostly scoped by name prefix, now and then far too broad."""
    a = acct.id
    team = TEAMS[i % len(TEAMS)]
    purpose = out.rng.choice(("logs", "backups", "customer-data", "artifacts", "analytics"))
    stmts: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["ec2:Describe*", "cloudwatch:Put*", "logs:*"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": ["s3:Get*", "s3:List*"] if out.chance(0.6) else ["s3:*"],
            "Resource": [
                f"arn:aws:s3:::acme-{a}-{purpose}-*",
                f"arn:aws:s3:::acme-{a}-{purpose}-*/*",
            ],
        },
        {
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": f"arn:aws:secretsmanager:*:{a}:secret:{team}/*",
        },
    ]
    roll = out.rng.random()
    if roll < 0.08:
        stmts.append({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    elif roll < 0.12:
        stmts.append(
            {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}
        )
    elif roll < 0.14:
        stmts.append(
            {
                "Effect": "Allow",
                "Action": "iam:AttachRolePolicy",
                "Resource": f"arn:aws:iam::{a}:role/app-*",
            }
        )
    elif roll < 0.3:
        stmts.append(
            {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{acct.regions[0]}.amazonaws.com"}
                },
            }
        )
    if out.chance(0.2):
        stmts.append(
            {"Effect": "Deny", "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy"], "Resource": "*"}
        )
    return stmts
