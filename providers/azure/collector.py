"""The Azure collector: credentials, subscriptions, one task per (subscription, service),
and the final merge (ids unified case-insensitively, dangling references dropped).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from blastscope.graph.errors import BlastscopeError, CloudError
from blastscope.graph.model import Edge, Node, NodeKind, Partial, Snapshot, Warning, merge_parts
from blastscope.providers.azure.clients import (
    DEFAULT_ENDPOINT,
    Clients,
    is_loopback_http,
    subscription_client,
)
from blastscope.providers.azure.common import PROVIDER_NAME, lower, node, rest, rest_list
from blastscope.providers.azure.errors import classify, fatal_message, one_line
from blastscope.providers.base import (
    CollectionAborted,
    ProgressCallback,
    Scope,
    Task,
    run_tasks,
)

CredentialFactory = Callable[[Scope], Any]
ServiceFn = Callable[[Clients, dict[str, Any]], Partial]
ID_PROPS = ("network", "route_table", "firewall", "source", "attached_to")
"""Props holding another node's id; rewritten with the ids when they are unified."""


@dataclass(frozen=True, slots=True)
class Service:
    """One entry of the ordered registry: a name and a function reading one subscription."""

    name: str
    collect: ServiceFn


def default_credential(scope: Scope) -> Any:
    """DefaultAzureCredential, or a saved service principal (secret from the OS keyring)."""
    if scope.connection:
        from blastscope.providers.credentials import azure_credential, get_connection

        return azure_credential(get_connection(scope.connection))
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


@dataclass
class AzureProvider:
    """Reads Azure subscriptions read-only into a Snapshot."""

    services: Sequence[Service]
    credential_factory: CredentialFactory = default_credential
    max_workers: int = 8
    client_options: dict[str, Any] = field(default_factory=dict)
    """Extra keyword arguments for every management client (retry settings, transport)."""
    name: str = field(default=PROVIDER_NAME)

    def collect(
        self,
        scope: Scope,
        progress: ProgressCallback | None = None,
        *,
        cancel: threading.Event | None = None,
    ) -> Snapshot:
        """Collect every visible subscription (or ``scope.subscription``), one task per service."""
        endpoint = (scope.endpoint or DEFAULT_ENDPOINT).rstrip("/")
        if not (endpoint.startswith("https://") or is_loopback_http(endpoint)):
            raise CloudError(
                f"--endpoint must be an https:// URL, or http:// to a server on this machine "
                f"(got {endpoint!r})"
            )
        try:
            credential = self.credential_factory(scope)
        except BlastscopeError:
            raise
        except Exception as exc:  # noqa: BLE001 - any credential construction failure
            raise CloudError(f"Azure credential: {one_line(str(exc))}") from exc
        subscriptions, pre = list_subscriptions(
            credential, endpoint, scope.subscription, self.client_options
        )
        tasks: list[Task] = []
        for sub in subscriptions:
            clients = Clients(credential, sub["subscriptionId"], endpoint, self.client_options)
            for service in self.services:
                tasks.append(
                    Task(service.name, sub["subscriptionId"], _guard(service, clients, sub))
                )
        result = run_tasks(
            tasks,
            classify=lambda task, exc: _warning(task, exc),
            max_workers=self.max_workers,
            progress=progress,
            cancel=cancel,
        )
        snapshot = finish(
            [pre, *result.parts],
            scope={
                "account": subscriptions[0]["subscriptionId"] if subscriptions else "",
                "subscriptions": [s["subscriptionId"] for s in subscriptions],
                "regions": [],
                "endpoint": endpoint,
            },
            partial=result.partial,
        )
        if result.fatal is not None:
            raise CollectionAborted(result.fatal.message, snapshot)
        if result.cancelled:
            raise CollectionAborted("collection cancelled", snapshot)
        return snapshot


