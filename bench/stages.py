"""One estate size, every stage, each beside its floor: ``python -m bench.stages SIZE SEED OUT``.

Run in its own process per size so that peak RSS (``ru_maxrss``, read after every stage) is
that size's alone. A stage whose module is not on this branch yet gets a "not available" row,
and a stage that fails gets its error: numbers are only ever measured, never filled in.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import multiprocessing
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx

from bench.synthetic import generate
from blastscope.graph import build as gbuild
from blastscope.graph.heap import gc_paused
from blastscope.graph.model import load_snapshot, save_snapshot

BUDGET = float(os.environ.get("BENCH_STAGE_BUDGET", "120"))
"""Seconds one analysis may take before it is reported as timed out and left out."""
MAX_SOURCES = int(os.environ.get("BENCH_MAX_SOURCES", "1000"))
"""Blast radii computed for "every exposed" (the row says when it is a sample)."""
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
        print(f"  {time.strftime('%H:%M:%S')} {stage} …", file=sys.stderr, flush=True)
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

    def budgeted(
        self, stage: str, fn: Callable[..., Any], *, budget: float = 0, early: bool = False
    ) -> Any:
        """Like :meth:`time`, but in a forked child that is killed after ``budget`` seconds
        (a "timed out" row); ``fn`` must return something small (it is pickled back).
        ``early``: ``fn`` gets a ``report(value)`` that ends the stage at once."""
        print(f"  {time.strftime('%H:%M:%S')} {stage} …", file=sys.stderr, flush=True)
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(fn, child, early))
        proc.start()
        if not parent.poll(budget or BUDGET):
            proc.kill()
            proc.join()
            self.rows.append(
                {"stage": stage, "status": f"timed out after {budget or BUDGET:.0f} s"}
            )
            return None
        seconds, rss, value = parent.recv()
        proc.join()
        if isinstance(value, BaseException):
            self.rows.append({"stage": stage, "status": f"error: {value!r}"[:200]})
            return None
        self.rows.append(
            {"stage": stage, "status": "ok", "seconds": round(seconds, 4), "peak_rss_mb": rss}
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
    excluded = _probe_analyses(rec, snap)
    note = f"without {', '.join(excluded)} (over budget)" if excluded else ""
    G = rec.time("graph build (all analyses)", lambda: gbuild.build_graph(snap), note=note)
    info["graph_edges"] = G.number_of_edges()
    _iam_query(rec, snap)
    H = rec.time("traversable subgraph (floor input)", lambda: _traversable(G))
    worst = _paths_and_reports(rec, G, H)
    _tui(rec, snap)
    return {
        "size": size,
        "seed": seed,
        "info": info,
        "rows": rec.rows,
        "peak_rss_mb": rss_mb(),
        "worst": worst,
    }


def _commands(rec: Recorder, path: Path, worst: str | None) -> None:
    """``blastscope exposed FILE`` and ``blastscope paths FILE --from WORST`` as a user runs
    them: a fresh process, the real end to end (interpreter, imports, load, build with the
    analyses the question needs, summaries or paths, output), started from a process that
    holds no estate (see :func:`main`); the row's peak RSS is the command's own."""
    jobs = min(os.cpu_count() or 1, 4)
    commands = [("exposed", ["exposed", str(path), "--format", "json"])]
    if worst is not None:
        commands.append(("paths", ["paths", str(path), "--from", worst, "--format", "json"]))
    for name, args in commands:
        for n in sorted({1, jobs}):
            argv = [sys.executable, "-c", "import sys; from blastscope.tui.cli import main;"]
            argv[-1] += " sys.exit(main())"
            argv += [*args, "--jobs", str(n)]
            rss = rec.time(
                f"`blastscope {name}` command, --jobs {n}",
                lambda argv=argv: _run_capped(argv),
                note="fresh process, end to end"
                + (" (from the worst exposed)" if name == "paths" else ""),
            )
            if rss is not None:
                rec.rows[-1]["peak_rss_mb"] = rss


MEMORY_CAP = 0.85
"""Share of the machine's memory a command may map (address space, which runs ahead of
what is resident: at half, the 1M snapshot could not even be parsed): one that needs more
fails with MemoryError, or is killed by the kernel, and its row says so; the bench goes on
(the stages' child has exited: the command is the biggest process by far)."""


def _run_capped(argv: list[str]) -> float:
    """Run a command with its memory capped; its peak RSS, MiB."""
    cap = int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * MEMORY_CAP)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=limit)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(4 * BUDGET, kill)
        timer.start()
        _pid, status, usage = os.wait4(proc.pid, 0)  # its own rusage, unlike subprocess.run
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace").strip()
    if timed_out.is_set():
        raise TimeoutError(f"over {4 * BUDGET:.0f} s")
    if proc.returncode != 0:
        if "out of memory" in text or "MemoryError" in text:
            raise MemoryError(f"over {cap / 2**30:.1f} GiB of address space")
        if proc.returncode == -signal.SIGKILL:
            raise MemoryError("killed by the kernel (out of memory)")
        raise RuntimeError(f"exit {proc.returncode}: {text.splitlines()[-1:] or ''}"[:160])
    return round(usage.ru_maxrss / 1024, 1)


