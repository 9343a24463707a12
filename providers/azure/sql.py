"""Azure SQL servers (database nodes): public network access and firewall rules.

A firewall rule 0.0.0.0-0.0.0.0 is Azure's "allow Azure services" switch, not the internet;
any other range admitting public addresses makes the server reachable from there.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import NodeKind, Partial, Warning
from blastscope.providers.azure.clients import Clients
from blastscope.providers.azure.common import lower, props, resource_group, resource_node, rest_list
from blastscope.providers.azure.errors import attempt

SERVICE = "sql"


def get_sql(clients: Clients, region: str = "global") -> dict[str, Any]:
    """SQL servers with their firewall rules and databases."""
    warnings: list[Warning] = []
    sql = clients.sql
    servers = rest_list(sql.servers.list())
    rules: dict[str, list[dict[str, Any]] | None] = {}
    databases: dict[str, list[dict[str, Any]] | None] = {}
    for server in servers:
        rg, name, key = resource_group(server["id"]), server.get("name"), lower(server["id"])
        rules[key] = attempt(
            lambda rg=rg, name=name: rest_list(sql.firewall_rules.list_by_server(rg, name)),
            warnings,
            SERVICE,
            region,
            f"firewall rules of {name}",
        )
        databases[key] = attempt(
            lambda rg=rg, name=name: rest_list(sql.databases.list_by_server(rg, name)),
            warnings,
            SERVICE,
            region,
            f"databases of {name}",
        )
    return {"servers": servers, "rules": rules, "databases": databases, "warnings": warnings}


def rule_cidrs(rule: Mapping[str, Any]) -> list[str]:
    """A firewall rule's start-end range as CIDRs."""
    p = props(rule)
    try:
        start = ipaddress.IPv4Address(str(p.get("startIpAddress")))
        end = ipaddress.IPv4Address(str(p.get("endIpAddress")))
    except ValueError:
        return []
    if end < start:
        return []
    return [str(n) for n in ipaddress.summarize_address_range(start, end)]


_PRIVATE = tuple(
    ipaddress.ip_network(c)
    for c in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "0.0.0.0/32",
    )
)


def admits_public(cidr: str) -> bool:
    """Does the range reach beyond private address space (so the internet can connect)?"""
    net = ipaddress.ip_network(cidr)
    return not any(net.subnet_of(block) for block in _PRIVATE)  # type: ignore[arg-type]


def transform_sql(raw: Mapping[str, Any]) -> Partial:
    """One database node per SQL server."""
    part = Partial(warnings=list(raw.get("warnings", [])))
    for server in raw.get("servers") or []:
        p = props(server)
        key = lower(server["id"])
        rules = (raw.get("rules") or {}).get(key)
        dbs = (raw.get("databases") or {}).get(key)
        unknown: list[str] = []
        networks: list[str] | None = None
        allow_azure = None
        if rules is None:
            unknown += ["authorized_networks", "public"]
        else:
            networks = []
            allow_azure = False
            for rule in rules:
                cidrs = rule_cidrs(rule)
                if cidrs == ["0.0.0.0/32"]:
                    allow_azure = True
                    continue
                networks.extend(cidrs)
        disabled = p.get("publicNetworkAccess") == "Disabled"
        public: bool | None
        if disabled:
            public = False
        elif networks is None:
            public = None
        else:
            public = any(admits_public(c) for c in networks)
        part.nodes.append(
            resource_node(
                server,
                NodeKind.DATABASE,
                engine="sqlserver",
                version=p.get("version"),
                public=public,
                encrypted=None,
                endpoint=p.get("fullyQualifiedDomainName"),
                port=1433,
                authorized_networks=sorted(set(networks)) if networks is not None else None,
                allow_azure_services=allow_azure,
                public_network_access=p.get("publicNetworkAccess"),
                administrator_login=p.get("administratorLogin"),
                entra_only_auth=(p.get("administrators") or {}).get("azureADOnlyAuthentication"),
                databases=(
                    sorted(str(d.get("name")) for d in dbs if d.get("name") != "master")
                    if dbs is not None
                    else None
                ),
                unknown=unknown + ([] if dbs is not None else ["databases"]),
            )
        )
    return part
