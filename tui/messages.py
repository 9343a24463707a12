"""App-wide messages: facts that workers and screens post, named in the past tense.

Thread workers never touch widgets; they post one of these (``post_message`` is thread-safe)
and a handler on the UI thread updates the screen. Widget-local messages live on their widget
class instead (``PathTree.HopSelected``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.worker import Worker, WorkerState

from blastscope.graph.model import Snapshot, Warning

if TYPE_CHECKING:
    from blastscope.graph.build import Graph


@dataclass
class SnapshotLoaded(Message):
    """A snapshot is ready to explore (opened from a file, the demo, or a collection)."""

    snapshot: Snapshot


@dataclass
class NodesIndexed(Message):
    """The search index of every node (``NodeRows``) is ready for the palette and explore."""

    snapshot: Snapshot
    rows: Any


@dataclass
class GraphBuilt(Message):
    """The analysis worker built the graph (derived edges included) for ``snapshot``."""

    snapshot: Snapshot
    graph: Graph
    seconds: float


@dataclass
class ExposuresRanked(Message):
    """The exposed machines of the graph, worst blast radius first (``ExposureSummary``)."""

    graph: Graph
    summaries: list[Any]


@dataclass
class AnalysisFailed(Message):
    """An analysis could not run; the screen shows why and keeps what it has."""

    what: str
    error: str


@dataclass
class BlastRadiusComputed(Message):
    """A blast radius (``graph.paths.BlastRadius``) for the filters it was asked with."""

    radius: Any
    seconds: float


@dataclass
class CollectionProgressed(Message):
    """One collection task finished; floods coalesce (only the newest waiting one is kept)."""

    service: str
    region: str
    done: int
    total: int
    status: str
    message: str = ""

    def can_replace(self, message: Message) -> bool:
        """A newer progress count supersedes an older one still waiting in the queue."""
        return isinstance(message, CollectionProgressed) and message.status == "ok"


@dataclass
class CollectionWarned(Message):
    """A task could not read something: a gap the user must see (never coalesced)."""

    service: str
    region: str
    message: str


@dataclass
class CollectionFinished(Message):
    """Collection ended; ``snapshot`` is partial when it was cancelled or aborted."""

    snapshot: Snapshot
    aborted: str = ""

    @property
    def warnings(self) -> tuple[Warning, ...]:
        """What could not be read."""
        return self.snapshot.warnings


@dataclass
class ConnectionsListed(Message):
    """The local AWS profiles and saved connections the connect screen can offer."""

    choices: list[Any]


@dataclass
class ReportWritten(Message):
    """The export worker wrote a report."""

    path: str
    fmt: str


def notify_worker_error(event: Worker.StateChanged) -> None:
    """Turn a failed worker into a notification naming what failed (partial results stay).

    ``Worker.StateChanged`` does not bubble, so every node that starts workers routes its
    own through here.
    """
    worker = event.worker
    if event.state == WorkerState.ERROR:
        what = worker.description or worker.name or "a background task"
        worker.node.app.notify(f"{what} failed: {worker.error}", title="Error", severity="error")
