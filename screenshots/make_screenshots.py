"""Regenerate the README screenshots (SVG + PNG) from the demo estate, headless.

Usage: ``.venv/bin/python screenshots/make_screenshots.py`` (writes into screenshots/).
Each shot is a pilot key script, so the pictures show what a user pressing those keys sees.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from blastscope.providers.demo import load_demo
from blastscope.tui.app import BlastscopeApp

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from svg2png import svg_to_png  # noqa: E402

NOW = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)
"""A fixed clock a day after the demo estate's collection time."""

Script = Callable[[Pilot[None]], Awaitable[None]]


async def settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.screen.workers.wait_for_complete()
    await pilot.pause()


async def overview(pilot: Pilot[None]) -> None:
    await settle(pilot)


async def blast_radius(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("down", "down", "down", "down", "space", "down", "down", "down")
    await settle(pilot)


async def node(pilot: Pilot[None]) -> None:
    await blast_radius(pilot)
    await pilot.press("n")
    await settle(pilot)
    await pilot.press("down", "down")
    await settle(pilot)


async def explore(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("slash", *"prod")
    await settle(pilot)


async def export(pilot: Pilot[None]) -> None:
    await blast_radius(pilot)
    await pilot.press("x")
    await settle(pilot)


async def help_screen(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await settle(pilot)


async def light(pilot: Pilot[None]) -> None:
    await blast_radius(pilot)
    await pilot.press("ctrl+t")
    await settle(pilot)


SHOTS: dict[str, Script] = {
    "overview": overview,
    "blast-radius": blast_radius,
    "node": node,
    "explore": explore,
    "export": export,
    "help": help_screen,
    "light-theme": light,
}


async def shoot(name: str, script: Script) -> Path:
    app = BlastscopeApp(load_demo(), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await script(pilot)
        svg = HERE / f"{name}.svg"
        app.save_screenshot(filename=svg.name, path=str(HERE))
    return svg_to_png(svg)


def main() -> None:
    for name, script in SHOTS.items():
        print(asyncio.run(shoot(name, script)))


if __name__ == "__main__":
    main()
