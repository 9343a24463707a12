"""Snapshot → ``nx.MultiDiGraph``: the collected nodes and edges, plus derived edges.

Derived edges (permissions, exposure, lateral reach) come from analyses registered in
:data:`ANALYSES`; each is a plain function ``f(snapshot) -> Iterable[Edge]`` that reads the
snapshot's nodes, edges and documents and never the graph it is being added to, so analyses
are independent and can run in any order.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import Any

import networkx as nx

from blastscope.graph.findings import findings
from blastscope.graph.model import Edge, Snapshot

FREEZE_AT = 50_000
"""Node count from which :func:`build_graph` freezes the heap out of the cyclic GC."""

Graph = nx.MultiDiGraph
"""The graph type every analysis walks: nodes keyed by id, parallel edges keyed by kind."""

Analysis = Callable[[Snapshot], Iterable[Edge]]

ANALYSES: list[tuple[str, Analysis]] = []
"""Ordered registry of (name, analysis); modules register themselves on import."""


def register_analysis(name: str) -> Callable[[Analysis], Analysis]:
    """Decorator: add an analysis to :data:`ANALYSES` (once per name)."""

    def wrap(fn: Analysis) -> Analysis:
        if all(existing != name for existing, _ in ANALYSES):
            ANALYSES.append((name, fn))
        return fn

    return wrap


def derived_edges(snapshot: Snapshot) -> list[Edge]:
    """Every registered analysis's edges, in registry order."""
    _load_default_analyses()
    out: list[Edge] = []
    for _name, analysis in ANALYSES:
        out.extend(analysis(snapshot))
    return out


def build_graph(snapshot: Snapshot, *, derive: bool = True) -> Graph:
    """Build the graph: node attributes ``kind, name, provider, region, props, findings``;
    edges keyed by kind with ``kind`` and ``props`` attributes.

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
    for node in snapshot.nodes:
        G.add_node(
            node.id,
            kind=str(node.kind),
            name=node.name,
            provider=node.provider,
            region=node.region,
            props=node.props,
            findings=[],
        )
    attach_findings(G, snapshot)
    edges: Iterable[Edge] = snapshot.edges
    if derive:
        edges = [*snapshot.edges, *derived_edges(snapshot)]
    for edge in edges:
        if edge.src in G and edge.dst in G:
            add_edge(G, edge)
    if G.number_of_nodes() >= FREEZE_AT:
        # A large graph lives as long as the command or the app: take its millions of
        # objects out of the cyclic collector, whose full passes over them otherwise land
        # in the middle of the next query (seen as a 1.5 s "first blast radius" at 100k).
        gc.freeze()
    return G


def attach_findings(G: Graph, snapshot: Snapshot) -> None:
    """Put each node's risk findings on it (``G.nodes[n]["findings"]``, worst first) and
    the whole list on ``G.graph["findings"]``, for ranking, reports and the TUI."""
    found = findings(snapshot)
    for finding in found:
        if finding.node in G:
            G.nodes[finding.node]["findings"].append(finding)
    G.graph["findings"] = found


def add_edge(G: Graph, edge: Edge) -> None:
    """Add one edge, keyed by its kind (a second edge of the same kind gets its own key)."""
    G.add_edge(edge.src, edge.dst, kind=str(edge.kind), props=edge.props)


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
