"""NodeTable: a virtual table of every node, answering key presses at 100,000 rows.

Textual's DataTable measures every cell when rows are added (about 20 s for 100k rows), so the
explore list renders only the visible lines from column lists indexed once (:class:`NodeRows`).
Filtering returns row numbers; nothing is copied per key press.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from blastscope.graph.model import Node


class NodeRows:
    """Every node's columns, indexed once (ids, names, kinds, regions, search text)."""

    def __init__(self, nodes: Sequence[Node]) -> None:
        self.ids = [n.id for n in nodes]
        self.names = [n.name for n in nodes]
        self.kinds = [str(n.kind) for n in nodes]
        self.regions = [n.region for n in nodes]
        self.providers = [n.provider for n in nodes]
        self._hay = [f"{n.name}\x00{n.id}".lower() for n in nodes]
        self.position = {node_id: i for i, node_id in enumerate(self.ids)}
        self.kind_counts = Counter(self.kinds)

    def __len__(self) -> int:
        return len(self.ids)

    def filter(self, text: str = "", kind: str | None = None) -> list[int]:
        """Row numbers whose name or id contains ``text`` (any case), of ``kind`` if given."""
        query = text.strip().lower()
        kinds = self.kinds
        if not query:
            if kind is None:
                return list(range(len(self.ids)))
            return [i for i, k in enumerate(kinds) if k == kind]
        if kind is None:
            return [i for i, h in enumerate(self._hay) if query in h]
        return [i for i, h in enumerate(self._hay) if query in h and kinds[i] == kind]

    def search(self, text: str, limit: int = 40) -> list[int]:
        """Rows for the command palette: ``kind`` or ``kind:text`` or text; names first."""
        query = text.strip().lower()
        kind, _, rest = query.partition(":")
        if rest or (kind in self.kind_counts and not rest):
            rows = self.filter(rest, kind if kind in self.kind_counts else None)
        else:
            rows = self.filter(query)
        names = self.names
        rows.sort(key=lambda i: (query not in names[i].lower(), len(names[i]), names[i]))
        return rows[:limit]


COLUMNS: tuple[tuple[str, int], ...] = (
    ("Kind", 14),
    ("Name", 32),
    ("Region", 14),
    ("Cloud", 7),
    ("Id", 0),
)
"""Header and width of each column; width 0 takes what is left."""


class NodeTable(ScrollView, can_focus=True):
    """A scrolling list of nodes with a cursor; Enter (or a click) chooses one."""

    DEFAULT_CSS = """
    NodeTable {
        background: $surface;
        height: 1fr;
        overflow-x: hidden;
    }
    NodeTable > .node-table--header {
        background: $panel;
        color: $foreground;
        text-style: bold;
    }
    NodeTable > .node-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    NodeTable:blur > .node-table--cursor {
        background: $block-cursor-blurred-background;
        color: $foreground;
        text-style: none;
    }
    NodeTable > .node-table--odd {
        background: $surface-lighten-1;
    }
    """

    COMPONENT_CLASSES = {
        "node-table--header",
        "node-table--cursor",
        "node-table--odd",
    }

    BINDINGS = [
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("enter", "choose", "Open node", tooltip="Open the highlighted node"),
    ]

    cursor_row: reactive[int] = reactive(0)
    """Position of the cursor in the shown (filtered) rows."""

    @dataclass
    class NodeChosen(Message):
        """The user chose a node (Enter or a click on the highlighted row)."""

        table: NodeTable
        node_id: str

        @property
        def control(self) -> NodeTable:
            """The table the node was chosen in."""
            return self.table

    def __init__(self, rows: NodeRows, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.rows = rows
        self.shown: list[int] = list(range(len(rows)))

    def show(self, shown: list[int]) -> None:
        """Replace the shown rows (a filter result); the cursor returns to the top."""
        self.shown = shown
        self.cursor_row = 0
        self.virtual_size = Size(self.size.width, len(shown) + 1)
        self.scroll_to(y=0, animate=False)
        self.refresh()

    @property
    def highlighted(self) -> str | None:
        """Id of the node under the cursor, None when nothing is shown."""
        if not self.shown:
            return None
        return self.rows.ids[self.shown[min(self.cursor_row, len(self.shown) - 1)]]

    def on_mount(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.shown) + 1)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.shown) + 1)

    def watch_cursor_row(self, old: int, new: int) -> None:
        """Keep the cursor on screen (under the fixed header)."""
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)
        self.refresh()

    def action_cursor(self, delta: int) -> None:
        if self.shown:
            self.cursor_row = max(0, min(len(self.shown) - 1, self.cursor_row + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.scrollable_content_region.height - 2))

    def action_jump(self, where: int) -> None:
        if self.shown:
            self.cursor_row = 0 if where == 0 else len(self.shown) - 1

    def action_choose(self) -> None:
        node_id = self.highlighted
        if node_id is not None:
            self.post_message(self.NodeChosen(self, node_id))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        row = int(self.scroll_offset.y) + event.y - 1
        if 0 <= row < len(self.shown):
            if row == self.cursor_row:
                self.action_choose()
            self.cursor_row = row

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        if y == 0:
            style = self.get_component_rich_style("node-table--header")
            return Strip([Segment(self._line([c for c, _ in COLUMNS], width), style)], width)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self.shown):
            return Strip.blank(width, self.rich_style)
        i = self.shown[index]
        rows = self.rows
        text = self._line(
            [rows.kinds[i], rows.names[i], rows.regions[i], rows.providers[i], rows.ids[i]], width
        )
        if index == self.cursor_row:
            style = self.get_component_rich_style("node-table--cursor")
        elif index % 2:
            style = self.get_component_rich_style("node-table--odd")
        else:
            style = self.rich_style
        return Strip([Segment(text, style)], width)

    @staticmethod
    def _line(cells: list[str], width: int) -> str:
        out: list[str] = []
        used = 0
        for (_, size), cell in zip(COLUMNS, cells, strict=True):
            size = size or max(0, width - used - 1)
            out.append(" " + set_cell_size(cell, size))
            used += size + 1
        return set_cell_size("".join(out), width)
