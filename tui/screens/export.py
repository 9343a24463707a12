"""ExportDialog: ask where and in which format to write the shown subgraph.

Dismisses with ``(path, format)`` or None; the blast radius screen does the writing (in a
worker, through ``graph.report.write_report``) and says where it wrote.
"""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

FORMATS: tuple[tuple[str, str, str], ...] = (
    ("html", ".html", "HTML report"),
    ("md", ".md", "Markdown"),
    ("json", ".json", "JSON"),
    ("graphml", ".graphml", "GraphML (Gephi, yEd)"),
)
"""(format, extension, label) for each format ``graph.report`` writes."""


class ExportDialog(ModalScreen[tuple[str, str] | None]):
    """Path and format; Enter writes, Escape cancels."""

    CSS_PATH = "export.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without writing")]

    def __init__(self, stem: str, *, folder: Path | None = None) -> None:
        super().__init__()
        self.stem = stem
        self.folder = folder or Path.cwd()

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Export the shown blast radius", classes="section-title")
            yield Static("Format", classes="note")
            with RadioSet(id="format"):
                for i, (_, _, label) in enumerate(FORMATS):
                    yield RadioButton(label, value=i == 0)
            yield Static("Write to", classes="note")
            yield Input(str(self.folder / f"{self.stem}.html"), id="path")
            with Horizontal(id="buttons"):
                yield Button("Write", variant="primary", id="write")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @property
    def fmt(self) -> str:
        index = self.query_one("#format", RadioSet).pressed_index
        return FORMATS[max(0, index)][0]

    @on(RadioSet.Changed, "#format")
    def _format_changed(self, event: RadioSet.Changed) -> None:
        """Keep the file extension in step with the chosen format."""
        path_input = self.query_one("#path", Input)
        path = Path(path_input.value or self.stem)
        extensions = {ext for _, ext, _ in FORMATS}
        if path.suffix in extensions or not path.suffix:
            path_input.value = str(path.with_suffix(FORMATS[event.index][1]))

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#write")
    def _write(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.notify("Give a file path to write to.", severity="error")
            return
        target = Path(value).expanduser()
        if target.is_dir():
            self.notify(f"{target} is a folder; give a file name.", severity="error")
            return
        self.dismiss((str(target), self.fmt))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
