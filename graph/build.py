"""Snapshot → ``nx.MultiDiGraph``: the collected nodes and edges, plus derived edges.

Derived edges (permissions, exposure, lateral reach) come from analyses registered in
:data:`ANALYSES`; each is a plain function ``f(snapshot) -> Iterable[Edge]`` that reads the
snapshot's nodes, edges and documents and never the graph it is being added to, so analyses
are independent and can run in any order.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
"""``f(snapshot) -> edges``; a sharded one is also called ``f(snapshot, shard=(i, n))``, and
a :data:`BY_CALLER` one ``f(snapshot, callers=...)``."""

ANALYSES: list[tuple[str, Analysis]] = []
"""Ordered registry of (name, analysis); modules register themselves on import."""

SHARDED: set[str] = set()
"""Analyses that can split their work: shard ``(i, n)`` yields the i-th of n contiguous
parts of its output, so the parts in order are exactly the unsharded output."""

BY_CALLER: set[str] = set()
"""Analyses whose edges all start at a principal or a machine and that can derive those of
some callers only: ``f(snapshot, callers=frozenset_of_node_ids)`` (see
:mod:`blastscope.graph.focus`)."""

WORKER_NICENESS = 19
"""Workers run at the lowest priority: the process that forked them is the critical path
(it follows lateral reach and builds the graph while they evaluate permissions), so they
should take only the CPU it leaves. At 100k nodes on 2 cores, ``exposed`` took 10.8 s with
workers at normal priority, 10.5 s at 10 and 10.2 s at 19."""

SHARDS_PER_WORKER = 3
"""Parts per worker process: the parts differ in cost (a big account's principals)."""


SHARES: dict[str, str] = {}
"""Analysis → another whose indexes it is built on: where that one runs, this one is
nearly free (see :mod:`blastscope.graph.focus`)."""


def register_analysis(
    name: str, *, sharded: bool = False, by_caller: bool = False, shares: str | None = None
) -> Callable[[Analysis], Analysis]:
    """Decorator: add an analysis to :data:`ANALYSES` (once per name)."""

    def wrap(fn: Analysis) -> Analysis:
        if all(existing != name for existing, _ in ANALYSES):
            ANALYSES.append((name, fn))
            if sharded:
                SHARDED.add(name)
            if by_caller:
                BY_CALLER.add(name)
            if shares is not None:
                SHARES[name] = shares
        return fn

    return wrap


def shard_of(items: list[T], shard: tuple[int, int]) -> list[T]:
    """The i-th of n contiguous, near-equal parts of ``items`` (``shard = (i, n)``)."""
    i, n = shard
    return items[len(items) * i // n : len(items) * (i + 1) // n]


def derived_edges(snapshot: Snapshot, *, workers: int = 1) -> list[Edge]:
    """Every registered analysis's edges, in registry order — the same edges in the same
    order whatever ``workers`` is (see :class:`AnalysisRunner`)."""
    with AnalysisRunner(snapshot, workers) as runner:
        found = runner.run([name for name, _fn in ANALYSES])
    return [e for edges in found.values() for e in edges]


_Task = tuple[str, tuple[int, int], "frozenset[str] | None"]
"""(analysis name, shard, callers or None for all)."""


class AnalysisRunner:
    """Runs analyses, in this process or — with ``workers`` > 1, on Linux — in that many
    forked processes that live as long as the runner (so a worker keeps the indexes and
    caches it built between calls of :meth:`run`), the parts of sharded analyses spread over
    them. Only a process with no other threads should ask for workers (``fork`` copies one
    thread, and locks held by the others)."""

    def __init__(self, snapshot: Snapshot, workers: int = 1) -> None:
        load_analyses()
        self.snapshot = snapshot
        # fork is unsafe on macOS (its frameworks): one process there.
        self.workers = workers if sys.platform.startswith("linux") else 1
        self._pool: Any = None

    def __enter__(self) -> AnalysisRunner:
        if self.workers > 1:
            global _JOB
            _JOB = self.snapshot  # forked workers inherit it: nothing of it is pickled
            self._pool = multiprocessing.get_context("fork").Pool(
                self.workers, initializer=os.nice, initargs=(WORKER_NICENESS,)
            )
        return self

    def __exit__(self, *exc: object) -> None:
        global _JOB
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None
        _JOB = None

    def warm(self, names: list[str]) -> None:
        """Have each worker build, in the background, what the named :data:`BY_CALLER`
        analyses need before their first caller (indexes, caches): they are asked for no
        caller, once per worker (a worker takes one task at a time, and these take seconds)."""
        if self._pool is not None:
            none: frozenset[str] = frozenset()
            tasks = [(0, (name, (0, 1), none)) for name in names for _ in range(self.workers)]
            self._pool.map_async(_run_part, tasks, chunksize=1)

    def run(
        self, names: list[str], callers: frozenset[str] | None = None, *, here: bool = False
    ) -> dict[str, list[Edge]]:
        """The edges of each named analysis, in registry order (``callers``: only those out
        of these node ids, for the :data:`BY_CALLER` analyses, which alone may be named).
        ``here``: in this process, even with workers (the edges of a big analysis that
        cannot be split cost seconds to send back)."""
        if here or self._pool is None:
            chosen = [name for name, _fn in ANALYSES if name in names]
            return {name: list(_call(self.snapshot, (name, (0, 1), callers))) for name in chosen}
        return self.finish(self.start(names, callers))

    def start(self, names: list[str], callers: frozenset[str] | None = None) -> Pending:
        """Hand the named analyses to the workers (see :meth:`run`); :meth:`finish` waits
        for their edges, so this process can work meanwhile."""
        chosen = [name for name, _fn in ANALYSES if name in names]
        if self._pool is None:
            return Pending(chosen, [], None, callers)
        n = self.workers * SHARDS_PER_WORKER
        tasks: list[_Task] = [
            (name, (i, n), callers) for name in chosen for i in range(n if name in SHARDED else 1)
        ]
        # Whole analyses first: one that cannot be split would otherwise run alone at the end.
        order = sorted(range(len(tasks)), key=lambda t: tasks[t][0] in SHARDED)
        runs = self._pool.imap_unordered(_run_part, [(t, tasks[t]) for t in order])
        return Pending(chosen, tasks, runs, callers)

    def finish(self, pending: Pending) -> dict[str, list[Edge]]:
        """The edges of what :meth:`start` handed out, by analysis in registry order."""
        if pending.runs is None:
            return self.run(pending.names, pending.callers, here=True)
        parts: list[list[tuple[Any, ...]]] = [[] for _ in pending.tasks]
        for t, rows in pending.runs:
            parts[t] = rows
        out: dict[str, list[Edge]] = {name: [] for name in pending.names}
        for (name, _shard, _callers), rows in zip(pending.tasks, parts, strict=True):
            out[name].extend(Edge(*row) for row in rows)
        return out


@dataclass(frozen=True, slots=True)
class Pending:
    """Analyses handed to the workers by :meth:`AnalysisRunner.start`."""

    names: list[str]
    tasks: list[_Task]
    runs: Any
    """The workers' results as they come (None: nothing was handed out)."""
    callers: frozenset[str] | None


def _call(snapshot: Snapshot, task: _Task) -> Iterable[Edge]:
    name, shard, callers = task
    analysis = dict(ANALYSES)[name]
    kwargs: dict[str, Any] = {}
    if name in SHARDED:
        kwargs["shard"] = shard
    if callers is not None:
        if name not in BY_CALLER:
            raise ValueError(f"analysis {name!r} cannot be limited to callers")
        kwargs["callers"] = callers
    return analysis(snapshot, **kwargs)


_JOB: Snapshot | None = None


def _run_part(job: tuple[int, _Task]) -> tuple[int, list[tuple[Any, ...]]]:
    """One analysis (or one part of a sharded one) in a worker process; edges go back as
    plain tuples, which pickle several times faster than the dataclasses (a kind is pickled
    once per part: pickle refers back to an object it has written)."""
    t, task = job
    assert _JOB is not None
    with gc_paused():
        return t, [(e.src, e.dst, e.kind, e.props) for e in _call(_JOB, task)]


def build_graph(
    snapshot: Snapshot,
    *,
    derive: bool = True,
    workers: int = 1,
    with_findings: bool = True,
) -> Graph:
    """Build the graph: node attributes ``kind, name, provider, region, props, findings``;
    edges with ``kind`` and ``props`` attributes. ``workers``: see :func:`derived_edges`.
    ``with_findings=False``: every node's findings list left empty, for
    :func:`attach_findings` later.

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
        add_edges(G, snapshot.edges)
        if with_findings:
            attach_findings(G, snapshot)
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


def load_analyses() -> None:
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
