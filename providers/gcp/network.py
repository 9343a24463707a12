"""VPC networks, subnetworks, firewall rules and routes of a project.

GCP firewall rules belong to a network and pick their instances by target tags or target
service accounts, so each network gets one ``firewall`` node holding all its rules (with
the two implied rules made explicit) and every instance on the network is ``protected_by``
it. Routes to the default internet gateway set ``default_internet_route`` on the subnets.
"""

from __future__ import annotations

from typing import Any

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial
from blastscope.providers.gcp.names import PROVIDER, compute_id, short
from blastscope.providers.gcp.session import GcpSession, guarded_pages

SERVICE = "compute-network"
ANY_V4, ANY_V6 = "0.0.0.0/0", "::/0"
IMPLIED_RULES = (
    {
        "id": "implied-allow-egress",
        "direction": "egress",
        "action": "allow",
        "priority": 65535,
        "protocol": "all",
        "from_port": None,
        "to_port": None,
        "sources": [{"cidr": ANY_V4}, {"cidr": ANY_V6}],
        "targets": None,
        "description": "GCP implied rule: allow all egress",
    },
    {
        "id": "implied-deny-ingress",
        "direction": "ingress",
        "action": "deny",
        "priority": 65535,
        "protocol": "all",
        "from_port": None,
        "to_port": None,
        "sources": [{"cidr": ANY_V4}, {"cidr": ANY_V6}],
        "targets": None,
        "description": "GCP implied rule: deny all ingress",
    },
)


def firewall_id(network_id: str) -> str:
    """The one firewall node of a network."""
    return f"{network_id}#firewall"


def to_dict(message: Any) -> dict[str, Any]:
    """A compute proto message as its REST JSON (camelCase field names)."""
    return type(message).to_dict(
        message, use_integers_for_enums=False, preserving_proto_field_name=False
    )


def aggregated(session: GcpSession, client: Any, field: str, project: str) -> list[dict[str, Any]]:
    """Every item of an aggregatedList (all zones/regions, every page)."""

    def read() -> list[dict[str, Any]]:
        items = []
        pager = client.aggregated_list(
            request={"project": project}, timeout=session.timeout, retry=None
        )
        for page in guarded_pages(pager, lambda p: p.next_page_token):
            for _scope, scoped in page.items.items():
                items.extend(to_dict(m) for m in getattr(scoped, field))
        return items

    return session.retry(read)


def listed(session: GcpSession, client: Any, project: str) -> list[dict[str, Any]]:
    """Every item of a (global) list call, every page."""

    def read() -> list[dict[str, Any]]:
        pager = client.list(project=project, timeout=session.timeout, retry=None)
        pages = guarded_pages(pager, lambda p: p.next_page_token)
        return [to_dict(m) for page in pages for m in page.items]

    return session.retry(read)


def get_network_data(session: GcpSession, project: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "networks": listed(session, session.compute("NetworksClient"), project),
        "subnetworks": aggregated(
            session, session.compute("SubnetworksClient"), "subnetworks", project
        ),
        "firewalls": listed(session, session.compute("FirewallsClient"), project),
        "routes": listed(session, session.compute("RoutesClient"), project),
    }


def collect(session: GcpSession, project: str) -> Partial:
    return transform_network_data(project, get_network_data(session, project))


def transform_firewall(fw: dict[str, Any]) -> list[dict[str, Any]]:
    """One GCP firewall (REST shape) → rules in MODEL.md's shape; a disabled one → none."""
    if fw.get("disabled"):
        return []
    direction = str(fw.get("direction") or "INGRESS").lower()
    action = "deny" if fw.get("denied") else "allow"
    entries = fw.get("denied") or fw.get("allowed") or []
    sources: list[dict[str, Any]]
    if direction == "ingress":
        sources = [{"cidr": c} for c in fw.get("sourceRanges") or []]
        sources += [{"network_tag": t} for t in fw.get("sourceTags") or []]
        sources += [{"service_account": s} for s in fw.get("sourceServiceAccounts") or []]
    else:
        sources = [{"cidr": c} for c in fw.get("destinationRanges") or []]
    if not sources:  # the API's default: any address
        sources = [{"cidr": ANY_V4}]
    tags, accounts = fw.get("targetTags") or [], fw.get("targetServiceAccounts") or []
    targets = {"network_tags": list(tags), "service_accounts": list(accounts)}
    rules = []
    for entry in entries:
        protocol = str(entry.get("IPProtocol") or "all").lower()
        for ports in entry.get("ports") or [None]:
            low, high = _port_range(ports)
            rules.append(
                {
                    "id": fw.get("name", ""),
                    "direction": direction,
                    "action": action,
                    "priority": int(fw.get("priority", 1000)),
                    "protocol": protocol,
                    "from_port": low,
                    "to_port": high,
                    "sources": sources,
                    "targets": targets if tags or accounts else None,
                    "description": fw.get("description", ""),
                }
            )
    return rules


