"""The collect screen: profiles listed from the real AWS config, progress, warnings, cancel,
save and open. The provider is a stand-in speaking the Provider protocol (the real
collectors are tested against moto in tests/providers)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Button, Input, OptionList, ProgressBar, RichLog

from blastscope.graph.model import (
    Node,
    NodeKind,
    Partial,
    Snapshot,
    Warning,
    load_snapshot,
    merge_parts,
)
from blastscope.providers.base import CollectionAborted, ProgressEvent, Scope
from blastscope.tui.app import BlastscopeApp
from blastscope.tui.screens.connect import ConnectScreen
from blastscope.tui.screens.overview import OverviewScreen

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _snap(partial: bool = False) -> Snapshot:
    part = Partial(
        nodes=[Node("arn:aws:s3:::collected", NodeKind.BUCKET, "collected", "aws", "us-east-1")],
        warnings=[Warning("iam", "global", "AccessDenied", "iam:ListRoles denied")],
    )
    return merge_parts(
        [part],
        provider="aws",
        scope={"account": "999988887777"},
        collected_at="2026-12-01T00:00:00Z",
        partial=partial,
    )


class FakeProvider:
    """Collects three tasks; with ``block`` it waits for cancel and aborts with what it has."""

    name = "aws"

    def __init__(self, *, block: bool = False) -> None:
        self.block = block
        self.scopes: list[Scope] = []

    def collect(self, scope, progress=None, *, cancel: threading.Event | None = None):  # type: ignore[no-untyped-def]
        self.scopes.append(scope)
        assert progress is not None
        progress(ProgressEvent("ec2", "us-east-1", 1, 3, "ok"))
        progress(ProgressEvent("iam", "global", 2, 3, "warning", "AccessDenied: iam:ListRoles"))
        if self.block:
            assert cancel is not None and cancel.wait(10)
            raise CollectionAborted("cancelled by the user", _snap(partial=True))
        progress(ProgressEvent("s3", "global", 3, 3, "ok"))
        return _snap()


@pytest.fixture
def aws_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nregion = us-east-1\n[profile prod-audit]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "nothing"))


async def _open_connect(app: BlastscopeApp, pilot) -> ConnectScreen:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.press("ctrl+o")
    screen = app.screen
    assert isinstance(screen, ConnectScreen)
    await screen.workers.wait_for_complete()
    await pilot.pause()
    return screen


async def test_collect_shows_progress_and_warnings_then_saves_and_opens(
    estate: Snapshot, aws_config: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake = FakeProvider()
    monkeypatch.setattr("blastscope.providers.get_provider", lambda name: fake)
    app = BlastscopeApp(estate, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_connect(app, pilot)
        options = screen.query_one("#choices", OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("profile prod-audit" in label for label in labels)
        options.highlighted = next(i for i, lb in enumerate(labels) if "prod-audit" in lb)
        screen.query_one("#regions", Input).value = "eu-west-1, us-east-1"
        screen.query_one("#collect", Button).press()
        await pilot.pause()
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert fake.scopes == [Scope(profile="prod-audit", regions=("eu-west-1", "us-east-1"))]
        bar = screen.query_one("#bar", ProgressBar)
        assert (bar.progress, bar.total) == (3, 3)
        log = "\n".join(str(line.text) for line in screen.query_one("#log", RichLog).lines)
        assert "iam:ListRoles" in log
        target = tmp_path / "collected.json.gz"
        screen.query_one("#save-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert load_snapshot(target).scope["account"] == "999988887777"
        await pilot.press("ctrl+o")
        await pilot.pause()
        await app.workers.wait_for_complete()
        assert isinstance(app.screen, OverviewScreen)
        assert app.snapshot is not None and app.snapshot.scope["account"] == "999988887777"
        assert "999988887777" in app.sub_title


async def test_escape_cancels_and_keeps_the_partial_result(
    estate: Snapshot, aws_config: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeProvider(block=True)
    monkeypatch.setattr("blastscope.providers.get_provider", lambda name: fake)
    app = BlastscopeApp(estate, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_connect(app, pilot)
        await pilot.press("enter")  # collect with the highlighted (default chain)
        await pilot.pause()
        assert screen.collecting
        await pilot.press("escape")
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ConnectScreen)
        assert screen.result is not None and screen.result.partial
        assert not screen.query_one("#open", Button).disabled
        await pilot.press("escape")  # not collecting any more: leaves
        assert isinstance(app.screen, OverviewScreen)


async def test_a_provider_crash_is_a_notification(
    estate: Snapshot, aws_config: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(name: str) -> object:
        raise RuntimeError("SDK exploded")

    monkeypatch.setattr("blastscope.providers.get_provider", boom)
    app = BlastscopeApp(estate, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_connect(app, pilot)
        await pilot.press("enter")
        await pilot.pause()
        await screen.workers.wait_for_complete()
        await pilot.pause()
        assert any("SDK exploded" in n.message for n in app._notifications)
        assert not screen.collecting  # a new attempt may start
        assert isinstance(app.screen, ConnectScreen)
