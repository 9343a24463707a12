"""One cheap summary per exposed node, for the overview: ports, danger, reach, worst target.

Exposed instances share identities (a fleet runs as one role, roles assume each other), so
walking from each one repeats the same work. Instead the region they reach is walked once,
condensed into strongly connected components, and each component's reach is summed once
(:class:`_ReachTable`); the worst target of each exposed node is then found by a walk that
stops at the first node of the highest sensitivity its reach holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from blastscope.graph.model import INTERNET_ID
from blastscope.graph.netrules import merge_ranges
from blastscope.graph.scc import strong_components
from blastscope.graph.walk import (
    _DATA,
    _PRINCIPALS,
    Hop,
    Reach,
    next_nodes,
    path_to,
    rank_key,
    reach_of,
    sensitivity,
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
    provider: str = ""
    """The node's cloud: a multi-cloud estate has a web-1 in each."""

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
            "provider": self.provider,
            "ports": self.ports,
            "dangerous": self.dangerous,
            "blast_radius": {"data": self.data_count, "identities": self.identity_count},
            "worst": worst,
            "score": self.score,
        }


class _ReachTable:
    """Reachability of every node of the region the exposed nodes reach, computed once.

    The traversable graph of the region is condensed into strongly connected components;
    in reverse topological order (:func:`strong_components`) each component's reach is its
    members plus its successors' reach, held as Python-int bitsets (one bit per data node,
    one per principal). A fleet of instances sharing a role, or roles that can assume each
    other, costs one union each.
    ``runs_as`` out of a function counts when the function is exposed itself or something
    in the region may change its code (write/admin access or escalation) — the walk's rule,
    without the per-walk arrival order. Only edges out of the region are read, so a graph
    holding just those (:mod:`blastscope.graph.focus`) gives the same table.
    """

    def __init__(self, G: nx.MultiDiGraph, sources: list[str]) -> None:
        self.G = G
        index: dict[str, int] = {}
        order: list[str] = []
        succ: list[list[int]] = []
        for s in sources:
            if s not in index:
                index[s] = len(order)
                order.append(s)
        src_set = set(sources)
        held: list[int] = []  # functions reached whose runs_as waits for a writer

        def add_hops(i: int, arrived: Hop | None) -> None:
            node = order[i]
            known = set(succ[i])
            for dst in next_nodes(G, node, arrived=arrived, is_source=node in src_set):
                j = index.get(dst)
                if j is None:
                    j = index[dst] = len(order)
                    order.append(dst)
                    succ.append([])
                if j not in known:
                    succ[i].append(j)

        succ.extend([] for _ in order)
        i = 0
        while True:
            while i < len(order):
                if G._node[order[i]].get("kind") == "function" and order[i] not in src_set:
                    held.append(i)
                add_hops(i, None)
                i += 1
            # A function's role is reached when something in the region may change its code:
            # a fixpoint, as the writer may come after the function in the walk.
            freed = {f for f in held if self._written_from(order[f], index)}
            if not freed:
                break
            held = [f for f in held if f not in freed]
            for f in sorted(freed):
                add_hops(f, _WRITE)
        kinds = [G._node[n].get("kind") for n in order]
        data_ix = {n: k for k, n in enumerate(i for i, kind in enumerate(kinds) if kind in _DATA)}
        ident_ix = {
            n: k for k, n in enumerate(i for i, kind in enumerate(kinds) if kind in _PRINCIPALS)
        }
        component = [-1] * len(order)
        dbits: list[int] = []
        ibits: list[int] = []
        maxsens: list[int] = []
        for members in strong_components(succ):  # what a component reaches comes first
            c = len(dbits)
            for m in members:
                component[m] = c
            d = i_ = 0
            top = -1
            below: set[int] = set()
            for m in members:
                if m in data_ix:
                    d |= 1 << data_ix[m]
                    top = max(top, sensitivity(G, order[m]))
                elif m in ident_ix:
                    i_ |= 1 << ident_ix[m]
                below.update(component[j] for j in succ[m])
            below.discard(c)
            for b in below:
                d |= dbits[b]
                i_ |= ibits[b]
                top = max(top, maxsens[b])
            dbits.append(d)
            ibits.append(i_)
            maxsens.append(top)
        self.index, self.order, self.component = index, order, component
        self.data_ix, self.ident_ix = data_ix, ident_ix
        self.dbits, self.ibits, self.maxsens = dbits, ibits, maxsens

    def _written_from(self, node: str, region: dict[str, int]) -> bool:
        """Whether a node of ``region`` may change the function's code (write or admin
        access, or an escalation onto it)."""
        for src, keyed in self.G._pred[node].items():
            if src not in region:
                continue
            for a in keyed.values():
                level = (a.get("props") or {}).get("level")
                if a.get("kind") == "can_escalate" or level in ("write", "admin"):
                    return True
        return False

    def counts(self, node: str) -> tuple[int, int, int]:
        """(data reachable, identities reachable, highest sensitivity) — the node excluded."""
        i = self.index[node]
        c = self.component[i]
        data = self.dbits[c].bit_count() - (i in self.data_ix)
        idents = self.ibits[c].bit_count() - (i in self.ident_ix)
        return data, idents, self.maxsens[c]


