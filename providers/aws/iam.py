"""IAM: users, groups, roles and managed policies in one pass, and users' credentials.

``GetAccountAuthorizationDetails`` returns every principal with its inline policies, attached
managed policies, boundary and trust policy, and the managed policies with all versions; we
keep each managed policy's default version. Policies it leaves out (an AWS managed policy used
only as a boundary, say) are fetched one by one. Credentials (access keys, MFA, console
password) are a second task: they need a few calls per user.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, NodeKind, Partial
from blastscope.providers.aws.common import (
    MISSING,
    Ctx,
    Gaps,
    iso,
    known,
    node,
    policy_doc,
    tags,
)
from blastscope.providers.aws.session import Clients, paginate

AWS_MANAGED_PREFIX = ":iam::aws:policy/"
GLOBAL = "global"


# --- principals and policies ------------------------------------------------------------------


def get_authorization_details(clients: Clients, ctx: Ctx) -> dict[str, list[dict[str, Any]]]:
    """All pages of GetAccountAuthorizationDetails, plus managed policies it did not list."""
    iam = clients.client("iam", GLOBAL)
    out: dict[str, list[dict[str, Any]]] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    for page in iam.get_paginator("get_account_authorization_details").paginate():
        for key, items in out.items():
            items.extend(page.get(key) or [])
    listed = {p["Arn"] for p in out["Policies"]}
    for arn in sorted(_referenced_policies(out) - listed):
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
        policy["PolicyVersionList"] = [{**version["PolicyVersion"], "IsDefaultVersion": True}]
        out["Policies"].append(policy)
    return out


def _referenced_policies(details: Mapping[str, list[dict[str, Any]]]) -> set[str]:
    arns: set[str] = set()
    for key in ("UserDetailList", "GroupDetailList", "RoleDetailList"):
        for item in details.get(key, []):
            arns.update(p["PolicyArn"] for p in item.get("AttachedManagedPolicies") or [])
            boundary = (item.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
            if boundary:
                arns.add(boundary)
    return arns


def transform_authorization_details(
    details: Mapping[str, list[dict[str, Any]]], ctx: Ctx
) -> Partial:
    """Principals and managed policies → nodes, ``member_of``/``has_policy`` edges, documents.

    Documents: a managed policy's default version under the policy ARN, an inline policy under
    ``PRINCIPAL_ARN#inline/NAME``, a trust policy under ``ROLE_ARN#trust``.
    """
    part = Partial()
    groups_by_name = {g["GroupName"]: g["Arn"] for g in details.get("GroupDetailList", [])}
    for policy in details.get("Policies", []):
        _policy(part, policy, ctx)
    for user in details.get("UserDetailList", []):
        arn = user["Arn"]
        props = _principal_props(part, user, "UserPolicyList", ctx)
        props["principal_type"] = "user"
        props["native_id"] = user.get("UserId")
        props["path"] = user.get("Path")
        props["created"] = iso(user.get("CreateDate"))
        part.nodes.append(node(arn, NodeKind.IDENTITY, user["UserName"], "", props))
        for group in user.get("GroupList") or []:
            group_arn = (
                groups_by_name.get(group) or f"arn:{ctx.partition}:iam::{ctx.account}:group/{group}"
            )
            part.edges.append(Edge(arn, group_arn, EdgeKind.MEMBER_OF))
    for group in details.get("GroupDetailList", []):
        props = _principal_props(part, group, "GroupPolicyList", ctx)
        props.pop("permissions_boundary", None)
        props["native_id"] = group.get("GroupId")
        props["path"] = group.get("Path")
        part.nodes.append(node(group["Arn"], NodeKind.GROUP, group["GroupName"], "", props))
    for role in details.get("RoleDetailList", []):
        arn = role["Arn"]
        props = _principal_props(part, role, "RolePolicyList", ctx)
        trust_id = f"{arn}#trust"
        part.documents[trust_id] = policy_doc(role.get("AssumeRolePolicyDocument"))
        props["trust_policy"] = trust_id
        props["instance_profiles"] = sorted(p["Arn"] for p in role.get("InstanceProfileList") or [])
        props["native_id"] = role.get("RoleId")
        props["path"] = role.get("Path")
        props["service_linked"] = (role.get("Path") or "").startswith("/aws-service-role/")
        last_used = (role.get("RoleLastUsed") or {}).get("LastUsedDate")
        props["last_used"] = iso(last_used)
        part.nodes.append(node(arn, NodeKind.ROLE, role["RoleName"], "", props))
    return part


def _principal_props(
    part: Partial, item: Mapping[str, Any], inline_key: str, ctx: Ctx
) -> dict[str, Any]:
    arn = item["Arn"]
    inline: list[str] = []
    for policy in item.get(inline_key) or []:
        doc_id = f"{arn}#inline/{policy['PolicyName']}"
        part.documents[doc_id] = policy_doc(policy.get("PolicyDocument"))
        inline.append(doc_id)
    for attached in item.get("AttachedManagedPolicies") or []:
        part.edges.append(
            Edge(arn, attached["PolicyArn"], EdgeKind.HAS_POLICY, {"attachment": "managed"})
        )
    boundary = (item.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    return {
        "account": ctx.account,
        "tags": tags(item.get("Tags")),
        "inline_policies": sorted(inline),
        "permissions_boundary": boundary,
    }


def _policy(part: Partial, policy: Mapping[str, Any], ctx: Ctx) -> None:
    arn = policy["Arn"]
    # Moto omits PolicyName; real IAM returns it. The ARN's last segment is the name.
    name = policy.get("PolicyName") or arn.rsplit("/", 1)[-1]
    default_id = policy.get("DefaultVersionId")
    versions = policy.get("PolicyVersionList") or []
    default = next(
        (v for v in versions if v.get("IsDefaultVersion") or v.get("VersionId") == default_id),
        None,
    )
    props: dict[str, Any] = {
        "account": ctx.account,
        "default_version": default_id or (default or {}).get("VersionId"),
        "aws_managed": AWS_MANAGED_PREFIX in arn,
        "attachment_count": policy.get("AttachmentCount"),
        "boundary_count": policy.get("PermissionsBoundaryUsageCount"),
        "native_id": policy.get("PolicyId"),
        "path": policy.get("Path"),
    }
    if default is None:
        known(props, "document", MISSING)
    else:
        part.documents[arn] = policy_doc(default.get("Document"))
        props["document"] = arn
    part.nodes.append(node(arn, NodeKind.POLICY, name, "", props))


# --- users' credentials -------------------------------------------------------------------


def get_user_credentials(clients: Clients, gaps: Gaps) -> list[dict[str, Any]]:
    """Per user: access keys (with last use), MFA devices, login profile; failures are gaps."""
    iam = clients.client("iam", GLOBAL)
    users = paginate(iam, "list_users", "Users")

    def one(user: dict[str, Any]) -> dict[str, Any]:
        name = user["UserName"]
        keys = gaps.read(
            lambda: paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=name),
            what=f"access keys of {name}",
        )
        if keys is not MISSING:
            for key in keys:
                key["LastUsed"] = gaps.read(
                    lambda k=key: iam.get_access_key_last_used(AccessKeyId=k["AccessKeyId"])[
                        "AccessKeyLastUsed"
                    ].get("LastUsedDate"),
                    what=f"last use of an access key of {name}",
                )
        mfa = gaps.read(
            lambda: paginate(iam, "list_mfa_devices", "MFADevices", UserName=name),
            what=f"MFA devices of {name}",
        )
        login = gaps.read(
            lambda: iam.get_login_profile(UserName=name)["LoginProfile"],
            what=f"login profile of {name}",
            absent=("NoSuchEntity",),
        )
        return {"User": user, "AccessKeys": keys, "MFADevices": mfa, "LoginProfile": login}

    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="iam-users") as pool:
        return list(pool.map(one, users))


def transform_user_credentials(records: Iterable[Mapping[str, Any]], ctx: Ctx) -> Partial:
    """Users' ``access_keys`` (never the secret: a 4-character id suffix), ``mfa``, ``console``."""
    part = Partial()
    for record in records:
        user = record["User"]
        props: dict[str, Any] = {"account": ctx.account, "principal_type": "user"}
        keys = record.get("AccessKeys", MISSING)
        if keys is MISSING:
            known(props, "access_keys", MISSING)
        else:
            entries = []
            for key in keys:
                last_used = key.get("LastUsed")
                if last_used is MISSING:
                    known(props, "access_keys.last_used", MISSING)
                    props.pop("access_keys.last_used", None)
                    last_used = None
                entries.append(
                    {
                        "id_suffix": str(key.get("AccessKeyId", ""))[-4:],
                        "status": key.get("Status"),
                        "created": iso(key.get("CreateDate")),
                        "last_used": iso(last_used),
                    }
                )
            props["access_keys"] = sorted(
                entries, key=lambda e: (e["created"] or "", e["id_suffix"])
            )
        mfa = record.get("MFADevices", MISSING)
        known(props, "mfa", MISSING if mfa is MISSING else bool(mfa))
        login = record.get("LoginProfile", MISSING)
        known(props, "console", MISSING if login is MISSING else login is not None)
        part.nodes.append(node(user["Arn"], NodeKind.IDENTITY, user["UserName"], "", props))
    return part
