"""Instances (with their service account and access scopes), disks and snapshots.

Instance metadata can hold startup scripts with credentials in them: every value except
public SSH keys is scanned with :func:`providers.secrets.scan_text`; only findings are kept.
"""

from __future__ import annotations

from typing import Any

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial
from blastscope.providers.gcp.names import PROVIDER, compute_id, sa_id, sa_node, short
from blastscope.providers.gcp.network import aggregated, firewall_id, listed
from blastscope.providers.gcp.session import GcpSession
from blastscope.providers.secrets import scan_text

SERVICE = "compute"
SCOPE_PREFIX = "https://www.googleapis.com/auth/"
FULL_SCOPES = {"cloud-platform"}
NOT_SCANNED = {"ssh-keys", "sshKeys"}
"""Metadata keys holding public keys only."""


def kms_key_id(name: str | None) -> str | None:
    """A KMS key (version) name → the key's node id."""
    if not name:
        return None
    return "//cloudkms.googleapis.com/" + name.split("/cryptoKeyVersions/", 1)[0]


def get_compute_data(session: GcpSession, project: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "instances": aggregated(session, session.compute("InstancesClient"), "instances", project),
        "disks": aggregated(session, session.compute("DisksClient"), "disks", project),
        "snapshots": listed(session, session.compute("SnapshotsClient"), project),
    }


def collect(session: GcpSession, project: str) -> Partial:
    return transform_compute_data(project, get_compute_data(session, project))


def scope_note(scopes: list[str]) -> tuple[bool, str]:
    """Whether access scopes let the instance's token use every permission of its account."""
    if FULL_SCOPES & set(scopes):
        return True, "cloud-platform scope: the token carries every permission of the account"
    listing = ", ".join(scopes) or "none"
    return False, (
        f"access scopes limit the instance's token to: {listing}; the account's other "
        "permissions need another way to get a token"
    )


def transform_instance(project: str, inst: dict[str, Any]) -> Partial:
    """One instance (REST shape) → instance node, its edges and embedded-secret findings."""
    part = Partial()
    node_id = compute_id(inst["selfLink"])
    name = inst.get("name", node_id)
    zone = short(inst.get("zone"))
    public_ips, private_ips, ipv6 = [], [], []
    for nic in inst.get("networkInterfaces") or []:
        if nic.get("networkIP"):
            private_ips.append(nic["networkIP"])
        for cfg in nic.get("accessConfigs") or []:
            if cfg.get("natIP"):
                public_ips.append(cfg["natIP"])
        for cfg in nic.get("ipv6AccessConfigs") or []:
            if cfg.get("externalIpv6"):
                public_ips.append(cfg["externalIpv6"])
        if nic.get("ipv6Address"):
            ipv6.append(nic["ipv6Address"])
        net = compute_id(nic.get("network", ""))
        part.edges.append(Edge(node_id, net, EdgeKind.IN_NETWORK))
        part.edges.append(Edge(node_id, firewall_id(net), EdgeKind.PROTECTED_BY))
        if nic.get("subnetwork"):
            part.edges.append(Edge(node_id, compute_id(nic["subnetwork"]), EdgeKind.IN_SUBNET))
    emails, scopes = [], []
    for sa in inst.get("serviceAccounts") or []:
        email = sa.get("email")
        if not email:
            continue
        emails.append(email)
        these = [s.removeprefix(SCOPE_PREFIX) for s in sa.get("scopes") or []]
        scopes.extend(s for s in these if s not in scopes)
        full, note = scope_note(these)
        part.nodes.append(sa_node(email, project))
        part.edges.append(
            Edge(
                node_id,
                sa_id(email, project),
                EdgeKind.RUNS_AS,
                {
                    "via": "service_account",
                    "oauth_scopes": these,
                    "full_access": full,
                    "note": note,
                    "reason": f"{name} runs as {email}; {note}",
                },
            )
        )
    findings: list[dict[str, Any]] = []
    meta: dict[str, str] = {}
    for item in (inst.get("metadata") or {}).get("items") or []:
        key, value = item.get("key", ""), item.get("value")
        meta[key] = "" if value is None else str(value)
        if key not in NOT_SCANNED:
            findings.extend(scan_text(value, location=f"metadata:{key}"))
    for finding in findings:
        secret_id = f"{node_id}#secret/{finding['hash_prefix']}"
        part.nodes.append(
            Node(
                secret_id,
                NodeKind.SECRET,
                f"{finding['type']} in {name} metadata",
                PROVIDER,
                zone,
                {"embedded": True, "finding": finding, "account": project},
            )
        )
        part.edges.append(Edge(node_id, secret_id, EdgeKind.CONTAINS))
    for disk in inst.get("disks") or []:
        if disk.get("source"):
            part.edges.append(
                Edge(
                    compute_id(disk["source"]),
                    node_id,
                    EdgeKind.ATTACHED_TO,
                    {"device": disk.get("deviceName"), "boot": bool(disk.get("boot"))},
                )
            )
    props = {
        "native_id": name,
        "instance_id": inst.get("id"),
        "account": project,
        "tags": dict(inst.get("labels") or {}),
        "state": str(inst.get("status", "")).lower() or None,
        "machine_type": short(inst.get("machineType")),
        "public_ips": public_ips,
        "private_ips": private_ips,
        "ipv6_addresses": ipv6,
        "network_tags": list((inst.get("tags") or {}).get("items") or []),
        "service_accounts": emails,
        "oauth_scopes": scopes,
        "metadata_keys": sorted(meta),
        "os_login": _flag(meta.get("enable-oslogin")),
        "block_project_ssh_keys": _flag(meta.get("block-project-ssh-keys")),
        "user_data_findings": findings,
        "image": None,
        "platform": None,
    }
    part.nodes.append(Node(node_id, NodeKind.INSTANCE, name, PROVIDER, zone, props))
    return part


