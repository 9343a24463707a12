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


def test_committed_demo_equals_a_fresh_collection() -> None:
    pytest.importorskip("blastscope.providers.aws.collector", reason="AWS collector not on main")
    pytest.importorskip("moto")
    fresh = build.build_demo()
    committed = load_snapshot(build.OUTPUT)
    assert fresh.to_dict() == committed.to_dict(), "run: python tests/demo/build.py"


def test_demo_loads_fast_as_one_multi_cloud_snapshot() -> None:
    start = time.perf_counter()
    snap = load_demo()
    assert time.perf_counter() - start < 1.0
    assert snap.provider == "demo" and snap.collected_at == build.COLLECTED_AT
    clouds = {n.provider for n in snap.nodes} - {"any"}
    assert "aws" in clouds and "demo" not in clouds
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
    assert embedded and {n.id for n in embedded} <= contained


# --- attack paths (need exposure, IAM and paths analyses) ----------------------------------


@pytest.fixture(scope="module")
def graph():
    pytest.importorskip("blastscope.graph.paths", reason="paths not on main")
    pytest.importorskip("blastscope.graph.exposure", reason="exposure not on main")
    from blastscope.graph.build import build_graph

    return build_graph(load_demo())


@pytest.fixture
def iam() -> None:
    pytest.importorskip("blastscope.graph.iam.aws", reason="AWS IAM evaluation not on main")


def _id(G, name: str) -> str:
    from blastscope.graph.paths import resolve_node

    return resolve_node(G, name)


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
        if k == "exposes"
    }
    assert {"web-1", "bastion-1", "ci-runner", "acme-web", "image-resizer"} <= exposed
    # legacy-ftp: public IP, closed SG; staging-web: open SG, no route to the internet.
    assert not exposed & {"legacy-ftp", "staging-web", "app-1"}


def test_path_exposed_vm_role_bucket(graph, iam) -> None:
    assert _route(graph, "web-1", "acme-app-logs", k=1)[0] == [
        ("runs_as", "web-role"),
        ("can_access", "acme-app-logs"),
    ]


def test_path_lateral_movement_to_customer_data_and_database(graph, iam) -> None:
    assert [
        ("network_reach", "app-1"),
        ("runs_as", "app-role"),
        ("can_access", "acme-customer-data"),
    ] in _route(graph, "web-1", "acme-customer-data")
    assert [("network_reach", "orders-db")] in _route(graph, "app-1", "orders-db")


def test_path_assume_chain_to_secrets(graph, iam) -> None:
    for secret in ("prod/db-password", "prod/payments/stripe-api-key"):
        assert [
            ("runs_as", "bastion-role"),
            ("can_assume", "ops-role"),
            ("can_assume", "secrets-reader"),
            ("can_access", secret),
        ] in _route(graph, "bastion-1", secret)


def test_path_privilege_escalation_to_admin(graph, iam) -> None:
    routes = _route(graph, "ci-runner", "acme-backups")
    assert routes[0][:2] == [("runs_as", "ci-role"), ("can_escalate", "admin-role")]
    assert "admin-role" in {graph.nodes[n]["name"] for n in _identities(graph, "ci-runner")}


def _identities(G, source: str) -> list[str]:
    from blastscope.graph.paths import blast_radius

    return blast_radius(G, _id(G, source)).identities


def test_decoy_bucket_deny_holds(graph, iam) -> None:
    # web-role's own policy names acme-backups; the bucket policy denies web-role explicitly.
    assert "acme-app-logs" in _reach(graph, "web-role")
    assert "acme-backups" not in _reach(graph, "web-role")
