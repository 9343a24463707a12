"""What every provider shares: the Provider protocol, collection tasks and their runner.

A collection is a set of small independent tasks, one per (scope, region, service); each
returns a :class:`Partial`. No task reads another's results, so the runner may execute them
on a thread pool today and on a cluster tomorrow, and the merge is deterministic.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Protocol

from blastscope.graph.errors import BlastscopeError, CloudError
from blastscope.graph.model import Partial, Snapshot, Warning
from blastscope.graph.redact import redact


@dataclass(frozen=True, slots=True)
class Scope:
    """What to collect. A provider ignores the fields that are not about its cloud."""

    profile: str | None = None
    """AWS named profile; None means the SDK's default chain."""
    regions: tuple[str, ...] | None = None
    """Regions to read; None is the provider's default, ``("all",)`` every enabled region."""
    subscription: str | None = None
    """Azure subscription id; None means every subscription the credential can see."""
    project: str | None = None
    """GCP project id; None means the credential's project (or every visible project)."""
    endpoint: str | None = None
    """Service endpoint override: a sovereign cloud or a local test server."""
    connection: str | None = None
    """A saved connection name whose secret lives in the OS keyring."""


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of collection: a service in a region, returning a partial snapshot."""

    service: str
    region: str
    run: Callable[[], Partial]


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """A task finished (``status`` ok, warning or skipped) or collection started one."""

    service: str
    region: str
    done: int
    total: int
    status: str
    message: str = ""

    def __post_init__(self) -> None:
        # Messages quote SDK exceptions, which can echo a signed URL or a token.
        object.__setattr__(self, "message", redact(self.message))


ProgressCallback = Callable[[ProgressEvent], None]
ErrorClassifier = Callable[[Task, BaseException], Warning | None]
"""Turns a task's exception into a warning; returns None when the error is fatal."""


class Provider(Protocol):
    """A cloud's collector: reads the live inventory, read-only, into a Snapshot."""

    name: str

    def collect(
        self,
        scope: Scope,
        progress: ProgressCallback | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Snapshot:
        """Collect ``scope``.

        Raises:
            CloudError: credentials missing or rejected before anything was read.
            CollectionAborted: a fatal error mid-way; carries the partial snapshot.
        """
        ...


class CollectionAborted(CloudError):
    """Collection stopped part-way (expired credentials, cancel); keeps what was read."""

    def __init__(self, message: str, snapshot: Snapshot) -> None:
        super().__init__(message)
        self.snapshot = snapshot


@dataclass(slots=True)
class RunResult:
    """Parts in task order, and the fatal error that stopped the run, if any."""

    parts: list[Partial]
    fatal: BlastscopeError | None = None
    cancelled: bool = False

    @property
    def partial(self) -> bool:
        return self.fatal is not None or self.cancelled


def run_tasks(
    tasks: Sequence[Task],
    *,
    classify: ErrorClassifier,
    max_workers: int = 8,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> RunResult:
    """Run tasks on a thread pool; failures become warnings, a fatal error stops the rest.

    Results come back in the order of ``tasks`` whatever order they finished in. A task whose
    exception ``classify`` maps to a warning yields a part holding just that warning. When
    ``classify`` returns None (expired credentials, say) no new task starts, the running ones
    finish, and the error is returned as ``fatal`` with everything read so far.
    """
    results: dict[int, Partial] = {}
    total = len(tasks)
    done = 0
    fatal: BlastscopeError | None = None
    stop = threading.Event()

    def report(task: Task, status: str, message: str = "") -> None:
        if progress is not None:
            progress(ProgressEvent(task.service, task.region, done, total, status, message))

    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="collect") as pool:
        pending: dict[Future[Partial], int] = {}
        queue = list(enumerate(tasks))
        queue.reverse()

        def submit_more() -> None:
            while queue and len(pending) < max_workers and not stop.is_set():
                if cancel is not None and cancel.is_set():
                    stop.set()
                    return
                index, task = queue.pop()
                pending[pool.submit(_guarded, task, stop)] = index

        submit_more()
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index = pending.pop(future)
                task = tasks[index]
                done += 1
                exc = future.exception()
                if isinstance(exc, _Skipped):
                    report(task, "skipped", "not started: collection was stopping")
                    continue
                if exc is None:
                    results[index] = future.result()
                    report(task, "ok")
                    continue
                warning = classify(task, exc)
                if warning is None:
                    if fatal is None:
                        fatal = (
                            exc
                            if isinstance(exc, BlastscopeError)
                            else CloudError(f"{task.service} in {task.region or 'global'}: {exc}")
                        )
                    stop.set()
                    report(task, "skipped", str(exc))
                    continue
                results[index] = Partial(warnings=[warning])
                report(task, "warning", f"{warning.error}: {warning.message}")
            submit_more()
    cancelled = cancel is not None and cancel.is_set()
    return RunResult(parts=[results[i] for i in sorted(results)], fatal=fatal, cancelled=cancelled)


def _guarded(task: Task, stop: threading.Event) -> Partial:
    if stop.is_set():
        raise _Skipped(task.service)
    return task.run()


class _Skipped(Exception):
    """A task not started because the run was stopping."""
