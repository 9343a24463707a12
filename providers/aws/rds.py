"""A region's RDS DB instances: engine, public flag, endpoint, security groups, encryption."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from blastscope.graph.model import Edge, EdgeKind, NodeKind, Partial
from blastscope.providers.aws.common import Ctx, Gaps, node, tags
from blastscope.providers.aws.kms import key_ref
from blastscope.providers.aws.session import Clients, paginate


def get_databases(clients: Clients, ctx: Ctx, _gaps: Gaps) -> list[dict[str, Any]]:
    """DB instances, paginated (tags come inline in ``TagList``)."""
    rds = clients.client("rds", ctx.region)
    return paginate(rds, "describe_db_instances", "DBInstances")


def transform_databases(databases: list[Mapping[str, Any]], ctx: Ctx) -> Partial:
    """DB instances → ``database`` nodes with ``protected_by``, ``in_subnet`` and
    ``encrypted_by`` edges. A DB in a subnet group may live in any of its subnets."""
    part = Partial()
    for db in databases:
        name = db["DBInstanceIdentifier"]
        arn = db.get("DBInstanceArn") or ctx.arn("rds", f"db:{name}")
        endpoint = db.get("Endpoint") or {}
        props: dict[str, Any] = {
            "account": ctx.account,
            "native_id": name,
            "engine": db.get("Engine"),
            "engine_version": db.get("EngineVersion"),
            "public": bool(db.get("PubliclyAccessible")),
            "encrypted": bool(db.get("StorageEncrypted")),
            "endpoint": endpoint.get("Address"),
            "port": endpoint.get("Port") or db.get("DbInstancePort"),
            "status": db.get("DBInstanceStatus"),
            "iam_auth": bool(db.get("IAMDatabaseAuthenticationEnabled")),
            "authorized_networks": [],
            "tags": tags(db.get("TagList")),
        }
        part.nodes.append(node(arn, NodeKind.DATABASE, name, ctx.region, props))
        for group in db.get("VpcSecurityGroups") or []:
            part.edges.append(
                Edge(
                    arn,
                    ctx.ec2_arn("security-group", group["VpcSecurityGroupId"]),
                    EdgeKind.PROTECTED_BY,
                )
            )
        subnet_group = db.get("DBSubnetGroup") or {}
        props["network"] = (
            ctx.ec2_arn("vpc", subnet_group["VpcId"]) if subnet_group.get("VpcId") else None
        )
        for subnet in subnet_group.get("Subnets") or []:
            if subnet.get("SubnetIdentifier"):
                part.edges.append(
                    Edge(arn, ctx.ec2_arn("subnet", subnet["SubnetIdentifier"]), EdgeKind.IN_SUBNET)
                )
        if db.get("KmsKeyId"):
            part.edges.append(Edge(arn, key_ref(db["KmsKeyId"], ctx), EdgeKind.ENCRYPTED_BY))
    return part
