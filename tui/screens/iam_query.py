"""IamQueryScreen: the ``can`` and ``who-can`` questions as forms.

Answers come from the evaluator of the resource's cloud (``graph.iam.evaluator_for``), run
in a thread worker; each answer says which statements decided it.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Header, Input, Static
from textual.worker import Worker

from blastscope.graph.errors import InputError
from blastscope.graph.iam import Decision, evaluator_for
from blastscope.graph.model import Node, Snapshot
from blastscope.tui.messages import notify_worker_error


class IamQueryScreen(Screen[None]):
    """May PRINCIPAL do ACTION on RESOURCE? Who may do ACTION on RESOURCE?"""

    CSS_PATH = "iam_query.tcss"
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", tooltip="Previous screen")]

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
        self.index = snapshot.node_index()
        self._by_name: dict[str, list[str]] = {}
        for node in snapshot.nodes:
            self._by_name.setdefault(node.name, []).append(node.id)
        self.title = "blastscope · who can / can"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="forms"):
            with Vertical(id="can-form", classes="panel"):
                yield Static(
                    "can: may a principal do an action on a resource?", classes="section-title"
                )
                yield Input(placeholder="principal (id or name)", id="can-principal")
                yield Input(placeholder="action, e.g. s3:GetObject", id="can-action")
                yield Input(placeholder="resource (id or name)", id="can-resource")
                yield Button("Check", id="can-run", variant="primary")
                yield Static("", id="can-answer")
            with Vertical(id="who-form", classes="panel"):
                yield Static("who-can: every principal allowed", classes="section-title")
                yield Input(placeholder="action, e.g. s3:GetObject", id="who-action")
                yield Input(placeholder="resource (id or name)", id="who-resource")
                yield Button("Find", id="who-run", variant="primary")
                yield DataTable(id="who-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#who-table", DataTable).add_columns("Principal", "Outcome", "Why")
        self.query_one("#can-principal", Input).focus()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        notify_worker_error(event)

    def resolve(self, text: str, what: str) -> Node:
        """A node by id or unique name; InputError names what was not found."""
        text = text.strip()
        if not text:
            raise InputError(f"{what}: give an id or a name")
        if text in self.index:
            return self.index[text]
        ids = self._by_name.get(text, [])
        if len(ids) == 1:
            return self.index[ids[0]]
        if ids:
            raise InputError(f"{what}: {len(ids)} nodes are named {text!r}; give the id")
        raise InputError(f"{what}: no node has id or name {text!r}")

    @on(Button.Pressed, "#can-run")
    @on(Input.Submitted, "#can-resource")
    def _can(self) -> None:
        try:
            principal = self.resolve(self.query_one("#can-principal", Input).value, "principal")
            resource = self.resolve(self.query_one("#can-resource", Input).value, "resource")
        except InputError as exc:
            self.notify(exc.message, severity="error")
            return
        action = self.query_one("#can-action", Input).value.strip()
        if not action:
            self.notify("action: give one, e.g. s3:GetObject", severity="error")
            return
        self.query_one("#can-answer", Static).update("Evaluating…")
        self.evaluate(principal, action, resource)

    @work(thread=True, exclusive=True, exit_on_error=False, group="iam", description="can")
    def evaluate(self, principal: Node, action: str, resource: Node) -> None:
        """Ask the resource's cloud evaluator (policies can be large: off the UI thread)."""
        module = evaluator_for(resource.provider)
        decision = module.evaluate(self.snapshot, principal.id, action, resource.id)
        self.app.call_from_thread(self._show_decision, principal, action, resource, decision)

    def _show_decision(
        self, principal: Node, action: str, resource: Node, decision: Decision
    ) -> None:
        text = Text()
        verdict = {
            "allow": "ALLOWED",
            "conditional": "ALLOWED IF CONDITIONS HOLD",
            "explicit_deny": "DENIED (explicitly)",
            "implicit_deny": "DENIED (nothing allows it)",
        }.get(str(decision.outcome), str(decision.outcome))
        text.append(f"{verdict}\n", style="bold reverse" if decision.allowed else "bold")
        text.append(f"{principal.name} → {action} → {resource.name}\n")
        text.append(f"{decision.reason}\n", style="italic")
        for ref in decision.statements:
            sid = f" ({ref.sid})" if ref.sid else ""
            text.append(f"  {ref.effect} statement {ref.index}{sid} of {ref.document}\n")
        self.query_one("#can-answer", Static).update(text)

    @on(Button.Pressed, "#who-run")
    @on(Input.Submitted, "#who-resource")
    def _who(self) -> None:
        try:
            resource = self.resolve(self.query_one("#who-resource", Input).value, "resource")
        except InputError as exc:
            self.notify(exc.message, severity="error")
            return
        action = self.query_one("#who-action", Input).value.strip()
        if not action:
            self.notify("action: give one, e.g. s3:GetObject", severity="error")
            return
        self.who_can(action, resource)

    @work(thread=True, exclusive=True, exit_on_error=False, group="iam", description="who-can")
    def who_can(self, action: str, resource: Node) -> None:
        module = evaluator_for(resource.provider)
        answers = module.who_can(self.snapshot, action, resource.id)
        self.app.call_from_thread(self._show_who, answers)

    def _show_who(self, answers: list[tuple[str, Any]]) -> None:
        table = self.query_one("#who-table", DataTable)
        table.clear()
        for principal, decision in answers:
            name = self.index[principal].name if principal in self.index else principal
            table.add_row(name, str(decision.outcome), decision.reason, key=principal)
        if not answers:
            self.notify("Nobody in this estate may do that.")

    @on(DataTable.RowSelected, "#who-table")
    def _open_principal(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.app.open_node(event.row_key.value)  # type: ignore[attr-defined]
