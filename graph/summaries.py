"""One cheap summary per exposed node, for the overview: ports, danger, reach, worst target.

Exposed instances share identities (a fleet runs as one role), so the walk from each one
stops at principals and takes their closure — every data node and identity reachable from a
principal — from a cache computed once per principal. The summaries of hundreds of exposed
instances then cost about one walk per distinct role, not one full walk per instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from blastscope.graph.model import INTERNET_ID
from blastscope.graph.netrules import merge_ranges
from blastscope.graph.walk import (
    _DATA,
    _PRINCIPALS,
    AttackPath,
    Reach,
    path_to,
    rank_key,
    reach_of,
    walk,
)


@dataclass(frozen=True, slots=True)
class ExposureSummary:
    """An exposed node at a glance; ``score`` orders the overview (higher is worse)."""

    id: str
    name: str
    kind: str
    ports: list[list[int]]
    dangerous: list[str]
    data_count: int
    identity_count: int
    worst: Reach | None
    score: int

    def to_dict(self) -> dict[str, Any]:
        """The DESIGN.md ``exposed`` JSON entry (plus what the overview shows)."""
        worst = None
        if self.worst is not None:
            worst = {
                "id": self.worst.id,
                "kind": self.worst.kind,
                "sensitivity": self.worst.sensitivity,
                "level": self.worst.level,
                "hops": self.worst.path.length,
            }
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "ports": self.ports,
            "dangerous": self.dangerous,
            "blast_radius": {"data": self.data_count, "identities": self.identity_count},
            "worst": worst,
            "score": self.score,
        }


@dataclass(frozen=True, slots=True)
class _Closure:
    data: frozenset[str]
    identities: frozenset[str]
    worst: Reach | None


def _closure(G: nx.MultiDiGraph, principal: str) -> _Closure:
    parent, _depth, _t = walk(G, principal)
    data = frozenset(n for n in parent if n != principal and G.nodes[n].get("kind") in _DATA)
    idents = frozenset(n for n in parent if G.nodes[n].get("kind") in _PRINCIPALS)
    worst = None
    if data:
        reaches = (reach_of(G, path_to(G, principal, n, parent)) for n in data)
        worst = min(reaches, key=rank_key)
    return _Closure(data, idents, worst)


def _join(G: nx.MultiDiGraph, head: AttackPath, tail: Reach) -> Reach:
    path = AttackPath(head.source, tail.id, tail.kind, head.hops + tail.path.hops)
    return Reach(tail.id, tail.kind, tail.name, tail.level, tail.actions, tail.sensitivity, path)


def _summary(
    G: nx.MultiDiGraph, node: str, edges: list[dict[str, Any]], cache: dict[str, _Closure]
) -> ExposureSummary:
    parent, _depth, _t = walk(G, node, stop_kinds=_PRINCIPALS)
    data: set[str] = set()
    idents: set[str] = set()
    candidates: list[Reach] = []
    for n in parent:
        if n == node:
            continue
        kind = G.nodes[n].get("kind")
        if kind in _DATA:
            data.add(n)
            candidates.append(reach_of(G, path_to(G, node, n, parent)))
        elif kind in _PRINCIPALS:
            if n not in cache:
                cache[n] = _closure(G, n)
            closure = cache[n]
            data |= closure.data
            idents |= closure.identities
            if closure.worst is not None:
                candidates.append(_join(G, path_to(G, node, n, parent), closure.worst))
    worst = min(candidates, key=rank_key) if candidates else None
    ports = merge_ranges(
        (a, b) for e in edges for a, b in (e.get("ports") or []) if isinstance(a, int)
    )
    dangerous = sorted({d for e in edges for d in e.get("dangerous") or []})
    if any(e.get("imds_v1") for e in edges):
        dangerous.append("imds_v1")
    score = (
        (worst.sensitivity if worst else 0)
        + 5 * len(dangerous)
        + min(20, len(data))
        + min(10, len(idents))
    )
    return ExposureSummary(
        id=node,
        name=str(G.nodes[node].get("name") or node),
        kind=str(G.nodes[node].get("kind")),
        ports=ports,
        dangerous=dangerous,
        data_count=len(data),
        identity_count=len(idents),
        worst=worst,
        score=score,
    )


def exposed_summaries(G: nx.MultiDiGraph) -> list[ExposureSummary]:
    """One summary per node the internet ``exposes``, worst first (score, then reach).

    Examples:
        >>> G = nx.MultiDiGraph()
        >>> for n, k in [("internet", "internet"), ("web", "instance"), ("r", "role"),
        ...              ("s", "secret")]:
        ...     G.add_node(n, kind=k, name=n, props={})
        >>> _ = G.add_edge("internet", "web", kind="exposes",
        ...                props={"ports": [[22, 22]], "dangerous": ["ssh"]})
        >>> _ = G.add_edge("web", "r", kind="runs_as", props={})
        >>> _ = G.add_edge("r", "s", kind="can_access", props={"level": "read"})
        >>> [(s.id, s.data_count, s.identity_count, s.worst.id) for s in exposed_summaries(G)]
        [('web', 1, 1, 's')]
    """
    if INTERNET_ID not in G:
        return []
    cache: dict[str, _Closure] = {}
    out = []
    for node, keyed in G.succ[INTERNET_ID].items():
        edges = [dict(a.get("props") or {}) for a in keyed.values() if a.get("kind") == "exposes"]
        if edges:
            out.append(_summary(G, node, edges, cache))
    out.sort(key=lambda s: (-s.score, -s.data_count, s.id))
    return out
