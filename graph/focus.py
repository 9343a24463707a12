"""The derived edges that questions from some nodes need, and no more.

``blastscope exposed`` and ``blastscope paths`` ask what an attacker holding the exposed
machines (or one node) can reach. Their answers read only edges out of the region those
nodes reach: walks go forward, and the summaries' rule for a function's role reads writers
in the region. Deriving the permissions of every other principal of an organisation is
wasted work — on the 100k-node synthetic estate the exposed machines reach 3,215 of 7,603
principals, and one machine a few dozen.

The region grows in rounds: the analyses that are not per caller run first (exposure, role
trust); then the :data:`~blastscope.graph.build.BY_CALLER` analyses (permissions, lateral
reach) run for the principals and machines reached so far, whose edges may reach more
(``network_reach``, ``can_assume``, ``can_escalate``, a function's role), until a round adds
none. The walk is over-approximated (every traversable edge, conditional or not), so the
region holds every node a walk from the sources can meet, and blast radii, paths and
summaries over this graph equal those over the whole one.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

from blastscope.graph.build import (
    ANALYSES,
    BY_CALLER,
    SHARDED,
    AnalysisRunner,
    Graph,
    add_edges,
)
from blastscope.graph.heap import FREEZE_AT, gc_paused
from blastscope.graph.model import INTERNET_ID, PRINCIPAL_KINDS, Edge, EdgeKind, Snapshot
from blastscope.graph.walk import walkable

_CALLER_KINDS = frozenset({*(str(k) for k in PRINCIPAL_KINDS), "instance"})
"""Nodes whose own derived edges the region needs: permissions, and lateral reach."""


def focused_edges(
    snapshot: Snapshot, sources: Iterable[str] | None = None, *, workers: int = 1
) -> list[Edge]:
    """The derived edges that questions from ``sources`` (default: every node the internet
    exposes) need: those of the analyses that are not per caller, and the permission and
    lateral-reach edges of every principal and machine the sources may reach, in registry
    order. ``workers``: see :class:`~blastscope.graph.build.AnalysisRunner`."""
    with AnalysisRunner(snapshot, workers) as runner:
        per_caller = [name for name, _fn in ANALYSES if name in BY_CALLER]
        # Sharded analyses go to the workers; the rest run here, meanwhile — sending their
        # edges back from a worker would cost more than it saves.
        remote = [name for name in per_caller if name in SHARDED]
        local = [name for name in per_caller if name not in SHARDED]
        first = runner.start([name for name, _fn in ANALYSES if name not in BY_CALLER])
        runner.warm(remote)
        runner.run(local, frozenset(), here=True)  # builds their indexes, asked for no one
        found = runner.finish(first)
        if sources is None:
            sources = [e.dst for es in found.values() for e in es if e.kind == EdgeKind.EXPOSES]
        region = _Region(snapshot)
        region.link(snapshot.edges)
        for edges in found.values():
            region.link(edges)
        region.grow(sources)
        asked: set[str] = set()
        while callers := frozenset(region.callers - asked):
            asked |= callers
            pending = runner.start(remote, callers)
            learnt = runner.run(local, callers, here=True)
            learnt.update(runner.finish(pending))
            for name, edges in learnt.items():
                found.setdefault(name, []).extend(edges)
                region.link(edges)
    # In registry order, as build_graph adds them: a node's neighbours then come in the same
    # order as in the whole graph, and walks break ties alike.
    return [e for name, _fn in ANALYSES for e in found.get(name, ())]


def add_focused_edges(
    G: Graph, snapshot: Snapshot, sources: Iterable[str] | None = None, *, workers: int = 1
) -> None:
    """Add :func:`focused_edges` to ``G``, a ``build_graph(snapshot, derive=False)``."""
    with gc_paused(freeze=len(snapshot.nodes) >= FREEZE_AT):
        add_edges(G, focused_edges(snapshot, sources, workers=workers))


class _Region:
    """The nodes a walk from the sources may meet, grown as edges are learnt."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._kind = {node.id: str(node.kind) for node in snapshot.nodes}
        self._next: dict[str, list[str]] = defaultdict(list)
        self.seen: set[str] = set()
        self.callers: set[str] = set()
        """Principals, machines (and the internet) in the region: the callers whose derived
        edges it needs."""

    def link(self, edges: Iterable[Edge]) -> None:
        """Learn edges; those out of the region grow it."""
        grown = []
        for e in edges:
            kind = str(e.kind)
            if kind == "attached_to":  # walked backwards: instance → its disks
                src, dst = e.dst, e.src
            elif walkable(kind, self._kind.get(e.src), e.src == INTERNET_ID, gated=False):
                src, dst = e.src, e.dst  # the walk's rule, a function's role never held back
            else:
                continue
            self._next[src].append(dst)
            if src in self.seen and dst not in self.seen:
                grown.append(dst)
        self.grow(grown)

    def grow(self, nodes: Iterable[str]) -> None:
        queue = deque(n for n in dict.fromkeys(nodes) if n not in self.seen)
        self.seen.update(queue)
        while queue:
            node = queue.popleft()
            if node == INTERNET_ID or self._kind.get(node) in _CALLER_KINDS:
                self.callers.add(node)
            for dst in self._next.get(node, ()):
                if dst not in self.seen:
                    self.seen.add(dst)
                    queue.append(dst)
