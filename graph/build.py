"""Snapshot → ``nx.MultiDiGraph``: the collected nodes and edges, plus derived edges.

Derived edges (permissions, exposure, lateral reach) come from analyses registered in
:data:`ANALYSES`; each is a plain function ``f(snapshot) -> Iterable[Edge]`` that reads the
snapshot's nodes, edges and documents and never the graph it is being added to, so analyses
are independent and can run in any order.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import networkx as nx

from blastscope.graph.findings import findings
from blastscope.graph.heap import FREEZE_AT, gc_paused
from blastscope.graph.model import Edge, EdgeKind, Snapshot

T = TypeVar("T")

Graph = nx.MultiDiGraph
"""The graph type every analysis walks: nodes keyed by id, parallel edges keyed 0, 1, …
with a ``kind`` attribute."""

Analysis = Callable[..., Iterable[Edge]]
"""``f(snapshot) -> edges``; a sharded one is also called ``f(snapshot, shard=(i, n))``."""

ANALYSES: list[tuple[str, Analysis]] = []
"""Ordered registry of (name, analysis); modules register themselves on import."""

SHARDED: set[str] = set()
"""Analyses that can split their work: shard ``(i, n)`` yields the i-th of n contiguous
parts of its output, so the parts in order are exactly the unsharded output."""

SHARDS_PER_WORKER = 3
"""Parts per worker process: the parts differ in cost (a big account's principals)."""


def register_analysis(name: str, *, sharded: bool = False) -> Callable[[Analysis], Analysis]:
    """Decorator: add an analysis to :data:`ANALYSES` (once per name)."""

    def wrap(fn: Analysis) -> Analysis:
        if all(existing != name for existing, _ in ANALYSES):
            ANALYSES.append((name, fn))
            if sharded:
                SHARDED.add(name)
        return fn

    return wrap


def shard_of(items: list[T], shard: tuple[int, int]) -> list[T]:
    """The i-th of n contiguous, near-equal parts of ``items`` (``shard = (i, n)``)."""
    i, n = shard
    return items[len(items) * i // n : len(items) * (i + 1) // n]


def derived_edges(snapshot: Snapshot, *, workers: int = 1) -> list[Edge]:
    """Every registered analysis's edges, in registry order — the same edges in the same
    order whatever ``workers`` is. With ``workers`` > 1 (on Linux), analyses and the
    parts of sharded ones run in that many forked processes; only a process with no other
    threads should ask for it (``fork`` copies one thread, and locks held by the others)."""
    _load_default_analyses()
    if workers <= 1 or not sys.platform.startswith("linux"):  # fork is unsafe on macOS
        return [e for _name, analysis in ANALYSES for e in analysis(snapshot)]
    tasks = [
        (name, (i, n))
        for name, _fn in ANALYSES
        for n in ((workers * SHARDS_PER_WORKER) if name in SHARDED else 1,)
        for i in range(n)
    ]
    # Whole analyses first: one that cannot be split would otherwise run alone at the end.
    order = sorted(range(len(tasks)), key=lambda t: tasks[t][0] in SHARDED)
    global _JOB
    _JOB = snapshot  # forked workers inherit it: nothing of the snapshot is pickled
    parts: list[list[tuple[Any, ...]]] = [[] for _ in tasks]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            runs = pool.imap_unordered(_run_part, [(t, tasks[t]) for t in order])
            for t, rows in runs:
                parts[t] = rows
    finally:
        _JOB = None
    return [Edge(*row) for part in parts for row in part]


_JOB: Snapshot | None = None


def _run_part(job: tuple[int, tuple[str, tuple[int, int]]]) -> tuple[int, list[tuple[Any, ...]]]:
    """One analysis (or one part of a sharded one) in a worker process; edges go back as
    plain tuples, which pickle several times faster than the dataclasses (a kind is pickled
    once per part: pickle refers back to an object it has written)."""
    t, (name, shard) = job
    analysis = dict(ANALYSES)[name]
    with gc_paused():
        edges = analysis(_JOB, shard=shard) if name in SHARDED else analysis(_JOB)
        return t, [(e.src, e.dst, e.kind, e.props) for e in edges]


def build_graph(snapshot: Snapshot, *, derive: bool = True, workers: int = 1) -> Graph:
    """Build the graph: node attributes ``kind, name, provider, region, props, findings``;
    edges with ``kind`` and ``props`` attributes. ``workers``: see :func:`derived_edges`.

    Examples:
        >>> from blastscope.graph.model import merge_parts, Partial, Node, NodeKind
        >>> snap = merge_parts([Partial(nodes=[Node("b", NodeKind.BUCKET, "b", "aws")])],
        ...                    provider="aws", scope={}, collected_at="t")
        >>> G = build_graph(snap, derive=False)
        >>> sorted(G.nodes)
        ['b', 'internet']
    """
    G: Graph = nx.MultiDiGraph(
        provider=snapshot.provider,
        scope=dict(snapshot.scope),
        collected_at=snapshot.collected_at,
        partial=snapshot.partial,
        warnings=tuple(snapshot.warnings),  # what was not read: reports show it beside results
    )
    # Millions of acyclic attribute dicts that live as long as the command or the app.
    with gc_paused(freeze=len(snapshot.nodes) >= FREEZE_AT):
        G.add_nodes_from(
            (
                node.id,
                {
                    "kind": str(node.kind),
                    "name": node.name,
                    "provider": node.provider,
                    "region": node.region,
                    "props": node.props,
                    "findings": [],
                },
            )
            for node in snapshot.nodes
        )
        attach_findings(G, snapshot)
        add_edges(G, snapshot.edges)
        if derive:
            add_edges(G, derived_edges(snapshot, workers=workers))
    return G


def attach_findings(G: Graph, snapshot: Snapshot) -> None:
    """Put each node's risk findings on it (``G.nodes[n]["findings"]``, worst first) and
    the whole list on ``G.graph["findings"]``, for ranking, reports and the TUI."""
    found = findings(snapshot)
    for finding in found:
        if finding.node in G:
            G.nodes[finding.node]["findings"].append(finding)
    G.graph["findings"] = found


_KIND_TEXT = {k: str(k) for k in EdgeKind}


def add_edges(G: Graph, edges: Iterable[Edge]) -> None:
    """Add the edges whose ends are nodes of ``G`` with attributes ``kind`` and ``props``
    and ``MultiDiGraph.add_edge``'s keys (0, 1, … per node pair), writing the adjacency dicts
    directly: ``add_edge``'s checks and key search were most of the build's time at a
    million edges (5× slower)."""
    succ, pred = G._succ, G._pred
    new_keys = G.edge_key_dict_factory
    new_attrs = G.edge_attr_dict_factory
    for edge in edges:
        src, dst = edge.src, edge.dst
        out = succ.get(src)
        if out is None or dst not in succ:
            continue
        keyed = out.get(dst)
        if keyed is None:
            keyed = out[dst] = new_keys()
            pred[dst][src] = keyed
        key = len(keyed)
        while key in keyed:
            key += 1
        attrs = new_attrs()
        attrs["kind"] = _KIND_TEXT.get(edge.kind) or str(edge.kind)
        attrs["props"] = edge.props
        keyed[key] = attrs


def edge_attrs(G: Graph, src: str, dst: str) -> list[dict[str, Any]]:
    """All edges src → dst as attribute dicts."""
    data = G.get_edge_data(src, dst) or {}
    return list(data.values())


def _load_default_analyses() -> None:
    """Import the analysis modules so their ``@register_analysis`` runs."""
    import importlib

    for module in (
        "blastscope.graph.iam.aws",
        "blastscope.graph.iam.azure",
        "blastscope.graph.iam.gcp",
        "blastscope.graph.exposure",
    ):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
