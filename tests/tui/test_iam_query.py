"""The who-can / can forms: answers from the cloud's evaluator, mistakes as notifications."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import DataTable, Input, Static

from blastscope.graph.model import Snapshot
from blastscope.tui.app import BlastscopeApp
from blastscope.tui.screens.iam_query import IamQueryScreen

NOW = datetime(2026, 12, 1, tzinfo=UTC)


async def _open(app: BlastscopeApp, pilot) -> IamQueryScreen:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.press("i")
    screen = app.screen
    assert isinstance(screen, IamQueryScreen)
    return screen


async def test_unknown_names_and_missing_action_are_notifications(estate: Snapshot) -> None:
    app = BlastscopeApp(estate, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot)
        await pilot.press(*"nobody", "tab", *"s3:GetObject", "tab", *"acme-logs", "enter")
        await pilot.pause()
        assert any("no node has id or name 'nobody'" in n.message for n in app._notifications)
        screen.query_one("#who-resource", Input).value = "acme-logs"
        screen.query_one("#who-resource", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert any("action: give one" in n.message for n in app._notifications)


async def test_can_and_who_can_answer_from_the_policies(estate: Snapshot) -> None:
    app = BlastscopeApp(estate, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot)
        await pilot.press(*"web-role", "tab", *"s3:GetObject", "tab", *"acme-customer-pii")
        await pilot.press("enter")
        await screen.workers.wait_for_complete()
        await pilot.pause()
        answer = str(screen.query_one("#can-answer", Static).render())
        assert answer.startswith("ALLOWED")
        screen.query_one("#who-action", Input).value = "s3:GetObject"
        screen.query_one("#who-resource", Input).value = "acme-customer-pii"
        screen.query_one("#who-resource", Input).focus()
        await pilot.press("enter")
        await screen.workers.wait_for_complete()
        await pilot.pause()
        table = screen.query_one("#who-table", DataTable)
        who = {table.get_row_at(i)[0] for i in range(table.row_count)}
        assert "web-role" in who and "batch-role" not in who
