"""The account node: alias, IAM summary, password policy, CloudTrail trails, the organization's
SCPs, and the root user.

Trails are read in the home region with shadow trails included, so multi-region trails from
other regions show too; ``GetTrailStatus`` says whether each one is logging.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import NodeKind, Partial
from blastscope.providers.aws.common import MISSING, Ctx, Gaps, known, node, policy_doc
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


def _organization(part: Partial, props: dict[str, Any], raw: Any) -> None:
    """``parent``, ``scps`` (every SCP that applies) and ``scp_levels`` (root → account: at
    each level some SCP must allow, and every level must)."""
    if raw is None:
        props.update(parent=None, organization=None, scps=[], scp_levels=[])
        return
    if raw is MISSING:
        for name in ("parent", "organization", "scps", "scp_levels"):
            known(props, name, MISSING)
        return
    chain = raw["Chain"]
    props["organization"] = raw["Organization"].get("Id")
    props["parent"] = chain[1] if len(chain) > 1 else None
    if raw["Levels"] is MISSING or any(
        p["Content"] is MISSING for level in raw["Levels"] for p in level
    ):
        known(props, "scps", MISSING)
        known(props, "scp_levels", MISSING)
        return
    levels = []
    for level in raw["Levels"]:
        ids = []
        for scp in level:
            part.documents[scp["Arn"]] = policy_doc(scp["Content"])
            ids.append(scp["Arn"])
        levels.append(sorted(ids))
    props["scp_levels"] = levels
    props["scps"] = sorted({i for level in levels for i in level})


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
    out["Organization"] = get_organization(clients, ctx, gaps)
    return out


def get_organization(clients: Clients, ctx: Ctx, gaps: Gaps) -> Any:
    """The account's organization, its parent chain and the SCPs attached at each level.

    None when the account is in no organization (no SCPs apply). Member accounts usually may
    not read SCPs: that is a gap (``scps`` unknown), not "none".
    """
    org = clients.client("organizations", "global")
    described = gaps.read(
        lambda: org.describe_organization()["Organization"],
        what="organization",
        absent=("AWSOrganizationsNotInUseException",),
    )
    if described is None or described is MISSING:
        return described
    chain: list[str] = [ctx.account]
    while True:
        parents = gaps.read(
            lambda c=chain[-1]: org.list_parents(ChildId=c)["Parents"],
            what=f"parent of {chain[-1]}",
        )
        if parents is MISSING:
            return {"Organization": described, "Chain": chain, "Levels": MISSING}
        if not parents:
            break
        chain.append(parents[0]["Id"])
        if parents[0].get("Type") == "ROOT" or len(chain) > 8:
            break
    levels: list[Any] = []
    for target in reversed(chain):  # root first, the account last
        listed = gaps.read(
            lambda t=target: paginate(
                org,
                "list_policies_for_target",
                "Policies",
                TargetId=t,
                Filter="SERVICE_CONTROL_POLICY",
            ),
            what=f"SCPs of {target}",
        )
        if listed is MISSING:
            return {"Organization": described, "Chain": chain, "Levels": MISSING}
        level = []
        for summary in listed:
            content = gaps.read(
                lambda i=summary["Id"]: org.describe_policy(PolicyId=i)["Policy"]["Content"],
                what=f"SCP {summary.get('Name')}",
            )
            level.append({"Arn": summary["Arn"], "Name": summary.get("Name"), "Content": content})
        levels.append(level)
    return {"Organization": described, "Chain": chain, "Levels": levels}


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
    _organization(part, props, raw.get("Organization", MISSING))
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
