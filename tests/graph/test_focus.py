"""The focused graph answers as the whole one: the same summaries, the same blast radii and
paths (ties broken alike), from the exposed machines or from any one node — with the
permissions of fewer principals derived."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from bench_package import synthetic_generate

from blastscope.graph.build import ANALYSES, add_edges, build_graph, load_analyses
from blastscope.graph.focus import _InOrder, focused_edges, focused_graph
from blastscope.graph.model import Edge, EdgeKind, Snapshot, load_snapshot
from blastscope.graph.paths import all_paths, blast_radius, exposed_summaries
from blastscope.providers.demo import load_demo

WEBAPP = Path(__file__).parent / "data" / "webapp_estate.json"
IAM_KINDS = (EdgeKind.CAN_ACCESS, EdgeKind.CAN_ESCALATE)


def _estate(name: str) -> Snapshot:
    if name == "demo":
        return load_demo()
    if name == "webapp":
        return load_snapshot(WEBAPP)
    return synthetic_generate()(1000, int(name.rsplit("-", 1)[1]))


def _radius(G: Any, source: str) -> tuple[Any, ...]:
    r = blast_radius(G, source)
    reached = [
        (x.id, x.kind, x.sensitivity, x.level, [(h.src, h.dst, h.kind) for h in x.path.hops])
        for x in r.reached
    ]
    return reached, r.identities, r.truncated


def _focused(snap: Snapshot, sources: list[str] | None = None, workers: int = 1) -> Any:
    return focused_graph(snap, None if sources is None else lambda G: sources, workers=workers)


@pytest.mark.parametrize("name", ["demo", "webapp", "synthetic-1", "synthetic-7"])
def test_exposed_summaries_and_radii_equal_the_whole_graphs(name: str) -> None:
    snap = _estate(name)
    whole = build_graph(snap)
    focused = _focused(snap)
    want = [s.to_dict() for s in exposed_summaries(whole)]
    assert want and [s.to_dict() for s in exposed_summaries(focused)] == want
    for entry in want:
        assert _radius(focused, entry["id"]) == _radius(whole, entry["id"])
    iam = sum(1 for e in focused_edges(snap) if e.kind in IAM_KINDS)
    assert iam <= sum(1 for _s, _d, k in whole.edges(data="kind") if k in IAM_KINDS)


@pytest.mark.parametrize("name", ["demo", "synthetic-7"])
def test_any_one_node_reaches_what_it_reaches_in_the_whole_graph(name: str) -> None:
    snap = _estate(name)
    whole = build_graph(snap)
    kinds = ("instance", "role", "user", "function", "identity")
    nodes = sorted(n for n, k in whole.nodes(data="kind") if k in kinds)
    for source in random.Random(4).sample(nodes, min(12, len(nodes))):
        focused = _focused(snap, [source])
        assert _radius(focused, source) == _radius(whole, source), source
        reached = blast_radius(whole, source).reached
        if reached:
            target = reached[-1].id
            assert all_paths(focused, source, target, max_depth=4) == all_paths(
                whole, source, target, max_depth=4
            )


def test_one_machine_needs_the_permissions_of_few_principals() -> None:
    snap = _estate("synthetic-7")
    whole = build_graph(snap)
    exposed = exposed_summaries(whole)[0].id
    one = sum(1 for e in focused_edges(snap, [exposed]) if e.kind in IAM_KINDS)
    every = sum(1 for e in focused_edges(snap) if e.kind in IAM_KINDS)
    assert 0 < one < every


def test_worker_processes_give_the_same_focused_edges() -> None:
    snap = _estate("synthetic-1")
    rows = [(e.src, e.dst, str(e.kind), e.props) for e in focused_edges(snap)]
    assert [(e.src, e.dst, str(e.kind), e.props) for e in focused_edges(snap, workers=2)] == rows


def test_the_focused_graph_is_the_same_with_worker_processes() -> None:
    snap = _estate("synthetic-1")
    one, two = _focused(snap), _focused(snap, workers=2)
    assert list(two.edges(keys=True, data=True)) == list(one.edges(keys=True, data=True))
    assert list(two.nodes(data=True)) == list(one.nodes(data=True))


def test_edges_learnt_out_of_registry_order_are_put_back_in_order() -> None:
    """A node's out-edges come in registry order of their analyses whatever order the
    batches come in (walks break ties by it)."""
    load_analyses()
    snap = load_demo()
    G = build_graph(snap, derive=False)
    role, *others = [n for n, k in G.nodes(data="kind") if k == "role"][:3]
    bucket = next(n for n, k in G.nodes(data="kind") if k == "bucket")
    assume = [Edge(role, others[0], EdgeKind.CAN_ASSUME, {"reason": "a"})]
    access = [
        Edge(role, bucket, EdgeKind.CAN_ACCESS, {"level": "read"}),
        Edge(role, others[1], EdgeKind.CAN_ACCESS, {"level": "write"}),
    ]
    names = [name for name, _fn in ANALYSES]
    assert names.index("aws-iam-access") < names.index("aws-iam-assume")
    want = build_graph(snap, derive=False)
    add_edges(want, access + assume)

    adder = _InOrder(G)
    adder.add("aws-iam-assume", assume)
    adder.add("aws-iam-access", access)
    assert list(G.succ[role]) != list(want.succ[role])
    adder.reorder(snap)
    assert list(G.out_edges(role, keys=True, data=True)) == list(
        want.out_edges(role, keys=True, data=True)
    )
    assert G.number_of_edges() == want.number_of_edges()
