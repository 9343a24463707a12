"""Firewall-rule evaluation over the one rule shape of ``graph/MODEL.md``.

Security groups, network ACLs, Azure NSGs and GCP firewall rules all arrive as lists of
``{"action", "priority", "protocol", "from_port", "to_port", "sources", "targets"}``. This
module answers one question for any of them: *which part of a source (a set of CIDRs plus
references such as a security group or a network tag) does a chain of filters admit, on which
protocol and ports, and which rules decided it?* Two evaluation orders exist:

- union (priority null, AWS security groups): any allow rule admits; there is no deny;
- ordered (AWS NACL rule numbers, Azure/GCP priorities): lowest first, first match wins,
  deny before allow at equal priority (GCP); a rule may decide only part of a CIDR source, the
  rest falls through to later rules.

Port ranges are split at every rule boundary, so each elementary interval is either wholly
inside or wholly outside any rule's range and evaluation per interval is exact.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Net = ipaddress.IPv4Network | ipaddress.IPv6Network

ALL_V4 = ipaddress.ip_network("0.0.0.0/0")
ALL_V6 = ipaddress.ip_network("::/0")
INTERNET: tuple[Net, ...] = (ALL_V4, ALL_V6)
PORTED = ("tcp", "udp")
BASE_PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6")
_PROTO_ALIASES = {
    "6": "tcp",
    "17": "udp",
    "1": "icmp",
    "58": "icmpv6",
    "-1": "all",
    "*": "all",
    "any": "all",
    "all": "all",
    "ipv6-icmp": "icmpv6",
}
_NON_PUBLIC = tuple(
    ipaddress.ip_network(c)
    for c in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/32",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
        "::/128",
    )
)


def norm_protocol(value: Any) -> str:
    """``"6"``/``"TCP"`` → ``"tcp"``; ``-1``/``"*"``/null → ``"all"``; other numbers kept."""
    if value is None:
        return "all"
    text = str(value).strip().lower()
    return _PROTO_ALIASES.get(text, text)


def parse_net(text: Any) -> Net | None:
    """A CIDR or address as a network; ``None`` for anything that is not one."""
    if not isinstance(text, str):
        return None
    if text.strip().lower() in ("*", "any", "internet"):
        return ALL_V4
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def is_public(net: Net) -> bool:
    """True when ``net`` holds at least one internet-routable address (not RFC 1918 & co).

    Examples:
        >>> [is_public(ipaddress.ip_network(c)) for c in ("0.0.0.0/0", "10.1.0.0/16")]
        [True, False]
    """
    return not any(net.version == p.version and net.subnet_of(p) for p in _NON_PUBLIC)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One compiled ingress (or egress) rule of one firewall (hashed by identity: compiled
    once per firewall, so equal objects are the same rule)."""

    id: str
    firewall: str
    allow: bool
    priority: float
    protocol: str
    lo: int
    hi: int
    nets: tuple[Net, ...]
    refs: frozenset[str]
    targets: Mapping[str, Any] | None

    def covers(self, protocol: str, lo: int, hi: int) -> bool:
        if self.protocol != "all" and self.protocol != protocol:
            return False
        if protocol not in PORTED or self.protocol == "all":
            return True
        return self.lo <= lo and hi <= self.hi

    def applies_to(self, tags: frozenset[str], accounts: frozenset[str]) -> bool:
        """GCP target filter: a rule with targets applies only to matching instances."""
        if not self.targets:
            return True
        want_tags = set(self.targets.get("network_tags") or ())
        want_sas = set(self.targets.get("service_accounts") or ())
        if not want_tags and not want_sas:
            return True
        return bool(want_tags & tags or want_sas & accounts)


def source_refs(source: Mapping[str, Any]) -> tuple[list[Net], list[str]]:
    """Split one rule source into CIDRs and reference strings (``firewall:ID``, ``tag:x``…)."""
    nets: list[Net] = []
    refs: list[str] = []
    if "cidr" in source:
        net = parse_net(source["cidr"])
        if net is not None:
            nets.append(net)
            if net == ALL_V4 and str(source["cidr"]).strip() in ("*", "Internet"):
                nets.append(ALL_V6)
    if "prefix_list" in source:
        nets.extend(n for n in (parse_net(c) for c in source.get("cidrs") or ()) if n)
    if source.get("firewall"):
        refs.append(f"firewall:{str(source['firewall']).lower()}")
    if source.get("tag"):
        refs.append(f"tag:{str(source['tag']).lower()}")
    if source.get("service_account"):
        refs.append(f"sa:{source['service_account']}")
    if source.get("network_tag"):
        refs.append(f"ntag:{source['network_tag']}")
    return nets, refs


