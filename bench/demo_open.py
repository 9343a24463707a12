"""How long ``blastscope demo`` takes to show its first screen, from a cold interpreter.

Run as a fresh process (imports, demo load, app mount, first paint at 120x40, headless):
``python -m bench.demo_open`` prints the seconds.
"""

from __future__ import annotations

import time

START = time.perf_counter()


async def _first_paint() -> None:
    from blastscope.tui.app import BlastscopeApp

    app = BlastscopeApp()  # no snapshot: the built-in demo estate, as `blastscope demo`
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()


if __name__ == "__main__":
    import asyncio

    asyncio.run(_first_paint())
    print(f"{time.perf_counter() - START:.3f}")