def _bare_graph(snap: Any) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph()
    G.add_nodes_from(n.id for n in snap.nodes)
    G.add_edges_from((e.src, e.dst) for e in snap.edges)
    return G


def _probe_analyses(rec: Recorder, snap: Any) -> list[str]:
    """Time each registered analysis in a forked child with a budget; drop the ones over it.

    An analysis that does not finish in ``BENCH_STAGE_BUDGET`` seconds gets a "timed out"
    row and is left out of the graph build, so the later stages still run (their rows say so).
    """
    gbuild.load_analyses()
    ctx = multiprocessing.get_context("fork")
    kept, excluded = [], []
    if not gbuild.ANALYSES:
        rec.rows.append(
            {"stage": "  analyses", "status": "not available", "note": "none registered"}
        )
    for name, fn in gbuild.ANALYSES:
        print(f"  {time.strftime('%H:%M:%S')} analysis {name} …", file=sys.stderr, flush=True)
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(lambda fn=fn: _count_edges(fn, snap), child))
        proc.start()
        if parent.poll(BUDGET):
            seconds, rss, count = parent.recv()
            rec.rows.append(
                {
                    "stage": f"  analysis {name}",
                    "status": "ok",
                    "seconds": round(seconds, 4),
                    "peak_rss_mb": rss,
                    "note": f"{count:,} edges (own process)",
                }
            )
            kept.append((name, fn))
        else:
            proc.kill()
            rec.rows.append(
                {"stage": f"  analysis {name}", "status": f"timed out after {BUDGET:.0f} s"}
            )
            excluded.append(name)
        proc.join()
    gbuild.ANALYSES[:] = kept
    return excluded


def _count_edges(analysis: Callable[[Any], Any], snap: Any) -> int:
    """Run one analysis as ``build_graph`` does (the cyclic GC paused); its edge count."""
    with gc_paused():
        return sum(1 for _ in analysis(snap))


def _child(fn: Callable[..., Any], conn: Any, early: bool = False) -> None:
    start = time.perf_counter()

    def report(value: Any = None) -> None:
        """End the stage now: the moment measured is over, what follows is not timed
        (leaving ``run_test`` waits for the graph-building worker thread)."""
        conn.send((time.perf_counter() - start, rss_mb(), value))
        conn.close()
        os._exit(0)

    try:
        value = fn(report) if early else fn()
    except Exception as exc:  # reported as the stage's error
        value = exc
    conn.send((time.perf_counter() - start, rss_mb(), value))


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


