"""ConnectScreen: pick a profile or saved connection, collect read-only, watch progress.

Collection runs in a thread worker (group ``collect``): the provider's progress callback posts
coalescing :class:`CollectionProgressed` messages and a :class:`CollectionWarned` per gap.
Escape cancels; whatever was read is kept, can be saved, and opened.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Header,
    Input,
    OptionList,
    ProgressBar,
    RichLog,
    Static,
)
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from blastscope.graph.errors import BlastscopeError
from blastscope.graph.model import Snapshot, save_snapshot
from blastscope.providers.base import CollectionAborted, ProgressEvent, Scope
from blastscope.tui.messages import (
    CollectionFinished,
    CollectionProgressed,
    CollectionWarned,
    ConnectionsListed,
    SnapshotLoaded,
    notify_worker_error,
)


class ConnectScreen(Screen[None]):
    """Choose where to collect from, collect, then save or open the result."""

    CSS_PATH = "connect.tcss"
    BINDINGS = [
        Binding("escape", "cancel_or_back", "Cancel / back", tooltip="Stop collecting, or leave"),
        Binding("ctrl+s", "save", "Save", tooltip="Save the collected snapshot"),
        Binding("ctrl+o", "open_result", "Open", tooltip="Explore the collected snapshot"),
    ]

    done: reactive[int] = reactive(0)
    """Tasks finished so far (drives the progress bar)."""
    total: reactive[int] = reactive(0)
    """Tasks in this collection (0 until the provider reports)."""

    def __init__(self) -> None:
        super().__init__()
        self.title = "blastscope · collect"
        self.choices: list[Any] = []
        self.cancel_event = threading.Event()
        self.result: Snapshot | None = None
        self.collecting = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="choose"):
                yield Static("Collect from", classes="section-title")
                yield OptionList(id="choices")
                yield Input(placeholder="regions (comma-separated, or all)", id="regions")
                yield Button("Collect (read-only)", id="collect", variant="primary")
            with Vertical(id="progress-box"):
                yield Static("Progress", classes="section-title")
                yield ProgressBar(id="bar", show_eta=False)
                yield Static("Pick a source and press Enter.", id="now", classes="note")
                yield Static("Warnings (what could not be read)", classes="section-title")
                yield RichLog(id="log", wrap=True, markup=False)
                yield Input(placeholder="save as (path to .json or .json.gz)", id="save-path")
                with Horizontal(id="result-buttons"):
                    yield Button("Save", id="save", disabled=True)
                    yield Button("Open", id="open", variant="success", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#choices", OptionList).loading = True
        self.list_connections()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        notify_worker_error(event)
        if event.worker.group == "collect" and event.state in (
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self.collecting = False
            self.query_one("#now", Static).update(f"Collection failed: {event.worker.error}")

    @work(thread=True, exit_on_error=False, group="connections", description="listing profiles")
    def list_connections(self) -> None:
        """Reading AWS config files and the keyring can block: do it off the UI thread."""
        from blastscope.providers.choices import connection_choices

        self.post_message(ConnectionsListed(connection_choices()))

    @on(ConnectionsListed)
    def _listed(self, message: ConnectionsListed) -> None:
        self.choices = message.choices
        options = self.query_one("#choices", OptionList)
        options.loading = False
        options.clear_options()
        options.add_options(
            [Option(f"{c.label}\n  {c.detail}" if c.detail else c.label) for c in self.choices]
        )
        if self.choices:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#choices")
    @on(Button.Pressed, "#collect")
    def _start(self) -> None:
        if self.collecting:
            self.notify("A collection is already running; escape cancels it.")
            return
        index = self.query_one("#choices", OptionList).highlighted
        if index is None or not self.choices:
            self.notify("Pick where to collect from first.", severity="warning")
            return
        choice = self.choices[index]
        raw = self.query_one("#regions", Input).value
        regions = tuple(r.strip() for r in raw.split(",") if r.strip()) or None
        scope = Scope(
            profile=choice.scope.profile,
            regions=regions,
            connection=choice.scope.connection,
        )
        self.collecting = True
        self.cancel_event = threading.Event()
        self.result = None
        self.done, self.total = 0, 0
        self.query_one("#log", RichLog).clear()
        self.query_one("#now", Static).update(f"Connecting: {choice.label}…")
        self.collect(choice.cloud, scope)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="collect",
        description="collecting",
    )
    def collect(self, cloud: str, scope: Scope) -> None:
        """Call the provider; its progress callback only posts messages (thread-safe)."""
        from blastscope.providers import get_provider

        def progress(event: ProgressEvent) -> None:
            self.post_message(
                CollectionProgressed(
                    event.service,
                    event.region,
                    event.done,
                    event.total,
                    event.status,
                    event.message,
                )
            )
            if event.status == "warning":
                self.post_message(CollectionWarned(event.service, event.region, event.message))

        try:
            snapshot = get_provider(cloud).collect(scope, progress, cancel=self.cancel_event)
        except CollectionAborted as exc:
            self.post_message(CollectionFinished(exc.snapshot, aborted=exc.message))
            return
        except BlastscopeError as exc:
            self.post_message(CollectionFinished(_empty(cloud), aborted=exc.message))
            return
        self.post_message(CollectionFinished(snapshot))

    @on(CollectionProgressed)
    def _progressed(self, message: CollectionProgressed) -> None:
        self.total = message.total
        self.done = message.done
        where = message.region or "global"
        self.query_one("#now", Static).update(
            f"{message.done}/{message.total}  {message.service} {where}: {message.status}"
        )

    @on(CollectionWarned)
    def _warned(self, message: CollectionWarned) -> None:
        self.query_one("#log", RichLog).write(
            f"{message.service} {message.region or 'global'}: {message.message}"
        )

    def watch_done(self, done: int) -> None:
        self.query_one("#bar", ProgressBar).update(total=self.total or None, progress=done)

    @on(CollectionFinished)
    def _finished(self, message: CollectionFinished) -> None:
        self.collecting = False
        snap = message.snapshot
        self.result = snap if snap.nodes and len(snap.nodes) > 1 else None
        counts = f"{len(snap.nodes) - 1:,} resources, {len(snap.warnings)} warnings"
        status = self.query_one("#now", Static)
        if message.aborted:
            status.update(f"Stopped: {message.aborted}. Kept {counts} (partial).")
            status.set_class(True, "error-note")
        else:
            status.update(f"Done: {counts}. Save (ctrl+s) or open (ctrl+o).")
        log = self.query_one("#log", RichLog)
        for w in snap.warnings:
            log.write(f"{w.service} {w.region or 'global'}: {w.error}: {w.message}")
        for button in ("#save", "#open"):
            self.query_one(button, Button).disabled = self.result is None
        if self.result is not None:
            account = str(self.result.scope.get("account") or self.result.provider)
            self.query_one("#save-path", Input).value = str(
                Path.cwd() / f"blastscope-{account}.json.gz"
            )

    def action_cancel_or_back(self) -> None:
        if self.collecting:
            self.cancel_event.set()
            self.query_one("#now", Static).update("Cancelling: finishing the running tasks…")
            return
        self.app.pop_screen()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.result is None:
            self.notify("Nothing collected to save yet.", severity="warning")
            return
        path = self.query_one("#save-path", Input).value.strip()
        if not path:
            self.notify("Give a path to save to.", severity="error")
            return
        self.save(self.result, Path(path).expanduser())

    @work(thread=True, exit_on_error=False, group="save", description="saving the snapshot")
    def save(self, snapshot: Snapshot, path: Path) -> None:
        written = save_snapshot(snapshot, path)
        self.app.call_from_thread(self.notify, f"Saved snapshot to {written.resolve()}")

    @on(Button.Pressed, "#open")
    def action_open_result(self) -> None:
        if self.result is None:
            self.notify("Nothing collected to open yet.", severity="warning")
            return
        self.app.post_message(SnapshotLoaded(self.result))


def _empty(cloud: str) -> Snapshot:
    from blastscope.graph.model import merge_parts

    return merge_parts([], provider=cloud, scope={}, partial=True)
