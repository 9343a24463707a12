"""The pure transforms, on REST-shaped dicts, with no SDK and no server."""

from __future__ import annotations

from blastscope.graph.model import INTERNET_ID, EdgeKind, NodeKind
from blastscope.providers.gcp.compute import scope_note, transform_instance
from blastscope.providers.gcp.names import member_id, member_node, sa_id
from blastscope.providers.gcp.network import IMPLIED_RULES, transform_firewall
from blastscope.providers.gcp.resourcemanager import transform_hierarchy
from blastscope.providers.gcp.storage import transform_buckets

NET = "https://www.googleapis.com/compute/v1/projects/p/global/networks/default"


def test_firewall_rule_shapes():
    rules = transform_firewall(
        {
            "name": "web",
            "network": NET,
            "direction": "INGRESS",
            "priority": 500,
            "sourceRanges": ["0.0.0.0/0"],
            "sourceTags": ["lb"],
            "targetServiceAccounts": ["web@p.iam.gserviceaccount.com"],
            "allowed": [
                {"IPProtocol": "tcp", "ports": ["80", "8000-8080"]},
                {"IPProtocol": "icmp"},
            ],
        }
    )
    assert [(r["protocol"], r["from_port"], r["to_port"]) for r in rules] == [
        ("tcp", 80, 80),
        ("tcp", 8000, 8080),
        ("icmp", None, None),
    ]
    assert rules[0]["sources"] == [{"cidr": "0.0.0.0/0"}, {"network_tag": "lb"}]
    assert rules[0]["targets"] == {
        "network_tags": [],
        "service_accounts": ["web@p.iam.gserviceaccount.com"],
    }
    assert {r["action"] for r in rules} == {"allow"} and rules[0]["priority"] == 500


def test_deny_egress_default_source_and_disabled():
    deny = transform_firewall(
        {"name": "no-smtp", "direction": "EGRESS", "denied": [{"IPProtocol": "6", "ports": ["25"]}]}
    )
    assert deny[0]["action"] == "deny" and deny[0]["direction"] == "egress"
    assert deny[0]["sources"] == [{"cidr": "0.0.0.0/0"}] and deny[0]["protocol"] == "6"
    assert deny[0]["priority"] == 1000 and deny[0]["targets"] is None
    assert (
        transform_firewall({"name": "off", "disabled": True, "allowed": [{"IPProtocol": "all"}]})
        == []
    )
    implied = {(r["direction"], r["action"], r["priority"]) for r in IMPLIED_RULES}
    assert implied == {("egress", "allow", 65535), ("ingress", "deny", 65535)}


def test_instance_without_service_account_or_external_ip():
    part = transform_instance(
        "p",
        {
            "name": "lonely",
            "selfLink": "https://www.googleapis.com/compute/v1/projects/p/zones/z1/instances/lonely",
            "zone": "https://www.googleapis.com/compute/v1/projects/p/zones/z1",
            "status": "RUNNING",
            "networkInterfaces": [{"network": NET, "networkIP": "10.0.0.2"}],
        },
    )
    (node,) = [n for n in part.nodes if n.kind == NodeKind.INSTANCE]
    assert node.props["public_ips"] == [] and node.props["service_accounts"] == []
    assert not [e for e in part.edges if e.kind == EdgeKind.RUNS_AS]
    assert node.region == "z1"


def test_scope_notes():
    assert scope_note(["cloud-platform"])[0] is True
    full, note = scope_note(["devstorage.read_only"])
    assert full is False and "devstorage.read_only" in note


def test_members_and_service_account_ids():
    assert sa_id("a@other.iam.gserviceaccount.com", "p").endswith(
        "projects/other/serviceAccounts/a@other.iam.gserviceaccount.com"
    )
    assert sa_id("123-compute@developer.gserviceaccount.com", "p").startswith(
        "//iam.googleapis.com/projects/p/"
    )
    assert sa_id("app@appspot.gserviceaccount.com", "x").startswith(
        "//iam.googleapis.com/projects/app/"
    )
    assert member_id("allUsers", "p") == INTERNET_ID
    assert member_id("allAuthenticatedUsers", "p") == INTERNET_ID
    assert member_node("deleted:user:x@y.z?uid=1", "p") is None
    assert member_node("projectViewer:p", "p") is None
    group = member_node("group:g@x.example", "p")
    assert group is not None and group.kind == NodeKind.GROUP
    user = member_node("user:u@x.example?uid=123", "p")
    assert user is not None and user.id == "gcp:user/u@x.example"


def test_unreadable_levels_are_unknown_not_empty():
    project = {"name": "projects/1", "projectId": "p", "parent": "folders/9"}
    part = transform_hierarchy(
        [project, {"name": "folders/9"}],
        {"projects/p": None, "folders/9": {}},
        {"projects/p": None},
    )
    nodes = {n.id: n for n in part.nodes}
    proj = nodes["//cloudresourcemanager.googleapis.com/projects/p"].props
    assert proj["policy"] is None and {"policy", "deny_policies"} <= set(proj["unknown"])
    folder = nodes["//cloudresourcemanager.googleapis.com/folders/9"].props
    assert "parent" in folder["unknown"]
    part = transform_buckets("p", [{"name": "b", "iamConfiguration": {}}], {"b": None})
    props = part.nodes[0].props
    assert props["public"] is None and "public" in props["unknown"]