_WRITE = Hop("", "", "can_access", {"level": "write"})


def _worst(G: nx.MultiDiGraph, node: str, top: int) -> Reach | None:
    """The nearest data node of the highest sensitivity: a walk that stops when it finds one."""
    if top < 0:
        return None

    def hit(n: str) -> bool:
        return n != node and G._node[n].get("kind") in _DATA and sensitivity(G, n) >= top

    parent, _depth, _t = walk(G, node, until=hit)
    found = [n for n in parent if hit(n)]
    if not found:  # only the node itself had that sensitivity: take the best of the rest
        found = [n for n in parent if n != node and G._node[n].get("kind") in _DATA]
        if not found:
            return None
    return min((reach_of(G, path_to(G, node, n, parent)) for n in found), key=rank_key)


_FINDING_WEIGHT = {"critical": 8, "high": 5, "medium": 2, "low": 1}


def _weakness(findings: Any) -> int:
    """How much the exposed node's own findings (old image, IMDSv1, secrets in user data …)
    add to its rank, capped so reach still dominates: fixing one moves it down."""
    return min(20, sum(_FINDING_WEIGHT.get(str(getattr(f, "severity", "")), 0) for f in findings))


def _summary(
    G: nx.MultiDiGraph, node: str, edges: list[dict[str, Any]], table: _ReachTable
) -> ExposureSummary:
    data, idents, top = table.counts(node)
    worst = _worst(G, node, top) if data else None
    ports = merge_ranges(
        (a, b) for e in edges for a, b in (e.get("ports") or []) if isinstance(a, int)
    )
    dangerous = sorted({d for e in edges for d in e.get("dangerous") or []})
    if any(e.get("imds_v1") for e in edges):
        dangerous.append("imds_v1")
    score = (worst.sensitivity if worst else 0) + 5 * len(dangerous) + min(20, data)
    score += min(10, idents) + _weakness(G.nodes[node].get("findings") or ())
    return ExposureSummary(
        id=node,
        name=str(G.nodes[node].get("name") or node),
        kind=str(G.nodes[node].get("kind")),
        ports=ports,
        dangerous=dangerous,
        data_count=data,
        identity_count=idents,
        worst=worst,
        score=score,
        provider=str(G.nodes[node].get("provider") or ""),
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
    exposed: dict[str, list[dict[str, Any]]] = {}
    for node, keyed in G.succ[INTERNET_ID].items():
        edges = [dict(a.get("props") or {}) for a in keyed.values() if a.get("kind") == "exposes"]
        if edges:
            exposed[node] = edges
    table = _ReachTable(G, list(exposed))
    out = [_summary(G, node, edges, table) for node, edges in exposed.items()]
    out.sort(key=lambda s: (-s.score, -s.data_count, s.id))
    return out
