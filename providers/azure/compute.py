"""Virtual machines: their NICs (subnet, NIC-level NSG, private and public IPs), managed
identities (``runs_as``), and secrets found in custom data / user data (never stored).

NICs and public IPs are folded into the VM: the model has no NIC kind, and exposure needs
the addresses a VM holds directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import EdgeKind, NodeKind, Partial, Warning
from blastscope.providers.azure.clients import Clients
from blastscope.providers.azure.common import (
    edge,
    last_segment,
    lower,
    node,
    parent_id,
    props,
    ref_id,
    resource_group,
    resource_node,
    rest,
    rest_list,
    subscription_of,
    system_identity_id,
)
from blastscope.providers.azure.errors import attempt
from blastscope.providers.secrets import scan_text

SERVICE = "compute"


def get_vms(clients: Clients, region: str = "global") -> dict[str, Any]:
    """VMs, their power states, each VM's user data, NICs and public IPs (all reads)."""
    warnings: list[Warning] = []
    compute, network = clients.compute, clients.network
    vms = rest_list(compute.virtual_machines.list_all())
    states = attempt(
        lambda: rest_list(compute.virtual_machines.list_all(status_only="true")),
        warnings,
        SERVICE,
        region,
        "power states",
    )
    user_data: dict[str, str | None] = {}
    for vm in vms:
        rg, name = resource_group(vm["id"]), vm.get("name")
        full = attempt(
            lambda rg=rg, name=name: rest(
                compute.virtual_machines.get(rg, name, expand="userData")
            ),
            warnings,
            SERVICE,
            region,
            f"user data of {name}",
        )
        user_data[lower(vm["id"])] = props(full).get("userData") if full else None
    nics = attempt(
        lambda: rest_list(network.network_interfaces.list_all()),
        warnings,
        SERVICE,
        region,
        "network interfaces",
    )
    pips = attempt(
        lambda: rest_list(network.public_ip_addresses.list_all()),
        warnings,
        SERVICE,
        region,
        "public IP addresses",
    )
    return {
        "vms": vms,
        "states": states,
        "user_data": user_data,
        "nics": nics,
        "public_ips": pips,
        "warnings": warnings,
    }


def transform_vms(raw: Mapping[str, Any]) -> Partial:
    """VMs → instance nodes, identity nodes, secret findings and structural edges."""
    part = Partial(warnings=list(raw.get("warnings", [])))
    nics = {lower(n["id"]): n for n in raw.get("nics") or []}
    pips = {lower(p["id"]): p for p in raw.get("public_ips") or []}
    states = _power_states(raw.get("states"))
    for vm in raw.get("vms") or []:
        _transform_vm(vm, raw, nics, pips, states, part)
    return part


def _transform_vm(
    vm: Mapping[str, Any],
    raw: Mapping[str, Any],
    nics: Mapping[str, Any],
    pips: Mapping[str, Any],
    states: Mapping[str, str] | None,
    part: Partial,
) -> None:
    vm_id = str(vm["id"])
    p = props(vm)
    unknown: list[str] = []
    storage = p.get("storageProfile") or {}
    image = storage.get("imageReference") or {}
    public_ips: list[str] | None = []
    private_ips: list[str] | None = []
    ipv6: list[str] | None = []
    nic_refs = [ref_id(n) for n in (p.get("networkProfile") or {}).get("networkInterfaces") or []]
    if raw.get("nics") is None:
        public_ips = private_ips = ipv6 = None
        unknown += ["public_ips", "private_ips", "ipv6_addresses"]
    else:
        for nic_id in filter(None, nic_refs):
            nic = nics.get(lower(nic_id))
            if nic is None:
                continue
            _nic_edges(vm_id, nic, part)
            for cfg in props(nic).get("ipConfigurations") or []:
                cp = props(cfg)
                addr = cp.get("privateIPAddress")
                if addr:
                    target = ipv6 if cp.get("privateIPAddressVersion") == "IPv6" else private_ips
                    assert target is not None
                    target.append(addr)
                pip_id = ref_id(cp.get("publicIPAddress"))
                if pip_id and public_ips is not None:
                    if raw.get("public_ips") is None:
                        public_ips = None
                        unknown.append("public_ips")
                        continue
                    # the listing, else the reference itself when it came expanded
                    pip = pips.get(lower(pip_id)) or cp.get("publicIPAddress")
                    address = props(pip).get("ipAddress") if pip else None
                    if address:
                        public_ips.append(address)
    findings = _secret_findings(vm_id, p, raw.get("user_data", {}).get(lower(vm_id)), part)
    identity = vm.get("identity") or {}
    state = states.get(lower(vm_id)) if states is not None else None
    if states is None:
        unknown.append("state")
    part.nodes.append(
        resource_node(
            vm,
            NodeKind.INSTANCE,
            state=state,
            public_ips=public_ips,
            private_ips=private_ips,
            ipv6_addresses=ipv6,
            image=image.get("id")
            or ":".join(str(image.get(k, "")) for k in ("publisher", "offer", "sku", "version"))
            or None,
            image_created=None,
            platform=(storage.get("osDisk") or {}).get("osType"),
            vm_size=(p.get("hardwareProfile") or {}).get("vmSize"),
            vm_id=p.get("vmId"),
            identity_type=identity.get("type"),
            user_data_findings=findings,
            unknown=unknown,
        )
    )
    _identities(vm_id, vm, part)


