"""The Snapshot contract: what one collection saw, frozen, and its JSON file format.

A snapshot is the only thing that crosses from providers to graph. Providers build it from
partial snapshots (one per collection task) with :func:`merge_parts`; every command reads it
with :func:`load_snapshot`. The meaning of each node kind's ``props`` is documented in
``graph/MODEL.md``; this module only guards the shape.
"""

from __future__ import annotations

import gzip
import json
import os
import tempfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from blastscope.graph.errors import SnapshotError
from blastscope.graph.heap import gc_paused
from blastscope.graph.redact import redact

SCHEMA = "blastscope.snapshot/1"
SCHEMA_PREFIX = "blastscope.snapshot/"
SCHEMA_VERSION = 1
INTERNET_ID = "internet"
PROVIDERS = ("aws", "azure", "gcp", "demo")


class NodeKind(StrEnum):
    """What a node is; the same vocabulary for every cloud."""

    INTERNET = "internet"
    ACCOUNT = "account"
    NETWORK = "network"
    SUBNET = "subnet"
    ROUTE_TABLE = "route_table"
    GATEWAY = "gateway"
    NETWORK_ACL = "network_acl"
    FIREWALL = "firewall"
    LOAD_BALANCER = "load_balancer"
    INSTANCE = "instance"
    FUNCTION = "function"
    IDENTITY = "identity"
    GROUP = "group"
    ROLE = "role"
    POLICY = "policy"
    BUCKET = "bucket"
    DATABASE = "database"
    DISK = "disk"
    SNAPSHOT = "snapshot"
    SECRET = "secret"
    KEY = "key"


class EdgeKind(StrEnum):
    """Why two nodes are linked; each kind reads as a sentence on screen."""

    EXPOSES = "exposes"
    IN_NETWORK = "in_network"
    IN_SUBNET = "in_subnet"
    ROUTES_VIA = "routes_via"
    PROTECTED_BY = "protected_by"
    FORWARDS_TO = "forwards_to"
    ATTACHED_TO = "attached_to"
    RUNS_AS = "runs_as"
    MEMBER_OF = "member_of"
    HAS_POLICY = "has_policy"
    CAN_ASSUME = "can_assume"
    CAN_ESCALATE = "can_escalate"
    CAN_ACCESS = "can_access"
    ENCRYPTED_BY = "encrypted_by"
    NETWORK_REACH = "network_reach"
    CONTAINS = "contains"


DATA_KINDS = frozenset(
    {
        NodeKind.BUCKET,
        NodeKind.DATABASE,
        NodeKind.DISK,
        NodeKind.SNAPSHOT,
        NodeKind.SECRET,
        NodeKind.KEY,
        NodeKind.FUNCTION,
    }
)
PRINCIPAL_KINDS = frozenset({NodeKind.IDENTITY, NodeKind.GROUP, NodeKind.ROLE})


@dataclass(frozen=True, slots=True)
class Node:
    """One cloud resource. ``id`` is the cloud's own (ARN, Azure id, GCP full name)."""

    id: str
    kind: NodeKind
    name: str
    provider: str
    region: str = ""
    props: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": str(self.kind),
            "name": self.name,
            "provider": self.provider,
            "region": self.region,
            "props": dict(self.props),
        }


@dataclass(frozen=True, slots=True)
class Edge:
    """A directed link; ``props`` carries the evidence (``reason`` and friends)."""

    src: str
    dst: str
    kind: EdgeKind
    props: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"src": self.src, "dst": self.dst, "kind": str(self.kind), "props": dict(self.props)}

    def key(self) -> tuple[str, str, str, str]:
        """Identity for de-duplication and stable ordering."""
        return (self.src, str(self.kind), self.dst, _canonical(self.props))


@dataclass(frozen=True, slots=True)
class Warning:  # noqa: A001 - the snapshot's own word for "what could not be read"
    """What one collection task could not read; the resources it concerns are unknown."""

    service: str
    region: str
    error: str
    message: str

    def __post_init__(self) -> None:
        # Messages quote SDK exceptions, which can echo a signed URL or a token.
        object.__setattr__(self, "message", redact(self.message))

    def to_dict(self) -> dict[str, str]:
        return {
            "service": self.service,
            "region": self.region,
            "error": self.error,
            "message": self.message,
        }


