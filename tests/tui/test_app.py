"""The app shell: header scope, overview, help, theme, palette, node screen, error paths."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Static, Tree

from blastscope.graph.model import Snapshot
from blastscope.tui.app import BlastscopeApp
from blastscope.tui.messages import GraphBuilt
from blastscope.tui.screens.connect import ConnectScreen
from blastscope.tui.screens.help import HelpScreen
from blastscope.tui.screens.node import NodeScreen
from blastscope.tui.screens.overview import OverviewScreen
from blastscope.tui.widgets.policy_view import PolicyView

SIZE = (120, 40)


NOW = datetime(2026, 12, 1, tzinfo=UTC)


def make_app(snapshot: Snapshot) -> BlastscopeApp:
    return BlastscopeApp(snapshot, clock=lambda: NOW)


async def settle(app: BlastscopeApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_overview_shows_scope_counts_and_warnings(estate: Snapshot, fx) -> None:
    seen: list[object] = []
    app = make_app(estate)
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, OverviewScreen)
        assert app.sub_title == (
            "aws 111122223333 · us-east-1 +1 · collected 2026-11-30 12:00Z, 12 h ago"
        )
        counts = app.screen.query_one("#counts", DataTable)
        rows = {counts.get_row_at(i)[0]: counts.get_row_at(i)[1] for i in range(counts.row_count)}
        assert rows["instance"] == "3" and rows["bucket"] == "3" and "internet" not in rows
        warnings = str(app.screen.query_one("#warnings-text", Static).render())
        assert "lambda eu-west-1: AccessDenied" in warnings
        assert "rds us-east-1: Throttling" in warnings
        assert any(isinstance(m, GraphBuilt) for m in seen)
        assert app.graph is not None and fx.PII in app.graph


async def test_help_opens_and_closes_and_theme_toggles(estate: Snapshot, fx) -> None:
    app = make_app(estate)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)
        dark = app.current_theme.dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is not dark
        await pilot.press("ctrl+t")
        assert app.current_theme.dark is dark


async def test_palette_finds_a_node_by_name_and_opens_it(estate: Snapshot, fx) -> None:
    app = make_app(estate)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"customer-pii")
        for _ in range(20):
            await pilot.pause(0.05)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NodeScreen)
        assert app.screen.node_id == fx.PII


async def test_palette_kind_prefix_lists_only_that_kind(estate: Snapshot, fx) -> None:
    app = make_app(estate)
    async with app.run_test(size=SIZE):
        await app.workers.wait_for_complete()
        rows = app.node_rows
        assert rows is not None
        found = [rows.names[i] for i in rows.search("role:")]
        assert sorted(found) == ["admin-role", "batch-role", "web-role"]
        assert [rows.names[i] for i in rows.search("role:web")] == ["web-role"]


async def test_node_screen_neighbours_reasons_policy_and_navigation(estate: Snapshot, fx) -> None:
    app = make_app(estate)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_node(fx.WEB_ROLE)
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, NodeScreen)
        tree = screen.query_one("#neighbours", Tree)
        groups = {str(n.label): [str(c.label) for c in n.children] for n in tree.root.children}
        assert any(k.startswith("→ can_access") for k in groups)
        access = next(v for k, v in groups.items() if k.startswith("→ can_access"))
        assert any("statement ReadPii" in leaf for leaf in access)
        assert any(k.startswith("← runs_as") for k in groups)
        # The role's own inline policy is shown first, then the highlighted edge's evidence.
        view = screen.query_one(PolicyView)
        assert view.document_id is not None
        await pilot.press("down")  # first group's first leaf: admin-role? find can_access
        while tree.cursor_node is not None and not (
            tree.cursor_node.data and tree.cursor_node.data[0] == fx.PII
        ):
            await pilot.press("down")
        await pilot.pause()
        assert view.document_id == fx.WEB_INLINE
        text = "\n".join(str(line) for line in view.highlighted)
        assert view.highlighted and text  # the ReadPii statement's lines
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NodeScreen) and app.screen.node_id == fx.PII
        await pilot.press("backspace")
        assert isinstance(app.screen, NodeScreen) and app.screen.node_id == fx.WEB_ROLE
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)


async def test_unknown_node_is_a_notification_not_a_crash(estate: Snapshot, fx) -> None:
    app = make_app(estate)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_node("arn:aws:s3:::no-such-bucket")
        await pilot.pause()
        assert isinstance(app.screen, OverviewScreen)
        assert any("no-such-bucket" in n.message for n in app._notifications)


async def test_missing_demo_opens_the_connect_screen_with_a_warning() -> None:
    def broken() -> Snapshot:
        raise FileNotFoundError("demo_estate.json.gz")

    app = BlastscopeApp(None, clock=lambda: NOW, load_demo=broken)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, ConnectScreen)
        assert any("demo estate unavailable" in n.message for n in app._notifications)
        await app.workers.wait_for_complete()


@pytest.mark.parametrize("key", ["slash", "i"])
async def test_every_screen_key_opens_its_screen(estate: Snapshot, key: str) -> None:
    from blastscope.tui.screens.explore import ExploreScreen
    from blastscope.tui.screens.iam_query import IamQueryScreen

    app = make_app(estate)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press(key)
        expected = {"slash": ExploreScreen, "i": IamQueryScreen}[key]
        assert isinstance(app.screen, expected)
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)
