"""Headless TUI timings: first paint, analysis, key answers, memory; fixture and 100k nodes.

Run: ``.venv/bin/python tests/tui/bench_first_paint.py [N]`` (N nodes, default 100000).
Not a test (pytest does not collect ``bench_*``); the figures go into the report.
"""

from __future__ import annotations

import asyncio
import importlib.util
import resource
import sys
import time
from pathlib import Path

from textual.widgets import DataTable

from blastscope.tui.app import BlastscopeApp

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("estate", HERE / "conftest.py")
assert _spec and _spec.loader
estate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(estate)


async def measure(label: str, snapshot) -> None:  # type: ignore[no-untyped-def]
    app = BlastscopeApp(snapshot, clock=lambda: estate.NOW)
    started = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        painted = time.perf_counter() - started
        # Key answered while the analysis worker is still running (GIL shared with it).
        t = time.perf_counter()
        await pilot.press("question_mark")
        await pilot.pause()
        busy_key = time.perf_counter() - t
        await pilot.press("escape")
        await app.workers.wait_for_complete()
        await pilot.pause()
        analysed = time.perf_counter() - started
        table = app.screen.query_one("#exposed", DataTable)
        keys = []
        for key in ("down", "up", "slash", "escape", "question_mark", "escape"):
            t = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            keys.append(time.perf_counter() - t)
        t = time.perf_counter()
        await pilot.press("enter")
        await pilot.pause()
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        radius = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{label}: nodes={len(snapshot.nodes):,} first paint {painted:.2f}s; "
        f"key during analysis {busy_key * 1000:.0f}ms; analysis done {analysed:.2f}s "
        f"(graph {app.graph_seconds:.2f}s, {table.row_count} exposed); "
        f"keys after: max {max(keys) * 1000:.0f}ms "
        f"median {sorted(keys)[len(keys) // 2] * 1000:.0f}ms; "
        f"blast radius of the worst {radius:.2f}s; max RSS {rss:.0f} MiB"
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    asyncio.run(measure("fixture", estate.build_estate()))
    started = time.perf_counter()
    big = estate.build_big_estate(n)
    print(f"generated {n:,}-node snapshot in {time.perf_counter() - started:.1f}s")
    asyncio.run(measure("synthetic", big))


if __name__ == "__main__":
    main()