@dataclass(slots=True)
class Partial:
    """What one collection task produced; parts merge by id into a Snapshot."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    documents: dict[str, Any] = field(default_factory=dict)
    warnings: list[Warning] = field(default_factory=list)

    def extend(self, other: Partial) -> None:
        self.nodes.extend(other.nodes)
        self.edges.extend(other.edges)
        self.documents.update(other.documents)
        self.warnings.extend(other.warnings)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One collection, frozen: the contract between providers and graph."""

    provider: str
    scope: Mapping[str, Any]
    collected_at: str
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = ()
    documents: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[Warning, ...] = ()
    partial: bool = False
    schema: str = SCHEMA

    def node_index(self) -> dict[str, Node]:
        """Nodes by id (built on demand; a snapshot is immutable)."""
        return {n.id: n for n in self.nodes}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "provider": self.provider,
            "scope": dict(self.scope),
            "collected_at": self.collected_at,
            "partial": self.partial,
            "nodes": [n.to_dict() for n in self.nodes],
            "edges": [e.to_dict() for e in self.edges],
            "documents": dict(self.documents),
            "warnings": [w.to_dict() for w in self.warnings],
        }


def utc_now() -> str:
    """The collection clock, ISO-8601 in UTC to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def internet_node() -> Node:
    """The one synthetic node: where an attacker starts."""
    return Node(id=INTERNET_ID, kind=NodeKind.INTERNET, name="Internet", provider="any")


def merge_parts(
    parts: Iterable[Partial],
    *,
    provider: str,
    scope: Mapping[str, Any],
    collected_at: str | None = None,
    partial: bool = False,
) -> Snapshot:
    """Merge task results into one Snapshot, deterministically whatever their order.

    Nodes with the same id merge their props (keys from both; on a clash the value that
    sorts last in canonical JSON wins, so the result does not depend on task order).
    Edges are de-duplicated on (src, kind, dst, props). The internet node is always present.

    Examples:
        >>> a = Partial(nodes=[Node("n1", NodeKind.BUCKET, "b", "aws", props={"x": 1})])
        >>> b = Partial(nodes=[Node("n1", NodeKind.BUCKET, "b", "aws", props={"y": 2})])
        >>> snap = merge_parts([b, a], provider="aws", scope={}, collected_at="t")
        >>> [dict(n.props) for n in snap.nodes if n.id == "n1"]
        [{'x': 1, 'y': 2}]
    """
    nodes: dict[str, Node] = {INTERNET_ID: internet_node()}
    edges: dict[tuple[str, str, str, str], Edge] = {}
    documents: dict[str, Any] = {}
    warnings: dict[tuple[str, str, str, str], Warning] = {}
    for part in parts:
        for node in part.nodes:
            nodes[node.id] = _merge_node(nodes.get(node.id), node)
        for edge in part.edges:
            edges[edge.key()] = edge
        for doc_id, doc in part.documents.items():
            if doc_id not in documents or _canonical(doc) > _canonical(documents[doc_id]):
                documents[doc_id] = doc
        for w in part.warnings:
            warnings[(w.service, w.region, w.error, w.message)] = w
    return Snapshot(
        provider=provider,
        scope=dict(scope),
        collected_at=collected_at or utc_now(),
        nodes=tuple(nodes[k] for k in sorted(nodes)),
        edges=tuple(edges[k] for k in sorted(edges)),
        documents={k: documents[k] for k in sorted(documents)},
        warnings=tuple(warnings[k] for k in sorted(warnings)),
        partial=partial,
    )


def _merge_node(old: Node | None, new: Node) -> Node:
    if old is None:
        return new
    first, second = sorted((old, new), key=lambda n: _canonical(n.to_dict()))
    props = dict(first.props)
    props.update(second.props)
    return Node(
        id=new.id,
        kind=second.kind,
        name=second.name or first.name,
        provider=second.provider,
        region=second.region or first.region,
        props=props,
    )


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


# --- file format ---------------------------------------------------------------------------


def save_snapshot(snapshot: Snapshot, path: str | os.PathLike[str]) -> Path:
    """Write atomically (temp file in the same folder, fsync, rename): never half a file.

    A path ending in ``.gz`` is gzip-compressed.
    """
    target = Path(path)
    payload = orjson.dumps(
        snapshot.to_dict(),
        default=_json_default,
        option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE,
    )
    if target.suffix == ".gz":
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    write_atomic(target, payload)
    return target


def write_atomic(target: Path, payload: bytes) -> None:
    """Replace ``target`` with ``payload`` so a reader sees the old file or the new, never half."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Read and validate a snapshot file (plain or gzip JSON).

    Raises:
        SnapshotError: the file is missing, truncated, not JSON, of another schema, or a
            field is malformed; the message names the file and the bad field.
    """
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise SnapshotError(f"{source}: cannot read snapshot: {exc.strerror or exc}") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise SnapshotError(f"{source}: truncated or corrupt gzip snapshot") from exc
    with gc_paused(freeze=len(raw) >= FREEZE_BYTES):  # millions of dicts: graph/heap.py
        try:
            data = orjson.loads(raw)  # orjson: a third of json's time on 100k nodes
        except json.JSONDecodeError as exc:
            if "not enough memory" in exc.msg.lower():  # orjson's words for a failed malloc
                raise MemoryError(exc.msg) from exc
            if "utf-8" in exc.msg.lower():
                raise SnapshotError(f"{source}: not a snapshot (not UTF-8 text)") from exc
            raise SnapshotError(
                f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg});"
                " truncated?"
            ) from exc
        try:
            return snapshot_from_dict(data)
        except SnapshotError as exc:
            raise SnapshotError(f"{source}: {exc}") from exc


FREEZE_BYTES = 50 * 1024 * 1024
"""Snapshot text size (about 40k nodes) from which the loaded objects are frozen out of the
cyclic GC (see graph/heap.py)."""


def snapshot_from_dict(data: Any) -> Snapshot:
    """Validate a decoded snapshot document and build the dataclasses."""
    if not isinstance(data, dict):
        raise SnapshotError("not a snapshot: the top level is not a JSON object")
    schema = data.get("schema")
    if not isinstance(schema, str) or not schema.startswith(SCHEMA_PREFIX):
        raise SnapshotError(f"schema: expected {SCHEMA!r}, found {schema!r}")
    version = schema[len(SCHEMA_PREFIX) :]
    if version != str(SCHEMA_VERSION):
        if version.isdigit() and int(version) > SCHEMA_VERSION:
            raise SnapshotError(
                f"schema: {schema!r} was written by a newer blastscope; this one reads {SCHEMA!r}"
            )
        raise SnapshotError(f"schema: unsupported version {schema!r}; this one reads {SCHEMA!r}")
    provider = _field(data, "provider", str)
    if provider not in PROVIDERS:
        raise SnapshotError(f"provider: {provider!r} is not one of {', '.join(PROVIDERS)}")
    scope = _field(data, "scope", dict)
    collected_at = _field(data, "collected_at", str)
    nodes = tuple(_node(i, n) for i, n in enumerate(_field(data, "nodes", list)))
    ids = {n.id for n in nodes}
    if len(ids) != len(nodes):
        seen: set[str] = set()
        for i, n in enumerate(nodes):
            if n.id in seen:
                raise SnapshotError(f"nodes[{i}].id: duplicate id {n.id!r}")
            seen.add(n.id)
    edges = tuple(_edge(i, e, ids) for i, e in enumerate(_field(data, "edges", list)))
    documents = data.get("documents", {})
    if not isinstance(documents, dict):
        raise SnapshotError("documents: expected an object")
    warnings = tuple(_warning(i, w) for i, w in enumerate(data.get("warnings", [])))
    partial = data.get("partial", False)
    if not isinstance(partial, bool):
        raise SnapshotError("partial: expected true or false")
    return Snapshot(
        provider=provider,
        scope=scope,
        collected_at=collected_at,
        nodes=nodes,
        edges=edges,
        documents=documents,
        warnings=warnings,
        partial=partial,
        schema=schema,
    )


def _field(obj: dict[str, Any], name: str, typ: type, where: str = "") -> Any:
    label = f"{where}.{name}" if where else name
    if name not in obj:
        raise SnapshotError(f"{label}: missing")
    value = obj[name]
    if not isinstance(value, typ):
        raise SnapshotError(f"{label}: expected {typ.__name__}, found {type(value).__name__}")
    return value


_NODE_KINDS = {k.value: k for k in NodeKind}
_EDGE_KINDS = {k.value: k for k in EdgeKind}
"""Kind lookups for loading: a dict is ten times faster than calling the enum per item."""


def _node(i: int, raw: Any) -> Node:
    """A node from its JSON object; well-formed ones take the short way (a million nodes
    load in seconds), anything else the checked one, whose error names the bad field."""
    try:
        kind, props, region = _NODE_KINDS[raw["kind"]], raw.get("props", {}), raw.get("region")
        node_id, name, provider = raw["id"], raw["name"], raw["provider"]
        if (
            type(node_id) is str  # noqa: E721 - exact types, the checked way's isinstance
            and type(name) is str  # noqa: E721
            and type(provider) is str  # noqa: E721
            and type(props) is dict  # noqa: E721
            and type(region) is str  # noqa: E721
        ):
            return Node(node_id, kind, name, provider, region, props)
    except (KeyError, TypeError, AttributeError):
        pass
    return _checked_node(i, raw)


def _checked_node(i: int, raw: Any) -> Node:
    where = f"nodes[{i}]"
    if not isinstance(raw, dict):
        raise SnapshotError(f"{where}: expected an object")
    kind = _field(raw, "kind", str, where)
    node_kind = _NODE_KINDS.get(kind)
    if node_kind is None:
        raise SnapshotError(f"{where}.kind: {kind!r} is not a node kind")
    props = raw.get("props", {})
    if not isinstance(props, dict):
        raise SnapshotError(f"{where}.props: expected an object")
    region = raw.get("region", "")
    return Node(
        id=_field(raw, "id", str, where),
        kind=node_kind,
        name=_field(raw, "name", str, where),
        provider=_field(raw, "provider", str, where),
        region=region if isinstance(region, str) else "",
        props=props,
    )


def _edge(i: int, raw: Any, ids: set[str]) -> Edge:
    """An edge from its JSON object: the short way when well-formed, as :func:`_node`."""
    try:
        kind, props = _EDGE_KINDS[raw["kind"]], raw.get("props", {})
        src, dst = raw["src"], raw["dst"]
        if src in ids and dst in ids and type(props) is dict:  # noqa: E721 - ids hold str only
            return Edge(src, dst, kind, props)
    except (KeyError, TypeError, AttributeError):
        pass
    return _checked_edge(i, raw, ids)


def _checked_edge(i: int, raw: Any, ids: set[str]) -> Edge:
    where = f"edges[{i}]"
    if not isinstance(raw, dict):
        raise SnapshotError(f"{where}: expected an object")
    kind = _field(raw, "kind", str, where)
    edge_kind = _EDGE_KINDS.get(kind)
    if edge_kind is None:
        raise SnapshotError(f"{where}.kind: {kind!r} is not an edge kind")
    src = _field(raw, "src", str, where)
    dst = _field(raw, "dst", str, where)
    for end, value in (("src", src), ("dst", dst)):
        if value not in ids:
            raise SnapshotError(f"{where}.{end}: no node has id {value!r}")
    props = raw.get("props", {})
    if not isinstance(props, dict):
        raise SnapshotError(f"{where}.props: expected an object")
    return Edge(src=src, dst=dst, kind=edge_kind, props=props)


def _warning(i: int, raw: Any) -> Warning:
    where = f"warnings[{i}]"
    if not isinstance(raw, dict):
        raise SnapshotError(f"{where}: expected an object")
    return Warning(
        service=_field(raw, "service", str, where),
        region=str(raw.get("region", "")),
        error=_field(raw, "error", str, where),
        message=str(raw.get("message", "")),
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=str)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)
