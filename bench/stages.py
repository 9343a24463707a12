"""One estate size, every stage, each beside its floor: ``python -m bench.stages SIZE SEED OUT``.

Run in its own process per size so that peak RSS (``ru_maxrss``, read after every stage) is
that size's alone. A stage whose module is not on this branch yet gets a "not available" row,
and a stage that fails gets its error: numbers are only ever measured, never filled in.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx

from bench.synthetic import generate
from blastscope.graph import build as gbuild
from blastscope.graph.model import load_snapshot, save_snapshot

TRAVERSABLE = {
    "runs_as",
    "can_assume",
    "can_escalate",
    "member_of",
    "can_access",
    "network_reach",
    "contains",
    "attached_to",
}


def rss_mb() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class Recorder:
    """Collects rows: stage, seconds, floor and its seconds, peak RSS after the stage."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def time(self, stage: str, fn: Callable[[], Any], *, note: str = "") -> Any:
        start = time.perf_counter()
        try:
            value = fn()
        except Exception as exc:  # a failing stage is a result too
            self.rows.append(
                {"stage": stage, "status": f"error: {type(exc).__name__}: {exc}"[:200]}
            )
            return None
        self.rows.append(
            {
                "stage": stage,
                "status": "ok",
                "seconds": round(time.perf_counter() - start, 4),
                "peak_rss_mb": rss_mb(),
                "note": note,
            }
        )
        return value

    def floor(self, name: str, fn: Callable[[], Any]) -> Any:
        """Time ``fn`` as the floor of the last recorded stage."""
        start = time.perf_counter()
        value = fn()
        row = self.rows[-1]
        row["floor"] = name
        row["floor_seconds"] = round(time.perf_counter() - start, 4)
        if row.get("seconds") and row["floor_seconds"] > 0:
            row["ratio"] = round(row["seconds"] / row["floor_seconds"], 1)
        return value

    def missing(self, stage: str, module: str) -> None:
        self.rows.append(
            {"stage": stage, "status": "not available", "note": f"{module} not on main"}
        )


