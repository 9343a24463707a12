"""OverviewScreen: what was collected, what could not be read, and what is exposed.

The exposed machines are ranked by blast radius (``graph.paths.exposed_summaries``) once the
app's analysis worker has finished; until then the table says it is analysing.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from blastscope.graph.model import Snapshot
from blastscope.tui.widgets.describe import format_ports


class OverviewScreen(Screen[None]):
    """Counts by kind, collection warnings, exposed machines worst first."""

    CSS_PATH = "overview.tcss"
    BINDINGS = [
        Binding("enter", "blast_radius", "Blast radius", tooltip="What the selected row reaches"),
        Binding("n", "open_node", "Node", tooltip="Properties and neighbours of the selection"),
    ]

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.title = "blastscope · overview"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="side"):
                yield Static("Inventory", classes="section-title")
                yield DataTable(id="counts", cursor_type="none", zebra_stripes=True)
                yield Static(self._warnings_title(), classes="section-title", id="warn-title")
                with VerticalScroll(id="warnings"):
                    yield Static(
                        self._warnings_text(),
                        id="warnings-text",
                        classes="has-warnings" if self.snapshot.warnings else "",
                    )
            with Vertical(id="main"):
                yield Static(
                    "Exposed to the internet, worst blast radius first", classes="section-title"
                )
                yield DataTable(id="exposed", cursor_type="row", zebra_stripes=True)
                yield Static("Analysing the estate…", id="exposed-note", classes="note")
        yield Footer()

    def on_mount(self) -> None:
        counts = self.query_one("#counts", DataTable)
        counts.add_column("Kind", width=14)
        counts.add_column("Count", width=8)
        tally = Counter(str(n.kind) for n in self.snapshot.nodes if n.kind != "internet")
        for kind, count in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])):
            counts.add_row(kind, f"{count:,}")
        exposed = self.query_one("#exposed", DataTable)
        # Fixed widths: every column fits 120 columns whatever the names.
        exposed.add_column("Cloud", key="cloud", width=5)
        exposed.add_column("Exposed", key="name", width=16)
        exposed.add_column("Ports", key="ports", width=10)
        exposed.add_column("Danger", key="danger", width=12)
        exposed.add_column("Worst reachable", key="worst", width=21)
        exposed.add_column("Data", key="data", width=4)
        exposed.add_column("Ids", key="ids", width=4)
        self.watch(self.app, "exposures", self._show_exposures)
        self.watch(self.app, "analysis_error", self._show_error)
        exposed.focus()

    def _warnings_title(self) -> str:
        n = len(self.snapshot.warnings)
        return f"Not read ({n} warning{'s' if n != 1 else ''})" if n else "Not read"

    def _warnings_text(self) -> str:
        if not self.snapshot.warnings:
            return "Everything in scope was read."
        lines = []
        for w in self.snapshot.warnings:
            lines.append(f"• {w.service} {w.region or 'global'}: {w.error}\n  {w.message}")
        if self.snapshot.partial:
            lines.insert(0, "Collection stopped part-way: this snapshot is partial.")
        return "\n".join(lines)

    def _show_exposures(self, summaries: list[Any] | None) -> None:
        if summaries is None:
            return
        table = self.query_one("#exposed", DataTable)
        table.clear()
        for s in summaries:
            worst = s.worst
            worst_text = _cut(f"{worst.name} ({worst.kind})", 21) if worst else "-"
            table.add_row(
                s.provider,
                _cut(s.name if s.kind == "instance" else f"{s.name} ({s.kind})", 16),
                format_ports(s.ports),
                ", ".join(s.dangerous) or "-",
                worst_text,
                str(s.data_count),
                str(s.identity_count),
                key=s.id,
            )
        note = self.query_one("#exposed-note", Static)
        if summaries:
            note.update("Enter: blast radius · n: node details · ctrl+p: find any node")
        else:
            note.update("Nothing in this estate is reachable from the internet.")

    def _show_error(self, error: str) -> None:
        if error:
            note = self.query_one("#exposed-note", Static)
            note.update(f"Ranking unavailable — {error}")
            note.set_class(True, "error-note")

    def _selected(self) -> str | None:
        table = self.query_one("#exposed", DataTable)
        if table.row_count == 0:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    @on(DataTable.RowSelected, "#exposed")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.app.open_blast_radius(event.row_key.value)  # type: ignore[attr-defined]

    def action_blast_radius(self) -> None:
        node_id = self._selected()
        if node_id:
            self.app.open_blast_radius(node_id)  # type: ignore[attr-defined]

    def action_open_node(self) -> None:
        node_id = self._selected()
        if node_id:
            self.app.open_node(node_id)  # type: ignore[attr-defined]


def _cut(text: str, width: int) -> str:
    """Keep table columns narrow enough that every column stays on screen at 120 columns."""
    return text if len(text) <= width else text[: width - 1] + "…"
