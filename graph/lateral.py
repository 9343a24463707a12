"""Lateral movement: ``network_reach`` edges instance → instance / database.

A source reaches a target in the same network when the target's firewalls admit the source
(by a security-group / network-tag / service-account reference, or by a CIDR holding one of
the source's private addresses) on some port, and — when they are in different subnets — the
target subnet's network ACL admits it too (Azure subnet NSGs apply always).

Candidates are found from the rules, not by trying every pair: a rule's CIDR is looked up in a
sorted address index of the network, a reference in a member index. A target admitting a whole
network (``0.0.0.0/0`` from inside) yields an edge from every instance of it; at most
:data:`MAX_SOURCES_PER_TARGET` sources are kept per target, the first by id, and the
edge props say when the list was cut.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from blastscope.graph.lastfew import LastFew
from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind
from blastscope.graph.netindex import NetIndex
from blastscope.graph.netrules import Filter, Net, describe_ports, evaluate, summarize

MAX_SOURCES_PER_TARGET = 2000
"""Bound on edges into one target, so a flat network cannot grow the graph quadratically."""


class _Source:
    __slots__ = ("node", "ips", "nets", "ints", "refs", "subnets")

    def __init__(self, node: Node, ips: list[Any], refs: frozenset[str], subnets: list[str]):
        self.node = node
        self.ips = ips
        self.nets: list[Net] = [ipaddress.ip_network(ip) for ip in ips]
        self.ints = [(ip.version, int(ip)) for ip in ips]
        self.refs = refs
        self.subnets = set(subnets)


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
        refs = {f"firewall:{fw.lower()}" for fw in idx.firewalls(node.id, "instance")}
        refs.update(f"ntag:{t}" for t in node.props.get("network_tags") or ())
        refs.update(f"sa:{s}" for s in node.props.get("service_accounts") or ())
        refs.add("tag:virtualnetwork")
        src = _Source(node, _private_ips(node), frozenset(refs), idx.subnets(node.id))
        sources[node.id] = src
        members[network].add(src)
    for m in members.values():
        m.freeze()
    return sources, members


_members: LastFew[NetIndex, tuple[dict[str, _Source], dict[str, _NetworkMembers]]] = LastFew(
    _sources
)
"""An index's machines as sources, built once per index."""


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


def _without_world(flt: Filter | None) -> Filter:
    """The filter less its allow rules open to the whole internet (0.0.0.0/0, ::/0)."""
    if flt is None:
        return Filter("firewall", (), False)
    rules = tuple(r for r in flt.rules if not (r.allow and any(n.prefixlen == 0 for n in r.nets)))
    return Filter(flt.name, rules, flt.ordered, flt.unknown)


def network_reach_edges(idx: NetIndex, exposed: frozenset[str] = frozenset()) -> list[Edge]:
    """Every ``network_reach`` edge of the snapshot (instance → instance / database).

    A target in ``exposed`` (the internet already reaches it) gets no edge for what its
    world-open rules admit: holding another machine adds nothing there, and a web tier open
    to the world would otherwise link every machine of the network to it (n² edges that
    make every blast radius the same).
    """
    return LateralReach(idx, exposed).edges()


class LateralReach:
    """The ``network_reach`` edges of an index (see :func:`network_reach_edges`), all or
    those out of some sources. What the questions share is kept: each target's group
    (targets of one network behind the same filters in the same subnets share their
    candidates and each source's props: only the edges themselves are per target), and on
    demand, per source, the targets that count it among their sources."""

    def __init__(self, idx: NetIndex, exposed: frozenset[str]) -> None:
        self.sources, members = _members(idx)
        self._cache: dict[Any, tuple[dict[str, Any], str] | None] = {}
        self.targets: list[tuple[Node, _Alike, frozenset[str], bool]] = []
        """(target, its group, its subnets, whether its sources are cut at the bound)."""
        self._by_source: dict[str, list[int]] | None = None
        chain_ids: dict[tuple[Filter, ...], int] = {}
        alike: dict[Any, _Alike] = {}
        for target in idx.nodes.values():
            if target.kind not in (NodeKind.INSTANCE, NodeKind.DATABASE):
                continue
            network = idx.network_of(target.id)
            group = members.get(network or "")
            if group is None:
                continue
            flt = idx.firewall_filter(target)
            if target.id in exposed:
                flt = _without_world(flt)
            t_subnets = frozenset(idx.subnets(target.id))
            key = (network, flt, t_subnets, target.kind, _port(target))
            shared = alike.get(key)
            if shared is None:
                shared = alike[key] = _Alike(_candidates(flt, group))
                shared.chains = {
                    same: (chain, spans, refs, chain_ids.setdefault(chain, len(chain_ids)))
                    for same, (chain, spans, refs) in _chains(
                        idx, flt, sorted(t_subnets)[:1]
                    ).items()
                }
            if shared.cands:
                truncated = (
                    len(shared.cands) - (target.id in shared.members) > MAX_SOURCES_PER_TARGET
                )
                self.targets.append((target, shared, t_subnets, truncated))

    def edges(self, callers: frozenset[str] | None = None) -> list[Edge]:
        """Every edge, or those out of ``callers``: the same edges, each target's sources
        still cut at the bound as among all of them."""
        if callers is None:
            return [
                edge
                for t in range(len(self.targets))
                for cand in self.kept(t)
                if (edge := self.edge(t, cand)) is not None
            ]
        by_source = self.by_source()
        return [
            edge
            for cand in sorted(callers)
            for t in by_source.get(cand, ())
            if (edge := self.edge(t, cand)) is not None
        ]

    def kept(self, t: int) -> Iterator[str]:
        """The sources target ``t`` is judged against: all its candidates but itself, or the
        first :data:`MAX_SOURCES_PER_TARGET` by id."""
        target, shared, _subnets, truncated = self.targets[t]
        cands = shared.sorted()[: MAX_SOURCES_PER_TARGET + 1] if truncated else shared.cands
        kept = 0
        for cand in cands:
            if cand == target.id:
                continue
            kept += 1
            if kept > MAX_SOURCES_PER_TARGET:
                return
            yield cand

    def by_source(self) -> dict[str, list[int]]:
        """Source → the targets (in order) that judge it."""
        if self._by_source is None:
            found: dict[str, list[int]] = defaultdict(list)
            for t in range(len(self.targets)):
                for cand in self.kept(t):
                    found[cand].append(t)
            self._by_source = dict(found)
        return self._by_source

    def edge(self, t: int, cand: str) -> Edge | None:
        """``cand → target t``, when the target's filters admit it."""
        target, shared, t_subnets, truncated = self.targets[t]
        found = shared.props.get(cand, _UNSET)
        if found is _UNSET:
            src = self.sources[cand]
            chain, spans, refs, cid = shared.chains[bool(src.subnets & t_subnets)]
            found = _props(chain, spans, (cid, src.refs & refs), src, target, self._cache)
            shared.props[cand] = found
        if found is None:
            return None
        base, where = found
        props = {**base, "truncated": True} if truncated else {**base}
        props["reason"] = f"{target.name} admits {self.sources[cand].node.name} on {where}"
        return Edge(cand, target.id, EdgeKind.NETWORK_REACH, props)