def list_subscriptions(
    credential: Any, endpoint: str, wanted: str | None, options: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], Partial]:
    """The subscriptions to read (and their account nodes); credential failures are fatal."""
    client = subscription_client(credential, endpoint, options)
    warnings: list[Warning] = []
    try:
        if wanted:
            try:
                subs = [rest(client.subscriptions.get(wanted))]
            except Exception as exc:  # noqa: BLE001 - classified below
                found = classify(exc)
                if found is None or found[0] not in ("AccessDenied", "NotFound"):
                    raise
                # Access below subscription level (resource groups) still deserves a look.
                warnings.append(Warning("subscriptions", wanted, found[0], found[1]))
                subs = [{"id": f"/subscriptions/{wanted}", "subscriptionId": wanted}]
        else:
            subs = rest_list(client.subscriptions.list())
    except Exception as exc:  # noqa: BLE001 - every SDK error ends in one line
        found = classify(exc)
        if found is None:
            raise CloudError(fatal_message(exc)) from exc
        if found[0] in ("ConnectionError", "Timeout"):
            raise CloudError(f"cannot reach {endpoint}: {found[1]}") from exc
        raise CloudError(f"cannot list subscriptions: {found[0]}: {found[1]}") from exc
    if not subs:
        raise CloudError("the Azure credential sees no subscriptions (give --subscription?)")
    pre = Partial(warnings=warnings)
    for sub in subs:
        sub_id = str(sub.get("subscriptionId") or sub["id"].rsplit("/", 1)[-1])
        sub["subscriptionId"] = sub_id
        pre.nodes.append(
            node(
                f"/subscriptions/{sub_id}",
                NodeKind.ACCOUNT,
                str(sub.get("displayName") or sub_id),
                subscription=sub_id,
                tags=sub.get("tags") or {},
                native_id=sub_id,
                state=sub.get("state"),
                tenant_id=sub.get("tenantId"),
                parent=None,
            )
        )
    return subs, pre


def _guard(service: Service, clients: Clients, sub: dict[str, Any]) -> Callable[[], Partial]:
    def run() -> Partial:
        try:
            return service.collect(clients, sub)
        except Exception as exc:
            if classify(exc) is None:
                raise CloudError(fatal_message(exc)) from exc
            raise

    return run


def _warning(task: Task, exc: BaseException) -> Warning | None:
    found = classify(exc)
    if found is None:
        return None
    return Warning(task.service, task.region, found[0], found[1])


def finish(parts: Iterable[Partial], *, scope: dict[str, Any], partial: bool) -> Snapshot:
    """Merge parts into a snapshot whose references all resolve.

    ARM spells one id in different cases from different references (``resourcegroups``); the
    id a resource's own listing returned wins. Edges to resources never read (their service
    failed: a warning says so) are dropped rather than pointing nowhere.
    """
    parts = list(parts)
    canonical: dict[str, tuple[int, str]] = {}
    for part in parts:
        for n in part.nodes:
            rank = 0 if "native_id" in n.props else 1
            key = lower(n.id)
            if key not in canonical or (rank, n.id) < canonical[key]:
                canonical[key] = (rank, n.id)

    def fix(ident: str) -> str:
        found = canonical.get(lower(ident))
        return found[1] if found else ident

    fixed: list[Partial] = []
    for part in parts:
        nodes = [
            replace(
                n,
                id=fix(n.id),
                props={
                    k: fix(v) if k in ID_PROPS and isinstance(v, str) else v
                    for k, v in n.props.items()
                },
            )
            for n in part.nodes
        ]
        edges = [replace(e, src=fix(e.src), dst=fix(e.dst)) for e in part.edges]
        fixed.append(Partial(nodes, edges, part.documents, part.warnings))
    snap = merge_parts(fixed, provider=PROVIDER_NAME, scope=scope, partial=partial)
    # An Entra principal that is a managed identity we know is shown as that identity.
    managed = {
        str(n.props.get("principal_id") or "").lower()
        for n in snap.nodes
        if n.kind == NodeKind.IDENTITY and n.props.get("principal_type") == "managed_identity"
    }
    nodes: list[Node] = [
        n
        for n in snap.nodes
        if not (n.id.startswith("azure:principal/") and n.id.split("/", 1)[1] in managed)
    ]
    ids = {n.id for n in nodes}
    edges: list[Edge] = [e for e in snap.edges if e.src in ids and e.dst in ids]
    return replace(snap, nodes=tuple(nodes), edges=tuple(edges))
