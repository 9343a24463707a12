"""Explore: filter every node by kind and text; fine at 100,000 rows."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from textual.widgets import Input, Select

from blastscope.graph.model import Snapshot
from blastscope.tui.app import BlastscopeApp
from blastscope.tui.screens.explore import ExploreScreen
from blastscope.tui.screens.node import NodeScreen
from blastscope.tui.widgets.node_table import NodeRows, NodeTable

NOW = datetime(2026, 12, 1, tzinfo=UTC)


async def test_filter_by_text_and_kind_then_open(estate: Snapshot, fx) -> None:
    app = BlastscopeApp(estate, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("slash")
        screen = app.screen
        assert isinstance(screen, ExploreScreen)
        table = screen.query_one(NodeTable)
        assert len(table.shown) == len(estate.nodes)
        await pilot.press(*"ACME")  # any case
        shown = {table.rows.names[i] for i in table.shown}
        assert shown == {"acme-customer-pii", "acme-logs", "acme-backups"}
        screen.query_one("#kind", Select).value = "instance"
        await pilot.pause()
        assert table.shown == []
        screen.query_one("#search", Input).value = "i-0web"  # native id inside the ARN
        await pilot.pause()
        assert [table.rows.names[i] for i in table.shown] == ["web-01"]
        await pilot.press("enter")  # from the search box to the list
        assert table.has_focus
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NodeScreen) and app.screen.node_id == fx.WEB


async def test_table_keys_move_the_cursor_and_scroll() -> None:
    from blastscope.graph.model import Node, NodeKind

    nodes = [Node(f"n{i:03}", NodeKind.BUCKET, f"bucket-{i:03}", "aws") for i in range(300)]
    rows = NodeRows(nodes)
    app = BlastscopeApp(None, clock=lambda: NOW, load_demo=lambda: _tiny(nodes))
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        app.push_screen(ExploreScreen(rows))
        await pilot.pause()
        table = app.screen.query_one(NodeTable)
        table.focus()
        await pilot.press("down", "down", "down")
        assert table.highlighted == "n003"
        await pilot.press("pagedown")
        assert table.cursor_row > 3 and table.scroll_offset.y > 0
        await pilot.press("end")
        assert table.highlighted == "n299"
        await pilot.press("home")
        assert table.highlighted == "n000" and table.scroll_offset.y == 0


def _tiny(nodes: list) -> Snapshot:  # type: ignore[type-arg]
    from blastscope.graph.model import Partial, merge_parts

    return merge_parts([Partial(nodes=nodes)], provider="aws", scope={}, collected_at="x")


def test_filtering_100k_rows_takes_milliseconds(big_estate: Snapshot) -> None:
    rows = NodeRows(big_estate.nodes)
    started = time.perf_counter()
    hits = rows.filter("host-99", "instance")
    took = time.perf_counter() - started
    assert len(hits) == 111  # host-99, host-990..999, host-9900..9999 (no 5-digit within 25k)
    assert took < 0.25, f"filter took {took:.3f}s"


@pytest.mark.slow
async def test_explore_paints_100k_rows_and_answers_keys_fast(big_estate: Snapshot) -> None:
    rows = NodeRows(big_estate.nodes)
    app = BlastscopeApp(big_estate, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()  # steady state: the graph is built
        await pilot.pause()
        started = time.perf_counter()
        app.push_screen(ExploreScreen(rows))
        await pilot.pause()
        painted = time.perf_counter() - started
        table = app.screen.query_one(NodeTable)
        assert len(table.shown) == 100_001
        table.focus()
        started = time.perf_counter()
        await pilot.press("pagedown")
        await pilot.pause()
        key = time.perf_counter() - started
        started = time.perf_counter()
        app.screen.query_one("#search", Input).value = "bucket-4242"
        await pilot.pause()
        typed = time.perf_counter() - started
        assert [rows.names[i] for i in table.shown][:1] == ["bucket-4242"]
        # Generous bounds for a loaded CI box; typical figures are ~10x smaller.
        assert painted < 3.0 and key < 0.5 and typed < 1.0, (painted, key, typed)
        await app.workers.wait_for_complete()
