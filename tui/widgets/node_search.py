"""NodeCommands: the command palette finds any node by id, name or kind (``kind:text``).

A substring pass over the pre-lowered index picks candidates (fast at 100k nodes); only those
few are scored by Textual's fuzzy matcher for ordering and highlighting.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from blastscope.tui.widgets.node_table import NodeRows


class NodeOpener(Protocol):
    """What the provider needs from the app: the node index and a way to open a node."""

    node_rows: NodeRows | None

    def open_node(self, node_id: str) -> None: ...


class NodeCommands(Provider):
    """Palette hits that open a node's screen."""

    async def discover(self) -> Hits:
        """With an empty query, suggest the kinds one can type."""
        rows = self._rows()
        if rows is None:
            return
        for kind, count in sorted(rows.kind_counts.items()):
            yield DiscoveryHit(
                f"{kind}: …",
                partial(self._prefill, kind),
                help=f"{count} node(s) of kind {kind}; type {kind}:NAME",
            )

    async def search(self, query: str) -> Hits:
        rows = self._rows()
        if rows is None:
            return
        matcher = self.matcher(query)
        app: NodeOpener = self.app  # type: ignore[assignment]
        for i in rows.search(query):
            label = f"{rows.kinds[i]}  {rows.names[i]}"
            score = matcher.match(label) or matcher.match(rows.ids[i]) or 0.3
            yield Hit(
                score,
                matcher.highlight(label),
                partial(app.open_node, rows.ids[i]),
                text=label,
                help=rows.ids[i],
            )

    def _rows(self) -> NodeRows | None:
        return getattr(self.app, "node_rows", None)

    def _prefill(self, kind: str) -> None:
        self.app.notify(f"Type {kind}:NAME in the palette (ctrl+p) to find a {kind}.")
