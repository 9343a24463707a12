"""The walk every reach question shares: which hops an attacker can take, BFS over them,
and how sensitive what they reach is. :mod:`blastscope.graph.paths` is the public face.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx

from blastscope.graph.model import DATA_KINDS, INTERNET_ID, PRINCIPAL_KINDS

TRAVERSABLE = frozenset(
    {
        "runs_as",
        "can_assume",
        "can_escalate",
        "member_of",
        "can_access",
        "network_reach",
        "contains",
        "attached_to",
    }
)
"""Edge kinds an attacker can walk (``attached_to`` backwards, instance → disk)."""

LEVEL_RANK = {"admin": 4, "write": 3, "read": 2, "network": 1}
_DATA = frozenset(str(k) for k in DATA_KINDS)
_PRINCIPALS = frozenset(str(k) for k in PRINCIPAL_KINDS)


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a path, in walking order; ``props`` are the edge's (reason, evidence…)."""

    src: str
    dst: str
    kind: str
    props: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class AttackPath:
    """A walk from ``source`` to ``target`` over traversable edges."""

    source: str
    target: str
    target_kind: str
    hops: tuple[Hop, ...]

    @property
    def conditional(self) -> bool:
        """True when some hop holds only if a condition we cannot decide holds."""
        return any(bool(h.props.get("conditional")) for h in self.hops)

    @property
    def length(self) -> int:
        return len(self.hops)

    def to_dict(self) -> dict[str, Any]:
        """The DESIGN.md ``paths`` JSON entry."""
        return {
            "target": self.target,
            "target_kind": self.target_kind,
            "conditional": self.conditional,
            "hops": [
                {"src": h.src, "dst": h.dst, "kind": h.kind, "props": dict(h.props)}
                for h in self.hops
            ],
        }


@dataclass(frozen=True, slots=True)
class Reach:
    """A data node within reach, how strongly, and the shortest way there."""

    id: str
    kind: str
    name: str
    level: str
    actions: tuple[str, ...]
    sensitivity: int
    path: AttackPath


@dataclass(frozen=True, slots=True)
class BlastRadius:
    """Everything reachable from ``source``; ``reached`` is ranked worst first."""

    source: str
    reached: list[Reach]
    identities: list[str]
    truncated: bool
    """True when ``max_depth`` stopped the walk before it ran out of edges."""


def _rank(props: Mapping[str, Any]) -> tuple[bool, int]:
    """Of parallel edges, prefer the unconditional and strongest."""
    return (bool(props.get("conditional")), -LEVEL_RANK.get(str(props.get("level")), 0))


def _gated(kind: Any, arrived: Hop | None, is_source: bool) -> bool:
    """True when ``runs_as`` out of this node may not be walked: a function reached with
    read access only (changing its code, i.e. write, is how one acts as its role)."""
    if kind != "function" or is_source:
        return False
    if arrived is None:
        return True
    if arrived.kind in ("can_escalate", "exposes"):  # an open function URL runs the code
        return False
    return arrived.props.get("level") not in ("write", "admin")


def next_hops(
    G: nx.MultiDiGraph,
    node: str,
    *,
    arrived: Hop | None = None,
    is_source: bool = False,
    include_conditional: bool = True,
    seen: Mapping[str, Any] | None = None,
) -> Iterator[Hop]:
    """The hops an attacker holding ``node`` can take next: one per neighbour (the best of
    parallel edges), skipping neighbours in ``seen``. Reads the adjacency dicts directly:
    this is the inner loop of every walk."""
    seen = seen if seen is not None else {}
    kind = G._node[node].get("kind")
    internet = node == INTERNET_ID
    gated = _gated(kind, arrived, is_source)
    for dst, keyed in G._succ[node].items():
        if dst in seen:
            continue
        best: tuple[tuple[bool, int], str, Mapping[str, Any]] | None = None
        for a in keyed.values():
            k = a.get("kind")
            if not walkable(k, kind, internet, gated):
                continue
            props = a.get("props") or {}
            if not include_conditional and props.get("conditional"):
                continue
            rank = _rank(props)
            if best is None or rank < best[0]:
                best = (rank, k, props)
        if best is not None:
            yield Hop(node, dst, best[1], best[2])
    if internet:
        return
    for src, props in _attached(G).get(node, ()):
        if src not in seen:
            yield Hop(node, src, "attached_to", props)


