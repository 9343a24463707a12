"""SVG snapshots of the main screens on the fixture estate (fixed clock, no cursor blink).

Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` only after looking at the
report; the rankings come from graph.paths, so these run only where it is present.
"""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import DataTable, Input

from blastscope.graph.model import Snapshot
from blastscope.tui.app import BlastscopeApp

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SIZE = (120, 40)


async def _steady(pilot) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await app.workers.wait_for_complete()
    await pilot.pause()
    await app.screen.workers.wait_for_complete()
    for field in app.screen.query(Input):
        field.cursor_blink = False
    # DataTable lays out new rows when idle, after they arrive: let every table settle.
    for _ in range(50):
        await pilot.pause()
        tables = app.screen.query(DataTable)
        if all(t.virtual_size.height >= t.row_count + 1 for t in tables):
            break
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


def test_overview(snap_compare, estate: Snapshot) -> None:
    assert snap_compare(
        BlastscopeApp(estate, clock=lambda: NOW), run_before=_steady, terminal_size=SIZE
    )


def test_node_screen_with_deciding_statement(snap_compare, estate: Snapshot, fx) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _steady(pilot)
        pilot.app.open_node(fx.WEB_ROLE)
        await pilot.pause()
        tree = pilot.app.screen.query_one("#neighbours")
        while tree.cursor_node is None or not (
            tree.cursor_node.data and tree.cursor_node.data[0] == fx.PII
        ):
            await pilot.press("down")
        await _steady(pilot)

    assert snap_compare(
        BlastscopeApp(estate, clock=lambda: NOW), run_before=run_before, terminal_size=SIZE
    )


def test_blast_radius_with_selected_hop(snap_compare, estate: Snapshot, fx) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _steady(pilot)
        await pilot.press("enter")  # the worst exposed machine: web-01
        await _steady(pilot)
        await pilot.press("down", "down", "space", "down", "down")
        await _steady(pilot)

    assert snap_compare(
        BlastscopeApp(estate, clock=lambda: NOW), run_before=run_before, terminal_size=SIZE
    )


def test_explore(snap_compare, estate: Snapshot) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _steady(pilot)
        await pilot.press("slash", *"prod")
        await _steady(pilot)

    assert snap_compare(
        BlastscopeApp(estate, clock=lambda: NOW), run_before=run_before, terminal_size=SIZE
    )


def test_help(snap_compare, estate: Snapshot) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _steady(pilot)
        await pilot.press("question_mark")
        await _steady(pilot)

    assert snap_compare(
        BlastscopeApp(estate, clock=lambda: NOW), run_before=run_before, terminal_size=SIZE
    )


def test_export_dialog(snap_compare, estate: Snapshot, fx) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _steady(pilot)
        pilot.app.open_blast_radius(fx.WEB)
        await _steady(pilot)
        await pilot.press("x")
        await _steady(pilot)
        pilot.app.screen.query_one("#path", Input).value = "/tmp/blastscope-web-01.html"
        await _steady(pilot)

    assert snap_compare(
        BlastscopeApp(estate, clock=lambda: NOW), run_before=run_before, terminal_size=SIZE
    )
