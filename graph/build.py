"""Snapshot → ``nx.MultiDiGraph``: the collected nodes and edges, plus derived edges.

Derived edges (permissions, exposure, lateral reach) come from analyses registered in
:data:`ANALYSES`; each is a plain function ``f(snapshot) -> Iterable[Edge]`` that reads the
snapshot's nodes, edges and documents and never the graph it is being added to, so analyses
are independent and can run in any order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import networkx as nx

from blastscope.graph.findings import findings
from blastscope.graph.heap import FREEZE_AT, gc_paused
from blastscope.graph.model import Edge, EdgeKind, Snapshot

Graph = nx.MultiDiGraph
"""The graph type every analysis walks: nodes keyed by id, parallel edges keyed 0, 1, …
with a ``kind`` attribute."""

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
    edges with ``kind`` and ``props`` attributes.

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
            add_edges(G, derived_edges(snapshot))
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
