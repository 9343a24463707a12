"""The demo estate: regenerated from the real collectors, and its attack paths are real.

The committed ``providers/demo_estate.json.gz`` must equal what ``tests/demo/build.py`` makes
now (so the demo cannot drift from the collectors), and the graph built from it must show the
attack paths the estate was designed with — and not the decoys.
"""

from __future__ import annotations

import gzip
import importlib.util
import sys
import time
from pathlib import Path

import pytest

from blastscope.graph.model import NodeKind, load_snapshot
from blastscope.providers.demo import load_demo

DEMO_BUILD = Path(__file__).resolve().parents[1] / "demo" / "build.py"


def _load_build():
    # By path under a unique name: "build" is also PyPA's build package.
    spec = importlib.util.spec_from_file_location("blastscope_demo_build", DEMO_BUILD)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


build = _load_build()


@pytest.fixture(scope="module")
def committed():
    return load_snapshot(build.OUTPUT)


@pytest.mark.parametrize(
    "cloud",
    [
        "aws",
        # The Azure and GCP SDK stacks take ~20-30 s to start against the fakes on 2 cores.
        pytest.param("azure", marks=pytest.mark.slow),
        pytest.param("gcp", marks=pytest.mark.slow),
    ],
)
def test_committed_demo_holds_exactly_what_the_collector_sees_now(cloud: str, committed) -> None:
    fresh = build.as_part(build.collect(cloud))
    nodes = committed.node_index()
    edges = {e.key() for e in committed.edges}
    hint = "the demo is stale: run python tests/demo/build.py"
    stale = [n.id for n in fresh.nodes if n.id != "internet" and nodes.get(n.id) != n]
    assert not stale, f"{hint}; nodes that differ: {stale[:5]}"
    assert all(e.key() in edges for e in fresh.edges), hint
    assert all(committed.documents.get(k) == v for k, v in fresh.documents.items()), hint
    mine = [n for n in committed.nodes if n.provider == cloud]
    assert len(mine) == len([n for n in fresh.nodes if n.provider == cloud]), hint
    providers = {n.id: n.provider for n in committed.nodes}
    mine_edges = [e for e in committed.edges if providers[e.src] == cloud]
    assert len(mine_edges) == len({e.key() for e in fresh.edges}), hint


def test_demo_loads_fast_as_one_multi_cloud_snapshot() -> None:
    start = time.perf_counter()
    snap = load_demo()
    assert time.perf_counter() - start < 1.0
    assert snap.provider == "demo" and snap.collected_at == build.COLLECTED_AT
    clouds = {n.provider for n in snap.nodes} - {"any"}
    assert clouds == {"aws", "azure", "gcp"}
    names = {n.name for n in snap.nodes}
    assert {"web-1", "bastion-1", "ci-runner", "app-1", "legacy-ftp", "staging-web"} <= names
    assert {"acme-customer-data", "acme-backups", "orders-db", "prod/db-password"} <= names


def test_no_secret_value_reaches_the_file() -> None:
    text = gzip.decompress(build.OUTPUT.read_bytes()).decode()
    for planted in ("demo-placeholder", "Demo-only-Passw0rd!", "ghp_DEMOx0123456789"):
        assert planted not in text
    snap = load_demo()
    embedded = [n for n in snap.nodes if n.kind == NodeKind.SECRET and n.props.get("embedded")]
    ci = next(n.id for n in snap.nodes if n.name == "ci-runner")
    contained = {e.dst for e in snap.edges if e.src == ci and e.kind == "contains"}
    assert contained and contained <= {n.id for n in embedded}
    assert {n.provider for n in embedded} == {"aws", "azure", "gcp"}


# --- attack paths (need exposure, IAM and paths analyses) ----------------------------------


@pytest.fixture(scope="module")
def graph():
    from blastscope.graph.build import build_graph

    return build_graph(load_demo())


def _id(G, name: str) -> str:
    """The AWS node called ``name`` (Azure and GCP have their own web-1, acme-backups …)."""
    (found,) = [n for n, d in G.nodes(data=True) if d["name"] == name and d["provider"] == "aws"]
    return found


def _reach(G, source: str) -> set[str]:
    from blastscope.graph.paths import blast_radius

    return {G.nodes[r.id]["name"] for r in blast_radius(G, _id(G, source)).reached}


def _route(G, source: str, target: str, k: int = 8) -> list[list[tuple[str, str]]]:
    """The k shortest attack paths as [(edge kind, node name reached), ...]."""
    from blastscope.graph.paths import alternative_paths

    return [
        [(h.kind, G.nodes[h.dst]["name"]) for h in p.hops]
        for p in alternative_paths(G, _id(G, source), _id(G, target), k=k)
    ]


def test_exposed_are_the_designed_entry_points_not_the_decoys(graph) -> None:
    exposed = {
        graph.nodes[v]["name"]
        for _, v, k in graph.out_edges("internet", data="kind")
        if k == "exposes" and graph.nodes[v]["provider"] == "aws"
    }
    assert {"web-1", "bastion-1", "ci-runner", "acme-web", "image-resizer"} <= exposed
    # legacy-ftp: public IP, closed SG; staging-web: open SG, no route to the internet.
    assert not exposed & {"legacy-ftp", "staging-web", "app-1"}


def test_path_exposed_vm_role_bucket(graph) -> None:
    assert _route(graph, "web-1", "acme-app-logs", k=1)[0] == [
        ("runs_as", "web-role"),
        ("can_access", "acme-app-logs"),
    ]


def test_path_lateral_movement_to_customer_data_and_database(graph) -> None:
    assert [
        ("network_reach", "app-1"),
        ("runs_as", "app-role"),
        ("can_access", "acme-customer-data"),
    ] in _route(graph, "web-1", "acme-customer-data")
    assert [("network_reach", "orders-db")] in _route(graph, "app-1", "orders-db")


def test_path_assume_chain_to_secrets(graph) -> None:
    for secret in ("prod/db-password", "prod/payments/stripe-api-key"):
        assert [
            ("runs_as", "bastion-role"),
            ("can_assume", "ops-role"),
            ("can_assume", "secrets-reader"),
            ("can_access", secret),
        ] in _route(graph, "bastion-1", secret)


def test_path_privilege_escalation_to_admin(graph) -> None:
    routes = _route(graph, "ci-runner", "acme-backups")
    assert routes[0][:2] == [("runs_as", "ci-role"), ("can_escalate", "admin-role")]
    assert "admin-role" in {graph.nodes[n]["name"] for n in _identities(graph, "ci-runner")}


def _identities(G, source: str) -> list[str]:
    from blastscope.graph.paths import blast_radius

    return blast_radius(G, _id(G, source)).identities


def test_decoy_bucket_deny_holds(graph) -> None:
    # web-role's own policy names acme-backups; the bucket policy denies web-role explicitly.
    assert "acme-app-logs" in _reach(graph, "web-role")
    assert "acme-backups" not in _reach(graph, "web-role")


def test_every_cloud_has_an_exposed_machine_with_a_blast_radius(graph) -> None:
    from blastscope.graph.paths import exposed_summaries

    worst: dict[str, int] = {}
    for summary in exposed_summaries(graph):
        cloud = graph.nodes[summary.id]["provider"]
        worst[cloud] = max(worst.get(cloud, 0), summary.data_count)
    assert set(worst) == {"aws", "azure", "gcp"} and min(worst.values()) > 0
