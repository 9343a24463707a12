"""NodeScreen: one node's properties, findings and neighbours, and the policy behind an edge.

Neighbours are grouped by edge kind and direction; each says in words why the edge exists
(its ``reason``). Highlighting a neighbour shows the document its evidence cites, with the
deciding statement marked; choosing it opens that node's own screen.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, Tree

from blastscope.graph.build import Graph
from blastscope.graph.model import Snapshot
from blastscope.tui.widgets.describe import edge_reason, evidence_refs, format_value
from blastscope.tui.widgets.policy_view import PolicyView

MAX_PER_GROUP = 200
"""Neighbours listed per edge kind; an account can contain 100k resources."""

DOCUMENT_PROPS = ("inline_policies", "permissions_boundary", "trust_policy", "policy", "document")
"""Node props that name documents in ``Snapshot.documents``."""


class NodeScreen(Screen[None]):
    """Everything known about one node and why it links to others."""

    CSS_PATH = "node.tcss"
    BINDINGS = [
        Binding("escape,backspace", "app.pop_screen", "Back", tooltip="Previous screen"),
        Binding("b", "blast_radius", "Blast radius", tooltip="What this node reaches"),
        Binding("d", "next_document", "Next policy", tooltip="Cycle this node's own policies"),
    ]

    def __init__(self, graph: Graph, snapshot: Snapshot, node_id: str) -> None:
        super().__init__()
        self.graph = graph
        self.snapshot = snapshot
        self.node_id = node_id
        self.attrs: Mapping[str, Any] = graph.nodes[node_id]
        self.own_documents = _documents_of(self.attrs.get("props") or {})
        self._doc_cursor = -1
        self.title = f"blastscope · {self.attrs.get('kind')} {self.attrs.get('name')}"

    def compose(self) -> ComposeResult:
        a = self.attrs
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static(self._heading(), id="heading")
                with VerticalScroll(id="props-box"):
                    yield Static(self._props(), id="props")
                yield Static(self._findings(), id="findings")
            with Vertical(id="right"):
                yield Static("Neighbours (why each edge exists)", classes="section-title")
                tree: Tree[tuple[str, Mapping[str, Any], str] | None] = Tree(
                    f"{a.get('kind')} {a.get('name')}", id="neighbours"
                )
                tree.show_root = False
                yield tree
                yield Static("", id="why")
                yield Static("Policy", classes="section-title")
                yield PolicyView(id="policy")
        yield Footer()

    def on_mount(self) -> None:
        self._fill_neighbours()
        self.action_next_document()
        self.query_one("#neighbours", Tree).focus()

    def _props(self) -> Table:
        """Every prop, values wrapped; a failed read says so rather than looking empty."""
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(overflow="fold")
        props = self.attrs.get("props") or {}
        unknown = set(props.get("unknown") or [])
        for key in sorted(props):
            if key == "unknown":
                continue
            value = "unknown (not read)" if key in unknown else format_value(props[key], 400)
            table.add_row(key, value)
        if not props:
            table.add_row("", "no properties")
        return table

    def _heading(self) -> Text:
        a = self.attrs
        text = Text()
        text.append(f"{a.get('kind')} ", style="bold")
        text.append(f"{a.get('name')}\n", style="bold reverse")
        text.append(f"{self.node_id}\n")
        text.append(f"{a.get('provider')} · {a.get('region') or 'global'}")
        return text

    def _findings(self) -> Text:
        found = self.attrs.get("findings") or []
        text = Text()
        if not found:
            return text
        text.append(f"Findings ({len(found)})\n", style="bold")
        for f in found:
            severity = str(getattr(f, "severity", "?")).upper()
            text.append(f"[{severity}] ", style="bold")
            text.append(f"{getattr(f, 'title', f)}\n")
            remediation = getattr(f, "remediation", "")
            if remediation:
                text.append(f"  fix: {remediation}\n", style="italic")
        return text

    def _fill_neighbours(self) -> None:
        G = self.graph
        groups: dict[tuple[str, str], list[tuple[str, Mapping[str, Any]]]] = defaultdict(list)
        for _, dst, data in G.out_edges(self.node_id, data=True):
            groups[("→", data.get("kind", "?"))].append((dst, data.get("props") or {}))
        for src, _, data in G.in_edges(self.node_id, data=True):
            groups[("←", data.get("kind", "?"))].append((src, data.get("props") or {}))
        tree = self.query_one("#neighbours", Tree)
        me = str(self.attrs.get("name"))
        for (arrow, kind), items in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            label = f"{arrow} {kind} ({len(items)})"
            branch = tree.root.add(label, data=None, expand=True)
            for other, props in items[:MAX_PER_GROUP]:
                name = str(G.nodes[other].get("name") or other)
                src, dst = (me, name) if arrow == "→" else (name, me)
                line = Text()
                line.append(name, style="bold")
                line.append(f"  {G.nodes[other].get('kind')}  ")
                reason = edge_reason(kind, props, src, dst)
                line.append(reason, style="italic")
                branch.add_leaf(line, data=(other, props, reason))
            if len(items) > MAX_PER_GROUP:
                branch.add_leaf(f"… {len(items) - MAX_PER_GROUP} more (use Explore: /)")
        if not groups:
            tree.root.add_leaf("No edges: nothing links to or from this node.")

    @on(Tree.NodeHighlighted, "#neighbours")
    def _neighbour_highlighted(self, event: Tree.NodeHighlighted[Any]) -> None:
        data = event.node.data
        why = self.query_one("#why", Static)
        if not data:
            why.update("")
            return
        why.update(Text(data[2], style="italic"))
        refs = evidence_refs(data[1])
        if refs:
            doc_id, statement = refs[0]
            self.query_one(PolicyView).show(doc_id, self.snapshot.documents.get(doc_id), statement)

    @on(Tree.NodeSelected, "#neighbours")
    def _neighbour_chosen(self, event: Tree.NodeSelected[Any]) -> None:
        event.stop()
        data = event.node.data
        if data:
            self.app.open_node(data[0])  # type: ignore[attr-defined]

    def action_blast_radius(self) -> None:
        self.app.open_blast_radius(self.node_id)  # type: ignore[attr-defined]

    def action_next_document(self) -> None:
        """Show the next of this node's own documents (inline, trust, resource policy)."""
        view = self.query_one(PolicyView)
        if not self.own_documents:
            view.show(None, None, None)
            return
        self._doc_cursor = (self._doc_cursor + 1) % len(self.own_documents)
        doc_id = self.own_documents[self._doc_cursor]
        view.show(doc_id, self.snapshot.documents.get(doc_id), None)


def _documents_of(props: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for key in DOCUMENT_PROPS:
        value = props.get(key)
        values = value if isinstance(value, list) else [value]
        out.extend(v for v in values if isinstance(v, str) and v and v not in out)
    return out
