"""A region's network: VPCs, subnets, route tables, gateways, network ACLs, security groups.

Security group and NACL rules come out in MODEL.md's one firewall-rule shape, so exposure
analysis reads AWS, Azure and GCP alike. A subnet's route table is its explicit association or
else its VPC's main table (``routes_via`` says which).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, NodeKind, Partial
from blastscope.providers.aws.common import MISSING, Ctx, Gaps, known, name_tag, node, tags
from blastscope.providers.aws.ec2_firewall import nacl, security_groups
from blastscope.providers.aws.session import Clients, paginate

LISTS = {
    # key in the raw dict: (operation, result key)
    "Vpcs": ("describe_vpcs", "Vpcs"),
    "Subnets": ("describe_subnets", "Subnets"),
    "RouteTables": ("describe_route_tables", "RouteTables"),
    "InternetGateways": ("describe_internet_gateways", "InternetGateways"),
    "EgressOnlyInternetGateways": (
        "describe_egress_only_internet_gateways",
        "EgressOnlyInternetGateways",
    ),
    "NatGateways": ("describe_nat_gateways", "NatGateways"),
    "NetworkAcls": ("describe_network_acls", "NetworkAcls"),
    "SecurityGroups": ("describe_security_groups", "SecurityGroups"),
    "SecurityGroupRules": ("describe_security_group_rules", "SecurityGroupRules"),
}


def get_network(clients: Clients, ctx: Ctx, gaps: Gaps) -> dict[str, Any]:
    """Every network list of the region (paginated); a list that fails is :data:`MISSING`."""
    ec2 = clients.client("ec2", ctx.region)
    raw: dict[str, Any] = {}
    for key, (operation, result) in LISTS.items():
        raw[key] = gaps.read(
            lambda op=operation, res=result: paginate(ec2, op, res), what=operation
        )
    prefix_ids = sorted(
        {
            r["PrefixListId"]
            for r in raw["SecurityGroupRules"] or []
            if raw["SecurityGroupRules"] is not MISSING and r.get("PrefixListId")
        }
    )
    entries: dict[str, Any] = {}
    for pl in prefix_ids:
        entries[pl] = gaps.read(
            lambda p=pl: paginate(
                ec2, "get_managed_prefix_list_entries", "Entries", PrefixListId=p
            ),
            what=f"entries of prefix list {pl}",
        )
    raw["PrefixListEntries"] = entries
    return raw


def transform_network(raw: Mapping[str, Any], ctx: Ctx) -> Partial:
    """Raw network lists → network, subnet, route_table, gateway, network_acl, firewall nodes."""
    part = Partial()
    vpc_arn = lambda vpc_id: ctx.ec2_arn("vpc", vpc_id)  # noqa: E731
    for vpc in _items(raw, "Vpcs"):
        cidrs = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet") or []]
        cidrs += [a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet") or []]
        props = {
            "account": ctx.account,
            "native_id": vpc["VpcId"],
            "cidrs": cidrs or [vpc.get("CidrBlock")],
            "is_default": bool(vpc.get("IsDefault")),
            "tags": tags(vpc.get("Tags")),
        }
        part.nodes.append(
            node(
                vpc_arn(vpc["VpcId"]),
                NodeKind.NETWORK,
                name_tag(vpc.get("Tags"), vpc["VpcId"]),
                ctx.region,
                props,
            )
        )
    main_tables, explicit = _route_associations(raw, ctx)
    nacl_of = _nacl_associations(raw, ctx)
    for subnet in _items(raw, "Subnets"):
        sid = subnet["SubnetId"]
        arn = ctx.ec2_arn("subnet", sid)
        cidrs = [subnet["CidrBlock"]] if subnet.get("CidrBlock") else []
        cidrs += [a["Ipv6CidrBlock"] for a in subnet.get("Ipv6CidrBlockAssociationSet") or []]
        props: dict[str, Any] = {
            "account": ctx.account,
            "native_id": sid,
            "cidrs": cidrs,
            "network": vpc_arn(subnet["VpcId"]),
            "availability_zone": subnet.get("AvailabilityZone"),
            "default_internet_route": False,
            "map_public_ip": bool(subnet.get("MapPublicIpOnLaunch")),
            "tags": tags(subnet.get("Tags")),
        }
        if main_tables is MISSING:
            known(props, "route_table", MISSING)
        else:
            table, main = explicit.get(sid), False
            if table is None:
                table, main = main_tables.get(subnet["VpcId"]), True
            props["route_table"] = table
            if table:
                part.edges.append(Edge(arn, table, EdgeKind.ROUTES_VIA, {"main": main}))
        if nacl_of is MISSING:
            known(props, "network_acl", MISSING)
        else:
            props["network_acl"] = nacl_of.get(sid)
            if props["network_acl"]:
                part.edges.append(Edge(arn, props["network_acl"], EdgeKind.PROTECTED_BY))
        part.edges.append(Edge(arn, props["network"], EdgeKind.IN_NETWORK))
        part.nodes.append(
            node(arn, NodeKind.SUBNET, name_tag(subnet.get("Tags"), sid), ctx.region, props)
        )
    for table in _items(raw, "RouteTables"):
        _route_table(part, table, ctx)
    _gateways(part, raw, ctx)
    for acl in _items(raw, "NetworkAcls"):
        nacl(part, acl, ctx)
    security_groups(part, raw, ctx)
    return part


def _items(raw: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = raw.get(key, MISSING)
    return [] if value is MISSING or value is None else list(value)


def _route_associations(raw: Mapping[str, Any], ctx: Ctx) -> tuple[Any, dict[str, str]]:
    if raw.get("RouteTables", MISSING) is MISSING:
        return MISSING, {}
    main: dict[str, str] = {}
    explicit: dict[str, str] = {}
    for table in _items(raw, "RouteTables"):
        arn = ctx.ec2_arn("route-table", table["RouteTableId"])
        for assoc in table.get("Associations") or []:
            if assoc.get("Main"):
                main[table["VpcId"]] = arn
            elif assoc.get("SubnetId"):
                explicit[assoc["SubnetId"]] = arn
    return main, explicit


def _nacl_associations(raw: Mapping[str, Any], ctx: Ctx) -> Any:
    if raw.get("NetworkAcls", MISSING) is MISSING:
        return MISSING
    out: dict[str, str] = {}
    for acl in _items(raw, "NetworkAcls"):
        for assoc in acl.get("Associations") or []:
            if assoc.get("SubnetId"):
                out[assoc["SubnetId"]] = ctx.ec2_arn("network-acl", acl["NetworkAclId"])
    return out


def _route_target(route: Mapping[str, Any], ctx: Ctx) -> tuple[str, str]:
    gateway = route.get("GatewayId") or ""
    if gateway == "local":
        return "local", "local"
    if gateway.startswith("igw-"):
        return ctx.ec2_arn("internet-gateway", gateway), "internet_gateway"
    if route.get("NatGatewayId"):
        return ctx.ec2_arn("natgateway", route["NatGatewayId"]), "nat_gateway"
    if route.get("VpcPeeringConnectionId"):
        return ctx.ec2_arn("vpc-peering-connection", route["VpcPeeringConnectionId"]), "peering"
    if route.get("TransitGatewayId"):
        return ctx.ec2_arn("transit-gateway", route["TransitGatewayId"]), "transit"
    if route.get("InstanceId"):
        return ctx.ec2_arn("instance", route["InstanceId"]), "instance"
    if route.get("EgressOnlyInternetGatewayId"):
        # Outbound-only IPv6: never a way in, so not an internet gateway for exposure.
        return ctx.ec2_arn(
            "egress-only-internet-gateway", route["EgressOnlyInternetGatewayId"]
        ), "other"
    other = (
        gateway
        or route.get("NetworkInterfaceId")
        or route.get("LocalGatewayId")
        or route.get("CarrierGatewayId")
        or route.get("CoreNetworkArn")
        or ""
    )
    return other, "other"


def _route_table(part: Partial, table: Mapping[str, Any], ctx: Ctx) -> None:
    rid = table["RouteTableId"]
    routes = []
    for route in table.get("Routes") or []:
        target, kind = _route_target(route, ctx)
        routes.append(
            {
                "destination": route.get("DestinationCidrBlock")
                or route.get("DestinationIpv6CidrBlock")
                or route.get("DestinationPrefixListId"),
                "target": target,
                "target_kind": kind,
                "state": route.get("State", "active"),
            }
        )
    props = {
        "account": ctx.account,
        "native_id": rid,
        "network": ctx.ec2_arn("vpc", table["VpcId"]),
        "routes": routes,
        "tags": tags(table.get("Tags")),
    }
    part.nodes.append(
        node(
            ctx.ec2_arn("route-table", rid),
            NodeKind.ROUTE_TABLE,
            name_tag(table.get("Tags"), rid),
            ctx.region,
            props,
        )
    )


def _gateways(part: Partial, raw: Mapping[str, Any], ctx: Ctx) -> None:
    for key, id_key, arn_type, kind in (
        ("InternetGateways", "InternetGatewayId", "internet-gateway", "internet_gateway"),
        (
            "EgressOnlyInternetGateways",
            "EgressOnlyInternetGatewayId",
            "egress-only-internet-gateway",
            "egress_only",
        ),
    ):
        for gw in _items(raw, key):
            gid = gw[id_key]
            attached = [a["VpcId"] for a in gw.get("Attachments") or [] if a.get("VpcId")]
            props = {
                "account": ctx.account,
                "native_id": gid,
                "gateway_kind": kind,
                "attached_network": ctx.ec2_arn("vpc", attached[0]) if attached else None,
                "tags": tags(gw.get("Tags")),
            }
            part.nodes.append(
                node(
                    ctx.ec2_arn(arn_type, gid),
                    NodeKind.GATEWAY,
                    name_tag(gw.get("Tags"), gid),
                    ctx.region,
                    props,
                )
            )
    for nat in _items(raw, "NatGateways"):
        gid = nat["NatGatewayId"]
        addresses = nat.get("NatGatewayAddresses") or []
        props = {
            "account": ctx.account,
            "native_id": gid,
            "gateway_kind": "nat_gateway",
            "attached_network": ctx.ec2_arn("vpc", nat["VpcId"]) if nat.get("VpcId") else None,
            "subnet": ctx.ec2_arn("subnet", nat["SubnetId"]) if nat.get("SubnetId") else None,
            "state": nat.get("State"),
            "public_ips": sorted(a["PublicIp"] for a in addresses if a.get("PublicIp")),
            "tags": tags(nat.get("Tags")),
        }
        part.nodes.append(
            node(
                ctx.ec2_arn("natgateway", gid),
                NodeKind.GATEWAY,
                name_tag(nat.get("Tags"), gid),
                ctx.region,
                props,
            )
        )
