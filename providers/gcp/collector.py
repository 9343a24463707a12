"""The GCP collection run: credentials, which projects, one task per (project, service),
then the predefined roles the collected policies reference, merged into one Snapshot."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from blastscope.graph.errors import CloudError, InputError
from blastscope.graph.model import (
    Edge,
    EdgeKind,
    NodeKind,
    Partial,
    Snapshot,
    Warning,
    merge_parts,
)
from blastscope.providers.base import (
    CollectionAborted,
    ProgressCallback,
    RunResult,
    Scope,
    Task,
    run_tasks,
)
from blastscope.providers.gcp import compute, iam, kms, network, resourcemanager, secretmanager, sql
from blastscope.providers.gcp import storage as gcs
from blastscope.providers.gcp.names import project_id
from blastscope.providers.gcp.session import SCOPES, TIMEOUT, GcpSession, is_fatal, to_warning

Collect = Callable[[GcpSession, dict[str, Any]], Partial]


def _by_id(fn: Callable[[GcpSession, str], Partial]) -> Collect:
    return lambda session, project: fn(session, project["projectId"])


SERVICES: tuple[tuple[str, Collect], ...] = (
    ("resourcemanager", resourcemanager.collect_hierarchy),
    ("compute-network", _by_id(network.collect)),
    ("compute", _by_id(compute.collect)),
    ("storage", _by_id(gcs.collect)),
    ("cloudsql", _by_id(sql.collect)),
    ("secretmanager", _by_id(secretmanager.collect)),
    ("kms", _by_id(kms.collect)),
    ("iam", _by_id(iam.collect)),
)
"""Ordered registry: each entry reads one service of one project into a Partial."""

CredentialFactory = Callable[[Scope], tuple[Any, str | None]]
"""Scope → (google-auth credentials, the credential's default project or None)."""

CONTAINED = {
    NodeKind.NETWORK, NodeKind.SUBNET, NodeKind.FIREWALL, NodeKind.INSTANCE, NodeKind.DISK,
    NodeKind.SNAPSHOT, NodeKind.BUCKET, NodeKind.DATABASE, NodeKind.SECRET, NodeKind.KEY,
    NodeKind.IDENTITY,
}  # fmt: skip


def default_credentials(scope: Scope) -> tuple[Any, str | None]:
    """A saved connection's service-account key, or Application Default Credentials."""
    if scope.connection:
        from google.oauth2 import service_account

        from blastscope.providers.credentials import get_connection

        conn = get_connection(scope.connection)
        if conn.cloud != "gcp":
            raise InputError(f"connection {conn.name!r} is for {conn.cloud}, not gcp")
        secret = conn.secret()
        if not secret:
            raise CloudError(f"connection {conn.name!r}: no service-account key in the keyring")
        try:
            info = json.loads(secret)
            creds = service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        except (ValueError, KeyError, TypeError) as exc:
            raise CloudError(
                f"connection {conn.name!r}: the stored key is not a service-account JSON key"
            ) from exc
        return creds, conn.fields.get("project") or info.get("project_id")
    import google.auth
    from google.auth import exceptions as auth_exc

    try:
        creds, project = google.auth.default(scopes=list(SCOPES))
    except auth_exc.DefaultCredentialsError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "none found"
        raise CloudError(
            "no GCP credentials: run `gcloud auth application-default login`, set "
            f"GOOGLE_APPLICATION_CREDENTIALS, or use --connection ({first})"
        ) from exc
    return creds, project


class GcpProvider:
    """Collects GCP projects (and their folders/organization) read-only."""

    name = "gcp"

    def __init__(
        self, credentials: CredentialFactory = default_credentials, *, timeout: float = TIMEOUT
    ) -> None:
        self._credentials = credentials
        self._timeout = timeout

    def collect(
        self,
        scope: Scope,
        progress: ProgressCallback | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Snapshot:
        if scope.endpoint and not scope.endpoint.startswith(("https://", "http://")):
            raise InputError(f"--endpoint {scope.endpoint!r}: give a URL such as https://host:443")
        creds, default_project = self._credentials(scope)
        session = GcpSession(creds, endpoint=scope.endpoint, timeout=self._timeout)
        # A saved connection names its project; ADC alone means every visible project.
        wanted = scope.project or (default_project if scope.connection else None)
        projects, warnings = discover_projects(session, wanted, default_project)
        tasks = [
            Task(service, p["projectId"], partial(fn, session, p))
            for p in projects
            for service, fn in SERVICES
        ]
        first = run_tasks(tasks, classify=_classify, progress=progress, cancel=cancel)
        parts = [Partial(warnings=warnings), *first.parts]
        result: RunResult = first
        if not first.partial:
            documents: dict[str, Any] = {}
            for part in first.parts:
                documents.update(part.documents)
            roles = sorted(iam.referenced_roles(documents) - documents.keys())
            role_tasks = [Task("iam-roles", "global", partial(_role, session, r)) for r in roles]
            result = run_tasks(role_tasks, classify=_classify, progress=progress, cancel=cancel)
            parts.extend(result.parts)
        snapshot = finish(
            merge_parts(
                parts,
                provider="gcp",
                scope={
                    "account": ",".join(p["projectId"] for p in projects),
                    "projects": [p["projectId"] for p in projects],
                    "endpoint": _without_userinfo(scope.endpoint),
                },
                partial=first.partial or result.partial,
            )
        )
        fatal = first.fatal or result.fatal
        if fatal is not None:
            raise CollectionAborted(fatal.message, snapshot)
        if first.cancelled or result.cancelled:
            raise CollectionAborted("collection cancelled", snapshot)
        return snapshot


def _without_userinfo(url: str | None) -> str | None:
    """An endpoint as recorded in the snapshot: never with ``user:password@`` in it."""
    if not url:
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _role(session: GcpSession, name: str) -> Partial:
    return Partial(documents=iam.transform_roles([iam.get_role(session, name)]))


def _classify(task: Task, exc: BaseException) -> Warning | None:
    if is_fatal(exc):
        return None
    w = to_warning(task.service, "global", exc)
    where = f"{task.region}: " if task.region != "global" else ""
    return Warning(w.service, w.region, w.error, f"{where}{w.message}")


def discover_projects(
    session: GcpSession, wanted: str | None, default_project: str | None
) -> tuple[list[dict[str, Any]], list[Warning]]:
    """The projects to read: ``--project``, else every visible one, else the credential's.

    This is the first call: rejected credentials or an unreachable endpoint stop here with a
    one-line CloudError, before anything else is tried.
    """
    try:
        if wanted:
            return [resourcemanager.get_project(session, wanted)], []
        found = resourcemanager.search_projects(session)
        if found:
            return sorted(found, key=lambda p: p.get("projectId", "")), []
        if default_project:
            return [resourcemanager.get_project(session, default_project)], []
        raise CloudError("no project given (--project) and the credential sees none")
    except CloudError:
        raise
    except Exception as exc:  # noqa: BLE001 - sorted into fatal / fallback below
        if is_fatal(exc):
            raise CloudError(f"GCP credentials rejected: {_first_line(exc)}") from exc
        w = to_warning("resourcemanager", "global", exc)
        if w.error in ("Unreachable", "Timeout"):
            raise CloudError(f"cannot reach the GCP API: {w.message}") from exc
        fallback = wanted or default_project
        if not fallback:
            raise CloudError(f"cannot list projects: {w.message}; give --project") from exc
        if not wanted:  # listing failed; the credential's own project may still be readable
            try:
                return [resourcemanager.get_project(session, fallback)], [w]
            except Exception as again:  # noqa: BLE001
                if is_fatal(again):
                    raise CloudError(f"GCP credentials rejected: {_first_line(again)}") from again
        # The project's own metadata is unreadable; its resources may still be readable.
        return [{"projectId": fallback, "name": f"projects/{fallback}"}], [w]


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:300]


def finish(snapshot: Snapshot) -> Snapshot:
    """Project → resource ``contains`` edges; edges to nodes never read are dropped.

    An edge can name a node another service would have produced (a KMS key, a firewall of a
    network in another project); when that service was not read, the edge has no end.
    """
    ids = {n.id for n in snapshot.nodes}
    extra = [
        Edge(project_id(str(n.props["account"])), n.id, EdgeKind.CONTAINS)
        for n in snapshot.nodes
        if n.kind in CONTAINED
        and n.props.get("account")
        and not n.props.get("embedded")
        and project_id(str(n.props["account"])) in ids
    ]
    edges = {e.key(): e for e in (*snapshot.edges, *extra) if e.src in ids and e.dst in ids}
    return replace(snapshot, edges=tuple(edges[k] for k in sorted(edges)))
