"""HelpScreen: the keys of every screen and what each screen shows (``?``)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

HELP = """\
# blastscope — keys

**Anywhere**: `ctrl+p` find any node (by id, name, or `kind:name`) and run any command ·
`/` explore all nodes · `i` who-can / can · `ctrl+o` collect a live estate ·
`ctrl+t` dark/light · `?` this help · `q` quit · `escape` / `backspace` back.

## Overview
Counts by kind, what could not be read (warnings), and every machine reachable from the
internet ranked by its blast radius. `enter` opens the blast radius of the selected row,
`n` its node screen.

## Node
Properties, findings, and neighbours grouped by edge kind; each row says why the edge exists.
Highlighting a permission edge shows the policy statement that decided it. `enter` opens the
neighbour, `b` the blast radius from this node, `d` cycles this node's own policies.

## Blast radius
A tree from the machine to every data resource it reaches, grouped by kind; each path is shown
hop by hop. Filters: target kind, maximum hops, hide conditional edges (tab between them).
The side panel explains the selected hop and draws the path. `x` exports the shown subgraph
(HTML, Markdown, JSON, GraphML); `n` opens the node at the end of the selected hop.

## Explore
Every node, filterable by kind and text (name or id), at any size. `enter` opens a node.

## Who can / can
Ask the estate's IAM evaluator: may PRINCIPAL do ACTION on RESOURCE, and who may.

## Collect
Pick an AWS profile or a saved connection and collect (read-only). Progress per
service/region and the warnings appear as they happen; `escape` cancels and keeps what was read.
"""


def _render(text: str) -> Text:
    """The help page's light Markdown (``#`` headings, ``**bold**``, backticked keys) as Text;
    Textual's Markdown widget takes seconds to mount, this takes microseconds."""
    out = Text()
    for line in text.splitlines():
        if line.startswith("#"):
            out.append(line.lstrip("# ") + "\n", style="bold underline")
            continue
        for i, part in enumerate(line.replace("**", "`").split("`")):
            out.append(part, style="bold" if i % 2 else "")
        out.append("\n")
    return out


class HelpScreen(ModalScreen[None]):
    """Keys and screens, in one page; any of escape, ? or q closes it."""

    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,question_mark,q", "dismiss", "Close", tooltip="Close the help"),
    ]

    def __init__(self, current: str = "") -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(_render(HELP), id="help-text")

    def action_dismiss(self, result: None = None) -> None:  # type: ignore[override]
        self.dismiss(None)
