"""The walk every reach question shares: which hops an attacker can take, BFS over them,
and how sensitive what they reach is. :mod:`blastscope.graph.paths` is the public face.
"""

from __future__ import annotations

import re
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
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


def _best(edges: Iterable[Mapping[str, Any]]) -> Mapping[str, Any]:
    """Of parallel edges of one kind, the unconditional and strongest."""
    return min(
        edges,
        key=lambda a: (
            bool((a.get("props") or {}).get("conditional")),
            -LEVEL_RANK.get(str((a.get("props") or {}).get("level")), 0),
        ),
    )


def steps(
    G: nx.MultiDiGraph,
    node: str,
    *,
    arrived: Hop | None = None,
    is_source: bool = False,
    include_conditional: bool = True,
) -> Iterator[Hop]:
    """The hops an attacker holding ``node`` can take next (one per neighbour and kind)."""
    kind = G.nodes[node].get("kind")
    if node == INTERNET_ID:
        for dst, keyed in G.succ[node].items():
            attrs = [a for a in keyed.values() if a.get("kind") == "exposes"]
            if attrs:
                yield Hop(node, dst, "exposes", _best(attrs).get("props") or {})
        return
    if kind == "function" and not is_source:
        level = str((arrived.props.get("level") if arrived else None) or "")
        gate_runs_as = not (
            arrived and (arrived.kind == "can_escalate" or level in ("write", "admin"))
        )
    else:
        gate_runs_as = False
    for dst, keyed in G.succ[node].items():
        by_kind: dict[str, list[Mapping[str, Any]]] = {}
        for a in keyed.values():
            k = a.get("kind")
            if k not in TRAVERSABLE or k == "attached_to":
                continue
            if k == "contains" and kind == "account":
                continue
            if k == "runs_as" and gate_runs_as:
                continue
            props = a.get("props") or {}
            if not include_conditional and props.get("conditional"):
                continue
            by_kind.setdefault(k, []).append(a)
        for k, attrs in by_kind.items():
            yield Hop(node, dst, k, _best(attrs).get("props") or {})
    for src, keyed in G.pred[node].items():
        for a in keyed.values():
            if a.get("kind") == "attached_to":
                yield Hop(node, src, "attached_to", a.get("props") or {})
                break


def walk(
    G: nx.MultiDiGraph,
    source: str,
    *,
    max_depth: int | None = None,
    include_conditional: bool = True,
    stop_kinds: frozenset[str] = frozenset(),
) -> tuple[dict[str, Hop | None], dict[str, int], bool]:
    """BFS: parent hop and depth of every reachable node; and whether depth cut it short.

    Nodes of ``stop_kinds`` are reached but not expanded (exposed_summaries shares their
    closures).
    """
    parent: dict[str, Hop | None] = {source: None}
    depth = {source: 0}
    truncated = False
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if node != source and G.nodes[node].get("kind") in stop_kinds:
            continue
        for hop in steps(
            G,
            node,
            arrived=parent[node],
            is_source=node == source,
            include_conditional=include_conditional,
        ):
            if hop.dst in parent:
                continue
            if max_depth is not None and depth[node] >= max_depth:
                truncated = True
                break
            parent[hop.dst] = hop
            depth[hop.dst] = depth[node] + 1
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
    return AttackPath(source, target, str(G.nodes[target].get("kind")), tuple(hops))


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
    data = G.nodes[path.target]
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


_HINTS: tuple[tuple[re.Pattern[str], int], ...] = (
    (
        re.compile(r"secret|passw|credential|token|api[-_]?key|private[-_]?key|\.pem|vault", re.I),
        30,
    ),
    (
        re.compile(
            r"pii|personal|customer|patient|medical|ssn|passport|payment|card|billing|"
            r"payroll|salary|hr[-_]|gdpr|confidential|sensitive",
            re.I,
        ),
        25,
    ),
    (re.compile(r"backup|dump|archive|export|snapshot", re.I), 15),
    (re.compile(r"prod(uction)?\b|prd\b|^prod|[-_]prod", re.I), 10),
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
    data = G.nodes[node_id]
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
