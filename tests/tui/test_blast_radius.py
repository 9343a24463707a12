"""The blast radius screen: tree, filters, hop explanations, picture, export."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import Checkbox, DataTable, Input, RadioSet, Select, Static

from blastscope.graph.model import Snapshot
from blastscope.tui.app import BlastscopeApp
from blastscope.tui.screens.blast_radius import BlastRadiusScreen
from blastscope.tui.screens.export import ExportDialog
from blastscope.tui.screens.node import NodeScreen
from blastscope.tui.screens.overview import OverviewScreen
from blastscope.tui.widgets.path_picture import PathPicture
from blastscope.tui.widgets.path_tree import PathNodeData, PathTree

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SIZE = (120, 40)


def reached(screen: BlastRadiusScreen) -> set[str]:
    return {r.name for r in screen.radius.reached}


async def open_radius(app: BlastscopeApp, pilot, source: str) -> BlastRadiusScreen:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()
    app.open_blast_radius(source)
    await pilot.pause()
    await app.screen.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, BlastRadiusScreen)
    return screen


async def test_overview_ranks_exposed_and_enter_opens_the_blast_radius(
    estate: Snapshot, fx
) -> None:
    app = BlastscopeApp(estate, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one("#exposed", DataTable)
        names = [table.get_row_at(i)[1] for i in range(table.row_count)]  # [0] is the cloud
        assert set(names) == {"web-01", "batch-01"}
        assert names[0] == "web-01"  # reaches the PII bucket and the secret: worst first
        await pilot.press("enter")
        await pilot.pause()
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, BlastRadiusScreen) and app.screen.source == fx.WEB
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)


async def test_tree_filters_and_hop_panel(estate: Snapshot, fx) -> None:
    app = BlastscopeApp(estate, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_radius(app, pilot, fx.WEB)
        everything = reached(screen)
        assert {"acme-customer-pii", "prod/db-password", "orders-db"} <= everything
        tree = screen.query_one(PathTree)
        kinds = [str(n.label).split(" (")[0] for n in tree.root.children]
        assert "bucket" in kinds and "secret" in kinds

        # Walk the cursor to the first hop of the PII path; the side panel explains it.
        target = None
        for group in tree.root.children:
            for reach_node in group.children:
                if reach_node.data and reach_node.data.reach.id == fx.PII:
                    target = reach_node
        assert target is not None
        target.expand()
        await pilot.pause()
        tree.move_cursor(target.children[-1])
        await pilot.pause()
        explained = dict(screen.explained)
        assert "statement ReadPii" in explained["why"]
        assert explained["evidence"] == f"{fx.WEB_INLINE} statement 1"  # the deciding statement
        picture = str(screen.query_one(PathPicture).render())
        assert "internet" in picture and "web-role" in picture and "acme-customer-pii" in picture
        assert isinstance(tree.cursor_node.data, PathNodeData)

        # n opens the node at the end of the selected hop.
        await pilot.press("n")
        assert isinstance(app.screen, NodeScreen) and app.screen.node_id == fx.PII
        await pilot.press("escape")

        # Hide conditional: the backups bucket (MFA condition) disappears.
        assert "acme-backups" in everything
        await pilot.press("c")
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert screen.query_one("#hide-conditional", Checkbox).value
        assert "acme-backups" not in reached(screen)

        # Max hops 1: only what web-01 reaches directly (the database over the network).
        screen.query_one("#max-hops", Input).value = "1"
        await pilot.pause()
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert all(r.path.length <= 1 for r in screen.radius.reached)
        assert "prod/db-password" not in reached(screen)

        # Target kind: secrets only.
        screen.query_one("#max-hops", Input).value = ""
        screen.query_one("#kind", Select).value = "secret"
        await pilot.pause()
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert reached(screen) == {"prod/db-password"}
        assert "1 reachable" in str(screen.query_one("#status", Static).render())


async def test_export_writes_the_file_and_says_where(estate: Snapshot, fx, tmp_path: Path) -> None:
    app = BlastscopeApp(estate, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_radius(app, pilot, fx.WEB)
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        # Choosing Markdown changes the extension; then type a path in tmp and write.
        radio = dialog.query_one(RadioSet)
        radio.action_next_button()
        radio.action_toggle_button()
        await pilot.pause()
        path_input = dialog.query_one("#path", Input)
        assert path_input.value.endswith(".md")
        path_input.value = str(tmp_path / "web-01.md")
        await pilot.press("enter")
        await pilot.pause()
        await screen.workers.wait_for_complete()
        await pilot.pause()
        written = tmp_path / "web-01.md"
        assert written.exists()
        assert "acme-customer-pii" in written.read_text()
        assert any(str(written) in n.message for n in app._notifications)


async def test_export_to_an_unwritable_place_is_a_notification(
    estate: Snapshot, fx, tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    app = BlastscopeApp(estate, clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_radius(app, pilot, fx.WEB)
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#path", Input).value = str(blocker / "sub" / "out.html")
        await pilot.press("enter")
        await pilot.pause()
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, BlastRadiusScreen)
        assert any(n.severity == "error" for n in app._notifications)
