"""BlastscopeApp: screens, bindings and the analysis worker; nothing heavy on the UI thread.

The app owns the snapshot, the graph built from it (in a thread worker, group ``analysis``)
and the node index the palette and the explore screen search. Screens receive what they need
in their constructors, or watch the app's reactives while the analysis is still running.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from time import perf_counter
from typing import Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, get_current_worker

from blastscope.graph.build import Graph, build_graph
from blastscope.graph.model import Snapshot
from blastscope.tui.messages import (
    AnalysisFailed,
    ExposuresRanked,
    GraphBuilt,
    NodesIndexed,
    SnapshotLoaded,
    notify_worker_error,
)
from blastscope.tui.widgets.describe import scope_line
from blastscope.tui.widgets.node_search import NodeCommands
from blastscope.tui.widgets.node_table import NodeRows

Clock = Callable[[], datetime]


class BlastscopeApp(App[None]):
    """Explore an estate: what is exposed, and what an attacker reaches from it."""

    TITLE = "blastscope"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {NodeCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help", tooltip="Keys and what each screen shows"),
        Binding("ctrl+t", "toggle_theme", "Theme", tooltip="Switch between dark and light"),
        Binding("slash", "explore", "Explore", tooltip="Search and filter every node"),
        Binding("i", "iam_query", "Who can", tooltip="Ask who-can / can questions"),
        Binding("ctrl+o", "connect", "Collect", tooltip="Collect a live estate"),
        Binding("q", "quit", "Quit", tooltip="Leave blastscope"),
    ]

    graph: reactive[Graph | None] = reactive(None, init=False, always_update=True)
    """The analysed graph of :attr:`snapshot`; None while the analysis worker runs."""
    exposures: reactive[list[Any] | None] = reactive(None, init=False, always_update=True)
    """Exposed machines ranked worst first (``ExposureSummary``); None until ranked."""
    analysis_error: reactive[str] = reactive("", init=False)
    """Why the exposure ranking could not be computed (shown on the overview)."""

    def __init__(
        self,
        snapshot: Snapshot | None = None,
        *,
        clock: Clock | None = None,
        load_demo: Callable[[], Snapshot] | None = None,
    ) -> None:
        """Args:
        snapshot: the estate to open; None opens the demo estate (or the connect screen).
        clock: "now" for staleness (tests pass a fixed clock).
        load_demo: where the demo estate comes from (default ``providers.demo``).
        """
        super().__init__()
        self.snapshot = snapshot
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self._demo_loader = load_demo
        self.node_rows: NodeRows | None = None
        self.graph_seconds = 0.0

    # --- life cycle ---------------------------------------------------------------------

    def on_mount(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            snapshot = self._demo()
        if snapshot is None:
            self.action_connect()
            return
        self.show_snapshot(snapshot)

    def _demo(self) -> Snapshot | None:
        try:
            if self._demo_loader is not None:
                return self._demo_loader()
            from blastscope.providers.demo import load_demo

            return load_demo()
        except Exception as exc:  # noqa: BLE001 - any failure: say so, offer collection
            self.notify(f"demo estate unavailable: {exc}", severity="warning", timeout=8)
            return None

    def show_snapshot(self, snapshot: Snapshot) -> None:
        """Open ``snapshot``: paint the overview now, analyse in a worker."""
        from blastscope.tui.screens.overview import OverviewScreen

        self.snapshot = snapshot
        self.graph = None
        self.exposures = None
        self.analysis_error = ""
        self.node_rows = None
        self.sub_title = scope_line(
            snapshot.provider,
            snapshot.scope,
            snapshot.collected_at,
            self.clock(),
            partial=snapshot.partial,
        )
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(OverviewScreen(snapshot))
        # The analysis thread waits for the first frame: it would share the GIL with the paint.
        painted = threading.Event()
        self.call_after_refresh(painted.set)
        self.analyse(snapshot, painted)

    @on(SnapshotLoaded)
    def _snapshot_loaded(self, message: SnapshotLoaded) -> None:
        self.show_snapshot(message.snapshot)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="analysis",
        description="building the graph",
    )
    def analyse(self, snapshot: Snapshot, painted: threading.Event | None = None) -> None:
        """Index the nodes, build the graph, rank the exposed machines (seconds at 100k);
        from the first frame on (``painted``; a second at most)."""
        if painted is not None:
            painted.wait(timeout=1.0)
        self.post_message(NodesIndexed(snapshot, NodeRows(snapshot.nodes)))
        started = perf_counter()
        graph = build_graph(snapshot)
        self.post_message(GraphBuilt(snapshot, graph, perf_counter() - started))
        if get_current_worker().is_cancelled:
            return
        try:
            from blastscope.graph.paths import exposed_summaries
        except ModuleNotFoundError as exc:
            self.post_message(
                AnalysisFailed("exposure ranking", f"{exc.name} is not available in this build")
            )
            return
        self.post_message(ExposuresRanked(graph, list(exposed_summaries(graph))))

    @on(NodesIndexed)
    def _nodes_indexed(self, message: NodesIndexed) -> None:
        if message.snapshot is self.snapshot:
            self.node_rows = message.rows

    @on(GraphBuilt)
    def _graph_built(self, message: GraphBuilt) -> None:
        if message.snapshot is self.snapshot:
            self.graph_seconds = message.seconds
            self.graph = message.graph

    @on(ExposuresRanked)
    def _exposures_ranked(self, message: ExposuresRanked) -> None:
        if message.graph is self.graph:
            self.exposures = message.summaries

    @on(AnalysisFailed)
    def _analysis_failed(self, message: AnalysisFailed) -> None:
        self.analysis_error = f"{message.what}: {message.error}"
        self.notify(self.analysis_error, title="Analysis unavailable", severity="warning")

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """Any worker's failure becomes a notification naming what failed; nothing crashes."""
        notify_worker_error(event)

    # --- navigation ---------------------------------------------------------------------

    def require_graph(self) -> Graph | None:
        """The graph, or None with a notification while it is still being built."""
        if self.graph is None:
            self.notify("Still analysing the estate; try again in a moment.", timeout=3)
        return self.graph

    def open_node(self, node_id: str) -> None:
        """Push the node screen of ``node_id``."""
        graph = self.require_graph()
        if graph is None or self.snapshot is None:
            return
        if node_id not in graph:
            self.notify(f"no node {node_id!r} in this estate", severity="error")
            return
        from blastscope.tui.screens.node import NodeScreen

        self.push_screen(NodeScreen(graph, self.snapshot, node_id))

    def open_blast_radius(self, node_id: str) -> None:
        """Push the blast radius screen of ``node_id``."""
        graph = self.require_graph()
        if graph is None:
            return
        from blastscope.tui.screens.blast_radius import BlastRadiusScreen

        self.push_screen(BlastRadiusScreen(graph, node_id))

    def action_help(self) -> None:
        from blastscope.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(type(self.screen).__name__))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    def action_explore(self) -> None:
        from blastscope.tui.screens.explore import ExploreScreen

        if self.node_rows is None:
            self.notify("Still indexing the nodes; try again in a moment.", timeout=3)
        elif not isinstance(self.screen, ExploreScreen):
            self.push_screen(ExploreScreen(self.node_rows))

    def action_iam_query(self) -> None:
        from blastscope.tui.screens.iam_query import IamQueryScreen

        if self.snapshot is not None and not isinstance(self.screen, IamQueryScreen):
            self.push_screen(IamQueryScreen(self.snapshot))

    def action_connect(self) -> None:
        from blastscope.tui.screens.connect import ConnectScreen

        if not isinstance(self.screen, ConnectScreen):
            self.push_screen(ConnectScreen())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every app action is also in the command palette."""
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Keys and what each screen shows (?)", self.action_help)
        yield SystemCommand("Toggle theme", "Dark / light (ctrl+t)", self.action_toggle_theme)
        yield SystemCommand(
            "Explore nodes", "Search and filter every node (/)", self.action_explore
        )
        yield SystemCommand("Who can / can", "Ask IAM questions (i)", self.action_iam_query)
        yield SystemCommand("Collect", "Collect a live estate (ctrl+o)", self.action_connect)
