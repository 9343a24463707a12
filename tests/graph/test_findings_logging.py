"""Estate-level logging rules on account nodes."""

from __future__ import annotations

from typing import Any

from blastscope.graph.findings import findings
from blastscope.graph.model import Node, NodeKind, Partial, Snapshot, merge_parts


def snap(nodes: list[Node], docs: dict[str, Any] | None = None) -> Snapshot:
    part = Partial(nodes=list(nodes), documents=docs or {})
    return merge_parts([part], provider="demo", scope={}, collected_at="2026-06-01T00:00:00Z")


def acct(node_id: str, provider: str, **props: Any) -> Node:
    return Node(node_id, NodeKind.ACCOUNT, node_id, provider, props=props)


def hits(s: Snapshot, rule: str) -> dict[str, Any]:
    return {f.node: f for f in findings(s, rules=[rule])}


def test_cloudtrail_missing_or_not_logging() -> None:
    single = {"name": "t", "multi_region": False, "is_logging": True}
    stopped = {"name": "org", "multi_region": True, "is_logging": False}
    good = {"name": "main", "multi_region": True, "is_logging": True}
    nodes = [
        acct("none", "aws", logging={"trails": []}),
        acct("bad", "aws", logging={"trails": [single, stopped]}),
        acct("good", "aws", logging={"trails": [single, good]}),
        acct("unread", "aws", logging={"guardduty": True}),
        acct("nolog", "aws"),
    ]
    found = hits(snap(nodes), "no-audit-logging")
    assert set(found) == {"none", "bad"}
    assert found["none"].title == "no CloudTrail trail"
    assert [t["name"] for t in found["bad"].evidence["trails"]] == ["t", "org"]


def test_azure_activity_log_and_gcp_audit_configs() -> None:
    proj, proj_ok = (f"//cloudresourcemanager.googleapis.com/projects/{p}" for p in ("p1", "p2"))
    docs = {
        f"{proj}#iam": {"bindings": []},
        f"{proj_ok}#iam": {
            "bindings": [],
            "auditConfigs": [
                {
                    "service": "allServices",
                    "auditLogConfigs": [
                        {"logType": "ADMIN_READ"},
                        {"logType": "DATA_READ"},
                        {"logType": "DATA_WRITE"},
                    ],
                }
            ],
        },
    }
    nodes = [
        acct("/subscriptions/a", "azure", logging={"activity_log_export": False}),
        acct("/subscriptions/b", "azure", logging={"activity_log_export": True}),
        acct(proj, "gcp"),
        acct(proj_ok, "gcp"),
    ]
    found = hits(snap(nodes, docs), "no-audit-logging")
    assert set(found) == {"/subscriptions/a", proj}
    assert str(found[proj].severity) == "low"


def test_threat_detection() -> None:
    nodes = [
        acct("gd-part", "aws", logging={"guardduty": {"us-east-1": True, "eu-west-1": False}}),
        acct("gd-off", "aws", logging={"guardduty": False}),
        acct("gd-on", "aws", logging={"guardduty": {"us-east-1": True}}),
        acct(
            "/subscriptions/free", "azure", logging={"defender_plans": {"VirtualMachines": "Free"}}
        ),
        acct(
            "/subscriptions/std",
            "azure",
            logging={"defender_plans": {"VirtualMachines": "Standard", "StorageAccounts": "Free"}},
        ),
    ]
    found = hits(snap(nodes), "threat-detection-off")
    assert set(found) == {"gd-part", "gd-off", "/subscriptions/free"}
    assert found["gd-part"].evidence["guardduty_off"] == ["eu-west-1"]


def test_cloudtrail_as_the_aws_collector_writes_it() -> None:
    def trail(multi: bool, logging: bool | None) -> dict[str, Any]:
        return {"name": "t", "arn": "arn:t", "multi_region": multi, "logging": logging}

    nodes = [
        acct("none", "aws", logging={"cloudtrail": []}),
        acct("stopped", "aws", logging={"cloudtrail": [trail(True, False), trail(False, True)]}),
        acct("on", "aws", logging={"cloudtrail": [trail(True, True)]}),
        acct("status-unread", "aws", logging={"cloudtrail": [trail(True, None)]}),
    ]
    assert set(hits(snap(nodes), "no-audit-logging")) == {"none", "stopped"}


def test_gcp_audit_configs_are_inherited_from_folders_and_the_organization() -> None:
    crm = "//cloudresourcemanager.googleapis.com"
    org, folder = f"{crm}/organizations/1", f"{crm}/folders/2"
    covered, bare, orphan = (f"{crm}/projects/{p}" for p in ("covered", "bare", "orphan"))
    full = [
        {
            "service": "allServices",
            "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}],
        }
    ]
    docs = {
        f"{org}#iam": {"bindings": []},
        f"{folder}#iam": {"bindings": [], "auditConfigs": full},
        f"{covered}#iam": {"bindings": []},
        f"{bare}#iam": {"bindings": []},
        f"{orphan}#iam": {"bindings": []},
    }
    nodes = [
        acct(org, "gcp"),
        acct(folder, "gcp", parent=org),
        acct(covered, "gcp", parent=folder),
        acct(bare, "gcp", parent=org),
        acct(orphan, "gcp", parent=f"{crm}/folders/unread"),
    ]
    found = hits(snap(nodes, docs), "no-audit-logging")
    assert set(found) == {bare}
    assert found[bare].evidence["ancestors"] == [org]