def _paths_and_reports(rec: Recorder, G: nx.MultiDiGraph, H: nx.DiGraph) -> str | None:
    paths = available("blastscope.graph.paths")
    exposed = sorted({v for u, v, k in G.out_edges("internet", data="kind") if k == "exposes"})
    if paths is None:
        for stage in ("exposed_summaries", "blast radius, one node", "blast radius, every exposed"):
            rec.missing(stage, "blastscope.graph.paths")
    else:
        ranked = rec.budgeted(
            "exposed_summaries (all exposed)", lambda: [s.id for s in paths.exposed_summaries(G)]
        )
        if ranked:
            exposed = ranked
    if not exposed:
        rec.rows.append(
            {"stage": "blast radius", "status": "not available", "note": "nothing exposed"}
        )
        return None
    src = exposed[0]
    sample = exposed[:MAX_SOURCES]
    label = f"{len(sample)} of {len(exposed)}" if len(sample) < len(exposed) else f"{len(exposed)}"
    if paths is not None:
        timed = rec.budgeted("blast radius, one node", lambda: _radius_times(paths, G, src))
        if timed is not None:
            reached, times = timed
            row = rec.rows[-1]
            row["seconds"] = round(statistics.median(times), 4)
            row["note"] = (
                f"{reached} reached; median of {len(times)} asks, the first"
                f" {times[0] * 1000:.0f} ms (cold: indexes built, pages copied in this child)"
            )
            rec.floor("bare nx.descendants", lambda: nx.descendants(H, src) if src in H else set())
        done = rec.budgeted(
            f"blast radius, every exposed ({label})",
            lambda: len([paths.blast_radius(G, s) for s in sample]),
        )
        if done is None:
            return src
        rec.floor(
            "bare nx.descendants each", lambda: [nx.descendants(H, s) for s in sample if s in H]
        )
        report = available("blastscope.graph.report")
        if report is None:
            rec.missing("report rendering", "blastscope.graph.report")
            return src
        radius = paths.blast_radius(G, src)
        for fmt in report.FORMATS:
            rec.budgeted(f"report {fmt}", lambda f=fmt: len(report.render_report(G, radius, f)))
    return src


def _radius_times(paths: Any, G: nx.MultiDiGraph, src: str) -> tuple[int, list[float]]:
    """Reached count and the seconds of five asks: the first pays for the walk's caches
    (sensitivity, attached disks) and for copying the parent's pages; the TUI and `paths`
    ask again and again of one graph."""
    times = []
    for _ in range(5):
        start = time.perf_counter()
        reached = len(paths.blast_radius(G, src).reached)
        times.append(time.perf_counter() - start)
    return reached, times


def _tui(rec: Recorder, snap: Any) -> None:
    app_mod = available("blastscope.tui.app")
    if app_mod is None:
        rec.missing("TUI first paint (headless)", "blastscope.tui.app")
        return

    async def first_paint(report: Callable[[], None]) -> None:
        app = app_mod.BlastscopeApp(snapshot=snap)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            report()

    async def settled() -> None:
        app = app_mod.BlastscopeApp(snapshot=snap)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()

    rec.budgeted(
        "TUI first paint (headless 120x40)",
        lambda report: asyncio.run(first_paint(report)),
        early=True,
    )
    rec.budgeted("TUI workers settled", lambda: asyncio.run(settled()))


def main(argv: list[str]) -> int:
    """The in-process stages run in a child, so that the commands start from a process that
    holds no estate: with 2 GB still held at 100k (memory Python does not give back),
    `exposed` took 10-11 s instead of 9-9.5 s."""
    size, seed, out = int(argv[0]), int(argv[1]), Path(argv[2])
    with tempfile.TemporaryDirectory(prefix="blastscope-bench-") as tmp:
        ctx = multiprocessing.get_context("fork")
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=lambda: child.send(run(size, seed, Path(tmp))))
        proc.start()
        child.close()  # the child's death then ends recv with EOFError, not a hang
        result = parent.recv()
        proc.join()
        rec = Recorder()
        _commands(rec, Path(tmp) / f"synthetic-{size}-{seed}.json", result.pop("worst"))
        result["rows"].extend(rec.rows)
    out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
