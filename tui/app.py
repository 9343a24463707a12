"""BlastscopeApp: the Textual application (placeholder until the TUI issue lands)."""

from __future__ import annotations

from collections import Counter

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from blastscope.graph.model import Snapshot


class BlastscopeApp(App[None]):
    """Explore an estate: what is exposed, and what it reaches."""

    TITLE = "blastscope"

    def __init__(self, snapshot: Snapshot | None = None) -> None:
        super().__init__()
        self.snapshot = snapshot

    def compose(self) -> ComposeResult:
        yield Header()
        if self.snapshot is None:
            yield Static("No snapshot loaded.")
        else:
            counts = Counter(str(n.kind) for n in self.snapshot.nodes)
            yield Static("\n".join(f"{k}: {v}" for k, v in sorted(counts.items())))
        yield Footer()
