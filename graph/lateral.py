"""Lateral movement: ``network_reach`` edges instance → instance / database.

A source reaches a target in the same network when the target's firewalls admit the source
(by a security-group / network-tag / service-account reference, or by a CIDR holding one of
the source's private addresses) on some port, and — when they are in different subnets — the
target subnet's network ACL admits it too (Azure subnet NSGs apply always).

Candidates are found from the rules, not by trying every pair: a rule's CIDR is looked up in a
sorted address index of the network, a reference in a member index. A target admitting a whole
network (``0.0.0.0/0`` from inside) yields an edge from every instance of it; at most
:data:`MAX_SOURCES_PER_TARGET` sources are kept per target, nearest addresses first, and the
edge props say when the list was cut.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections import defaultdict
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind
from blastscope.graph.netindex import NetIndex
from blastscope.graph.netrules import Filter, Net, describe_ports, evaluate, summarize

MAX_SOURCES_PER_TARGET = 2000
"""Bound on edges into one target, so a flat network cannot grow the graph quadratically."""


class _Source:
    __slots__ = ("node", "ips", "refs", "subnets")

    def __init__(self, node: Node, ips: list[Any], refs: frozenset[str], subnets: list[str]):
        self.node = node
        self.ips = ips
        self.refs = refs
        self.subnets = subnets


def _private_ips(node: Node) -> list[Any]:
    out = []
    for text in node.props.get("private_ips") or ():
        try:
            out.append(ipaddress.ip_address(str(text)))
        except ValueError:
            continue
    return out


class _NetworkMembers:
    """Instances of one network, indexed by address, firewall, tag and service account."""

    def __init__(self) -> None:
        self.by_ip: dict[int, list[tuple[int, str]]] = {4: [], 6: []}
        self.by_ref: dict[str, list[str]] = defaultdict(list)
        self.all: list[str] = []

    def add(self, src: _Source) -> None:
        self.all.append(src.node.id)
        for ip in src.ips:
            self.by_ip[ip.version].append((int(ip), src.node.id))
        for ref in src.refs:
            self.by_ref[ref].append(src.node.id)

    def freeze(self) -> None:
        for v in self.by_ip:
            self.by_ip[v].sort()

    def in_net(self, net: Net) -> list[str]:
        rows = self.by_ip[net.version]
        lo = bisect.bisect_left(rows, (int(net.network_address), ""))
        hi = bisect.bisect_right(rows, (int(net.broadcast_address), "\uffff"))
        return [node_id for _ip, node_id in rows[lo:hi]]


def _sources(idx: NetIndex) -> tuple[dict[str, _Source], dict[str, _NetworkMembers]]:
    sources: dict[str, _Source] = {}
    members: dict[str, _NetworkMembers] = defaultdict(_NetworkMembers)
    for node in idx.nodes.values():
        if node.kind != NodeKind.INSTANCE:
            continue
        if str(node.props.get("state") or "").lower() in ("terminated", "shutting-down"):
            continue
        network = idx.network_of(node.id)
        if network is None:
            continue
        refs = {f"firewall:{fw}" for fw in idx.firewalls(node.id, "instance")}
        refs.update(f"ntag:{t}" for t in node.props.get("network_tags") or ())
        refs.update(f"sa:{s}" for s in node.props.get("service_accounts") or ())
        refs.add("tag:virtualnetwork")
        src = _Source(node, _private_ips(node), frozenset(refs), idx.subnets(node.id))
        sources[node.id] = src
        members[network].add(src)
    for m in members.values():
        m.freeze()
    return sources, members


def _candidates(flt: Filter | None, group: _NetworkMembers) -> list[str]:
    if flt is None or flt.unknown:
        return list(group.all) if flt is None else []
    found: dict[str, None] = {}
    for rule in flt.rules:
        if not rule.allow:
            continue
        for ref in rule.refs:
            if ref == "tag:virtualnetwork":
                found.update(dict.fromkeys(group.all))
            else:
                found.update(dict.fromkeys(group.by_ref.get(ref, ())))
        for net in rule.nets:
            found.update(dict.fromkeys(group.in_net(net)))
    return list(found)


def network_reach_edges(idx: NetIndex) -> list[Edge]:
    """Every ``network_reach`` edge of the snapshot (instance → instance / database)."""
    sources, members = _sources(idx)
    out: list[Edge] = []
    cache: dict[Any, Any] = {}
    for target in idx.nodes.values():
        if target.kind not in (NodeKind.INSTANCE, NodeKind.DATABASE):
            continue
        network = idx.network_of(target.id)
        group = members.get(network or "")
        if group is None:
            continue
        flt = idx.firewall_filter(target)
        t_subnets = idx.subnets(target.id)
        cands = [c for c in _candidates(flt, group) if c != target.id]
        truncated = len(cands) > MAX_SOURCES_PER_TARGET
        for cand in sorted(cands)[:MAX_SOURCES_PER_TARGET] if truncated else cands:
            src = sources[cand]
            edge = _reach(idx, src, target, flt, t_subnets, cache)
            if edge is not None:
                if truncated:
                    edge.props["truncated"] = True  # type: ignore[index]
                out.append(edge)
    return out


def _reach(
    idx: NetIndex,
    src: _Source,
    target: Node,
    flt: Filter | None,
    t_subnets: list[str],
    cache: dict[Any, Any],
) -> Edge | None:
    chain: list[Filter] = []
    same_subnet = bool(set(src.subnets) & set(t_subnets))
    for sub in t_subnets[:1]:
        filters, _unknown = idx.subnet_filters(sub)
        chain.extend(f for f in filters if not (same_subnet and f.name.startswith("network_acl")))
    if flt is not None:
        chain.append(flt)
    nets: list[Net] = [ipaddress.ip_network(ip) for ip in src.ips]
    if not nets and not src.refs:
        return None
    matched = tuple(
        sorted(
            (f.name, r.id)
            for f in chain
            for r in f.rules
            if any(n.overlaps(rn) for n in nets for rn in r.nets if n.version == rn.version)
        )
    )
    key = (tuple(chain), src.refs, matched, tuple(n.version for n in nets))
    if key not in cache:
        cache[key] = evaluate(chain, nets, src.refs)
    admissions = cache[key]
    if not admissions:
        return None
    props = summarize(admissions)
    props.pop("cidrs", None)
    props.pop("dangerous", None)
    port = target.props.get("port")
    if target.kind == NodeKind.DATABASE and isinstance(port, int):
        if not any(a <= port <= b for a, b in props["ports"]):
            return None
        props["ports"] = [[port, port]]
    props["reason"] = (
        f"{target.name} admits {src.node.name} on "
        f"{describe_ports(props['ports'], props['protocols'])} "
        f"(rules {', '.join(props['rules']) or 'none: no firewall'})"
    )
    return Edge(src.node.id, target.id, EdgeKind.NETWORK_REACH, props)
