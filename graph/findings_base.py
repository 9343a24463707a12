"""What every findings rule shares: the Finding record, the Rule record and the snapshot index.

A rule is a pure function ``check(ix) -> Iterable[Hit]`` over an :class:`Index` built once per
snapshot (nodes by id and kind, edges by endpoint and kind); it never scans all nodes per
node, so a 100k-node estate is checked in near-linear time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from blastscope.graph.model import Edge, Node, Snapshot


class Severity(StrEnum):
    """How bad a finding is, worst first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical … 4 for info: sorts worst first."""
        return _RANK[self]


_RANK = {s: i for i, s in enumerate(Severity)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One weakness on one node; ``id`` (rule + node) is stable across runs."""

    id: str
    rule: str
    severity: Severity
    node: str
    title: str
    evidence: Mapping[str, Any]
    remediation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "rule": self.rule,
            "severity": str(self.severity),
            "node": self.node,
            "title": self.title,
            "evidence": dict(self.evidence),
            "remediation": self.remediation,
        }


@dataclass(frozen=True, slots=True)
class Hit:
    """What a check reports: the node, the evidence, and optionally a sharper severity/title."""

    node: str
    evidence: Mapping[str, Any]
    severity: Severity | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """A registered check with its default severity, title and remediation line."""

    id: str
    category: str
    severity: Severity
    title: str
    remediation: str
    check: Callable[[Index], Iterable[Hit]] = field(repr=False)

    def run(self, ix: Index) -> Iterator[Finding]:
        for hit in self.check(ix):
            yield Finding(
                id=f"{self.id}:{hit.node}",
                rule=self.id,
                severity=hit.severity or self.severity,
                node=hit.node,
                title=hit.title or self.title,
                evidence=hit.evidence,
                remediation=self.remediation,
            )


class Index:
    """The snapshot, indexed once: nodes by id and kind, edges by (endpoint, kind)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.documents: Mapping[str, Any] = snapshot.documents
        self.nodes: dict[str, Node] = {}
        self._by_kind: dict[str, list[Node]] = defaultdict(list)
        for node in snapshot.nodes:
            self.nodes[node.id] = node
            self._by_kind[str(node.kind)].append(node)
        self._out: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        self._in: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        for edge in snapshot.edges:
            self._out[(edge.src, str(edge.kind))].append(edge)
            self._in[(edge.dst, str(edge.kind))].append(edge)
        self.now = parse_time(snapshot.collected_at) or datetime.now(UTC)
        self._cache: dict[str, Any] = {}

    def of_kind(self, *kinds: str) -> Iterator[Node]:
        for kind in kinds:
            yield from self._by_kind.get(kind, ())

    def targets(self, src: str, kind: str) -> list[Node]:
        """Nodes ``src`` points to over edges of ``kind``."""
        return [self.nodes[e.dst] for e in self._out.get((src, kind), ()) if e.dst in self.nodes]

    def sources(self, dst: str, kind: str) -> list[Node]:
        """Nodes pointing to ``dst`` over edges of ``kind``."""
        return [self.nodes[e.src] for e in self._in.get((dst, kind), ()) if e.src in self.nodes]

    def document(self, doc_id: Any) -> Any:
        """The parsed document, or None when missing or unparsed (a string)."""
        if not isinstance(doc_id, str):
            return None
        doc = self.documents.get(doc_id)
        return doc if isinstance(doc, dict) else None

    def cached(self, key: str, build: Callable[[], Any]) -> Any:
        """A derived index built on first use (e.g. Azure principals by object id)."""
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def age_days(self, value: Any) -> int | None:
        """Whole days from ``value`` (ISO time) to the collection time; None if unparseable."""
        when = parse_time(value)
        return None if when is None else (self.now - when).days


def known(node: Node, prop: str) -> bool:
    """The prop was read: present and not listed in ``props.unknown``."""
    unknown = node.props.get("unknown") or ()
    return prop in node.props and prop not in unknown


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 date or time (``Z`` or offset; naive means UTC) → aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def as_list(value: Any) -> list[Any]:
    """A policy field that may be one value or a list, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def strings(value: Any) -> set[str]:
    """The string members of a field that should be a list of strings (others are dropped:
    collected data is not trusted to be well-formed)."""
    return {v for v in as_list(value) if isinstance(v, str)}


def statements(doc: Any) -> list[tuple[int, dict[str, Any]]]:
    """(index, statement) pairs of an AWS policy document; malformed parts are skipped."""
    if not isinstance(doc, dict):
        return []
    return [(i, s) for i, s in enumerate(as_list(doc.get("Statement"))) if isinstance(s, dict)]


def is_wildcard_principal(principal: Any) -> bool:
    """AWS ``Principal: "*"`` or ``{"AWS": "*"}``: anyone, in any account."""
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in as_list(principal.get("AWS"))
    return False


WORLD_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
