"""The snapshot's network topology indexed once: subnets, routes, filters per node.

Shared by :mod:`blastscope.graph.exposure` (internet → node) and
:mod:`blastscope.graph.lateral` (node → node), so both read MODEL.md's props the same way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Snapshot
from blastscope.graph.netrules import (
    ALL_V4,
    ALL_V6,
    Filter,
    Net,
    Rule,
    compile_rules,
    is_public,
    parse_net,
)


def _unknown(node: Node | None, prop: str) -> bool:
    return node is None or prop in (node.props.get("unknown") or ())


class NetIndex:
    """The snapshot's network topology, indexed once: who sits where behind what."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.nodes: dict[str, Node] = {n.id: n for n in snapshot.nodes}
        self.out: dict[tuple[str, str], list[Edge]] = defaultdict(list)
        for e in snapshot.edges:
            self.out[(e.src, str(e.kind))].append(e)
        self._rules: dict[tuple[str, str], list[Rule] | None] = {}

    def get(self, node_id: str) -> Node | None:
        """A node by id; Azure ids differ in case between references, so fall back to a
        case-insensitive match."""
        node = self.nodes.get(node_id)
        if node is None and node_id:
            if not hasattr(self, "_lower"):
                self._lower = {k.lower(): v for k, v in self.nodes.items()}
            node = self._lower.get(node_id.lower())
        return node

    def kind(self, node_id: str) -> str | None:
        node = self.get(node_id)
        return str(node.kind) if node else None

    def targets(self, src: str, kind: EdgeKind) -> list[str]:
        return [e.dst for e in self.out.get((src, str(kind)), ())]

    def subnets(self, node_id: str) -> list[str]:
        return self.targets(node_id, EdgeKind.IN_SUBNET)

    def network_of(self, node_id: str) -> str | None:
        for net in self.targets(node_id, EdgeKind.IN_NETWORK):
            return net
        for sub in self.subnets(node_id):
            node = self.get(sub)
            if node is not None and node.props.get("network"):
                return str(node.props["network"])
            for net in self.targets(sub, EdgeKind.IN_NETWORK):
                return net
        return None

    def rules(self, firewall_id: str, direction: str = "ingress") -> list[Rule] | None:
        """Compiled rules of a firewall or NACL; ``None`` when they were not read."""
        key = (firewall_id, direction)
        if key not in self._rules:
            node = self.get(firewall_id)
            raw = None if node is None else node.props.get("rules")
            if _unknown(node, "rules") or not isinstance(raw, list):
                self._rules[key] = None
            else:
                self._rules[key] = compile_rules(firewall_id, raw, direction)
        return self._rules[key]

    def firewalls(self, node_id: str, scope: str) -> list[str]:
        """Firewalls (not NACLs) protecting a node, of one scope (``instance``/``subnet``)."""
        out = []
        for fw in self.targets(node_id, EdgeKind.PROTECTED_BY):
            node = self.get(fw)
            if node is None:
                out.append(fw)
            elif node.kind == NodeKind.FIREWALL:
                if (node.props.get("scope") or "instance") == scope:
                    out.append(fw)
        return out

    def firewall_filter(self, node: Node, name: str = "firewall") -> Filter | None:
        """The instance-level filter of a node; ``None`` when nothing filters it (Azure)."""
        fw_ids = self.firewalls(node.id, "instance")
        if not fw_ids and isinstance(node.props.get("firewalls"), list):
            fw_ids = [str(f) for f in node.props["firewalls"]]
        if not fw_ids:
            fw_ids = self._network_firewalls(node)
        if not fw_ids:
            if node.provider == "azure":
                return None
            return Filter.of(name, [], unknown=True)
        tags = frozenset(node.props.get("network_tags") or ())
        sas = frozenset(node.props.get("service_accounts") or ())
        rules: list[Rule] = []
        unknown = False
        for fw in fw_ids:
            compiled = self.rules(fw)
            if compiled is None:
                unknown = True
                continue
            rules.extend(r for r in compiled if r.applies_to(tags, sas))
        return Filter.of(name, rules, unknown=unknown and not rules)

    def _network_firewalls(self, node: Node) -> list[str]:
        """GCP-style firewalls that apply network-wide (no protected_by edge to instances)."""
        if node.kind != NodeKind.INSTANCE:
            return []
        network = self.network_of(node.id)
        if network is None:
            return []
        found = self._by_network().get(network, [])
        return [
            fw
            for fw in found
            if any(
                r.targets is not None or r.priority != float("inf") for r in self.rules(fw) or ()
            )
        ]

    def _by_network(self) -> dict[str, list[str]]:
        if not hasattr(self, "_fw_by_network"):
            idx: dict[str, list[str]] = defaultdict(list)
            for n in self.nodes.values():
                if n.kind == NodeKind.FIREWALL and n.props.get("network"):
                    if (n.props.get("scope") or "instance") == "instance":
                        idx[str(n.props["network"])].append(n.id)
            self._fw_by_network = idx
        return self._fw_by_network

    def subnet_filters(self, subnet_id: str) -> tuple[list[Filter], list[str]]:
        """NACL and subnet NSG filters of a subnet, and what about them is unknown."""
        subnet = self.get(subnet_id)
        filters: list[Filter] = []
        unknown: list[str] = []
        acl_ids = (
            [subnet.props["network_acl"]] if subnet and subnet.props.get("network_acl") else []
        )
        if not acl_ids:
            acl_ids = [
                t
                for t in self.targets(subnet_id, EdgeKind.PROTECTED_BY)
                if self.kind(t) == NodeKind.NETWORK_ACL
            ]
        if not acl_ids and _unknown(subnet, "network_acl") and subnet is not None:
            unknown.append("network_acl")
        for acl in acl_ids:
            compiled = self.rules(str(acl))
            if compiled is None:
                unknown.append("network_acl")
            filters.append(
                Filter.of(f"network_acl:{acl}", compiled or [], unknown=compiled is None)
            )
        nsgs = self.firewalls(subnet_id, "subnet")
        for fw in nsgs:
            compiled = self.rules(fw)
            if compiled is None:
                unknown.append("subnet_firewall")
            filters.append(Filter.of(f"firewall:{fw}", compiled or [], unknown=compiled is None))
        return filters, unknown

    def acl_egress(self, subnet_id: str) -> list[Filter]:
        """Stateless NACL egress filters (only when the NACL lists egress rules)."""
        subnet = self.get(subnet_id)
        acl = subnet.props.get("network_acl") if subnet else None
        if not acl:
            return []
        rules = self.rules(str(acl), "egress")
        return [Filter.of(f"network_acl:{acl}", rules)] if rules else []

    def internet_routes(self, subnet_id: str) -> tuple[list[Net], list[dict[str, Any]], bool]:
        """Destinations a subnet routes to an internet gateway, the route evidence, unknown?"""
        subnet = self.get(subnet_id)
        if subnet is None:
            return [ALL_V4, ALL_V6], [], True
        rt_id = subnet.props.get("route_table")
        if not rt_id:
            rt_id = next(iter(self.targets(subnet_id, EdgeKind.ROUTES_VIA)), None)
        if not rt_id:
            if _unknown(subnet, "route_table"):
                return [ALL_V4, ALL_V6], [], True
            if subnet.props.get("default_internet_route"):
                ev = {"subnet": subnet_id, "route": "default_internet_route"}
                return [ALL_V4, ALL_V6], [ev], False
            return [], [], False
        table = self.get(str(rt_id))
        if table is None or _unknown(table, "routes"):
            return [ALL_V4, ALL_V6], [], True
        nets: list[Net] = []
        evidence: list[dict[str, Any]] = []
        for route in table.props.get("routes") or ():
            if not isinstance(route, Mapping) or route.get("state", "active") != "active":
                continue
            if route.get("target_kind") != "internet_gateway":
                continue
            net = parse_net(route.get("destination"))
            if net is not None and is_public(net):
                nets.append(net)
                evidence.append(
                    {
                        "route_table": str(rt_id),
                        "destination": str(net),
                        "target": route.get("target"),
                    }
                )
        return nets, evidence, False
