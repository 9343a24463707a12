"""Estate-level findings on the account node: no audit trail, threat detection off.

Read from the account's ``logging`` prop (shape per cloud in MODEL.md "Findings inputs"); a
missing key is unknown and makes no finding. GCP data-access audit logs are also read from the
project's IAM policy document (``auditConfigs``) when ``logging`` does not say.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from blastscope.graph.findings_base import Hit, Index, Rule, Severity, as_list
from blastscope.graph.model import Node


def _logging(node: Node) -> Mapping[str, Any]:
    value = node.props.get("logging")
    return value if isinstance(value, Mapping) else {}


def _aws_trail(node: Node) -> Hit | None:
    log = _logging(node)
    raw = log.get("trails", log.get("cloudtrail"))
    if not isinstance(raw, list):
        return None
    trails = [t for t in raw if isinstance(t, Mapping)]
    multi = [t for t in trails if t.get("multi_region") is True]
    if any(_trail_logging(t) is True for t in multi):
        return None
    if any(_trail_logging(t) is None for t in multi):
        return None  # a multi-region trail whose status was not read: unknown, not absent
    summary = [
        {
            "name": t.get("name"),
            "multi_region": t.get("multi_region"),
            "is_logging": _trail_logging(t),
        }
        for t in trails
    ]
    title = (
        "no CloudTrail trail" if not trails else "no multi-region CloudTrail trail that is logging"
    )
    return Hit(node.id, {"trails": summary}, title=title)


def _trail_logging(trail: Mapping[str, Any]) -> Any:
    return trail.get("is_logging", trail.get("logging"))


def _gcp_log_types(ix: Index, node_id: str) -> set[str] | None:
    """allServices audit log types configured on ``node_id`` itself; None if not read."""
    doc = ix.document(f"{node_id}#iam")
    if doc is None:
        return None
    types: set[str] = set()
    for config in as_list(doc.get("auditConfigs")):
        if isinstance(config, Mapping) and config.get("service") == "allServices":
            for entry in as_list(config.get("auditLogConfigs")):
                if isinstance(entry, Mapping):
                    types.add(str(entry.get("logType")))
    return types


def _gcp_data_access(ix: Index, node: Node) -> Hit | None:
    """Projects only: audit configs are inherited from folders and the organization, so a
    project is covered when it or any ancestor logs DATA_READ and DATA_WRITE."""
    if "/projects/" not in node.id:
        return None
    log = _logging(node)
    if "data_access_audit" in log:
        on = log["data_access_audit"] is True
        return (
            None
            if on
            else Hit(
                node.id,
                {"data_access_audit": log["data_access_audit"]},
                Severity.LOW,
                "data-access audit logs are off",
            )
        )
    own = _gcp_log_types(ix, node.id)
    if own is None:
        return None
    types, chain, current, seen = set(own), [], node, {node.id}
    while isinstance(current.props.get("parent"), str) and current.props["parent"] not in seen:
        parent_id = current.props["parent"]
        seen.add(parent_id)
        parent = ix.nodes.get(parent_id)
        inherited = _gcp_log_types(ix, parent_id)
        if parent is None or inherited is None:
            return None  # an ancestor's policy was not read: unknown
        types |= inherited
        chain.append(parent_id)
        current = parent
    if {"DATA_READ", "DATA_WRITE"} <= types:
        return None
    return Hit(
        node.id,
        {"document": f"{node.id}#iam", "ancestors": chain, "all_services_log_types": sorted(types)},
        Severity.LOW,
        "data-access audit logs are off (allServices DATA_READ/DATA_WRITE)",
    )


def _no_audit_logging(ix: Index) -> Iterator[Hit]:
    for acct in ix.of_kind("account"):
        hit: Hit | None = None
        if acct.provider == "aws":
            hit = _aws_trail(acct)
        elif acct.provider == "azure":
            log = _logging(acct)
            if log.get("activity_log_export") is False:
                hit = Hit(
                    acct.id,
                    {"activity_log_export": False},
                    Severity.MEDIUM,
                    "activity log is not exported (diagnostic settings)",
                )
        elif acct.provider == "gcp":
            hit = _gcp_data_access(ix, acct)
        if hit:
            yield hit


def _threat_detection_off(ix: Index) -> Iterator[Hit]:
    for acct in ix.of_kind("account"):
        log = _logging(acct)
        if acct.provider == "aws" and "guardduty" in log:
            value = log["guardduty"]
            if isinstance(value, Mapping):
                off = sorted(str(r) for r, on in value.items() if on is not True)
            else:
                off = [] if value is True else ["all regions"]
            if off:
                yield Hit(acct.id, {"guardduty_off": off}, title="GuardDuty is off")
        elif acct.provider == "azure" and isinstance(log.get("defender_plans"), Mapping):
            plans = log["defender_plans"]
            free = sorted(str(p) for p, tier in plans.items() if str(tier).lower() != "standard")
            if plans and len(free) == len(plans):
                yield Hit(acct.id, {"free_plans": free}, title="no Defender for Cloud plan enabled")


RULES = (
    Rule(
        "no-audit-logging",
        "logging",
        Severity.HIGH,
        "no audit trail",
        "Create a multi-region CloudTrail trail / export the activity log / enable data-access "
        "audit logs, delivered to a store the workload cannot change.",
        _no_audit_logging,
    ),
    Rule(
        "threat-detection-off",
        "logging",
        Severity.MEDIUM,
        "threat detection is off",
        "Enable GuardDuty in every region / Defender for Cloud plans for the workloads.",
        _threat_detection_off,
    ),
)
