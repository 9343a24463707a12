"""The account node: alias, IAM summary, password policy, CloudTrail trails, and the root user.

Trails are read in the home region with shadow trails included, so multi-region trails from
other regions show too; ``GetTrailStatus`` says whether each one is logging.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import NodeKind, Partial
from blastscope.providers.aws.common import MISSING, Ctx, Gaps, known, node
from blastscope.providers.aws.session import Clients, paginate

SUMMARY_KEYS = (
    "AccountMFAEnabled",
    "AccountAccessKeysPresent",
    "AccountSigningCertificatesPresent",
    "Users",
    "Roles",
    "Groups",
    "Policies",
    "MFADevicesInUse",
)


def account_id(ctx: Ctx) -> str:
    return f"aws:account/{ctx.account}"


def get_account(clients: Clients, ctx: Ctx, gaps: Gaps, home_region: str) -> dict[str, Any]:
    """Everything the account node shows; each part that fails is a gap."""
    iam = clients.client("iam", "global")
    out: dict[str, Any] = {}
    out["Aliases"] = gaps.read(
        lambda: paginate(iam, "list_account_aliases", "AccountAliases"), what="account aliases"
    )
    out["Summary"] = gaps.read(
        lambda: iam.get_account_summary()["SummaryMap"], what="IAM account summary"
    )
    out["PasswordPolicy"] = gaps.read(
        lambda: iam.get_account_password_policy()["PasswordPolicy"],
        what="password policy",
        absent=("NoSuchEntity",),
    )
    trail = clients.client("cloudtrail", home_region)
    trails = gaps.read(
        lambda: trail.describe_trails(includeShadowTrails=True)["trailList"], what="trails"
    )
    if trails is not MISSING:
        for item in trails:
            status = gaps.read(
                lambda i=item: trail.get_trail_status(Name=i["TrailARN"]),
                what=f"status of trail {item.get('Name')}",
            )
            item["IsLogging"] = None if status is MISSING else bool(status.get("IsLogging"))
    out["Trails"] = trails
    return out


def transform_account(raw: Mapping[str, Any], ctx: Ctx) -> Partial:
    """The ``account`` node and the root user (``identity``, principal_type ``root``)."""
    part = Partial()
    aliases = raw.get("Aliases", MISSING)
    name = aliases[0] if aliases not in (MISSING, None) and aliases else ctx.account
    props: dict[str, Any] = {"native_id": ctx.account, "account": ctx.account}
    known(props, "aliases", aliases)
    summary = raw.get("Summary", MISSING)
    known(
        props,
        "iam_summary",
        summary if summary is MISSING else {k: summary[k] for k in SUMMARY_KEYS if k in summary},
    )
    policy = raw.get("PasswordPolicy", MISSING)
    known(props, "password_policy", policy)
    trails = raw.get("Trails", MISSING)
    if trails is MISSING:
        known(props, "logging", MISSING)
    else:
        props["logging"] = {
            "cloudtrail": sorted(
                (
                    {
                        "name": t.get("Name"),
                        "arn": t.get("TrailARN"),
                        "home_region": t.get("HomeRegion"),
                        "multi_region": bool(t.get("IsMultiRegionTrail")),
                        "organization": bool(t.get("IsOrganizationTrail")),
                        "logging": t.get("IsLogging"),
                        "log_file_validation": bool(t.get("LogFileValidationEnabled")),
                        "kms_key": t.get("KmsKeyId"),
                    }
                    for t in trails
                ),
                key=lambda t: str(t["arn"]),
            )
        }
    part.nodes.append(node(account_id(ctx), NodeKind.ACCOUNT, name, "", props))
    root: dict[str, Any] = {"account": ctx.account, "principal_type": "root"}
    if summary is MISSING:
        known(root, "mfa", MISSING)
        known(root, "access_keys_present", MISSING)
    else:
        root["mfa"] = bool(summary.get("AccountMFAEnabled"))
        root["access_keys_present"] = bool(summary.get("AccountAccessKeysPresent"))
    root["console"] = True
    part.nodes.append(
        node(f"arn:{ctx.partition}:iam::{ctx.account}:root", NodeKind.IDENTITY, "root", "", root)
    )
    return part
