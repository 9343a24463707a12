"""The derived edges that questions from some nodes need, and no more.

``blastscope exposed`` and ``blastscope paths`` ask what an attacker holding the exposed
machines (or one node) can reach. Their answers read only edges out of the region those
nodes reach: walks go forward, and the summaries' rule for a function's role reads writers
in the region. Deriving the permissions of every other principal of an organisation is
wasted work — on the 100k-node synthetic estate the exposed machines reach 3,215 of 7,603
principals, and one machine a few dozen.

The region grows batch by batch: the analyses that are not per caller run first (exposure,
role trust); then the :data:`~blastscope.graph.build.BY_CALLER` analyses (permissions, lateral
reach) run for the principals and machines reached so far, whose edges may reach more
(``network_reach``, ``can_assume``, ``can_escalate``, a function's role), until nothing new
is reached. The walk is over-approximated (every traversable edge, conditional or not), so
the region holds every node a walk from the sources can meet, and blast radii, paths and
summaries over this graph equal those over the whole one.

With worker processes the work is a pipeline, as the machine is CPU-bound: this process
follows lateral reach (whose edges are too many to send back) and builds the graph, while
the workers, at low priority, evaluate the permissions of each batch of new callers as it
is found; edges are added as they come, and the findings are found while this process
would otherwise wait. On 2 cores at 100k nodes: 12.5 s in lockstep rounds, 9.3 s so.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator

from blastscope.graph.build import (
    ANALYSES,
    BY_CALLER,
    SHARDED,
    SHARES,
    AnalysisRunner,
    Graph,
    Pending,
    add_edges,
    attach_findings,
    build_graph,
)
from blastscope.graph.heap import FREEZE_AT, gc_paused
from blastscope.graph.model import INTERNET_ID, PRINCIPAL_KINDS, Edge, Snapshot
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
    found: dict[str, list[Edge]] = defaultdict(list)
    with AnalysisRunner(snapshot, workers) as runner:
        for name, edges in _grow(runner, _begin(runner), sources):
            found[name].extend(edges)
    # In registry order, as build_graph adds them: a node's neighbours then come in the same
    # order as in the whole graph, and walks break ties alike.
    return [e for name, _fn in ANALYSES for e in found.get(name, ())]


def focused_graph(
    snapshot: Snapshot,
    sources: Callable[[Graph], Iterable[str]] | None = None,
    *,
    workers: int = 1,
) -> Graph:
    """``build_graph(snapshot, derive=False)`` with the :func:`focused_edges` of the nodes
    ``sources(G)`` names (default: the exposed ones). The workers start (indexes, role
    trust) before this process builds the graph, edges are added as they are learnt, and
    the findings are found while the workers finish, so no process sits idle."""
    with (
        gc_paused(freeze=len(snapshot.nodes) >= FREEZE_AT),
        AnalysisRunner(snapshot, workers) as runner,
    ):
        first = _begin(runner)
        G = build_graph(snapshot, derive=False, with_findings=False)
        adder = _InOrder(G)
        asked = None if sources is None else sources(G)
        # The findings (a second at 100k nodes) are found when this process would wait.
        for name, edges in _grow(runner, first, asked, lambda: attach_findings(G, snapshot)):
            adder.add(name, edges)
        adder.reorder(snapshot)
    return G


def _begin(runner: AnalysisRunner) -> tuple[Pending, dict[str, list[Edge]]]:
    """Have the workers build the indexes of the per-caller analyses they take, then run the
    analyses that are not per caller (role trust …); build here the indexes of the
    per-caller analyses that run here (see :func:`_grow`), and run the analyses that share
    them (exposure). Returns what was handed out, and what was found here."""
    local = _local()
    here = [name for name, _fn in ANALYSES if SHARES.get(name) in local]
    # After the warm-up: role trust is what escalation builds on, so the worker that takes
    # it has it cached by then, and the region does not wait for it (see _grow).
    runner.warm(_remote())
    first = runner.start([name for name, _fn in ANALYSES if name not in {*BY_CALLER, *here}])
    runner.run(local, frozenset(), here=True)  # asked for no one: only their indexes
    return first, runner.run(here, here=True)


def _remote() -> list[str]:
    """Per-caller analyses for the workers: the sharded ones. The rest run here, meanwhile
    — sending their edges back from a worker would cost more than it saves."""
    return [name for name, _fn in ANALYSES if name in BY_CALLER and name in SHARDED]


def _local() -> list[str]:
    return [name for name, _fn in ANALYSES if name in BY_CALLER and name not in SHARDED]


def _nothing() -> None:
    pass


def _grow(
    runner: AnalysisRunner,
    first: tuple[Pending, dict[str, list[Edge]]],
    sources: Iterable[str] | None,
    meanwhile: Callable[[], object] = _nothing,
) -> Iterator[tuple[str, list[Edge]]]:
    """(analysis, edges) as learnt, batch by batch: those of :func:`_begin`, then the
    per-caller analyses' for the region, until it stops growing. Each caller is asked once,
    so all its edges from one analysis come in one batch, in that analysis's order.
    ``meanwhile`` is called, before the end, when nothing is left to do here but wait for
    the workers."""
    region = _Region(runner.snapshot)
    region.link(runner.snapshot.edges)
    if sources is None:
        region.exposed()
    else:
        region.grow(sources)
    remote, local = _remote(), _local()
    learnt = first[1]
    pending: deque[Pending] = deque([first[0]])  # read like any batch: the region is a closure
    asked: set[str] = set()
    while True:
        for name, edges in learnt.items():
            region.link(edges)
            yield name, edges
        callers = frozenset(region.callers - asked)
        if callers:
            # New callers go to the workers at once, and this process follows the edges it
            # derives itself (lateral reach, which grows the region most) before it waits:
            # the workers' answers are read when this process has nothing else to do.
            asked |= callers
            pending.append(runner.start(remote, callers))
            learnt = runner.run(local, callers, here=True)
        elif pending:
            meanwhile()
            meanwhile = _nothing
            learnt = runner.finish(pending.popleft())
        else:
            meanwhile()
            return


class _InOrder:
    """Adds edges to a graph batch by batch, as they are learnt, while keeping what walks
    depend on: each node's out-edges in registry order of their analyses (ties between
    equal paths are broken by it). Batches of different analyses come in any order, which
    only matters for a node with edges from two of them; such a node's out-edges are put
    back in order at the end (:meth:`reorder`)."""

    def __init__(self, G: Graph) -> None:
        self.G = G
        self._rank = {name: i for i, (name, _fn) in enumerate(ANALYSES)}
        self._sources: dict[int, set[str]] = defaultdict(set)
        """Analysis rank → the nodes it added out-edges of."""
        self._learnt: dict[int, list[Edge]] = defaultdict(list)
        self._disordered: set[str] = set()

    def add(self, name: str, edges: list[Edge]) -> None:
        rank = self._rank[name]
        srcs = {e.src for e in edges}
        for later, seen in self._sources.items():
            if later > rank:
                self._disordered |= srcs & seen
        self._sources[rank] |= srcs
        self._learnt[rank].extend(edges)
        add_edges(self.G, edges)

    def reorder(self, snapshot: Snapshot) -> None:
        """Re-add the out-edges of the nodes that got them out of order: collected first,
        then derived in registry order."""
        if not self._disordered:
            return
        redo = self._disordered
        self.G.remove_edges_from(list(self.G.out_edges(redo, keys=True)))
        add_edges(self.G, [e for e in snapshot.edges if e.src in redo])
        for rank in sorted(self._learnt):
            add_edges(self.G, [e for e in self._learnt[rank] if e.src in redo])


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

    def exposed(self) -> None:
        """Grow from what the internet exposes, as its ``exposes`` edges are learnt (the
        internet itself is no caller: a question from the exposed nodes needs none of its
        derived edges)."""
        self.seen.add(INTERNET_ID)
        self.grow(self._next.get(INTERNET_ID, ()))

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
