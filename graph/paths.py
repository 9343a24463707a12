"""Blast radius: what an attacker holding one node can reach next, and how.

Plain functions over the graph :func:`blastscope.graph.build.build_graph` returns, in the
NetworkX style. A walk follows only the edges in :data:`TRAVERSABLE` — the ones an attacker
can actually take — and every hop keeps the edge's props (its ``reason`` and ``evidence``), so
a path is explainable hop by hop. ``attached_to`` (disk → instance) is walked backwards:
owning the instance gives the disk. A function reached with read access is not a way into its
role (``runs_as`` is followed from a function only when it is the source or was reached with
write/admin access: changing its code is how one acts as it).

Example: a web server that runs as a role that reads a bucket.

    >>> import networkx as nx
    >>> G = nx.MultiDiGraph()
    >>> G.add_node("web", kind="instance", name="web", props={})
    >>> G.add_node("role", kind="role", name="web-role", props={})
    >>> G.add_node("b", kind="bucket", name="customer-pii", props={"encryption": None})
    >>> _ = G.add_edge("web", "role", kind="runs_as", props={"reason": "instance profile"})
    >>> _ = G.add_edge("role", "b", kind="can_access",
    ...                props={"level": "read", "actions": ["s3:GetObject"]})
    >>> radius = blast_radius(G, "web")
    >>> [(r.id, r.level, r.path.length) for r in radius.reached], radius.identities
    ([('b', 'read', 2)], ['role'])
    >>> [h.kind for h in radius.reached[0].path.hops]
    ['runs_as', 'can_access']
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

import networkx as nx

from blastscope.graph.errors import InputError
from blastscope.graph.summaries import ExposureSummary, exposed_summaries
from blastscope.graph.walk import (
    _DATA,
    _PRINCIPALS,
    LEVEL_RANK,
    TRAVERSABLE,
    AttackPath,
    BlastRadius,
    Hop,
    Reach,
    path_to,
    rank_key,
    reach_of,
    sensitivity,
    steps,
    walk,
)


def blast_radius(
    G: nx.MultiDiGraph,
    source: str,
    *,
    max_depth: int | None = None,
    target_kinds: Iterable[str] | None = None,
    include_conditional: bool = True,
) -> BlastRadius:
    """Every node of ``target_kinds`` (default: data kinds) reachable from ``source``, with
    the shortest path to each, ranked worst first.

    Raises:
        InputError: ``source`` is not a node of ``G``.
    """
    if source not in G:
        raise InputError(f"no node {source!r} in the graph")
    kinds = frozenset(str(k) for k in target_kinds) if target_kinds else _DATA
    parent, _depth, truncated = walk(
        G, source, max_depth=max_depth, include_conditional=include_conditional
    )
    reached = [
        reach_of(G, path_to(G, source, n, parent))
        for n in parent
        if n != source and G._node[n].get("kind") in kinds
    ]
    reached.sort(key=rank_key)
    identities = [n for n in parent if n != source and G._node[n].get("kind") in _PRINCIPALS]
    return BlastRadius(source, reached, identities, truncated)


def _reachable_digraph(G: nx.MultiDiGraph, source: str, max_depth: int | None) -> nx.DiGraph:
    """The traversable edges among nodes reachable from ``source``, one hop per pair."""
    parent, _d, _t = walk(G, source, max_depth=max_depth)
    H = nx.DiGraph()
    H.add_node(source)
    for node in parent:
        for hop in steps(G, node, arrived=parent[node], is_source=node == source):
            if hop.dst in parent and not H.has_edge(node, hop.dst):
                H.add_edge(node, hop.dst, hop=hop)
    return H


def _as_path(G: nx.MultiDiGraph, H: nx.DiGraph, nodes: list[str]) -> AttackPath:
    hops = tuple(H.edges[u, v]["hop"] for u, v in zip(nodes, nodes[1:], strict=False))
    return AttackPath(nodes[0], nodes[-1], str(G.nodes[nodes[-1]].get("kind")), hops)


def alternative_paths(
    G: nx.MultiDiGraph, source: str, target: str, *, k: int = 3, max_depth: int | None = None
) -> list[AttackPath]:
    """Up to ``k`` shortest simple paths source → target, shortest first (Yen's algorithm via
    :func:`networkx.shortest_simple_paths` on the traversable part reachable from source)."""
    if source not in G or target not in G:
        raise InputError(f"no node {source if source not in G else target!r} in the graph")
    H = _reachable_digraph(G, source, max_depth)
    if target not in H:
        return []
    out: list[AttackPath] = []
    for nodes in islice(nx.shortest_simple_paths(H, source, target), max(k, 0)):
        if max_depth is not None and len(nodes) - 1 > max_depth:
            break
        out.append(_as_path(G, H, nodes))
    return out


def all_paths(
    G: nx.MultiDiGraph, source: str, target: str, *, max_depth: int, limit: int = 1000
) -> list[AttackPath]:
    """Every simple path source → target of at most ``max_depth`` hops (the first ``limit``
    found), shortest first: :func:`networkx.all_simple_paths` over the traversable edges."""
    if source not in G or target not in G:
        raise InputError(f"no node {source if source not in G else target!r} in the graph")
    H = _reachable_digraph(G, source, max_depth)
    if target not in H:
        return []
    found = islice(nx.all_simple_paths(H, source, target, cutoff=max_depth), max(limit, 0))
    return sorted((_as_path(G, H, nodes) for nodes in found), key=lambda p: p.length)


def resolve_node(G: nx.MultiDiGraph, text: str) -> str:
    """A node id from what a person typed: the id, a native id (``i-0abc``), or a unique name.

    Raises:
        InputError: nothing matches, or a name matches several nodes (they are listed).
    """
    if text in G:
        return text
    lowered = text.lower()
    for how in ("id", "native_id", "name"):
        hits = sorted(
            n
            for n, d in G.nodes(data=True)
            if (how == "id" and n.lower() == lowered)
            or (how == "native_id" and str((d.get("props") or {}).get("native_id", "")) == text)
            or (how == "name" and str(d.get("name", "")).lower() == lowered)
        )
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            shown = ", ".join(hits[:5]) + (" …" if len(hits) > 5 else "")
            raise InputError(f"{text!r} matches {len(hits)} nodes by {how}: {shown}; give the id")
    raise InputError(f"no node matches {text!r} (by id, native id or name)")


def radius_subgraph(
    G: nx.MultiDiGraph, radius: BlastRadius | Iterable[AttackPath]
) -> nx.MultiDiGraph:
    """The nodes and edges on the paths of ``radius`` (a BlastRadius or paths), as a graph."""
    paths = [r.path for r in radius.reached] if isinstance(radius, BlastRadius) else list(radius)
    S = nx.MultiDiGraph(**G.graph)
    sources = [radius.source] if isinstance(radius, BlastRadius) else [p.source for p in paths]
    seen: set[tuple[str, str, str]] = set()
    for node in sources:
        S.add_node(node, **G.nodes[node])
    for path in paths:
        for hop in path.hops:
            for node in (hop.src, hop.dst):
                if node not in S:
                    S.add_node(node, **G.nodes[node])
            u, v = (hop.dst, hop.src) if hop.kind == "attached_to" else (hop.src, hop.dst)
            if (u, v, hop.kind) not in seen:
                seen.add((u, v, hop.kind))
                S.add_edge(u, v, kind=hop.kind, props=hop.props)
    return S


__all__ = [
    "LEVEL_RANK",
    "TRAVERSABLE",
    "AttackPath",
    "BlastRadius",
    "ExposureSummary",
    "Hop",
    "Reach",
    "all_paths",
    "alternative_paths",
    "blast_radius",
    "exposed_summaries",
    "radius_subgraph",
    "rank_key",
    "resolve_node",
    "sensitivity",
    "steps",
]
