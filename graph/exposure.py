"""Internet exposure: which instances, load balancers and functions the internet can reach.

Provider-neutral over the props of ``graph/MODEL.md``. An instance is exposed when all hold:

1. it is addressable: a public IPv4/IPv6 address of its own (EIP included), or an
   internet-facing load balancer forwards to it on a port its firewalls admit from the load
   balancer, (functions: a URL with auth ``NONE``);
2. its subnet routes 0.0.0.0/0 (or ::/0) to an internet gateway (``route_table`` routes; or
   ``default_internet_route`` when the subnet has no route table — Azure, GCP);
3. subnet-level filters admit the traffic (AWS network ACL — stateless, rule-number order,
   return traffic checked when egress rules are present; Azure subnet NSG — priority order);
4. an instance-level firewall admits a public source on some port (AWS security groups —
   union of allow rules; Azure NIC NSG and GCP firewall — priority order, GCP target filters).

What could not be read (a route table, a firewall's rules) is *unknown*: the layer admits and
the edge lists it under ``props.unknown`` — never silently "private".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from blastscope.graph.build import register_analysis
from blastscope.graph.lastfew import LastFew
from blastscope.graph.lateral import LateralReach, network_reach_edges
from blastscope.graph.model import INTERNET_ID, Edge, EdgeKind, Node, NodeKind, Snapshot
from blastscope.graph.netindex import NetIndex
from blastscope.graph.netrules import (
    ALL_V4,
    ALL_V6,
    INTERNET,
    Filter,
    Net,
    compile_rules,
    describe_ports,
    evaluate,
    is_public,
    parse_net,
    summarize,
)

_GONE_STATES = frozenset({"terminated", "shutting-down", "deleted", "deleting"})
_EPHEMERAL = (1024, 65535)


def _public_addresses(node: Node) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    out = []
    for text in [*(node.props.get("public_ips") or ()), *(node.props.get("ipv6_addresses") or ())]:
        try:
            addr = ipaddress.ip_address(str(text))
        except ValueError:
            continue
        if addr.version == 4 and not is_public(ipaddress.ip_network(addr)):
            continue
        if addr.version == 6 and (addr.is_link_local or addr in ipaddress.ip_network("fc00::/7")):
            continue
        out.append(addr)
    return list(dict.fromkeys(out))


def _exposure_props(
    admissions: list[Any], via: str, extra_evidence: list[dict[str, Any]], unknown: list[str]
) -> dict[str, Any]:
    props = summarize(admissions)
    props["cidrs"] = [c for c in props["cidrs"] if is_public(ipaddress.ip_network(c))] or props[
        "cidrs"
    ]
    props["via"] = via
    props["evidence"] = [*extra_evidence, *props["evidence"]]
    if unknown:
        props["unknown"] = sorted(set(unknown))
    return props


def _public_only(admissions: list[Any]) -> list[Any]:
    from blastscope.graph.netrules import Admission

    out = []
    for a in admissions:
        nets = tuple(n for n in a.nets if is_public(n))
        if nets:
            out.append(Admission(a.protocol, a.lo, a.hi, nets, a.rules))
    return out


def _instance_exposure(idx: NetIndex, node: Node, cache: dict[Any, Any]) -> Edge | None:
    addrs = _public_addresses(node)
    if not addrs or str(node.props.get("state") or "").lower() in _GONE_STATES:
        return None
    versions = {a.version for a in addrs}
    subnets = idx.subnets(node.id) or [""]
    fw_filter = idx.firewall_filter(node)
    key = (
        tuple(subnets),
        tuple(sorted(versions)),
        fw_filter,
    )
    if key not in cache:
        cache[key] = _evaluate_instance(idx, subnets, versions, fw_filter)
    admissions, evidence, unknown = cache[key]
    if not admissions:
        return None
    props = _exposure_props(admissions, "public_ip", evidence, unknown)
    props["public_ips"] = [str(a) for a in addrs]
    props["imds_v1"] = bool(node.props.get("imds_v1"))
    where = describe_ports(props["ports"], props["protocols"])
    props["reason"] = (
        f"public address {addrs[0]}; the subnet routes to an internet gateway and the "
        f"firewall rules {', '.join(props['rules']) or '(unknown)'} admit "
        f"{', '.join(props['cidrs'][:3])} on {where}"
    )
    return Edge(INTERNET_ID, node.id, EdgeKind.EXPOSES, props)


def _evaluate_instance(
    idx: NetIndex,
    subnets: list[str],
    versions: set[int],
    fw_filter: Filter | None,
    ports: tuple[int, int] | None = None,
) -> tuple[list[Any], list[dict[str, Any]], list[str]]:
    best: list[Any] = []
    evidence: list[dict[str, Any]] = []
    unknown: list[str] = []
    for sub in subnets:
        routes, route_ev, route_unknown = (
            idx.internet_routes(sub) if sub else ([ALL_V4, ALL_V6], [], True)
        )
        start = [n for n in routes if n.version in versions]
        if not start:
            continue
        chain, sub_unknown = idx.subnet_filters(sub) if sub else ([], ["subnet"])
        if fw_filter is not None:
            chain = [*chain, fw_filter]
        protocols = ("tcp",) if ports else None
        admissions = _public_only(evaluate(chain, start, ports=ports, protocols=protocols))
        egress = idx.acl_egress(sub) if sub else []
        if admissions and egress:
            back = evaluate(egress, [n for a in admissions for n in a.nets], ports=_EPHEMERAL)
            if not back:
                admissions = []
        if admissions:
            best.extend(admissions)
            evidence.extend(route_ev)
            unknown.extend(["route_table"] if route_unknown else [])
            unknown.extend(sub_unknown)
            if fw_filter is not None and fw_filter.unknown:
                unknown.append("firewall")
    return best, evidence, unknown


def _database_exposure(idx: NetIndex, db: Node) -> Edge | None:
    """A database with a public endpoint whose network path and firewalls admit the internet
    on its port (``authorized_networks`` act as its firewall when it has no other)."""
    if db.props.get("public") is not True:
        return None
    port = db.props.get("port")
    span = (port, port) if isinstance(port, int) else None
    fw_filter = idx.firewall_filter(db)
    allowed = db.props.get("authorized_networks")
    if isinstance(allowed, list) and (fw_filter is None or fw_filter.unknown):
        raw = [
            {"id": f"authorized_networks:{c}", "protocol": "tcp", "sources": [{"cidr": c}]}
            for c in allowed
        ]
        fw_filter = Filter.of("authorized_networks", compile_rules(db.id, raw))
    subnets = idx.subnets(db.id)
    if subnets:
        admissions, evidence, unknown = _evaluate_instance(idx, subnets, {4, 6}, fw_filter, span)
    else:  # a managed endpoint outside the customer's subnets: only its own filter applies
        chain = [fw_filter] if fw_filter is not None else []
        protocols = ("tcp",) if span else None
        admissions = _public_only(evaluate(chain, list(INTERNET), ports=span, protocols=protocols))
        evidence = []
        unknown = ["firewall"] if fw_filter is not None and fw_filter.unknown else []
    if not admissions:
        return None
    props = _exposure_props(admissions, "public_endpoint", evidence, unknown)
    props["dangerous"] = sorted({*props["dangerous"], "database"})
    props["endpoint"] = db.props.get("endpoint")
    props["reason"] = (
        f"database {db.name} has a public endpoint and rules "
        f"{', '.join(props['rules']) or '(none)'} admit {', '.join(props['cidrs'][:3])} on "
        f"{describe_ports(props['ports'], props['protocols'])}"
    )
    return Edge(INTERNET_ID, db.id, EdgeKind.EXPOSES, props)


def _lb_edges(idx: NetIndex, lb: Node) -> list[Edge]:
    if lb.props.get("public") is not True:
        return []
    listeners = [x for x in lb.props.get("listeners") or () if isinstance(x, Mapping)]
    lb_fws = idx.firewalls(lb.id, "instance") or [str(f) for f in lb.props.get("firewalls") or ()]
    lb_filter = idx.firewall_filter(lb) if lb_fws else None
    admitted: list[Any] = []
    for lst in listeners or [{"port": None}]:
        port = lst.get("port")
        span = (int(port), int(port)) if isinstance(port, int) else None
        chain = [lb_filter] if lb_filter else []
        admitted.extend(
            _public_only(evaluate(chain, [ALL_V4, ALL_V6], ports=span, protocols=("tcp",)))
        )
    if not admitted:
        return []
    props = _exposure_props(
        admitted, "load_balancer", [], ["firewall"] if lb_filter and lb_filter.unknown else []
    )
    props["reason"] = (
        f"internet-facing load balancer {lb.name} listens on "
        f"{describe_ports(props['ports'], props['protocols'])}"
    )
    edges = [Edge(INTERNET_ID, lb.id, EdgeKind.EXPOSES, props)]
    refs = frozenset(f"firewall:{f.lower()}" for f in lb_fws)
    open_ports = {p for a, b in props["ports"] for p in (a, b)}
    for fwd in idx.out.get((lb.id, str(EdgeKind.FORWARDS_TO)), ()):
        target = idx.get(fwd.dst)
        if target is None:
            continue
        port = fwd.props.get("port")
        span = (int(port), int(port)) if isinstance(port, int) else None
        sources: list[Net] = [ALL_V4, ALL_V6]
        net = idx.get(idx.network_of(target.id) or "")
        raw_cidrs = (net.props.get("cidrs") or ()) if net else ()
        vpc = [n for n in (parse_net(c) for c in raw_cidrs) if n]
        t_filter = idx.firewall_filter(target)
        adm = evaluate(
            [t_filter] if t_filter else [], sources, refs, ports=span, protocols=("tcp",)
        )
        adm = [
            a
            for a in adm
            if any(
                is_public(n) or any(n.overlaps(v) for v in vpc if v.version == n.version)
                for n in a.nets
            )
        ]  # noqa: E501
        if not adm or not open_ports:
            continue
        tp = _exposure_props(adm, "load_balancer", [{"load_balancer": lb.id}], [])
        tp["cidrs"] = props["cidrs"]
        tp["load_balancer"] = lb.id
        tp["imds_v1"] = bool(target.props.get("imds_v1"))
        tp["reason"] = (
            f"behind internet-facing load balancer {lb.name}, which forwards to "
            f"{describe_ports(tp['ports'], tp['protocols'])} admitted by rules "
            f"{', '.join(tp['rules']) or '(none needed)'}"
        )
        edges.append(Edge(INTERNET_ID, target.id, EdgeKind.EXPOSES, tp))
    return edges


def _function_edge(fn: Node) -> Edge | None:
    if str(fn.props.get("url_auth") or "").upper() != "NONE":
        return None
    return Edge(
        INTERNET_ID,
        fn.id,
        EdgeKind.EXPOSES,
        {
            "ports": [[443, 443]],
            "protocols": ["tcp"],
            "rules": [],
            "cidrs": ["0.0.0.0/0", "::/0"],
            "via": "function_url",
            "dangerous": [],
            "imds_v1": False,
            "url": fn.props.get("url"),
            "reason": f"function URL of {fn.name} requires no authentication (auth type NONE)",
            "evidence": [{"function": fn.id, "url_auth": "NONE"}],
        },
    )


def exposure_edges(snapshot: Snapshot) -> list[Edge]:
    """``exposes`` internet → instance/load_balancer/function, then ``network_reach`` edges
    (the two analyses below, in their order).

    Examples:
        >>> from blastscope.graph.model import Partial, merge_parts
        >>> fn = Node("f", NodeKind.FUNCTION, "f", "aws", props={"url_auth": "NONE"})
        >>> snap = merge_parts([Partial(nodes=[fn])], provider="aws", scope={}, collected_at="t")
        >>> [(e.src, str(e.kind), e.dst) for e in exposure_edges(snap)]
        [('internet', 'exposes', 'f')]
    """
    return [*exposes_analysis(snapshot), *lateral_analysis(snapshot)]


@register_analysis("exposure", shares="lateral")
def exposes_analysis(snapshot: Snapshot) -> list[Edge]:
    """``exposes`` internet → instance/load_balancer/function."""
    return list(_exposures(snapshot).edges)


@register_analysis("lateral", by_caller=True)
def lateral_analysis(snapshot: Snapshot, callers: frozenset[str] | None = None) -> list[Edge]:
    """``network_reach`` edges (out of ``callers`` only, when given): see graph/lateral.py."""
    found = _exposures(snapshot)
    if callers is None:
        return network_reach_edges(found.idx, found.exposed)
    return _lateral(found).edges(callers)


@dataclass(frozen=True, slots=True)
class _Exposures:
    idx: NetIndex
    edges: list[Edge]
    """The ``exposes`` edges."""
    exposed: frozenset[str]
    """Nodes the internet reaches by their own public address (see network_reach_edges)."""


def _find_exposures(snapshot: Snapshot) -> _Exposures:
    idx = NetIndex(snapshot)
    out: list[Edge] = []
    cache: dict[Any, Any] = {}
    for node in snapshot.nodes:
        if node.kind == NodeKind.FUNCTION:
            edge = _function_edge(node)
            if edge:
                out.append(edge)
        elif node.kind == NodeKind.LOAD_BALANCER:
            out.extend(_lb_edges(idx, node))
    for node in snapshot.nodes:
        if node.kind == NodeKind.INSTANCE:
            edge = _instance_exposure(idx, node, cache)
        elif node.kind == NodeKind.DATABASE:
            edge = _database_exposure(idx, node)
        else:
            continue
        if edge:
            out.append(edge)
    exposed = frozenset(e.dst for e in out if e.props.get("via") == "public_ip")
    return _Exposures(idx, out, exposed)


_exposures: LastFew[Snapshot, _Exposures] = LastFew(_find_exposures)
"""Both analyses need them."""


_lateral: LastFew[_Exposures, LateralReach] = LastFew(
    lambda found: LateralReach(found.idx, found.exposed)
)
"""Lateral reach is asked again for each round of callers (graph/focus.py): what the rounds
share is kept (a whole run builds its own, and lets it go)."""


def exposed_ids(edges: Iterable[Edge]) -> list[str]:
    """Targets of ``exposes`` edges, in first-seen order."""
    return list(dict.fromkeys(e.dst for e in edges if e.kind == EdgeKind.EXPOSES))