def _nic_edges(vm_id: str, nic: Mapping[str, Any], part: Partial) -> None:
    np = props(nic)
    nsg = ref_id(np.get("networkSecurityGroup"))
    if nsg:
        part.edges.append(edge(vm_id, nsg, EdgeKind.PROTECTED_BY, via=str(nic["id"])))
    for cfg in np.get("ipConfigurations") or []:
        subnet = ref_id(props(cfg).get("subnet"))
        if subnet:
            part.edges.append(edge(vm_id, subnet, EdgeKind.IN_SUBNET, via=str(nic["id"])))
            part.edges.append(edge(vm_id, parent_id(subnet), EdgeKind.IN_NETWORK))


def _identities(vm_id: str, vm: Mapping[str, Any], part: Partial) -> None:
    identity = vm.get("identity") or {}
    kind = str(identity.get("type") or "").lower()
    sub = subscription_of(vm_id) or ""
    if "systemassigned" in kind:
        ident = system_identity_id(vm_id)
        part.nodes.append(
            node(
                ident,
                NodeKind.IDENTITY,
                f"{vm.get('name')} (system-assigned)",
                subscription=sub,
                region=str(vm.get("location") or ""),
                principal_type="managed_identity",
                assignment="system",
                principal_id=identity.get("principalId"),
                tenant_id=identity.get("tenantId"),
                attached_to=vm_id,
            )
        )
        part.edges.append(edge(vm_id, ident, EdgeKind.RUNS_AS, via="system_assigned"))
    for ident, detail in (identity.get("userAssignedIdentities") or {}).items():
        detail = detail or {}
        part.nodes.append(
            node(
                ident,
                NodeKind.IDENTITY,
                last_segment(ident),
                subscription=subscription_of(ident) or sub,
                principal_type="managed_identity",
                assignment="user",
                principal_id=detail.get("principalId"),
                client_id=detail.get("clientId"),
            )
        )
        part.edges.append(edge(vm_id, ident, EdgeKind.RUNS_AS, via="user_assigned"))


def _secret_findings(
    vm_id: str, p: Mapping[str, Any], user_data: str | None, part: Partial
) -> list[dict[str, Any]]:
    """Scan custom data (when ARM returns it) and user data; keep findings, never the text."""
    findings: list[dict[str, Any]] = []
    custom = (p.get("osProfile") or {}).get("customData")
    for text, where in ((custom, "custom_data"), (user_data or p.get("userData"), "user_data")):
        if text:
            findings.extend(scan_text(text, location=where))
    seen: set[str] = set()
    for finding in findings:
        ident = f"{vm_id}#secret/{finding['hash_prefix']}"
        if ident in seen:
            continue
        seen.add(ident)
        part.nodes.append(
            node(
                ident,
                NodeKind.SECRET,
                f"{finding['type']} in {finding['location']}",
                subscription=subscription_of(vm_id) or "",
                embedded=True,
                finding=finding,
            )
        )
        part.edges.append(edge(vm_id, ident, EdgeKind.CONTAINS))
    return findings


def _power_states(raw: list[dict[str, Any]] | None) -> dict[str, str] | None:
    if raw is None:
        return None
    out: dict[str, str] = {}
    for vm in raw:
        statuses = (props(vm).get("instanceView") or {}).get("statuses") or []
        for status in statuses:
            code = str(status.get("code") or "")
            if code.startswith("PowerState/"):
                out[lower(vm.get("id"))] = code.split("/", 1)[1]
    return out
