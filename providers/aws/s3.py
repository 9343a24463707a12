"""S3 buckets (global): policy, ACL grants, public access block, encryption, versioning, logging.

``public`` follows AWS's rules: a bucket is public when its policy grants ``Principal: *``
without a condition or its ACL grants AllUsers/AuthenticatedUsers, unless the bucket's or the
account's public access block neutralises that. When a part could not be read and the rest
does not already make the bucket public, ``public`` is null (unknown), never false.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, NodeKind, Partial
from blastscope.providers.aws.common import (
    MISSING,
    Ctx,
    Gaps,
    attach_resource_policy,
    known,
    node,
    policy_doc,
    tags,
)
from blastscope.providers.aws.kms import key_ref
from blastscope.providers.aws.session import Clients

PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
NO_PAB = ("NoSuchPublicAccessBlockConfiguration",)


def get_buckets(clients: Clients, ctx: Ctx, gaps: Gaps) -> dict[str, Any]:
    """Every bucket with its settings; the account-level public access block."""
    s3 = clients.client("s3", "global")
    buckets = s3.list_buckets().get("Buckets", [])
    account_pab = gaps.read(
        lambda: (
            clients.client("s3control", "global")
            .get_public_access_block(AccountId=ctx.account)
            .get("PublicAccessBlockConfiguration")
        ),
        what="account public access block",
        absent=NO_PAB,
    )

    def one(bucket: dict[str, Any]) -> dict[str, Any]:
        name = bucket["Name"]

        def get(what: str, fn: Any, *absent: str) -> Any:
            return gaps.read(fn, what=f"{what} of bucket {name}", absent=absent)

        out = dict(bucket)
        out["Region"] = get(
            "location",
            lambda: _region(s3.get_bucket_location(Bucket=name).get("LocationConstraint")),
        )
        # Ask each bucket's own region: the global endpoint answers other regions' buckets
        # with a redirect, doubling the calls.
        where = out["Region"] if isinstance(out["Region"], str) else None
        regional = clients.client("s3", where) if where else s3
        out["Policy"] = get(
            "policy",
            lambda: regional.get_bucket_policy(Bucket=name)["Policy"],
            "NoSuchBucketPolicy",
        )
        out["Acl"] = get("ACL", lambda: regional.get_bucket_acl(Bucket=name).get("Grants", []))
        out["PublicAccessBlock"] = get(
            "public access block",
            lambda: regional.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
            *NO_PAB,
        )
        out["Encryption"] = get(
            "encryption",
            lambda: regional.get_bucket_encryption(Bucket=name)[
                "ServerSideEncryptionConfiguration"
            ],
            "ServerSideEncryptionConfigurationNotFoundError",
        )
        out["Versioning"] = get(
            "versioning",
            lambda: regional.get_bucket_versioning(Bucket=name).get("Status") or "Disabled",
        )
        out["Logging"] = get(
            "logging", lambda: regional.get_bucket_logging(Bucket=name).get("LoggingEnabled")
        )
        out["Tags"] = get(
            "tags",
            lambda: regional.get_bucket_tagging(Bucket=name).get("TagSet", []),
            "NoSuchTagSet",
        )
        return out

    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="s3") as pool:
        detailed = list(pool.map(one, buckets))
    return {"Buckets": detailed, "AccountPublicAccessBlock": account_pab}


def _region(constraint: str | None) -> str:
    """GetBucketLocation's answer as a region: empty is us-east-1, the legacy ``EU`` eu-west-1."""
    return {"": "us-east-1", "EU": "eu-west-1"}.get(constraint or "", constraint or "us-east-1")


def policy_is_public(doc: Any) -> bool:
    """An Allow statement for everyone (``*`` or ``{"AWS": "*"}``) with no condition."""
    if not isinstance(doc, dict):
        return False
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements or []:
        if not isinstance(st, dict) or st.get("Effect") != "Allow" or st.get("Condition"):
            continue
        principal = st.get("Principal")
        if principal == "*":
            return True
        if isinstance(principal, dict):
            aws = principal.get("AWS")
            values = aws if isinstance(aws, list) else [aws]
            if "*" in values:
                return True
    return False