_UNSET: Any = object()


class _Alike:
    """What targets with the same network, filters, subnets, kind and port share."""

    __slots__ = ("cands", "members", "chains", "props", "_sorted")

    def __init__(self, cands: list[str]) -> None:
        self.cands = cands
        self.members = frozenset(cands)
        self.chains: dict[bool, tuple[tuple[Filter, ...], _Spans, frozenset[str], int]] = {}
        self.props: dict[str, tuple[dict[str, Any], str] | None] = {}
        """Source id → what :func:`_props` found (None: not admitted)."""
        self._sorted: list[str] | None = None

    def sorted(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.cands)
        return self._sorted


_Spans = tuple[tuple[int, int, int], ...]


def _chains(
    idx: NetIndex, flt: Filter | None, t_subnets: list[str]
) -> dict[bool, tuple[tuple[Filter, ...], _Spans, frozenset[str]]]:
    """The target's filter chain from another subnet (NACL applies) and from its own, with
    the address spans of every rule so a source's matching rules are found by integer compare,
    and the references its rules name (the only ones of a source's that count).
    """
    out = {}
    for same_subnet in (False, True):
        chain: list[Filter] = []
        for sub in t_subnets:
            filters, _unknown = idx.subnet_filters(sub)
            chain.extend(
                f for f in filters if not (same_subnet and f.name.startswith("network_acl"))
            )
        if flt is not None:
            chain.append(flt)
        spans = tuple(
            (n.version, int(n.network_address), int(n.broadcast_address))
            for f in chain
            for r in f.rules
            for n in r.nets
        )
        refs = frozenset(ref for f in chain for r in f.rules for ref in r.refs)
        out[same_subnet] = (tuple(chain), spans, refs)
    return out


def _props(
    chain: tuple[Filter, ...],
    spans: _Spans,
    chain_key: tuple[int, frozenset[str]],
    src: _Source,
    target: Node,
    cache: dict[Any, tuple[dict[str, Any], str] | None],
) -> tuple[dict[str, Any], str] | None:
    """Edge props without the reason, and where the target admits the source (ports and
    rules, for the reason), for one source; shared by every source that matches the same
    rules with the same references (``chain_key``: the chain's id and the source's
    references that its rules name)."""
    if not src.nets and not src.refs:
        return None
    matched = tuple(
        i
        for i, (v, lo, hi) in enumerate(spans)
        if any(sv == v and lo <= si <= hi for sv, si in src.ints)
    )
    key = (chain_key, matched, target.kind, _port(target))
    if key in cache:
        return cache[key]
    admissions = evaluate(list(chain), src.nets, src.refs)
    props: dict[str, Any] | None = None
    if admissions:
        props = summarize(admissions)
        props.pop("cidrs", None)
        props.pop("dangerous", None)
        port = _port(target)
        if target.kind == NodeKind.DATABASE and port is not None:
            if any(a <= port <= b for a, b in props["ports"]):
                props["ports"] = [[port, port]]
            else:
                props = None
    found = None
    if props is not None:
        where = (
            f"{describe_ports(props['ports'], props['protocols'])} "
            f"(rules {', '.join(props['rules']) or 'none: no firewall'})"
        )
        found = (props, where)
    cache[key] = found
    return found


def _port(target: Node) -> int | None:
    """A database's port, when the snapshot gives a number (anything else: every port)."""
    port = target.props.get("port")
    return port if isinstance(port, int) and not isinstance(port, bool) else None
