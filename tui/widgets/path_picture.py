"""PathPicture: a small text drawing of one attack path, boxes joined by labelled arrows,
the selected hop in bold reverse."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual.widgets import Static

from blastscope.tui.widgets.describe import edge_label


def draw_path(
    nodes: Sequence[tuple[str, str]],
    arrows: Sequence[str],
    *,
    selected: int | None = None,
    width: int = 40,
) -> Text:
    """Boxes for ``nodes`` ((name, kind) pairs) joined by ``arrows`` (one label per hop).

    Hop ``selected`` (0-based; hop i joins node i to node i+1) is drawn in bold reverse.

    Examples:
        >>> print(draw_path([("a", "x"), ("b", "y")], ["runs_as"], width=20).plain)
        ┌──────┐
        │ a  x │
        └───┬──┘
            │ runs_as
        ┌───▼──┐
        │ b  y │
        └──────┘
    """
    labels = [f"{name}  {kind}" for name, kind in nodes]
    inner = min(max(width - 4, 8), max((cell_len(x) for x in labels), default=8) + 2)
    mid = inner // 2
    out = Text()
    for i, label in enumerate(labels):
        hot = selected is not None and i in (selected, selected + 1)
        style = "bold" if hot else ""
        top = "─" * inner
        if i > 0:
            top = top[:mid] + "▼" + top[mid + 1 :]
        bottom = "─" * inner
        if i < len(labels) - 1:
            bottom = bottom[:mid] + "┬" + bottom[mid + 1 :]
        out.append(f"┌{top}┐\n", style=style)
        out.append(f"│ {set_cell_size(label, inner - 1)}│\n", style=style)
        out.append(f"└{bottom}┘\n", style=style)
        if i < len(arrows):
            arrow_style = "bold reverse" if selected == i else ""
            out.append(" " * (mid + 1))
            out.append(f"│ {arrows[i]}", style=arrow_style)
            out.append("\n")
    out.rstrip()
    return out


class PathPicture(Static):
    """The selected path, drawn; internet → source first when the source is exposed."""

    DEFAULT_CSS = """
    PathPicture {
        height: auto;
        padding: 0 1;
    }
    """

    def show_path(
        self,
        path: Any,
        names: dict[str, tuple[str, str]],
        *,
        selected: int | None,
        exposure: dict[str, Any] | None = None,
    ) -> None:
        """Draw ``path`` (``graph.paths.AttackPath``); ``exposure`` is internet → source."""
        hops = list(path.hops)
        ids = [hops[0].src] if hops else [path.source]
        arrows: list[str] = []
        if exposure is not None:
            ids.insert(0, "internet")
            arrows.append(edge_label("exposes", exposure))
            if selected is not None:
                selected += 1
        for hop in hops:
            ids.append(hop.dst)
            arrows.append(edge_label(str(hop.kind), hop.props))
        nodes = [names.get(i, (i, "?")) for i in ids]
        width = max(20, self.size.width - 2) if self.size.width else 44
        self.update(draw_path(nodes, arrows, selected=selected, width=width))
