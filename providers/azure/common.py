"""Helpers every Azure service module shares: ARM ids, REST-shaped dicts from SDK models,
and the small constructors of nodes and edges.

Transforms work on the REST JSON shape (``{"id", "name", "properties": {...}}``) so that the
recorded responses in tests and the SDK's models go through the same code.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind

PROVIDER_NAME = "azure"


def rest(obj: Any) -> dict[str, Any]:
    """An SDK model (either generation) as its REST JSON shape; dicts pass through."""
    if isinstance(obj, dict):
        return obj
    serialize = getattr(obj, "serialize", None)
    if callable(serialize):
        return dict(serialize(keep_readonly=True))
    return dict(obj.as_dict())


MAX_PAGES = 5000
"""A listing longer than this is cut with an error, not followed forever."""


class PaginationLoop(Exception):
    """A service returned a continuation link it had already returned."""


def rest_list(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Follow every page of an SDK pager, returning REST-shaped dicts.

    A ``nextLink`` seen before (a looping service) or more than :data:`MAX_PAGES` pages
    raises :class:`PaginationLoop` instead of reading forever.
    """
    by_page = getattr(items, "by_page", None)
    if not callable(by_page):
        return [rest(item) for item in items]
    pages = by_page()
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for count, page in enumerate(pages, start=1):
        out.extend(rest(item) for item in page)
        token = getattr(pages, "continuation_token", None)
        if token:
            if token in seen:
                raise PaginationLoop(f"the service repeated a page link after {count} pages")
            seen.add(str(token))
        if count >= MAX_PAGES:
            raise PaginationLoop(f"more than {MAX_PAGES} pages; stopped")
    return out


def props(resource: Mapping[str, Any]) -> dict[str, Any]:
    """``properties`` of an ARM resource (empty when absent)."""
    value = resource.get("properties")
    return dict(value) if isinstance(value, Mapping) else {}


def lower(resource_id: str | None) -> str:
    """Case-folded id: ARM ids differ in case between references (``resourcegroups``)."""
    return (resource_id or "").rstrip("/").lower()


def last_segment(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def parent_id(resource_id: str, levels: int = 2) -> str:
    """The id ``levels`` segments up (a subnet's VNet is 2 up: ``/subnets/NAME``)."""
    parts = resource_id.rstrip("/").split("/")
    return "/".join(parts[:-levels])


def resource_group(resource_id: str) -> str | None:
    parts = resource_id.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "resourcegroups":
            return parts[i + 1]
    return None


def subscription_of(resource_id: str) -> str | None:
    parts = resource_id.split("/")
    for i, part in enumerate(parts[:-1]):
        if part.lower() == "subscriptions":
            return parts[i + 1]
    return None


def ref_id(value: Any) -> str | None:
    """The id of an ARM sub-resource reference ``{"id": ...}``."""
    if isinstance(value, Mapping):
        ident = value.get("id")
        return ident if isinstance(ident, str) and ident else None
    return None


def node(
    ident: str,
    kind: NodeKind,
    name: str,
    *,
    subscription: str,
    region: str = "",
    tags: Mapping[str, Any] | None = None,
    **extra: Any,
) -> Node:
    """An Azure node with the props every node shares (``account``, ``tags``)."""
    body: dict[str, Any] = {"account": subscription, "tags": dict(tags or {})}
    body.update(extra)
    return Node(
        id=ident, kind=kind, name=name, provider=PROVIDER_NAME, region=region or "", props=body
    )


def resource_node(resource: Mapping[str, Any], kind: NodeKind, **extra: Any) -> Node:
    """A node for an ARM resource: id, name, location and tags from the resource itself."""
    ident = str(resource["id"])
    return node(
        ident,
        kind,
        str(resource.get("name") or last_segment(ident)),
        subscription=subscription_of(ident) or "",
        region=str(resource.get("location") or ""),
        tags=resource.get("tags") or {},
        native_id=str(resource.get("name") or last_segment(ident)),
        **extra,
    )


def edge(src: str, dst: str, kind: EdgeKind, **extra: Any) -> Edge:
    return Edge(src=src, dst=dst, kind=kind, props=extra)


def principal_node_id(object_id: str) -> str:
    """Entra ID principals have no ARM id: ``azure:principal/<object id>``."""
    return f"azure:principal/{object_id.lower()}"


def system_identity_id(resource_id: str) -> str:
    """ARM's own id of a resource's system-assigned identity (an extension resource)."""
    return f"{resource_id}/providers/Microsoft.ManagedIdentity/identities/default"
