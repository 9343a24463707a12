"""A region's EBS volumes (attachments, encryption) and the account's own snapshots (sharing).

A snapshot is public when its ``createVolumePermission`` includes the group ``all``; other
entries are the accounts it is shared with.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, NodeKind, Partial
from blastscope.providers.aws.common import MISSING, Ctx, Gaps, known, name_tag, node, tags
from blastscope.providers.aws.kms import key_ref
from blastscope.providers.aws.session import Clients, paginate


def get_storage(clients: Clients, ctx: Ctx, gaps: Gaps) -> dict[str, Any]:
    """Volumes and self-owned snapshots with their create-volume permissions."""
    ec2 = clients.client("ec2", ctx.region)
    volumes = gaps.read(
        lambda: paginate(ec2, "describe_volumes", "Volumes"), what="describe_volumes"
    )
    snapshots = gaps.read(
        lambda: paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"]),
        what="describe_snapshots",
    )

    def permissions(snapshot_id: str) -> Any:
        return gaps.read(
            lambda: ec2.describe_snapshot_attribute(
                SnapshotId=snapshot_id, Attribute="createVolumePermission"
            ).get("CreateVolumePermissions", []),
            what=f"sharing of {snapshot_id}",
        )

    perms: dict[str, Any] = {}
    if snapshots is not MISSING:
        ids = [s["SnapshotId"] for s in snapshots]
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="ebs-snap") as pool:
            perms = dict(zip(ids, pool.map(permissions, ids), strict=True))
    return {"Volumes": volumes, "Snapshots": snapshots, "Permissions": perms}


def transform_storage(raw: Mapping[str, Any], ctx: Ctx) -> Partial:
    """Volumes → ``disk`` (``attached_to`` instance, ``encrypted_by`` key); snapshots →
    ``snapshot`` (``public``, ``shared_with``, ``contains`` → source disk)."""
    part = Partial()
    volumes = raw.get("Volumes", MISSING)
    for vol in [] if volumes in (MISSING, None) else volumes:
        vid = vol["VolumeId"]
        arn = ctx.ec2_arn("volume", vid)
        props = {
            "account": ctx.account,
            "native_id": vid,
            "encrypted": bool(vol.get("Encrypted")),
            "size_gb": vol.get("Size"),
            "public": False,  # a volume cannot be shared; its snapshots can
            "state": vol.get("State"),
            "volume_type": vol.get("VolumeType"),
            "kms_key": vol.get("KmsKeyId"),
            "tags": tags(vol.get("Tags")),
        }
        part.nodes.append(
            node(arn, NodeKind.DISK, name_tag(vol.get("Tags"), vid), ctx.region, props)
        )
        for att in vol.get("Attachments") or []:
            if att.get("InstanceId"):
                part.edges.append(
                    Edge(
                        arn,
                        ctx.ec2_arn("instance", att["InstanceId"]),
                        EdgeKind.ATTACHED_TO,
                        {"device": att.get("Device")},
                    )
                )
        if vol.get("KmsKeyId"):
            part.edges.append(Edge(arn, key_ref(vol["KmsKeyId"], ctx), EdgeKind.ENCRYPTED_BY))
    snapshots = raw.get("Snapshots", MISSING)
    perms = raw.get("Permissions") or {}
    for snap in [] if snapshots in (MISSING, None) else snapshots:
        sid = snap["SnapshotId"]
        arn = f"arn:{ctx.partition}:ec2:{ctx.region}::snapshot/{sid}"
        source = ctx.ec2_arn("volume", snap["VolumeId"]) if snap.get("VolumeId") else None
        props: dict[str, Any] = {
            "account": ctx.account,
            "native_id": sid,
            "encrypted": bool(snap.get("Encrypted")),
            "source": source,
            "size_gb": snap.get("VolumeSize"),
            "started": str(snap.get("StartTime")) if snap.get("StartTime") else None,
            "tags": tags(snap.get("Tags")),
        }
        perm = perms.get(sid, MISSING)
        if perm is MISSING:
            known(props, "public", MISSING)
            known(props, "shared_with", MISSING)
        else:
            props["public"] = any(p.get("Group") == "all" for p in perm)
            props["shared_with"] = sorted(p["UserId"] for p in perm if p.get("UserId"))
        part.nodes.append(
            node(arn, NodeKind.SNAPSHOT, name_tag(snap.get("Tags"), sid), ctx.region, props)
        )
        if source and source != ctx.ec2_arn("volume", "vol-ffffffff"):
            part.edges.append(Edge(arn, source, EdgeKind.CONTAINS, {"source": True}))
        if snap.get("KmsKeyId"):
            part.edges.append(Edge(arn, key_ref(snap["KmsKeyId"], ctx), EdgeKind.ENCRYPTED_BY))
    return part