def is_public(policy: Any, grants: Any, bucket_pab: Any, account_pab: Any) -> bool | None:
    """Public, private, or None when a part that could make it public was not read."""
    blocks: dict[str, Any] = {}
    pab_unknown = bucket_pab is MISSING or account_pab is MISSING
    for pab in (account_pab, bucket_pab):
        if isinstance(pab, dict):
            for flag, on in pab.items():
                blocks[flag] = blocks.get(flag) or bool(on)
    policy_public: bool | None
    if policy is MISSING:
        policy_public = None
    else:
        policy_public = policy_is_public(policy_doc(policy)) if policy else False
    if policy_public is not False and blocks.get("RestrictPublicBuckets"):
        policy_public = False
    acl_public: bool | None
    if grants is MISSING:
        acl_public = None
    else:
        acl_public = any((g.get("Grantee") or {}).get("URI") in PUBLIC_GROUPS for g in grants or [])
    if acl_public is not False and blocks.get("IgnorePublicAcls"):
        acl_public = False
    if policy_public or acl_public:
        # A block we could not read might still neutralise it.
        return None if pab_unknown else True
    if policy_public is None or acl_public is None:
        return None
    return False


def transform_buckets(raw: Mapping[str, Any], ctx: Ctx) -> Partial:
    """Buckets → ``bucket`` nodes (props per MODEL.md); policies under ``BUCKET_ARN#policy``."""
    part = Partial()
    account_pab = raw.get("AccountPublicAccessBlock", MISSING)
    for bucket in raw.get("Buckets") or []:
        name = bucket["Name"]
        arn = f"arn:{ctx.partition}:s3:::{name}"
        region = bucket.get("Region", MISSING)
        props: dict[str, Any] = {"account": ctx.account, "native_id": name}
        policy = bucket.get("Policy", MISSING)
        attach_resource_policy(part, props, arn, policy)
        grants = bucket.get("Acl", MISSING)
        known(
            props,
            "acl_grants",
            grants
            if grants is MISSING
            else sorted(
                (
                    {"grantee": _grantee(g.get("Grantee") or {}), "permission": g.get("Permission")}
                    for g in grants
                ),
                key=lambda g: (str(g["grantee"]), str(g["permission"])),
            ),
        )
        pab = bucket.get("PublicAccessBlock", MISSING)
        known(props, "public_access_block", pab)
        known(props, "account_public_access_block", account_pab)
        encryption = bucket.get("Encryption", MISSING)
        key_id = None
        if encryption is MISSING or encryption is None:
            known(props, "encryption", encryption)
        else:
            rule = (
                ((encryption.get("Rules") or [{}])[0]).get("ApplyServerSideEncryptionByDefault")
                or {}
            )
            props["encryption"] = rule.get("SSEAlgorithm")
            key_id = rule.get("KMSMasterKeyID")
        known(props, "versioning", bucket.get("Versioning", MISSING))
        logging = bucket.get("Logging", MISSING)
        known(props, "logging", logging if logging in (MISSING, None) else dict(logging))
        bucket_tags = bucket.get("Tags", MISSING)
        known(props, "tags", bucket_tags if bucket_tags is MISSING else tags(bucket_tags))
        props["created"] = str(bucket.get("CreationDate")) if bucket.get("CreationDate") else None
        known(props, "public", is_public(policy, grants, pab, account_pab))
        if props["public"] is None and "public" not in props.get("unknown", []):
            props.setdefault("unknown", []).append("public")
        part.nodes.append(
            node(arn, NodeKind.BUCKET, name, "" if region is MISSING else region, props)
        )
        if key_id:
            bucket_ctx = Ctx(
                ctx.account, region if isinstance(region, str) else ctx.region, ctx.partition
            )
            part.edges.append(Edge(arn, key_ref(key_id, bucket_ctx), EdgeKind.ENCRYPTED_BY))
    return part


def _grantee(grantee: Mapping[str, Any]) -> str:
    return str(
        grantee.get("URI")
        or grantee.get("ID")
        or grantee.get("EmailAddress")
        or grantee.get("DisplayName")
        or "unknown"
    )
