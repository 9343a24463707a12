"""Cloud SQL instances: engine, public IP and authorized networks (the SQL firewall).

Cloud SQL has no per-instance IAM policy; access comes from project-level roles, which the
analysis inherits. Read over REST (sqladmin v1) with google-auth's session.
"""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions as gexc

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial
from blastscope.providers.gcp.compute import kms_key_id
from blastscope.providers.gcp.names import PROVIDER, compute_id
from blastscope.providers.gcp.session import GcpSession

SERVICE = "cloudsql"
HOST = "sqladmin.googleapis.com"
PORTS = {"MYSQL": 3306, "POSTGRES": 5432, "SQLSERVER": 1433}


def database_id(project: str, name: str) -> str:
    return f"//cloudsql.googleapis.com/projects/{project}/instances/{name}"


def get_instances(session: GcpSession, project: str) -> list[dict[str, Any]]:
    """Instances from sqladmin v1; an endpoint that only serves v1beta4 gets that path."""
    try:
        return list(session.pages(HOST, f"/v1/projects/{project}/instances", "items"))
    except gexc.NotFound:
        return list(session.pages(HOST, f"/sql/v1beta4/projects/{project}/instances", "items"))


def collect(session: GcpSession, project: str) -> Partial:
    return transform_instances(project, get_instances(session, project))


def transform_instances(project: str, instances: list[dict[str, Any]]) -> Partial:
    """Cloud SQL instances (REST shape) → database nodes."""
    part = Partial()
    for raw in instances:
        name = raw["name"]
        node_id = database_id(project, name)
        settings = raw.get("settings") or {}
        ip_cfg = settings.get("ipConfiguration") or {}
        addresses = raw.get("ipAddresses") or []
        public_ips = [a["ipAddress"] for a in addresses if a.get("type") == "PRIMARY"]
        private = [a["ipAddress"] for a in addresses if a.get("type") == "PRIVATE"]
        version = str(raw.get("databaseVersion", ""))
        engine = version.split("_", 1)[0]
        key = kms_key_id((raw.get("diskEncryptionConfiguration") or {}).get("kmsKeyName"))
        props = {
            "native_id": name,
            "account": project,
            "tags": dict(settings.get("userLabels") or {}),
            "engine": version.lower() or None,
            "public": bool(ip_cfg.get("ipv4Enabled")) and bool(public_ips),
            "public_ips": public_ips,
            "private_ips": private,
            "endpoint": (public_ips or private or [None])[0],
            "port": PORTS.get(engine),
            "authorized_networks": [n.get("value") for n in ip_cfg.get("authorizedNetworks") or []],
            "require_ssl": ip_cfg.get("requireSsl"),
            "ssl_mode": ip_cfg.get("sslMode"),
            "encrypted": True,
            "key_manager": "CUSTOMER" if key else "GOOGLE",
            "state": raw.get("state"),
            "connection_name": raw.get("connectionName"),
            "private_network": compute_id(ip_cfg["privateNetwork"])
            if ip_cfg.get("privateNetwork")
            else None,
        }
        part.nodes.append(
            Node(node_id, NodeKind.DATABASE, name, PROVIDER, raw.get("region", ""), props)
        )
        if key:
            part.edges.append(Edge(node_id, key, EdgeKind.ENCRYPTED_BY))
    return part
