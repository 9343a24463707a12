"""PolicyView: a raw policy document, syntax-highlighted, with its deciding statement marked.

Documents are shown exactly as collected (``Snapshot.documents``), pretty-printed as JSON.
The statement an edge cites as evidence (index or Sid) is highlighted and scrolled into view.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from rich.syntax import Syntax
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

_MARK = "\u0000blastscope-statement\u0000"


def statement_lines(document: Any, statement: int | str | None) -> tuple[str, range]:
    """The pretty JSON of ``document`` and the 1-based line range of ``statement`` in it.

    ``statement`` is an index into the document's ``Statement`` list (AWS) or ``bindings``
    (GCP), or an AWS ``Sid``. An empty range when it cannot be located.

    Examples:
        >>> text, lines = statement_lines({"Statement": [{"Sid": "A"}, {"Sid": "B"}]}, "B")
        >>> text.splitlines()[lines.start - 1].strip()
        '{'
        >>> len(lines)
        3
    """
    if not isinstance(document, Mapping):
        return (document if isinstance(document, str) else json.dumps(document)), range(0)
    text = json.dumps(document, indent=2, default=str)
    for key in ("Statement", "bindings"):
        items = document.get(key)
        if isinstance(items, Mapping) and statement in (0, None):
            items = [items]
            index: int | None = 0
        elif isinstance(items, list):
            index = _index(items, statement)
        else:
            continue
        if index is None:
            return text, range(0)
        marked = dict(document)
        if isinstance(document.get(key), Mapping):
            marked[key] = _MARK
        else:
            replaced = list(items)
            replaced[index] = _MARK
            marked[key] = replaced
        marked_lines = json.dumps(marked, indent=2, default=str).splitlines()
        mark = json.dumps(_MARK)
        start = next((i for i, line in enumerate(marked_lines) if mark in line), None)
        if start is None:
            return text, range(0)
        size = len(json.dumps(items[index], indent=2, default=str).splitlines())
        return text, range(start + 1, start + 1 + size)
    return text, range(0)


def _index(items: list[Any], statement: int | str | None) -> int | None:
    if isinstance(statement, int) and not isinstance(statement, bool):
        return statement if 0 <= statement < len(items) else None
    if isinstance(statement, str):
        if statement.isdigit() and int(statement) < len(items):
            return int(statement)
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and item.get("Sid") == statement:
                return i
    return None


class PolicyView(VerticalScroll):
    """Scrollable, read-only view of one document with a highlighted statement."""

    DEFAULT_CSS = """
    PolicyView {
        height: 1fr;
        background: $surface;
    }
    PolicyView > #policy-caption {
        color: $text-muted;
        text-style: italic;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.document_id: str | None = None
        self.highlighted: range = range(0)

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static("No policy document for this selection.", id="policy-caption")
        yield Static("", id="policy-body")

    def show(self, document_id: str | None, document: Any, statement: int | str | None) -> None:
        """Display ``document`` (None: explain there is none) with ``statement`` marked."""
        caption = self.query_one("#policy-caption", Static)
        body = self.query_one("#policy-body", Static)
        self.document_id = document_id
        if document_id is None or document is None:
            self.highlighted = range(0)
            caption.update(
                "No policy document for this selection."
                if document_id is None
                else f"{document_id}: not in the snapshot (not read)"
            )
            body.update("")
            return
        text, lines = statement_lines(document, statement)
        self.highlighted = lines
        where = f" — statement {statement} highlighted" if lines else ""
        caption.update(Text(f"{document_id}{where}"))
        dark = self.app.current_theme.dark
        body.update(
            Syntax(
                text,
                "json",
                theme="ansi_dark" if dark else "ansi_light",
                line_numbers=True,
                word_wrap=True,
                highlight_lines=set(lines),
            )
        )
        self.scroll_to(y=max(0, lines.start - 3) if lines else 0, animate=False)
