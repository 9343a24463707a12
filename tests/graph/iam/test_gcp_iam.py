"""GCP IAM evaluation on the Acme estate (built by the collector's transforms from recorded
REST responses, with real predefined role permission lists) and on literal snapshots."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from fakes.gcp_estate import offline_snapshot

from blastscope.graph.build import build_graph
from blastscope.graph.errors import InputError
from blastscope.graph.iam import Outcome, evaluator_for
from blastscope.graph.iam.gcp import evaluate, permission_edges, who_can
from blastscope.graph.model import Node, NodeKind, Partial, merge_parts

ROLES = Path(__file__).resolve().parents[2] / "data" / "gcp" / "iam" / "roles"
CRM = "//cloudresourcemanager.googleapis.com"
SA = "//iam.googleapis.com/projects/acme-prod/serviceAccounts/"
WEB_SA = SA + "web-sa@acme-prod.iam.gserviceaccount.com"
CI_SA = SA + "ci-deployer@acme-prod.iam.gserviceaccount.com"
DATA = "//storage.googleapis.com/projects/_/buckets/acme-data"
PUBLIC = "//storage.googleapis.com/projects/_/buckets/acme-public-assets"
BACKUPS = "//storage.googleapis.com/projects/_/buckets/acme-backups"
DB_PASSWORD = "//secretmanager.googleapis.com/projects/acme-prod/secrets/db-password"
API_TOKEN = "//secretmanager.googleapis.com/projects/acme-prod/secrets/api-token"
KEY = (
    "//cloudkms.googleapis.com/projects/acme-prod/locations/us-central1/"
    + "keyRings/app-ring/cryptoKeys/data-key"
)
WEB = "//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/web-1"


@pytest.fixture(scope="module")
def snap():
    return offline_snapshot()


@pytest.fixture(scope="module")
def edges(snap):
    return {(e.src, str(e.kind), e.dst): e.props for e in permission_edges(snap)}


def test_evaluator_is_found_by_provider():
    assert evaluator_for("gcp").evaluate is evaluate


def test_resource_binding_with_real_object_viewer_role(snap):
    d = evaluate(snap, WEB_SA, "storage.objects.get", DATA)
    assert d.outcome is Outcome.ALLOW
    assert d.statements[0].sid == "roles/storage.objectViewer"
    assert d.statements[0].document == DATA + "#iam"
    # objectViewer has no write permission.
    assert evaluate(snap, WEB_SA, "storage.objects.delete", DATA).outcome is Outcome.IMPLICIT_DENY
    # The binding is on acme-data only, not on the other buckets.
    assert evaluate(snap, WEB_SA, "storage.objects.get", BACKUPS).outcome is Outcome.IMPLICIT_DENY


def test_folder_binding_is_inherited_by_project_resources(snap):
    d = evaluate(snap, CI_SA, "secretmanager.versions.access", API_TOKEN)
    assert d.outcome is Outcome.ALLOW
    assert d.statements[0].document == f"{CRM}/folders/456789#iam"
    who = dict(who_can(snap, "secretmanager.versions.access", DB_PASSWORD))
    assert set(who) == {CI_SA, WEB_SA}


def test_viewer_excerpt_reads_metadata_not_data(snap):
    group = "group:auditors@acme.example"
    assert evaluate(snap, group, "storage.buckets.get", DATA).outcome is Outcome.ALLOW
    assert evaluate(snap, group, "secretmanager.secrets.get", API_TOKEN).outcome is Outcome.ALLOW
    d = evaluate(snap, group, "secretmanager.versions.access", API_TOKEN)
    assert d.outcome is Outcome.IMPLICIT_DENY
    # The organization's binding reached the bucket through folder and project.
    ok = evaluate(snap, group, "storage.buckets.get", DATA)
    assert ok.statements[0].document == f"{CRM}/organizations/987654321#iam"


def test_condition_makes_access_conditional_and_deny_wins(snap):
    analyst = "gcp:user/analyst@acme.example"
    # objectViewer under an office-hours condition; the deny policy forbids objects.get.
    assert evaluate(snap, analyst, "storage.objects.get", DATA).outcome is Outcome.EXPLICIT_DENY
    # objects.list: the domain's roles/viewer → projectViewer → legacyBucketReader, no condition.
    listing = evaluate(snap, analyst, "storage.objects.list", DATA)
    assert listing.outcome is Outcome.ALLOW
    assert listing.statements[0].sid == "roles/storage.legacyBucketReader"
    assert "projectViewer:acme-prod" in listing.reason
    # A permission only the conditional objectViewer binding grants.
    fresh = evaluate(snap, "user:analyst@acme.example", "storage.folders.get", DATA)
    assert fresh.outcome is Outcome.CONDITIONAL


def test_public_members_are_the_internet(snap, edges):
    props = edges[("internet", "can_access", PUBLIC)]
    assert props["level"] == "read" and "storage.objects.get" in props["actions"]
    assert not any(src == "internet" and dst == DATA for src, _, dst in edges)


def test_can_access_levels_and_conditions(snap, edges):
    assert edges[(WEB_SA, "can_access", DATA)]["level"] == "read"
    assert edges[(WEB_SA, "can_access", DB_PASSWORD)]["actions"] == [
        "secretmanager.versions.access"
    ]
    assert edges[(WEB_SA, "can_access", KEY)]["conditional"] is False  # ring policy inherited
    admin = edges[(CI_SA, "can_access", BACKUPS)]
    assert admin["level"] == "admin" and admin["conditional"] is True
    analyst = edges[("gcp:user/analyst@acme.example", "can_access", DATA)]
    assert "storage.objects.get" not in analyst["actions"]  # denied
    assert all(p["reason"] and p["evidence"] for p in edges.values())


def test_escalation_techniques(snap, edges):
    token = edges[(WEB_SA, "can_escalate", CI_SA)]
    assert token["technique"] == "getAccessToken" and not token["conditional"]
    assert {"signJwt", "signBlob", "implicitDelegation"} <= set(token["techniques"])
    dev = "gcp:user/dev@acme.example"
    to_web = {
        e.props["technique"] for e in permission_edges(snap) if (e.src, e.dst) == (dev, WEB_SA)
    }
    assert to_web == {"setMetadata", "setServiceAccount", "actAs"}


def test_act_as_without_a_deploy_permission_is_conditional():
    base = offline_snapshot()
    docs = dict(base.documents)
    docs.pop("projects/acme-prod/roles/instanceOperator")
    snap = replace(base, documents=docs)
    props = {(e.src, e.dst): e.props for e in permission_edges(snap) if e.kind == "can_escalate"}
    act = props[("gcp:user/dev@acme.example", WEB_SA)]
    assert act["technique"] == "actAs" and act["conditional"] is True
    # Without the custom role's definition its bindings grant nothing we can name.
    d = evaluate(snap, "user:dev@acme.example", "compute.instances.setMetadata", WEB)
    assert d.outcome is Outcome.IMPLICIT_DENY
    assert "not collected" in d.reason


def test_project_set_iam_policy_is_an_escalation_to_the_project():
    role = {"name": "roles/resourcemanager.projectIamAdmin", "includedPermissions": [
        "resourcemanager.projects.get", "resourcemanager.projects.getIamPolicy",
        "resourcemanager.projects.setIamPolicy"]}  # fmt: skip
    base = offline_snapshot()
    docs = dict(base.documents)
    pol = json.loads(json.dumps(docs[f"{CRM}/projects/acme-prod#iam"]))
    pol["bindings"].append(
        {"role": role["name"], "members": ["serviceAccount:" + WEB_SA[len(SA) :]]}
    )
    docs[f"{CRM}/projects/acme-prod#iam"] = pol
    docs[role["name"]] = role
    G = build_graph(replace(base, documents=docs))
    kinds = {
        d["props"].get("technique")
        for d in G.get_edge_data(WEB_SA, f"{CRM}/projects/acme-prod").values()
    }
    assert "setIamPolicy" in kinds
    # The project contains its data: a path exists from the escalation to every resource.
    assert G.has_edge(f"{CRM}/projects/acme-prod", BACKUPS)


def test_only_gcp_nodes_are_considered():
    roles = {r: json.loads((ROLES / f"{r}.json").read_text()) for r in ["storage.objectViewer"]}
    docs = {f"roles/{k}": v for k, v in roles.items()}
    docs["b1#iam"] = {"bindings": [{"role": "roles/storage.objectViewer", "members": ["allUsers"]}]}
    docs["b2#iam"] = docs["b1#iam"]
    nodes = [
        Node("b1", NodeKind.BUCKET, "b1", "gcp", props={}),
        Node("b2", NodeKind.BUCKET, "b2", "demo", props={}),
    ]
    snap = merge_parts([Partial(nodes=nodes, documents=docs)], provider="demo", scope={},
                       collected_at="t")  # fmt: skip
    dsts = {e.dst for e in permission_edges(snap)}
    assert dsts == {"b1"}


def test_bad_questions_are_input_errors(snap):
    with pytest.raises(InputError):
        evaluate(snap, WEB_SA, "storage.objects.get", "//storage.googleapis.com/nope")
    with pytest.raises(InputError):
        evaluate(snap, "nobody", "storage.objects.get", DATA)


def test_unread_deny_policies_are_named_in_the_reason():
    base = offline_snapshot()
    nodes = []
    for n in base.nodes:
        if n.id == f"{CRM}/folders/456789":
            n = replace(n, props={**n.props, "deny_policies": None, "unknown": ["deny_policies"]})
        nodes.append(n)
    d = evaluate(replace(base, nodes=tuple(nodes)), WEB_SA, "storage.objects.get", DATA)
    assert d.outcome is Outcome.ALLOW
    assert "deny policies of folders/456789 could not be read" in d.reason