def _port_range(ports: str | None) -> tuple[int | None, int | None]:
    if not ports:
        return None, None
    low, _, high = str(ports).partition("-")
    return int(low), int(high or low)


def _internet_routes(routes: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Routes to the default internet gateway, by network id."""
    out: dict[str, list[dict[str, Any]]] = {}
    for route in routes:
        gateway = route.get("nextHopGateway") or ""
        if not gateway.endswith("/default-internet-gateway"):
            continue
        if route.get("destRange") not in (ANY_V4, ANY_V6):
            continue
        out.setdefault(compute_id(route.get("network", "")), []).append(route)
    return out


def transform_network_data(project: str, data: dict[str, list[dict[str, Any]]]) -> Partial:
    """Networks, subnets and firewall rules of one project (REST shapes) → nodes and edges."""
    part = Partial()
    internet = _internet_routes(data["routes"])
    rules_by_net: dict[str, list[dict[str, Any]]] = {}
    for fw in data["firewalls"]:
        rules_by_net.setdefault(compute_id(fw.get("network", "")), []).extend(
            transform_firewall(fw)
        )
    subnet_cidrs: dict[str, list[str]] = {}
    for sub in data["subnetworks"]:
        net = compute_id(sub.get("network", ""))
        sub_id = compute_id(sub["selfLink"])
        cidrs = [sub["ipCidrRange"]] if sub.get("ipCidrRange") else []
        cidrs += [r["ipCidrRange"] for r in sub.get("secondaryIpRanges") or []]
        cidrs += [c for c in (sub.get("ipv6CidrRange"), sub.get("externalIpv6Prefix")) if c]
        subnet_cidrs.setdefault(net, []).extend(cidrs)
        routes = internet.get(net, [])
        untagged = [r for r in routes if not r.get("tags")]
        props = {
            "native_id": sub.get("name"),
            "account": project,
            "cidrs": cidrs,
            "network": net,
            "route_table": None,
            "network_acl": None,
            "default_internet_route": bool(untagged),
            "internet_route_tags": sorted({t for r in routes for t in r.get("tags") or []}),
            "private_google_access": bool(sub.get("privateIpGoogleAccess")),
            "map_public_ip": None,
        }
        node = Node(
            sub_id,
            NodeKind.SUBNET,
            sub.get("name", sub_id),
            PROVIDER,
            short(sub.get("region")),
            props,
        )
        part.nodes.append(node)
        part.edges.append(Edge(sub_id, net, EdgeKind.IN_NETWORK))
    for net in data["networks"]:
        net_id = compute_id(net["selfLink"])
        name = net.get("name", net_id)
        cidrs = [net["IPv4Range"]] if net.get("IPv4Range") else subnet_cidrs.get(net_id, [])
        props = {
            "native_id": name,
            "account": project,
            "cidrs": cidrs,
            "is_default": name == "default",
            "auto_create_subnetworks": net.get("autoCreateSubnetworks"),
            "routing_mode": (net.get("routingConfig") or {}).get("routingMode"),
        }
        part.nodes.append(Node(net_id, NodeKind.NETWORK, name, PROVIDER, "global", props))
        rules = sorted(
            rules_by_net.get(net_id, []), key=lambda r: (r["priority"], r["action"] != "deny")
        )
        fw_props = {
            "native_id": name,
            "account": project,
            "scope": "instance",
            "network": net_id,
            "rules": [*rules, *IMPLIED_RULES],
        }
        fw_id = firewall_id(net_id)
        part.nodes.append(
            Node(fw_id, NodeKind.FIREWALL, f"{name} firewall rules", PROVIDER, "global", fw_props)
        )
        part.edges.append(Edge(fw_id, net_id, EdgeKind.IN_NETWORK))
    return part