def available(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise


def run(size: int, seed: int, workdir: Path) -> dict[str, Any]:
    rec = Recorder()
    snap = rec.time("generate synthetic estate", lambda: generate(size, seed))
    path = workdir / f"synthetic-{size}-{seed}.json"
    rec.time("snapshot save (json)", lambda: save_snapshot(snap, path))
    info = {"nodes": len(snap.nodes), "edges": len(snap.edges), "documents": len(snap.documents)}
    info["file_mb"] = round(path.stat().st_size / 2**20, 1)
    del snap
    snap = rec.time("snapshot load + validate", lambda: load_snapshot(path))
    rec.floor("bare json.load", lambda: json.loads(path.read_bytes()))
    G0 = rec.time("graph build (derive=False)", lambda: gbuild.build_graph(snap, derive=False))
    rec.floor("bare nx.MultiDiGraph of the edges", lambda: _bare_graph(snap))
    del G0
    timings = _time_analyses()
    G = rec.time("graph build (all analyses)", lambda: gbuild.build_graph(snap))
    for name, seconds, count in timings:
        rec.rows.append(
            {
                "stage": f"  analysis {name}",
                "status": "ok",
                "seconds": round(seconds, 4),
                "note": f"{count} edges",
            }
        )
    if not timings:
        rec.rows.append(
            {"stage": "  analyses", "status": "not available", "note": "no analysis registered"}
        )
    info["graph_edges"] = G.number_of_edges()
    _iam_query(rec, snap)
    H = rec.time("traversable subgraph (floor input)", lambda: _traversable(G))
    _paths_and_reports(rec, G, H)
    _tui(rec, snap)
    return {"size": size, "seed": seed, "info": info, "rows": rec.rows, "peak_rss_mb": rss_mb()}


def _bare_graph(snap: Any) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    G.add_nodes_from(n.id for n in snap.nodes)
    G.add_edges_from((e.src, e.dst) for e in snap.edges)
    return G


def _time_analyses() -> list[tuple[str, float, int]]:
    """Wrap each registered analysis so one build_graph call also reports each one's time."""
    gbuild._load_default_analyses()
    timings: list[tuple[str, float, int]] = []

    def timed(name: str, fn: gbuild.Analysis) -> gbuild.Analysis:
        def wrapper(snapshot: Any) -> list[Any]:
            start = time.perf_counter()
            edges = list(fn(snapshot))
            timings.append((name, time.perf_counter() - start, len(edges)))
            return edges

        return wrapper

    gbuild.ANALYSES[:] = [(name, timed(name, fn)) for name, fn in gbuild.ANALYSES]
    return timings


def _traversable(G: nx.MultiDiGraph) -> nx.DiGraph:
    H = nx.DiGraph()
    H.add_edges_from((u, v) for u, v, k in G.edges(data="kind") if k in TRAVERSABLE)
    return H


def _iam_query(rec: Recorder, snap: Any) -> None:
    iam = available("blastscope.graph.iam.aws")
    if iam is None:
        rec.missing("IAM who_can(s3:GetObject, one bucket)", "blastscope.graph.iam.aws")
        return
    bucket = next(n.id for n in snap.nodes if str(n.kind) == "bucket")
    rec.time(
        "IAM who_can(s3:GetObject, one bucket)",
        lambda: iam.who_can(snap, "s3:GetObject", bucket + "/k"),
    )


def _paths_and_reports(rec: Recorder, G: nx.MultiDiGraph, H: nx.DiGraph) -> None:
    paths = available("blastscope.graph.paths")
    exposed = sorted({v for u, v, k in G.out_edges("internet", data="kind") if k == "exposes"})
    if paths is None:
        for stage in ("exposed_summaries", "blast radius, one node", "blast radius, every exposed"):
            rec.missing(stage, "blastscope.graph.paths")
    else:
        summaries = rec.time("exposed_summaries (all exposed)", lambda: paths.exposed_summaries(G))
        if summaries:
            exposed = [s.id for s in summaries]
    if not exposed:
        rec.rows.append(
            {"stage": "blast radius", "status": "not available", "note": "nothing exposed"}
        )
        return
    src = exposed[0]
    if paths is not None:
        radius = rec.time("blast radius, one node", lambda: paths.blast_radius(G, src))
        rec.floor("bare nx.descendants", lambda: nx.descendants(H, src) if src in H else set())
        rec.time(
            f"blast radius, every exposed ({len(exposed)})",
            lambda: [paths.blast_radius(G, s) for s in exposed],
        )
        rec.floor(
            "bare nx.descendants each", lambda: [nx.descendants(H, s) for s in exposed if s in H]
        )
        report = available("blastscope.graph.report")
        if report is None or radius is None:
            rec.missing("report rendering", "blastscope.graph.report")
        else:
            for fmt in report.FORMATS:
                rec.time(f"report {fmt}", lambda fmt=fmt: report.render_report(G, radius, fmt))


def _tui(rec: Recorder, snap: Any) -> None:
    app_mod = available("blastscope.tui.app")
    if app_mod is None:
        rec.missing("TUI first paint (headless)", "blastscope.tui.app")
        return

    async def first_paint() -> None:
        app = app_mod.BlastscopeApp(snapshot=snap)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()

    async def settled() -> None:
        app = app_mod.BlastscopeApp(snapshot=snap)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()

    rec.time("TUI first paint (headless 120x40)", lambda: asyncio.run(first_paint()))
    rec.time("TUI workers settled", lambda: asyncio.run(settled()))


def main(argv: list[str]) -> int:
    size, seed, out = int(argv[0]), int(argv[1]), Path(argv[2])
    with tempfile.TemporaryDirectory(prefix="blastscope-bench-") as tmp:
        result = run(size, seed, Path(tmp))
    out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
