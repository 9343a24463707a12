"""Words for the screen: how an edge, a hop, a scope or an age reads to a person.

Pure functions over graph attributes (no Textual), shared by the screens and widgets so the
same edge is explained the same way everywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

EDGE_VERBS: dict[str, str] = {
    "exposes": "exposes",
    "in_network": "is in network",
    "in_subnet": "is in subnet",
    "routes_via": "routes via",
    "protected_by": "is protected by",
    "forwards_to": "forwards to",
    "attached_to": "is attached to",
    "runs_as": "runs as",
    "member_of": "is a member of",
    "has_policy": "has policy",
    "can_assume": "can assume",
    "can_escalate": "can escalate to",
    "can_access": "can access",
    "encrypted_by": "is encrypted by",
    "network_reach": "can reach over the network",
    "contains": "contains",
}
"""Each edge kind as a verb phrase: ``src <verb> dst``."""

STALE_AFTER_HOURS = 24 * 7
"""A snapshot older than a week is marked stale: the estate has likely moved on."""


def edge_reason(kind: str, props: Mapping[str, Any], src_name: str, dst_name: str) -> str:
    """One sentence saying why an edge exists: its ``reason`` if the analysis gave one."""
    reason = props.get("reason")
    if isinstance(reason, str) and reason:
        return reason
    verb = EDGE_VERBS.get(kind, kind.replace("_", " "))
    extra = _edge_detail(kind, props)
    return f"{src_name} {verb} {dst_name}{extra}"


def _edge_detail(kind: str, props: Mapping[str, Any]) -> str:
    parts: list[str] = []
    if kind in ("exposes", "network_reach", "forwards_to") and props.get("ports"):
        parts.append(f"ports {format_ports(props['ports'])}")
    if props.get("protocols"):
        parts.append("/".join(str(p) for p in props["protocols"]))
    if props.get("actions"):
        parts.append(", ".join(str(a) for a in list(props["actions"])[:4]))
    if props.get("technique"):
        parts.append(f"via {props['technique']}")
    if props.get("via"):
        parts.append(f"via {props['via']}")
    if props.get("conditional"):
        parts.append("only if its conditions hold")
    return f" ({'; '.join(parts)})" if parts else ""


def format_ports(ports: Any) -> str:
    """``[[22, 22], [8000, 8080]]`` → ``22, 8000-8080``; all ports → ``all``."""
    out: list[str] = []
    for item in ports or []:
        if isinstance(item, Sequence) and not isinstance(item, str) and len(item) == 2:
            lo, hi = item
            if lo is None or (lo in (0, 1) and hi == 65535):
                out.append("all")
            else:
                out.append(str(lo) if lo == hi else f"{lo}-{hi}")
        else:
            out.append(str(item))
    return ", ".join(out) or "-"


def edge_label(kind: str, props: Mapping[str, Any]) -> str:
    """A short label for an arrow in a path picture: the kind plus its key detail."""
    if kind == "exposes" and props.get("ports"):
        return f"exposes {format_ports(props['ports'])}"
    if kind == "can_access" and props.get("level"):
        return f"can_access ({props['level']})"
    if kind == "can_escalate" and props.get("technique"):
        return f"can_escalate ({props['technique']})"
    if kind == "network_reach" and props.get("ports"):
        return f"network_reach {format_ports(props['ports'])}"
    return kind


def evidence_refs(props: Mapping[str, Any]) -> list[tuple[str, int | str | None]]:
    """The (document id, statement index or sid) pairs an edge cites as its evidence."""
    out: list[tuple[str, int | str | None]] = []
    for item in props.get("evidence") or []:
        if isinstance(item, Mapping) and isinstance(item.get("document"), str):
            out.append((item["document"], item.get("statement")))
    return out


def format_value(value: Any, width: int = 80) -> str:
    """A prop value on one line (JSON for structures, cut to ``width``).

    None is a value that was read and is not set (no encryption, no policy); a value that
    could not be read is listed in ``props.unknown`` and shown by the caller as such.
    """
    if value is None:
        return "none"
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    else:
        text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_time(text: str) -> datetime | None:
    """An ISO-8601 timestamp (``Z`` accepted) as an aware datetime, None if unparseable."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def age(collected_at: str, now: datetime) -> str:
    """How long ago a snapshot was collected, in the largest unit that fits."""
    when = parse_time(collected_at)
    if when is None:
        return "age unknown"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"  # pragma: no cover - the loop always returns


def is_stale(collected_at: str, now: datetime) -> bool:
    """True when the snapshot is older than :data:`STALE_AFTER_HOURS`."""
    when = parse_time(collected_at)
    return when is not None and (now - when).total_seconds() > STALE_AFTER_HOURS * 3600


def scope_line(
    provider: str, scope: Mapping[str, Any], collected_at: str, now: datetime, *, partial: bool
) -> str:
    """The header's sub-title: provider, account, regions, collection time and staleness."""
    parts = [provider]
    for key in ("account", "subscription", "project"):
        if scope.get(key):
            parts[0] += f" {scope[key]}"
            break
    regions = scope.get("regions")
    if isinstance(regions, Sequence) and not isinstance(regions, str) and regions:
        more = f" +{len(regions) - 1}" if len(regions) > 1 else ""
        parts.append(f"{regions[0]}{more}")
    when = parse_time(collected_at)
    stamp = when.strftime("%Y-%m-%d %H:%MZ") if when else collected_at
    if provider == "demo":  # built in, frozen: its age says nothing about anyone's estate
        parts.append("built-in demo estate")
    else:
        parts.append(f"collected {stamp}, {age(collected_at, now)}")
    if is_stale(collected_at, now) and provider != "demo":
        parts.append("STALE")
    if partial:
        parts.append("PARTIAL")
    return " · ".join(parts)


def hop_explanation(
    kind: str, props: Mapping[str, Any], src: tuple[str, str], dst: tuple[str, str]
) -> list[tuple[str, str]]:
    """The side panel's lines for one hop: (label, text) pairs, the reason first.

    ``src`` and ``dst`` are (name, kind) pairs.
    """
    lines = [("why", edge_reason(kind, props, src[0], dst[0]))]
    lines.append(("edge", f"{src[0]} ({src[1]}) —{kind}→ {dst[0]} ({dst[1]})"))
    if props.get("actions"):
        lines.append(("actions", ", ".join(str(a) for a in props["actions"])))
    if props.get("level"):
        lines.append(("level", str(props["level"])))
    if props.get("technique"):
        lines.append(("technique", str(props["technique"])))
    if props.get("ports"):
        lines.append(("ports", format_ports(props["ports"])))
    if props.get("rules"):
        lines.append(("rules", ", ".join(str(r) for r in props["rules"])))
    if props.get("dangerous"):
        lines.append(("danger", ", ".join(str(d) for d in props["dangerous"])))
    if "conditional" in props:
        lines.append(
            ("condition", "only if a policy condition holds" if props["conditional"] else "none")
        )
    for doc, statement in evidence_refs(props):
        where = f" statement {statement}" if statement is not None else ""
        lines.append(("evidence", f"{doc}{where}"))
    return lines
