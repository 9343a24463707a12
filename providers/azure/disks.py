"""Managed disks and snapshots: network access (``networkAccessPolicy``, public network
access) and live SAS exports, which make a disk downloadable by anyone holding the URL."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import EdgeKind, NodeKind, Partial, Warning
from blastscope.providers.azure.clients import Clients
from blastscope.providers.azure.common import edge, props, resource_node, rest_list
from blastscope.providers.azure.errors import attempt

SERVICE = "disks"


def get_disks(clients: Clients, region: str = "global") -> dict[str, Any]:
    """Every managed disk and snapshot of the subscription."""
    warnings: list[Warning] = []
    compute = clients.compute
    disks = rest_list(compute.disks.list())
    snapshots = attempt(
        lambda: rest_list(compute.snapshots.list()), warnings, SERVICE, region, "snapshots"
    )
    return {"disks": disks, "snapshots": snapshots, "warnings": warnings}


def exportable(p: Mapping[str, Any]) -> dict[str, Any]:
    """Export posture: SAS from anywhere (AllowAll), through private links only, or none."""
    policy = p.get("networkAccessPolicy")
    public_access = p.get("publicNetworkAccess")
    open_network = (policy in (None, "AllowAll")) and public_access != "Disabled"
    state = p.get("diskState")
    return {
        "network_access_policy": policy,
        "public_network_access": public_access,
        "disk_state": state,
        "export_open": open_network,
        # an active SAS on an open disk is a URL anyone holding it can download from
        "public": bool(open_network and state in ("ActiveSAS", "ActiveSASFrozen")),
    }


def transform_disks(raw: Mapping[str, Any]) -> Partial:
    """Disk and snapshot nodes; ``attached_to`` VMs; snapshots ``contains`` their source disk."""
    part = Partial(warnings=list(raw.get("warnings", [])))
    for disk in raw.get("disks") or []:
        p = props(disk)
        encryption = (p.get("encryption") or {}).get("type")
        part.nodes.append(
            resource_node(
                disk,
                NodeKind.DISK,
                encrypted=True,  # Azure encrypts every managed disk at rest
                encryption=encryption,
                size_gb=p.get("diskSizeGB"),
                os_type=p.get("osType"),
                **exportable(p),
            )
        )
        vm = disk.get("managedBy")
        if isinstance(vm, str) and "/virtualmachines/" in vm.lower():
            part.edges.append(edge(str(disk["id"]), vm, EdgeKind.ATTACHED_TO, device=None))
    for snap in raw.get("snapshots") or []:
        p = props(snap)
        source = (p.get("creationData") or {}).get("sourceResourceId")
        part.nodes.append(
            resource_node(
                snap,
                NodeKind.SNAPSHOT,
                encrypted=True,
                size_gb=p.get("diskSizeGB"),
                shared_with=[],
                source=source,
                **exportable(p),
            )
        )
        if source:
            part.edges.append(edge(str(snap["id"]), source, EdgeKind.CONTAINS, source=True))
    return part
