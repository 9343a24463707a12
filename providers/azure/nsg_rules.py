"""NSG security rules → MODEL.md's firewall-rule shape, with Azure's default rules made explicit.

Azure evaluates an NSG's rules by priority (lower first, first match wins) per direction; the
default rules (65000-65500) end every NSG. Service tags ``Internet`` and ``*`` become
``0.0.0.0/0`` and ``::/0`` so exposure analysis reads them like any other CIDR.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

ANY_SOURCES = ({"cidr": "0.0.0.0/0"}, {"cidr": "::/0"})

DEFAULT_RULES: tuple[dict[str, Any], ...] = tuple(
    {
        "name": name,
        "properties": {
            "description": description,
            "protocol": "*",
            "sourcePortRange": "*",
            "destinationPortRange": "*",
            "sourceAddressPrefix": source,
            "destinationAddressPrefix": destination,
            "access": access,
            "priority": priority,
            "direction": direction,
        },
    }
    for name, description, source, destination, access, priority, direction in (
        (
            "AllowVnetInBound",
            "Allow inbound traffic from all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Inbound",
        ),
        (
            "AllowAzureLoadBalancerInBound",
            "Allow inbound traffic from azure load balancer",
            "AzureLoadBalancer",
            "*",
            "Allow",
            65001,
            "Inbound",
        ),
        ("DenyAllInBound", "Deny all inbound traffic", "*", "*", "Deny", 65500, "Inbound"),
        (
            "AllowVnetOutBound",
            "Allow outbound traffic from all VMs to all VMs in VNET",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Outbound",
        ),
        (
            "AllowInternetOutBound",
            "Allow outbound traffic from all VMs to Internet",
            "*",
            "Internet",
            "Allow",
            65001,
            "Outbound",
        ),
        ("DenyAllOutBound", "Deny all outbound traffic", "*", "*", "Deny", 65500, "Outbound"),
    )
)
"""Azure's documented default rules, used when a response omits ``defaultSecurityRules``."""

_PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "*": "all", "esp": "50", "ah": "51"}


def nsg_rules(nsg_properties: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every rule of an NSG (custom, then default), sorted by direction and priority."""
    custom = nsg_properties.get("securityRules") or []
    defaults = nsg_properties.get("defaultSecurityRules")
    if not defaults:
        defaults = DEFAULT_RULES
    out: list[dict[str, Any]] = []
    for raw in [*custom, *defaults]:
        out.extend(convert_rule(raw))
    out.sort(
        key=lambda r: (r["direction"], r["priority"] if r["priority"] is not None else 1 << 20)
    )
    return out


def convert_rule(raw: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One Azure rule → one model rule per destination port range (same id and priority)."""
    p = raw.get("properties") if isinstance(raw.get("properties"), Mapping) else raw
    assert isinstance(p, Mapping)
    direction = "ingress" if str(p.get("direction", "")).lower() == "inbound" else "egress"
    # For egress rules the model's ``sources`` hold the destinations.
    if direction == "ingress":
        peers = _prefixes(p, "sourceAddressPrefix", "sourceAddressPrefixes")
        asgs = p.get("sourceApplicationSecurityGroups") or []
        local = _prefixes(p, "destinationAddressPrefix", "destinationAddressPrefixes")
    else:
        peers = _prefixes(p, "destinationAddressPrefix", "destinationAddressPrefixes")
        asgs = p.get("destinationApplicationSecurityGroups") or []
        local = _prefixes(p, "sourceAddressPrefix", "sourceAddressPrefixes")
    sources = [s for prefix in peers for s in address_sources(prefix)]
    sources += [{"application_security_group": a.get("id")} for a in asgs if isinstance(a, Mapping)]
    protocol = _PROTOCOLS.get(str(p.get("protocol", "*")).lower(), str(p.get("protocol")).lower())
    priority = p.get("priority")
    base = {
        "id": str(raw.get("name") or raw.get("id") or ""),
        "direction": direction,
        "action": "allow" if str(p.get("access", "")).lower() == "allow" else "deny",
        "priority": _int(priority),
        "protocol": protocol,
        "sources": sources,
        "targets": None,
        "destinations": local,
        "description": str(p.get("description") or ""),
    }
    ports = [_port_range(r) for r in _port_strings(p)]
    if protocol == "all" and any(lo is not None for lo, _ in ports):
        # "Any" with port ranges: the ports bind TCP and UDP; ICMP has no ports. Spelt out so
        # no reader takes protocol "all" for "every port".
        return [
            {**base, "protocol": proto, "from_port": lo, "to_port": hi}
            for proto in ("tcp", "udp")
            for lo, hi in ports
        ] + [{**base, "protocol": "icmp", "from_port": None, "to_port": None}]
    return [{**base, "from_port": lo, "to_port": hi} for lo, hi in ports]


def address_sources(prefix: str) -> list[dict[str, Any]]:
    """One Azure address prefix (CIDR, IP, ``*`` or a service tag) as model sources."""
    text = prefix.strip()
    if text in ("*", "Internet", "internet", "0.0.0.0/0", "0.0.0.0", "Any"):
        return [dict(s) for s in ANY_SOURCES]
    try:
        return [{"cidr": str(ipaddress.ip_network(text, strict=False))}]
    except ValueError:
        return [{"tag": text}]


def _prefixes(p: Mapping[str, Any], single: str, plural: str) -> list[str]:
    values = [v for v in (p.get(plural) or []) if isinstance(v, str) and v]
    if not values and isinstance(p.get(single), str) and p.get(single):
        values = [p[single]]
    return values or ["*"]


def _port_strings(p: Mapping[str, Any]) -> list[str]:
    ranges = [v for v in (p.get("destinationPortRanges") or []) if isinstance(v, str) and v]
    if not ranges:
        single = p.get("destinationPortRange")
        ranges = [single] if isinstance(single, str) and single else ["*"]
    return ranges


def _port_range(text: str) -> tuple[int | None, int | None]:
    text = text.strip()
    if text in ("*", "0-65535"):
        return None, None
    lo, _, hi = text.partition("-")
    try:
        low = int(lo)
        return low, int(hi) if hi else low
    except ValueError:
        return None, None


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