def next_nodes(
    G: nx.MultiDiGraph, node: str, *, arrived: Hop | None = None, is_source: bool = False
) -> list[str]:
    """The neighbours :func:`next_hops` would step to (conditional hops included), without
    choosing among parallel edges: for questions of reach alone."""
    kind = G._node[node].get("kind")
    internet = node == INTERNET_ID
    allowed = _walkable_kinds(kind, internet, _gated(kind, arrived, is_source))
    out = []
    for dst, keyed in G._succ[node].items():
        for a in keyed.values():  # a loop, not any(): this runs for every edge of a region
            if a.get("kind") in allowed:
                out.append(dst)
                break
    if not internet:
        out.extend(src for src, _props in _attached(G).get(node, ()))
    return out


@functools.cache
def _walkable_kinds(node_kind: Any, internet: bool, gated: bool) -> frozenset[str]:
    """The edge kinds :func:`walkable` accepts out of such a node."""
    return frozenset(
        k for k in (*TRAVERSABLE, "exposes") if walkable(k, node_kind, internet, gated)
    )


def walkable(edge_kind: Any, node_kind: Any, internet: bool, gated: bool) -> bool:
    """Whether an edge of ``edge_kind`` out of a node of ``node_kind`` (the internet:
    ``internet``) can be walked; ``gated``: the node is a function whose ``runs_as`` is held
    back (see ``_gated``). ``attached_to`` is walked backwards, from :func:`_attached`."""
    if internet:
        return edge_kind == "exposes"
    if edge_kind not in TRAVERSABLE or edge_kind == "attached_to":
        return False
    return not (
        (edge_kind == "runs_as" and gated) or (edge_kind == "contains" and node_kind == "account")
    )


_ATTACHED: weakref.WeakKeyDictionary[nx.MultiDiGraph, tuple[int, dict[str, list[Any]]]] = (
    weakref.WeakKeyDictionary()
)


def _attached(G: nx.MultiDiGraph) -> dict[str, list[tuple[str, Mapping[str, Any]]]]:
    """Disks by the instance they are attached to, indexed once per graph (rebuilt when the
    node count changes; analyses never add edges to a built graph): scanning every node's
    in-edges would cost more than the walk."""
    size = G.number_of_nodes()
    cached = _ATTACHED.get(G)
    if cached is not None and cached[0] == size:
        return cached[1]
    index: dict[str, list[Any]] = {}
    # attached_to runs disk → instance (MODEL.md): visit the disks' out-edges, not every edge
    for u, attrs in G._node.items():
        if attrs.get("kind") != "disk":
            continue
        for v, keyed in G._adj[u].items():
            for a in keyed.values():
                if a.get("kind") == "attached_to":
                    index.setdefault(v, []).append((u, a.get("props") or {}))
    _ATTACHED[G] = (size, index)
    return index


def steps(
    G: nx.MultiDiGraph,
    node: str,
    *,
    arrived: Hop | None = None,
    is_source: bool = False,
    include_conditional: bool = True,
) -> Iterator[Hop]:
    """The hops an attacker holding ``node`` can take next (one per neighbour)."""
    return next_hops(
        G, node, arrived=arrived, is_source=is_source, include_conditional=include_conditional
    )


def walk(
    G: nx.MultiDiGraph,
    source: str,
    *,
    max_depth: int | None = None,
    include_conditional: bool = True,
    stop_kinds: frozenset[str] = frozenset(),
    until: Callable[[str], bool] | None = None,
) -> tuple[dict[str, Hop | None], dict[str, int], bool]:
    """BFS: parent hop and depth of every reachable node; and whether depth cut it short.

    Nodes of ``stop_kinds`` are reached but not expanded. With ``until``, the walk ends at
    the first node (in BFS order, so on a shortest path) for which it is true.
    """
    parent: dict[str, Hop | None] = {source: None}
    depth = {source: 0}
    truncated = False
    queue = deque([source])
    nodes = G._node
    while queue:
        node = queue.popleft()
        if node != source and stop_kinds and nodes[node].get("kind") in stop_kinds:
            continue
        d = depth[node]
        hops = next_hops(
            G,
            node,
            arrived=parent[node],
            is_source=node == source,
            include_conditional=include_conditional,
            seen=parent,
        )
        if max_depth is not None and d >= max_depth:
            truncated = truncated or next(hops, None) is not None
            continue
        for hop in hops:
            parent[hop.dst] = hop
            depth[hop.dst] = d + 1
            if until is not None and until(hop.dst):
                return parent, depth, truncated
            queue.append(hop.dst)
    return parent, depth, truncated


