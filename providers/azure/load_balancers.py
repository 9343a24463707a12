"""Load balancers: public when a frontend holds a public IP; ``forwards_to`` the VMs behind
their backend pools (through the NICs' IP configurations) and inbound NAT rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import EdgeKind, NodeKind, Partial, Warning
from blastscope.providers.azure.clients import Clients
from blastscope.providers.azure.common import (
    edge,
    lower,
    props,
    ref_id,
    resource_node,
    rest_list,
)
from blastscope.providers.azure.errors import attempt

SERVICE = "load_balancers"


def get_load_balancers(clients: Clients, region: str = "global") -> dict[str, Any]:
    """Load balancers, plus the NICs and public IPs needed to resolve their frontends and pools."""
    warnings: list[Warning] = []
    net = clients.network
    lbs = rest_list(net.load_balancers.list_all())
    nics = pips = None
    if lbs:
        nics = attempt(
            lambda: rest_list(net.network_interfaces.list_all()),
            warnings,
            SERVICE,
            region,
            "network interfaces",
        )
        pips = attempt(
            lambda: rest_list(net.public_ip_addresses.list_all()),
            warnings,
            SERVICE,
            region,
            "public IP addresses",
        )
    return {"load_balancers": lbs, "nics": nics, "public_ips": pips, "warnings": warnings}


def transform_load_balancers(raw: Mapping[str, Any]) -> Partial:
    """Load balancer nodes and ``forwards_to`` edges to the VMs behind them."""
    part = Partial(warnings=list(raw.get("warnings", [])))
    pips = {lower(p["id"]): p for p in raw.get("public_ips") or []}
    # NIC ip configuration id → the VM owning that NIC
    ipconfig_vm: dict[str, str] = {}
    for nic in raw.get("nics") or []:
        vm = ref_id(props(nic).get("virtualMachine"))
        if vm:
            for cfg in props(nic).get("ipConfigurations") or []:
                ipconfig_vm[lower(cfg.get("id"))] = vm
    for lb in raw.get("load_balancers") or []:
        _lb(lb, pips, raw.get("public_ips") is not None, ipconfig_vm, part)
    return part


def _lb(
    lb: Mapping[str, Any],
    pips: Mapping[str, Any],
    pips_known: bool,
    ipconfig_vm: Mapping[str, str],
    part: Partial,
) -> None:
    lp = props(lb)
    lb_id = str(lb["id"])
    public = False
    addresses: list[str] = []
    dns: str | None = None
    for frontend in lp.get("frontendIPConfigurations") or []:
        fp = props(frontend)
        pip_id = ref_id(fp.get("publicIPAddress"))
        if pip_id:
            public = True
            pip = props(pips.get(lower(pip_id)))
            if pip.get("ipAddress"):
                addresses.append(pip["ipAddress"])
            dns = dns or (pip.get("dnsSettings") or {}).get("fqdn")
        subnet = ref_id(fp.get("subnet"))
        if subnet:
            part.edges.append(edge(lb_id, subnet, EdgeKind.IN_SUBNET))
    listeners: list[dict[str, Any]] = []
    pools: dict[str, list[tuple[int | None, str]]] = {}
    for rule in lp.get("loadBalancingRules") or []:
        rp = props(rule)
        protocol = str(rp.get("protocol") or "All").lower()
        listeners.append({"port": rp.get("frontendPort"), "protocol": protocol})
        backend_port = rp.get("backendPort") or rp.get("frontendPort")
        refs = [ref_id(rp.get("backendAddressPool"))]
        refs += [ref_id(p) for p in rp.get("backendAddressPools") or []]
        for pool in filter(None, refs):
            pools.setdefault(lower(pool), []).append((backend_port, protocol))
    for pool in lp.get("backendAddressPools") or []:
        for port, protocol in pools.get(lower(pool.get("id")), []):
            members = [ref_id(c) for c in props(pool).get("backendIPConfigurations") or []]
            # newer pools list addresses, each naming the NIC IP configuration it is
            members += [
                ref_id(props(a).get("networkInterfaceIPConfiguration"))
                for a in props(pool).get("loadBalancerBackendAddresses") or []
            ]
            for cfg in dict.fromkeys(m for m in members if m):
                vm = ipconfig_vm.get(lower(cfg))
                if vm:
                    part.edges.append(
                        edge(lb_id, vm, EdgeKind.FORWARDS_TO, port=port, protocol=protocol)
                    )
    for nat in lp.get("inboundNatRules") or []:
        np = props(nat)
        protocol = str(np.get("protocol") or "All").lower()
        listeners.append({"port": np.get("frontendPort"), "protocol": protocol})
        vm = ipconfig_vm.get(lower(ref_id(np.get("backendIPConfiguration"))))
        if vm:
            part.edges.append(
                edge(lb_id, vm, EdgeKind.FORWARDS_TO, port=np.get("backendPort"), protocol=protocol)
            )
    unknown = [] if pips_known or not public else ["public_ips", "dns_name"]
    part.nodes.append(
        resource_node(
            lb,
            NodeKind.LOAD_BALANCER,
            public=public,
            dns_name=dns,
            public_ips=addresses if pips_known else None,
            listeners=listeners,
            firewalls=[],
            sku=(lb.get("sku") or {}).get("name"),
            unknown=unknown,
        )
    )
