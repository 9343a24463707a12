"""Virtual networks, subnets, route tables and network security groups.

A subnet routes 0.0.0.0/0 to the internet through Azure's system routes unless a route table
overrides it; route tables therefore carry that system route explicitly when no user route
replaces it, so exposure analysis never has to know Azure's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import EdgeKind, NodeKind, Partial, Warning
from blastscope.providers.azure.clients import Clients
from blastscope.providers.azure.common import edge, lower, props, ref_id, resource_node, rest_list
from blastscope.providers.azure.errors import attempt
from blastscope.providers.azure.nsg_rules import nsg_rules

SERVICE = "network"
DEFAULT_ROUTES = ("0.0.0.0/0", "::/0")

_HOP_KINDS = {
    "internet": "internet_gateway",
    "vnetlocal": "local",
    "virtualappliance": "instance",
    "virtualnetworkgateway": "transit",
    "vnetpeering": "peering",
    "none": "other",
}


def get_network(clients: Clients, region: str = "global") -> dict[str, Any]:
    """Virtual networks (with their subnets), route tables and network security groups."""
    warnings: list[Warning] = []
    net = clients.network
    vnets = rest_list(net.virtual_networks.list_all())
    route_tables = attempt(
        lambda: rest_list(net.route_tables.list_all()), warnings, SERVICE, region, "route tables"
    )
    nsgs = attempt(
        lambda: rest_list(net.network_security_groups.list_all()),
        warnings,
        SERVICE,
        region,
        "network security groups",
    )
    return {"vnets": vnets, "route_tables": route_tables, "nsgs": nsgs, "warnings": warnings}


def transform_network(raw: Mapping[str, Any]) -> Partial:
    """Network, subnet, route table and firewall nodes and the edges between them."""
    part = Partial(warnings=list(raw.get("warnings", [])))
    tables = raw.get("route_tables")
    table_index = {lower(t["id"]): t for t in tables or []}
    for table in tables or []:
        part.nodes.append(
            resource_node(table, NodeKind.ROUTE_TABLE, routes=route_table_routes(table))
        )
    for vnet in raw.get("vnets") or []:
        _vnet(vnet, tables is not None, table_index, part)
    for nsg in raw.get("nsgs") or []:
        _nsg(nsg, part)
    return part


def route_table_routes(table: Mapping[str, Any]) -> list[dict[str, Any]]:
    """User routes in the model's shape, plus the system default routes not overridden."""
    routes: list[dict[str, Any]] = []
    for route in props(table).get("routes") or []:
        rp = props(route)
        hop = str(rp.get("nextHopType") or "").lower()
        routes.append(
            {
                "destination": rp.get("addressPrefix"),
                "target": rp.get("nextHopIpAddress") or rp.get("nextHopType"),
                "target_kind": _HOP_KINDS.get(hop, "other"),
                "state": "blackhole" if hop == "none" else "active",
                "name": route.get("name"),
            }
        )
    overridden = {r["destination"] for r in routes}
    for prefix in DEFAULT_ROUTES:
        if prefix not in overridden:
            routes.append(
                {
                    "destination": prefix,
                    "target": "Internet",
                    "target_kind": "internet_gateway",
                    "state": "active",
                    "name": "system default route",
                    "system": True,
                }
            )
    return routes


def internet_by_default(table: Mapping[str, Any] | None) -> bool:
    """Does 0.0.0.0/0 still go to the internet (no user route, or one with hop Internet)?"""
    if table is None:
        return True
    for route in route_table_routes(table):
        if route["destination"] == "0.0.0.0/0":
            return route["target_kind"] == "internet_gateway"
    return True


def _vnet(
    vnet: Mapping[str, Any], tables_known: bool, tables: Mapping[str, Any], part: Partial
) -> None:
    vp = props(vnet)
    vnet_id = str(vnet["id"])
    part.nodes.append(
        resource_node(
            vnet,
            NodeKind.NETWORK,
            cidrs=list((vp.get("addressSpace") or {}).get("addressPrefixes") or []),
            is_default=False,
        )
    )
    for subnet in vp.get("subnets") or []:
        sp = props(subnet)
        subnet_id = str(subnet["id"])
        cidrs = list(sp.get("addressPrefixes") or [])
        if sp.get("addressPrefix") and sp["addressPrefix"] not in cidrs:
            cidrs.insert(0, sp["addressPrefix"])
        table_id = ref_id(sp.get("routeTable"))
        nsg_id = ref_id(sp.get("networkSecurityGroup"))
        unknown: list[str] = []
        default_route: bool | None
        if table_id is None:
            default_route = True
        elif tables_known and lower(table_id) in tables:
            default_route = internet_by_default(tables[lower(table_id)])
        else:
            default_route = None
            unknown.append("default_internet_route")
        part.nodes.append(
            resource_node(
                {**subnet, "location": vnet.get("location"), "tags": {}},
                NodeKind.SUBNET,
                cidrs=cidrs,
                network=vnet_id,
                route_table=table_id,
                network_acl=None,
                firewall=nsg_id,
                default_internet_route=default_route,
                map_public_ip=False,
                nat_gateway=ref_id(sp.get("natGateway")),
                default_outbound_access=sp.get("defaultOutboundAccess"),
                unknown=unknown,
            )
        )
        part.edges.append(edge(subnet_id, vnet_id, EdgeKind.IN_NETWORK))
        if table_id:
            part.edges.append(edge(subnet_id, table_id, EdgeKind.ROUTES_VIA, main=False))
        if nsg_id:
            part.edges.append(edge(subnet_id, nsg_id, EdgeKind.PROTECTED_BY))


def _nsg(nsg: Mapping[str, Any], part: Partial) -> None:
    np = props(nsg)
    subnets = [s for s in (ref_id(x) for x in np.get("subnets") or []) if s]
    nics = [n for n in (ref_id(x) for x in np.get("networkInterfaces") or []) if n]
    part.nodes.append(
        resource_node(
            nsg,
            NodeKind.FIREWALL,
            rules=nsg_rules(np),
            scope="subnet" if subnets and not nics else "instance",
            evaluation="priority",
            subnets=subnets,
            network_interfaces=nics,
            network=None,
        )
    )
