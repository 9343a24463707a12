"""PathTree: a blast radius as a tree — data kinds, then each reachable resource, then the
hops of its path — posting :class:`PathTree.HopSelected` as the cursor moves."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from blastscope.tui.widgets.describe import edge_label

MAX_PER_KIND = 500
"""Reachable resources listed per kind; the rest are counted (the export has them all)."""


@dataclass(frozen=True)
class PathNodeData:
    """What a tree row stands for: a reachable resource (``hop`` None) or one of its hops."""

    reach: Any
    hop: int | None


class PathTree(Tree[PathNodeData | None]):
    """Source → kind → resource → hop by hop."""

    DEFAULT_CSS = """
    PathTree {
        height: 1fr;
        overflow-x: hidden;
    }
    """

    @dataclass
    class HopSelected(Message):
        """The cursor is on a resource (``hop`` None: its whole path) or on one hop."""

        tree: PathTree
        reach: Any
        hop: int | None

        @property
        def control(self) -> PathTree:
            """The tree the hop was selected in."""
            return self.tree

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("blast radius", id=id)
        self.names: dict[str, str] = {}

    def show_radius(self, radius: Any, names: dict[str, str], source_label: str) -> None:
        """Replace the tree with ``radius`` (a ``graph.paths.BlastRadius``)."""
        self.names = names
        self.clear()
        reached = list(radius.reached)
        self.root.set_label(
            f"{source_label} reaches {len(reached)} data resource"
            f"{'s' if len(reached) != 1 else ''}"
            + (" (search truncated)" if getattr(radius, "truncated", False) else "")
        )
        by_kind: dict[str, list[Any]] = defaultdict(list)
        for reach in reached:
            by_kind[str(reach.kind)].append(reach)
        for kind in sorted(by_kind, key=lambda k: (-max(r.sensitivity for r in by_kind[k]), k)):
            items = by_kind[kind]
            group = self.root.add(f"{kind} ({len(items)})", data=None, expand=True)
            for reach in items[:MAX_PER_KIND]:
                self._add_reach(group, reach)
            if len(items) > MAX_PER_KIND:
                group.add_leaf(f"… {len(items) - MAX_PER_KIND} more (export to see all)")
        self.root.expand()
        if not reached:
            self.root.add_leaf("Nothing reachable with these filters.")

    def _add_reach(self, group: TreeNode[PathNodeData | None], reach: Any) -> None:
        path = reach.path
        label = Text()
        label.append(str(reach.name), style="bold")
        label.append(f"  {reach.level or '-'} · {path.length} hop{'s' if path.length != 1 else ''}")
        label.append(f" · sensitivity {reach.sensitivity}")
        if path.conditional:
            label.append(" · conditional", style="italic")
        branch = group.add(label, data=PathNodeData(reach, None))
        for i, hop in enumerate(path.hops):
            text = Text(f"{i + 1}. ")
            text.append(self.names.get(hop.src, hop.src))
            text.append(f" ─{edge_label(str(hop.kind), hop.props)}→ ", style="bold")
            text.append(self.names.get(hop.dst, hop.dst))
            if hop.props.get("conditional"):
                text.append(" (conditional)", style="italic")
            branch.add_leaf(text, data=PathNodeData(reach, i))

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[PathNodeData | None]) -> None:
        data = event.node.data
        if isinstance(data, PathNodeData):
            self.post_message(self.HopSelected(self, data.reach, data.hop))
