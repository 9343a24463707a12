"""BlastRadiusScreen: every data resource a node reaches, path by path, hop by hop.

The radius is computed by ``graph.paths.blast_radius`` in a thread worker (group
``analysis``, exclusive: changing a filter cancels the stale computation) and cached per
filter set, so going back and forth never recomputes.
"""

from __future__ import annotations

from time import perf_counter
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Header, Input, Select, Static
from textual.worker import Worker, get_current_worker

from blastscope.graph.build import Graph
from blastscope.graph.model import DATA_KINDS
from blastscope.tui.messages import AnalysisFailed, BlastRadiusComputed, notify_worker_error
from blastscope.tui.widgets.describe import hop_explanation
from blastscope.tui.widgets.path_picture import PathPicture
from blastscope.tui.widgets.path_tree import PathTree

Filters = tuple[int | None, str | None, bool]
"""(max hops, target kind, include conditional): the cache key of a computed radius."""


class BlastRadiusScreen(Screen[None]):
    """Tree of attack paths from one source, with filters, hop details and a drawing."""

    CSS_PATH = "blast_radius.tcss"
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back", tooltip="Previous screen"),
        Binding("x", "export", "Export", tooltip="Write the shown subgraph to a file"),
        Binding("n", "open_node", "Node", tooltip="Open the node at the end of the hop"),
        Binding("c", "toggle_conditional", "Conditional", tooltip="Hide/show conditional"),
    ]

    def __init__(self, graph: Graph, source: str) -> None:
        super().__init__()
        self.graph = graph
        self.source = source
        attrs = graph.nodes[source]
        self.source_label = f"{attrs.get('name') or source} ({attrs.get('kind')})"
        self.title = f"blastscope · blast radius of {attrs.get('name') or source}"
        self.radius: Any = None
        self._radius_cache: dict[Filters, Any] = {}
        self._picked: tuple[Any, int | None] | None = None
        self.explained: list[tuple[str, str]] = []
        """The side panel's (label, text) lines for the selected hop."""
        exposures = graph.get_edge_data("internet", source) or {}
        self.exposure: dict[str, Any] | None = next(
            (dict(d.get("props") or {}) for d in exposures.values() if d.get("kind") == "exposes"),
            None,
        )

    def compose(self) -> ComposeResult:
        kinds = sorted(str(k) for k in DATA_KINDS)
        yield Header()
        with Horizontal(id="filters"):
            yield Static("Target", classes="filter-label")
            yield Select([(k, k) for k in kinds], prompt="any kind", allow_blank=True, id="kind")
            yield Static("Max hops", classes="filter-label")
            yield Input(placeholder="any", type="integer", id="max-hops", max_length=3)
            yield Checkbox("Hide conditional", id="hide-conditional")
        with Horizontal(id="body"):
            with Vertical(id="tree-box"):
                yield PathTree(id="paths")
                yield Static("Computing the blast radius…", id="status", classes="note")
            with VerticalScroll(id="side"):
                yield Static("Select a path or a hop.", id="hop-detail")
                yield PathPicture(id="picture")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(PathTree).focus()
        self.refresh_radius()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        notify_worker_error(event)

    # --- computing ----------------------------------------------------------------------

    def filters(self) -> Filters:
        """The filter widgets' current values."""
        raw = self.query_one("#max-hops", Input).value.strip()
        max_hops = int(raw) if raw.isdigit() and int(raw) > 0 else None
        kind = self.query_one("#kind", Select).value
        hide = self.query_one("#hide-conditional", Checkbox).value
        return (max_hops, kind if isinstance(kind, str) else None, not hide)

    def refresh_radius(self) -> None:
        """Show the cached radius for the current filters, or compute it in a worker."""
        key = self.filters()
        if key in self._radius_cache:
            self._show(self._radius_cache[key], 0.0)
            return
        self.query_one("#status", Static).update("Computing the blast radius…")
        self.compute(key)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="analysis",
        description="computing the blast radius",
    )
    def compute(self, key: Filters) -> None:
        """Run ``blast_radius`` off the UI thread; a newer filter cancels this one."""
        try:
            from blastscope.graph.paths import blast_radius
        except ModuleNotFoundError as exc:
            self.post_message(AnalysisFailed("blast radius", f"{exc.name} is not available"))
            return
        max_hops, kind, include_conditional = key
        started = perf_counter()
        radius = blast_radius(
            self.graph,
            self.source,
            max_depth=max_hops,
            target_kinds={kind} if kind else None,
            include_conditional=include_conditional,
        )
        if not get_current_worker().is_cancelled:
            self._radius_cache[key] = radius
            self.post_message(BlastRadiusComputed(radius, perf_counter() - started))

    @on(BlastRadiusComputed)
    def _computed(self, message: BlastRadiusComputed) -> None:
        message.stop()
        self._show(message.radius, message.seconds)

    @on(AnalysisFailed)
    def _failed(self, message: AnalysisFailed) -> None:
        self.query_one("#status", Static).update(f"Unavailable — {message.error}")

    def _show(self, radius: Any, seconds: float) -> None:
        self.radius = radius
        names = {n: str(self.graph.nodes[n].get("name") or n) for n in self._ids(radius)}
        self.query_one(PathTree).show_radius(radius, names, self.source_label)
        n = len(radius.reached)
        took = f" in {seconds:.2f} s" if seconds >= 0.01 else ""
        self.query_one("#status", Static).update(
            f"{n} reachable · {len(radius.identities)} identities on the way{took}"
            " · x export · n node"
        )

    @staticmethod
    def _ids(radius: Any) -> set[str]:
        ids: set[str] = set()
        for reach in radius.reached:
            for hop in reach.path.hops:
                ids.update((hop.src, hop.dst))
        return ids

    # --- filters ------------------------------------------------------------------------

    @on(Select.Changed, "#kind")
    @on(Checkbox.Changed, "#hide-conditional")
    def _filter_changed(self) -> None:
        self.refresh_radius()

    @on(Input.Changed, "#max-hops")
    def _hops_typed(self, event: Input.Changed) -> None:
        if event.value == "" or event.value.isdigit():
            self.refresh_radius()

    def action_toggle_conditional(self) -> None:
        box = self.query_one("#hide-conditional", Checkbox)
        box.value = not box.value

    # --- selection ----------------------------------------------------------------------

    @on(PathTree.HopSelected)
    def _hop_selected(self, message: PathTree.HopSelected) -> None:
        self._picked = (message.reach, message.hop)
        G = self.graph
        path = message.reach.path
        detail = Text()
        if message.hop is None:
            detail.append(f"{message.reach.name}", style="bold")
            detail.append(f" ({message.reach.kind})\n")
            detail.append(f"level {message.reach.level or '-'}; ")
            detail.append(f"sensitivity {message.reach.sensitivity}; {path.length} hops\n")
            if message.reach.actions:
                detail.append("actions: " + ", ".join(message.reach.actions) + "\n")
            if path.conditional:
                detail.append("Some hop depends on a policy condition.\n", style="italic")
        else:
            hop = path.hops[message.hop]
            src = (self._node_name(hop.src), str(G.nodes[hop.src].get("kind")))
            dst = (self._node_name(hop.dst), str(G.nodes[hop.dst].get("kind")))
            detail.append(f"Hop {message.hop + 1} of {path.length}: {hop.kind}", style="bold")
            grid = Table.grid(padding=(0, 1))
            grid.add_column(style="bold", no_wrap=True, justify="right")
            grid.add_column(overflow="fold")
            self.explained = hop_explanation(str(hop.kind), hop.props, src, dst)
            for label, text in self.explained:
                grid.add_row(label, text)
            self.query_one("#hop-detail", Static).update(Group(detail, grid))
        if message.hop is None:
            self.query_one("#hop-detail", Static).update(detail)
        names = {
            n: (self._node_name(n), str(G.nodes[n].get("kind")))
            for n in {path.source, *(h.dst for h in path.hops), "internet"}
            if n in G
        }
        self.query_one(PathPicture).show_path(
            path, names, selected=message.hop, exposure=self.exposure
        )

    def _node_name(self, node_id: str) -> str:
        return str(self.graph.nodes[node_id].get("name") or node_id)

    def action_open_node(self) -> None:
        if self._picked is None:
            return
        reach, hop = self._picked
        target = reach.id if hop is None else reach.path.hops[hop].dst
        self.app.open_node(target)  # type: ignore[attr-defined]

    # --- export -------------------------------------------------------------------------

    def action_export(self) -> None:
        from blastscope.tui.screens.export import ExportDialog

        if self.radius is None:
            self.notify("Nothing to export yet: the blast radius is still being computed.")
            return
        name = str(self.graph.nodes[self.source].get("name") or "blast-radius")
        safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in name)
        self.app.push_screen(ExportDialog(f"blastscope-{safe}"), self._export_chosen)

    def _export_chosen(self, request: tuple[str, str] | None) -> None:
        if request is not None:
            self.export(self.radius, *request)

    @work(thread=True, exit_on_error=False, group="export", description="writing the report")
    def export(self, radius: Any, path: str, fmt: str) -> None:
        """Write the report atomically (``graph.report.write_report``) and say where."""
        from pathlib import Path

        from blastscope.graph.report import write_report

        target = Path(path).expanduser().resolve()
        write_report(self.graph, radius, fmt, target)
        self.app.call_from_thread(
            self.notify, f"Wrote {fmt} report to {target}", title="Exported", timeout=8
        )