def compile_rules(firewall: str, rules: Iterable[Any], direction: str = "ingress") -> list[Rule]:
    """Parse a firewall's raw rules of one direction; malformed entries are skipped."""
    out: list[Rule] = []
    for i, raw in enumerate(rules):
        if not isinstance(raw, Mapping) or str(raw.get("direction", "ingress")) != direction:
            continue
        nets: list[Net] = []
        refs: list[str] = []
        sources = raw.get("sources")
        for src in sources if isinstance(sources, list | tuple) else ():
            if isinstance(src, Mapping):
                n, r = source_refs(src)
                nets.extend(n)
                refs.extend(r)
        lo, hi = raw.get("from_port"), raw.get("to_port")
        if not isinstance(lo, int) or lo < 0:
            lo, hi = 0, hi if isinstance(hi, int) and hi >= 0 else 65535
        elif not isinstance(hi, int) or hi < 0:
            hi = lo if hi is None and raw.get("from_port") is not None else 65535
        prio = raw.get("priority")
        out.append(
            Rule(
                id=str(raw.get("id", i)),
                firewall=firewall,
                allow=str(raw.get("action", "allow")).lower() == "allow",
                priority=float(prio) if isinstance(prio, int | float) else float("inf"),
                protocol=norm_protocol(raw.get("protocol")),
                lo=lo,
                hi=max(lo, hi),
                nets=tuple(dict.fromkeys(nets)),
                refs=frozenset(refs),
                targets=raw.get("targets") if isinstance(raw.get("targets"), Mapping) else None,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class Filter:
    """One layer of a chain: a rule list evaluated as a union or in priority order.

    ``unknown`` layers (rules not read) admit everything and are reported as unknown.
    """

    name: str
    rules: tuple[Rule, ...]
    ordered: bool
    unknown: bool = False

    @staticmethod
    def of(name: str, rules: Sequence[Rule], *, unknown: bool = False) -> Filter:
        ordered = any(r.priority != float("inf") or not r.allow for r in rules)
        ranked = sorted(rules, key=lambda r: (r.priority, r.allow, r.id)) if ordered else rules
        return Filter(name, tuple(ranked), ordered, unknown)


@dataclass(frozen=True, slots=True)
class Admission:
    """What a chain admits on one protocol and port interval, and the rules that did it."""

    protocol: str
    lo: int
    hi: int
    nets: tuple[Net, ...]
    rules: tuple[Rule, ...]


def _intersect(nets: Sequence[Net], rule_nets: Sequence[Net]) -> list[Net]:
    out: list[Net] = []
    for a in nets:
        for b in rule_nets:
            if a.version != b.version or not a.overlaps(b):
                continue
            out.append(a if a.subnet_of(b) else b)  # type: ignore[arg-type]
    return list(dict.fromkeys(out))


def _split(nets: Sequence[Net], rule_nets: Sequence[Net]) -> tuple[list[Net], list[Net]]:
    """(the part of ``nets`` inside ``rule_nets``, the rest); CIDRs nest or are disjoint."""
    hit: list[Net] = []
    rest = list(nets)
    for b in rule_nets:
        nxt: list[Net] = []
        for a in rest:
            if a.version != b.version or not a.overlaps(b):
                nxt.append(a)
            elif a.subnet_of(b):  # type: ignore[arg-type]
                hit.append(a)
            else:
                hit.append(b)
                nxt.extend(a.address_exclude(b))  # type: ignore[arg-type]
        rest = nxt
    return hit, rest


def admit(
    flt: Filter, protocol: str, lo: int, hi: int, nets: Sequence[Net], refs: frozenset[str]
) -> tuple[list[Net], list[Rule]]:
    """The part of a source that ``flt`` admits on one elementary interval, and its rules."""
    if flt.unknown:
        return list(nets), []
    admitted: list[Net] = []
    deciding: list[Rule] = []
    if not flt.ordered:
        for rule in flt.rules:
            if not rule.allow or not rule.covers(protocol, lo, hi):
                continue
            part = list(nets) if rule.refs & refs else _intersect(nets, rule.nets)
            if part:
                admitted.extend(part)
                deciding.append(rule)
        return list(dict.fromkeys(admitted)), deciding
    remaining = list(nets)
    for rule in flt.rules:
        if not remaining:
            break
        if not rule.covers(protocol, lo, hi):
            continue
        if rule.refs & refs:
            hit, remaining = remaining, []
        else:
            hit, remaining = _split(remaining, rule.nets)
        if hit and rule.allow:
            admitted.extend(hit)
            deciding.append(rule)
    return admitted, deciding


def intervals(
    filters: Iterable[Filter], only: tuple[int, int] | None = None
) -> list[tuple[int, int]]:
    """Elementary port intervals of [0, 65535] (or of ``only``) for a chain of filters."""
    lo_all, hi_all = only or (0, 65535)
    cuts = {lo_all, hi_all + 1}
    for flt in filters:
        for r in flt.rules:
            for p in (r.lo, r.hi + 1):
                if lo_all < p <= hi_all:
                    cuts.add(p)
    pts = sorted(cuts)
    return [(a, b - 1) for a, b in zip(pts, pts[1:], strict=False)]


def evaluate(
    chain: Sequence[Filter],
    nets: Sequence[Net],
    refs: frozenset[str] = frozenset(),
    *,
    ports: tuple[int, int] | None = None,
    protocols: Iterable[str] | None = None,
) -> list[Admission]:
    """Run a source through every filter of ``chain``; one Admission per admitted interval."""
    protos = list(protocols or BASE_PROTOCOLS)
    for flt in chain:
        protos.extend(
            r.protocol for r in flt.rules if r.protocol not in protos and r.protocol != "all"
        )
    out: list[Admission] = []
    spans = intervals(chain, ports)
    for proto in protos:
        for lo, hi in spans if proto in PORTED else [(ports or (0, 65535))]:
            current: list[Net] = list(nets)
            rules: list[Rule] = []
            for flt in chain:
                current, deciding = admit(flt, proto, lo, hi, current, refs)
                rules.extend(deciding)
                if not current:
                    break
            if current:
                out.append(Admission(proto, lo, hi, tuple(current), tuple(rules)))
    return out


def merge_ranges(ranges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Sorted, merged ``[[from, to]]``.

    Examples:
        >>> merge_ranges([(80, 80), (22, 22), (81, 90), (443, 443)])
        [[22, 22], [80, 90], [443, 443]]
    """
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return out


DANGEROUS_PORTS: tuple[tuple[str, int, int], ...] = (
    ("ssh", 22, 22),
    ("rdp", 3389, 3389),
    ("winrm", 5985, 5986),
    ("database", 1433, 1433),
    ("database", 3306, 3306),
    ("database", 5432, 5432),
    ("database", 1521, 1521),
    ("database", 27017, 27017),
    ("database", 6379, 6379),
    ("database", 9200, 9200),
)


def dangerous(ports: Sequence[Sequence[int]]) -> list[str]:
    """Reasons a set of admitted TCP ranges is risky: ssh, rdp, winrm, database, all_ports.

    Examples:
        >>> dangerous([[22, 22], [443, 443]])
        ['ssh']
        >>> dangerous([[0, 65535]])
        ['all_ports', 'database', 'rdp', 'ssh', 'winrm']
    """
    found = {name for name, lo, hi in DANGEROUS_PORTS for a, b in ports if a <= hi and lo <= b}
    if any(a <= 1 and b >= 65535 for a, b in ports):
        found.add("all_ports")
    return sorted(found)


def summarize(admissions: Sequence[Admission]) -> dict[str, Any]:
    """Edge props from admissions: ``ports``, ``protocols``, ``rules``, ``cidrs``, ``dangerous``."""
    tcp = [(a.lo, a.hi) for a in admissions if a.protocol == "tcp"]
    ported = [(a.lo, a.hi) for a in admissions if a.protocol in PORTED]
    protocols = sorted({a.protocol for a in admissions})
    rules: dict[str, Rule] = {}
    for a in admissions:
        for r in a.rules:
            rules.setdefault(f"{r.firewall}#{r.id}", r)
    cidrs = sorted({str(n) for a in admissions for n in a.nets})
    return {
        "ports": merge_ranges(ported),
        "protocols": protocols,
        "rules": sorted({r.id for r in rules.values()}),
        "cidrs": cidrs,
        "dangerous": dangerous(merge_ranges(tcp)),
        "evidence": [
            {"firewall": r.firewall, "rule": r.id, "action": "allow"}
            for _k, r in sorted(rules.items())
        ],
    }


def describe_ports(ports: Sequence[Sequence[int]], protocols: Sequence[str]) -> str:
    """``tcp 22, 80-90`` style text for reasons."""
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in ports[:8])
    if len(ports) > 8:
        text += ", …"
    names = "/".join(p for p in protocols if p in PORTED) or "/".join(protocols)
    if not ports:
        return "/".join(protocols)
    if ports == [[0, 65535]]:
        text = "all ports"
    return f"{names} {text}"