def _flag(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() in ("true", "1", "yes")


def transform_compute_data(project: str, data: dict[str, list[dict[str, Any]]]) -> Partial:
    part = Partial()
    for inst in data["instances"]:
        part.extend(transform_instance(project, inst))
    for disk in data["disks"]:
        disk_id = compute_id(disk["selfLink"])
        key = kms_key_id((disk.get("diskEncryptionKey") or {}).get("kmsKeyName"))
        props = {
            "native_id": disk.get("name"),
            "account": project,
            "tags": dict(disk.get("labels") or {}),
            "size_gb": int(disk.get("sizeGb", 0) or 0),
            "encrypted": True,
            "key_manager": "CUSTOMER" if key else "GOOGLE",
            "public": False,
            "type": short(disk.get("type")),
            "source_image": short(disk.get("sourceImage")) or None,
        }
        where = short(disk.get("zone") or disk.get("region"))
        part.nodes.append(
            Node(disk_id, NodeKind.DISK, disk.get("name", disk_id), PROVIDER, where, props)
        )
        if key:
            part.edges.append(Edge(disk_id, key, EdgeKind.ENCRYPTED_BY))
    for snap in data["snapshots"]:
        snap_id = compute_id(snap["selfLink"])
        key = kms_key_id((snap.get("snapshotEncryptionKey") or {}).get("kmsKeyName"))
        source = compute_id(snap["sourceDisk"]) if snap.get("sourceDisk") else None
        props = {
            "native_id": snap.get("name"),
            "account": project,
            "tags": dict(snap.get("labels") or {}),
            "encrypted": True,
            "key_manager": "CUSTOMER" if key else "GOOGLE",
            "source": source,
            "size_gb": int(snap.get("diskSizeGb", 0) or 0),
            "created": snap.get("creationTimestamp"),
            "public": None,
            "shared_with": None,
            "unknown": ["public", "shared_with"],
        }
        part.nodes.append(
            Node(snap_id, NodeKind.SNAPSHOT, snap.get("name", snap_id), PROVIDER, "global", props)
        )
        if source:
            part.edges.append(Edge(snap_id, source, EdgeKind.CONTAINS, {"source": True}))
        if key:
            part.edges.append(Edge(snap_id, key, EdgeKind.ENCRYPTED_BY))
    return part
