"""Instances (with their service account and access scopes), disks and snapshots.

Instance metadata can hold startup scripts with credentials in them: every value except
public SSH keys is scanned with :func:`providers.secrets.scan_text`; only findings are kept.
"""

from __future__ import annotations

from typing import Any

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Warning
from blastscope.providers.gcp.names import (
    PROVIDER,
    PUBLIC_MEMBERS,
    compute_id,
    policy_members,
    principal_nodes,
    project_id,
    sa_id,
    sa_node,
    short,
)
from blastscope.providers.gcp.network import aggregated, firewall_id, listed, to_dict
from blastscope.providers.gcp.session import GcpSession, is_fatal, to_warning
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


def get_project_metadata(session: GcpSession, project: str) -> dict[str, Any]:
    """Project-wide metadata: every instance of the project reads it from its metadata server."""
    client = session.compute("ProjectsClient")
    info = session.retry(lambda: client.get(project=project, timeout=session.timeout, retry=None))
    return to_dict(info).get("commonInstanceMetadata") or {}


def get_snapshot_policy(session: GcpSession, project: str, name: str) -> dict[str, Any]:
    client = session.compute("SnapshotsClient")
    return to_dict(
        session.retry(
            lambda: client.get_iam_policy(
                project=project, resource=name, timeout=session.timeout, retry=None
            )
        )
    )


def collect(session: GcpSession, project: str) -> Partial:
    data = get_compute_data(session, project)
    warnings: list[Warning] = []
    meta: dict[str, Any] | None = None
    try:
        meta = get_project_metadata(session, project)
    except Exception as exc:  # noqa: BLE001 - project metadata is one more read
        if is_fatal(exc):
            raise
        w = to_warning(SERVICE, "global", exc)
        warnings.append(Warning(SERVICE, "global", w.error, f"project metadata: {w.message}"))
    policies: dict[str, dict[str, Any] | None] = {}
    for snap in data["snapshots"]:
        try:
            policies[snap["name"]] = get_snapshot_policy(session, project, snap["name"])
        except Exception as exc:  # noqa: BLE001
            if is_fatal(exc):
                raise
            w = to_warning(SERVICE, "global", exc)
            msg = f"snapshot {snap['name']}: {w.message}"
            warnings.append(Warning(SERVICE, "global", w.error, msg))
            policies[snap["name"]] = None
    part = transform_compute_data(project, data, project_metadata=meta, snapshot_policies=policies)
    part.warnings.extend(warnings)
    return part


def transform_project_metadata(
    project: str, metadata: dict[str, Any], instance_ids: list[str]
) -> Partial:
    """Secrets in project-wide metadata: a finding every instance of the project contains."""
    part = Partial()
    holder = project_id(project)
    for item in metadata.get("items") or []:
        if item.get("key") in NOT_SCANNED:
            continue
        for finding in scan_text(item.get("value"), location=f"project-metadata:{item.get('key')}"):
            secret_id = f"{holder}#secret/{finding['hash_prefix']}"
            part.nodes.append(
                Node(
                    secret_id,
                    NodeKind.SECRET,
                    f"{finding['type']} in {project} project metadata",
                    PROVIDER,
                    "global",
                    {"embedded": True, "finding": finding, "account": project},
                )
            )
            part.edges.append(Edge(holder, secret_id, EdgeKind.CONTAINS))
            part.edges.extend(Edge(i, secret_id, EdgeKind.CONTAINS) for i in instance_ids)
    return part


def scope_note(scopes: list[str]) -> tuple[bool, str]:
    """Whether access scopes let the instance's token use every permission of its account."""
    if FULL_SCOPES & set(scopes):
        return True, "cloud-platform scope: the token carries every permission of the account"
    listing = ", ".join(scopes) or "none"
    return False, (
        f"access scopes limit the instance's token to: {listing}; the account's other "
        "permissions need another way to get a token"
    )


def transform_instance(
    project: str, inst: dict[str, Any], images: dict[str, str] | None = None
) -> Partial:
    """One instance (REST shape) → instance node, its edges and embedded-secret findings.

    ``images`` maps disk ids to their source image, to name the boot image.
    """
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
    image = None
    for disk in inst.get("disks") or []:
        if disk.get("boot") and disk.get("source"):
            image = (images or {}).get(compute_id(disk["source"]))
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
        "image": image,
        "platform": None,
    }
    part.nodes.append(Node(node_id, NodeKind.INSTANCE, name, PROVIDER, zone, props))
    return part


def _flag(value: str | None) -> bool | None:
    return None if value is None else value.strip().lower() in ("true", "1", "yes")


def transform_compute_data(
    project: str,
    data: dict[str, list[dict[str, Any]]],
    *,
    project_metadata: dict[str, Any] | None = None,
    snapshot_policies: dict[str, dict[str, Any] | None] | None = None,
) -> Partial:
    """Instances, disks and snapshots (REST shapes) → nodes, edges and snapshot policies.

    ``project_metadata`` None means it was not read; ``snapshot_policies`` None means no
    snapshot policy was read (each snapshot's ``public`` is then unknown).
    """
    part = Partial()
    images = {
        compute_id(d["selfLink"]): short(d["sourceImage"])
        for d in data["disks"]
        if d.get("sourceImage")
    }
    for inst in data["instances"]:
        part.extend(transform_instance(project, inst, images))
    if project_metadata is not None:
        ids = [compute_id(i["selfLink"]) for i in data["instances"]]
        part.extend(transform_project_metadata(project, project_metadata, ids))
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
        policy = (snapshot_policies or {}).get(snap.get("name", ""))
        props: dict[str, Any] = {
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
            "policy": None,
        }
        if policy is None:
            props["unknown"] = ["public", "shared_with", "policy"]
        else:
            members = policy_members(policy)
            props["public"] = bool(members & set(PUBLIC_MEMBERS))
            props["shared_with"] = sorted(members - set(PUBLIC_MEMBERS))
            props["policy"] = f"{snap_id}#iam"
            part.documents[f"{snap_id}#iam"] = policy
            part.nodes.extend(principal_nodes(policy, project))
        part.nodes.append(
            Node(snap_id, NodeKind.SNAPSHOT, snap.get("name", snap_id), PROVIDER, "global", props)
        )
        if source:
            part.edges.append(Edge(snap_id, source, EdgeKind.CONTAINS, {"source": True}))
        if key:
            part.edges.append(Edge(snap_id, key, EdgeKind.ENCRYPTED_BY))
    return part