def path_to(
    G: nx.MultiDiGraph, source: str, target: str, parent: Mapping[str, Hop | None]
) -> AttackPath:
    hops: list[Hop] = []
    node = target
    while (hop := parent[node]) is not None:
        hops.append(hop)
        node = hop.src
    hops.reverse()
    return AttackPath(source, target, str(G._node[target].get("kind")), tuple(hops))


def reach_of(G: nx.MultiDiGraph, path: AttackPath) -> Reach:
    last = path.hops[-1] if path.hops else None
    props = last.props if last else {}
    if last is None:
        level = "admin"
    elif last.kind == "network_reach":
        level = "network"
    elif last.kind == "can_access":
        level = str(props.get("level") or "read")
    else:
        level = "admin" if last.kind in ("runs_as", "can_escalate") else "read"
    actions = props.get("actions") or []
    if last is not None and last.kind == "network_reach":
        actions = [
            f"{p}/{a}" if a == b else f"{p}/{a}-{b}"
            for p in props.get("protocols") or ["tcp"]
            if p in ("tcp", "udp")
            for a, b in props.get("ports") or []
        ]
    data = G._node[path.target]
    return Reach(
        id=path.target,
        kind=str(data.get("kind")),
        name=str(data.get("name") or path.target),
        level=level,
        actions=tuple(str(a) for a in actions),
        sensitivity=sensitivity(G, path.target),
        path=path,
    )


def rank_key(r: Reach) -> tuple[int, int, int, str]:
    """Worst first: most sensitive, then fewest hops, then strongest access."""
    return (-r.sensitivity, r.path.length, -LEVEL_RANK.get(r.level, 0), r.id)


_HINTS: tuple[tuple[re.Pattern[str], int], ...] = (  # on lower-cased text: re.I is 4x slower
    (
        re.compile(r"secret|passw|credential|token|api[-_]?key|private[-_]?key|\.pem|vault"),
        30,
    ),
    (
        re.compile(
            r"pii|personal|customer|patient|medical|ssn|passport|payment|card|billing|"
            r"payroll|salary|hr[-_]|gdpr|confidential|sensitive",
        ),
        25,
    ),
    (re.compile(r"backup|dump|archive|export|snapshot"), 15),
    (re.compile(r"prod(uction)?\b|prd\b|^prod|[-_]prod"), 10),
)
_BASE = {
    "secret": 60,
    "key": 50,
    "database": 50,
    "snapshot": 40,
    "disk": 35,
    "bucket": 30,
    "function": 20,
}
_SENS_CACHE: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[str, int]] = (
    weakref.WeakKeyDictionary()
)


def sensitivity(G: nx.MultiDiGraph, node_id: str) -> int:
    """0–100: how bad losing this node would be, from its kind, the words in its name and
    tags (secrets, PII, backups, prod), whether it is public and whether it is encrypted.

    Examples:
        >>> G = nx.MultiDiGraph()
        >>> G.add_node("a", kind="bucket", name="static-assets", props={"encryption": "AES256"})
        >>> G.add_node("b", kind="bucket", name="prod-customer-backups", props={"encryption": None})
        >>> sensitivity(G, "a") < sensitivity(G, "b")
        True
    """
    cache = _SENS_CACHE.setdefault(G, {})
    if node_id in cache:
        return cache[node_id]
    data = G._node[node_id]
    kind = str(data.get("kind"))
    props = data.get("props") or {}
    tags = props.get("tags") if isinstance(props.get("tags"), Mapping) else {}
    words = " ".join(
        [
            str(data.get("name") or ""),
            node_id.rsplit("/", 1)[-1],
            *(f"{k} {v}" for k, v in tags.items()),
        ]
    )
    score = _BASE.get(kind, 0)
    words = words.lower()
    score += sum(weight for pattern, weight in _HINTS if pattern.search(words))
    if props.get("public") is True:
        score += 10
    if kind in ("bucket", "database", "disk", "snapshot"):
        if ("encryption" in props and props["encryption"] is None) or props.get(
            "encrypted"
        ) is False:
            score += 10
    if props.get("embedded"):
        score += 20
    cache[node_id] = result = max(0, min(100, score))
    return result
