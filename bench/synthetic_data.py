"""Synthetic data stores: KMS keys, S3 buckets and secrets with their resource policies."""

from __future__ import annotations

from typing import Any

from bench.synthetic import TEAMS, Account, Out
from blastscope.graph.model import EdgeKind, NodeKind

PURPOSES = ("logs", "backups", "customer-data", "artifacts", "static-site", "analytics", "tfstate")


def data_stores(out: Out, acct: Account) -> None:
    """Keys first (buckets and secrets are encrypted by them), then buckets and secrets."""
    a = acct.id
    for i in range(max(1, acct.instances // 25)):
        region = acct.regions[i % len(acct.regions)]
        key_id = (
            f"arn:aws:kms:{region}:{a}:key/{out.hex(8)}-{out.hex(4)}-{out.hex(4)}-{out.hex(12)}"
        )
        doc_id = f"{key_id}#policy"
        out.documents[doc_id] = _key_policy(a, i)
        out.node(
            key_id,
            NodeKind.KEY,
            f"alias/{TEAMS[i % len(TEAMS)]}-{i}",
            region,
            {
                "account": a,
                "policy": doc_id,
                "key_manager": "CUSTOMER",
                "state": "Enabled",
                "rotation": out.chance(0.7),
            },
        )
        acct.keys.append(key_id)
    for i in range(max(2, acct.instances // 8)):
        purpose = PURPOSES[i % len(PURPOSES)]
        name = f"acme-{a}-{purpose}-{i}"
        bucket_id = f"arn:aws:s3:::{name}"
        policy = _bucket_policy(out, acct, bucket_id, purpose)
        doc_id = f"{bucket_id}#policy" if policy else None
        if policy:
            out.documents[f"{bucket_id}#policy"] = policy
        public = purpose == "static-site" and out.chance(0.5)
        encryption = out.rng.choice(("aws:kms", "AES256", "AES256", None))
        out.node(
            bucket_id,
            NodeKind.BUCKET,
            name,
            acct.regions[i % len(acct.regions)],
            {
                "account": a,
                "public": public,
                "policy": doc_id,
                "acl_grants": [],
                "public_access_block": None
                if public
                else {
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                },
                "encryption": encryption,
                "versioning": purpose in ("backups", "tfstate"),
                "logging": purpose != "logs",
                "tags": {"purpose": purpose, "data-classification": _classification(purpose)},
            },
        )
        if encryption == "aws:kms":
            out.edge(bucket_id, out.rng.choice(acct.keys), EdgeKind.ENCRYPTED_BY)
        acct.buckets.append(bucket_id)
    for i in range(max(1, acct.instances // 12)):
        region = acct.regions[i % len(acct.regions)]
        team = TEAMS[i % len(TEAMS)]
        name = f"{team}/{out.rng.choice(('db-password', 'api-key', 'stripe', 'oauth-client'))}-{i}"
        secret_id = f"arn:aws:secretsmanager:{region}:{a}:secret:{name}-{out.hex(6)}"
        doc_id = None
        if out.chance(0.3):
            doc_id = f"{secret_id}#policy"
            out.documents[doc_id] = {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "secretsmanager:*",
                        "Resource": "*",
                        "Condition": {
                            "StringNotLike": {"aws:PrincipalArn": f"arn:aws:iam::{a}:role/{team}-*"}
                        },
                    }
                ],
            }
        out.node(
            secret_id,
            NodeKind.SECRET,
            name,
            region,
            {
                "account": a,
                "policy": doc_id,
                "rotation": out.chance(0.4),
                "last_changed": f"2025-11-0{1 + i % 9}T00:00:00Z",
                "tags": {"team": team},
            },
        )
        out.edge(secret_id, acct.keys[i % len(acct.keys)], EdgeKind.ENCRYPTED_BY)


def _classification(purpose: str) -> str:
    return {"customer-data": "pii", "backups": "confidential", "tfstate": "secret"}.get(
        purpose, "internal"
    )


def _key_policy(account: str, i: int) -> dict[str, Any]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "EnableRootPermissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if i % 3 == 0:
        statements.append(
            {
                "Sid": "AllowUseByApps",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:role/app-{TEAMS[i % len(TEAMS)]}-0"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
            }
        )
    return {"Version": "2012-10-17", "Id": "key-default-1", "Statement": statements}


def _bucket_policy(out: Out, acct: Account, bucket_id: str, purpose: str) -> dict[str, Any] | None:
    roll = out.rng.random()
    statements: list[dict[str, Any]] = []
    if roll < 0.5:
        statements.append(
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_id, f"{bucket_id}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        )
    if purpose == "logs" and acct.prev_account:
        statements.append(
            {
                "Sid": "LogArchiveRead",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{acct.prev_account}:root"},
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [bucket_id, f"{bucket_id}/*"],
            }
        )
    if purpose == "static-site":
        statements.append(
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"{bucket_id}/*",
            }
        )
    if purpose in ("customer-data", "backups") and roll > 0.7:
        statements.append(
            {
                "Sid": "OnlyDataTeams",
                "Effect": "Deny",
                "NotPrincipal": {"AWS": f"arn:aws:iam::{acct.id}:role/data-admin"},
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"{bucket_id}/*",
            }
        )
    if not statements:
        return None
    return {"Version": "2012-10-17", "Statement": statements}
