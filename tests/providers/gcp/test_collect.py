"""The collector against the HTTPS fake, with the real google clients end to end."""

from __future__ import annotations

from fakes.gcp_estate import READ_POSTS

from blastscope.graph.model import EdgeKind, NodeKind
from blastscope.providers.base import Scope
from blastscope.providers.gcp import GcpProvider

C = "//compute.googleapis.com/projects/acme-prod"
WEB = f"{C}/zones/us-central1-a/instances/web-1"
BATCH = f"{C}/zones/europe-west1-b/instances/batch-1"
WEB_SA = (
    "//iam.googleapis.com/projects/acme-prod/serviceAccounts/"
    + "web-sa@acme-prod.iam.gserviceaccount.com"
)
PROJECT = "//cloudresourcemanager.googleapis.com/projects/acme-prod"


def _collect(fake):
    return GcpProvider().collect(Scope(project="acme-prod", endpoint=fake.url))


def test_collects_every_service_and_follows_pages(collected):
    snap, _ = collected
    assert snap.warnings == ()
    nodes = snap.node_index()
    kinds = {n.kind for n in snap.nodes}
    assert {NodeKind.INSTANCE, NodeKind.BUCKET, NodeKind.DATABASE, NodeKind.SECRET,
            NodeKind.KEY, NodeKind.DISK, NodeKind.SNAPSHOT, NodeKind.FIREWALL,
            NodeKind.SUBNET, NodeKind.NETWORK, NodeKind.ACCOUNT} <= kinds  # fmt: skip
    # Second pages: batch-1 (instances), deny-rdp (firewalls), acme-backups, api-token, default SA.
    assert BATCH in nodes
    assert "//storage.googleapis.com/projects/_/buckets/acme-backups" in nodes
    assert "//secretmanager.googleapis.com/projects/acme-prod/secrets/api-token" in nodes
    rules = nodes[f"{C}/global/networks/default#firewall"].props["rules"]
    assert {r["id"] for r in rules} >= {"deny-rdp", "allow-ssh-tagged", "implied-deny-ingress"}
    assert "old-debug-open" not in {r["id"] for r in rules}  # disabled
    # The hierarchy and its policies.
    assert nodes[PROJECT].props["parent"].endswith("/folders/456789")
    assert snap.documents["//cloudresourcemanager.googleapis.com/organizations/987654321#iam"]
    assert snap.documents[f"{PROJECT}#deny"][0]["rules"][0]["denyRule"]["deniedPermissions"]
    # Predefined roles read because policies reference them; custom ones listed; deleted dropped.
    assert snap.documents["roles/storage.objectViewer"]["includedPermissions"]
    assert "projects/acme-prod/roles/instanceOperator" in snap.documents
    assert "projects/acme-prod/roles/oldRole" not in snap.documents


def test_instance_props_edges_and_secrets_never_stored(collected):
    snap, _ = collected
    web = snap.node_index()[WEB].props
    assert web["public_ips"] == ["34.123.45.67"]
    assert web["network_tags"] == ["http-server", "ssh"]
    assert web["oauth_scopes"] == ["cloud-platform"]
    assert web["image"] == "debian-12-bookworm-v20240110" and web["state"] == "running"
    assert {f["type"] for f in web["user_data_findings"]} >= {"AWS Access Key"}
    edges = {(e.src, e.kind, e.dst): e for e in snap.edges}
    runs = edges[(WEB, EdgeKind.RUNS_AS, WEB_SA)]
    assert runs.props["full_access"] is True
    narrow = [e for e in snap.edges if e.src == BATCH and e.kind == EdgeKind.RUNS_AS]
    assert narrow and narrow[0].props["full_access"] is False
    assert "devstorage.read_only" in narrow[0].props["note"]
    secrets = {e.dst for e in snap.edges if e.src == WEB and e.kind == EdgeKind.CONTAINS}
    own = {s for s in secrets if s.startswith(f"{WEB}#secret/")}
    project_wide = {s for s in secrets if s.startswith(f"{PROJECT}#secret/")}
    assert own and project_wide  # its startup script, and the project's metadata it can read
    assert any(
        e.src == BATCH and e.dst in project_wide for e in snap.edges if e.kind == EdgeKind.CONTAINS
    )
    text = repr(snap.to_dict())
    assert "AKIAIOSFODNN7PLANTED" not in text and "PLANTED" not in text
    # Subnet internet route: default network has one, prod-vpc only for tagged instances.
    subnets = {n.props["native_id"]: n.props for n in snap.nodes if n.kind == NodeKind.SUBNET}
    assert subnets["default"]["default_internet_route"] is True
    assert subnets["prod-subnet"]["default_internet_route"] is False
    assert subnets["prod-subnet"]["internet_route_tags"] == ["egress-proxy"]


def test_only_reads(collected):
    _, requests = collected
    assert len(requests) > 40
    writes = [
        (r.method, r.path)
        for r in requests
        if r.method != "GET" and not (r.method == "POST" and r.path.endswith(READ_POSTS))
    ]
    assert writes == []
    posts = {r.path.rsplit(":", 1)[-1] for r in requests if r.method == "POST"}
    assert posts <= {"getIamPolicy", "/token"}


def test_403_on_one_api_is_a_warning_and_the_rest_is_collected(fake, gcp_env):
    fake.fail(
        "/v1/projects/acme-prod/instances",
        403,
        message="Cloud SQL Admin API has not been used in project 123456789012 before or it is "
        "disabled.",
        reason="SERVICE_DISABLED",
    )
    fake.fail("/v1/projects/acme-prod/secrets", 403, message="Permission denied on secrets")
    fake.fail("/storage/v1/b/acme-public-assets/iam", 403, message="no getIamPolicy")
    snap = _collect(fake)
    props = snap.node_index()[
        "//storage.googleapis.com/projects/_/buckets/acme-public-assets"
    ].props
    assert props["public"] is None and "public" in props["unknown"]
    assert any(w.service == "storage" and "acme-public-assets" in w.message for w in snap.warnings)
    errors = {(w.service, w.error) for w in snap.warnings}
    assert ("cloudsql", "ApiNotEnabled") in errors
    assert ("secretmanager", "PermissionDenied") in errors
    kinds = {n.kind for n in snap.nodes}
    assert NodeKind.DATABASE not in kinds
    assert {NodeKind.INSTANCE, NodeKind.BUCKET, NodeKind.KEY} <= kinds
    assert not snap.partial


def test_429_is_retried_then_succeeds(fake, gcp_env):
    fake.fail("/aggregated/instances", 429, times=2, message="Quota exceeded")
    fake.fail("/v1/projects/acme-prod/serviceAccounts", 429, times=1)
    snap = _collect(fake)
    assert snap.warnings == ()
    assert WEB in snap.node_index()
    tries = [r for r in fake.requests if r.path.endswith("/aggregated/instances")]
    assert len(tries) >= 3


def test_persistent_throttling_gives_up_bounded_as_a_warning(fake, gcp_env):
    fake.fail("/v1/projects/acme-prod/instances", 429, times=100, message="Quota exceeded")
    snap = _collect(fake)
    assert ("cloudsql", "Throttling") in {(w.service, w.error) for w in snap.warnings}
    tries = [r for r in fake.requests if r.path == "/v1/projects/acme-prod/instances"]
    assert len(tries) == 5  # bounded
    assert any(n.kind == NodeKind.INSTANCE for n in snap.nodes)
