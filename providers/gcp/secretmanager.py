"""Secret Manager secrets: metadata and IAM policy only — never a secret version's payload."""

from __future__ import annotations

from typing import Any

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Warning
from blastscope.providers.gcp.compute import kms_key_id
from blastscope.providers.gcp.names import PROVIDER, principal_nodes, short
from blastscope.providers.gcp.session import GcpSession, is_fatal, to_warning

SERVICE = "secretmanager"
HOST = "secretmanager.googleapis.com"


def secret_id(project: str, name: str) -> str:
    return f"//secretmanager.googleapis.com/projects/{project}/secrets/{name}"


def get_secrets(session: GcpSession, project: str) -> list[dict[str, Any]]:
    return list(session.pages(HOST, f"/v1/projects/{project}/secrets", "secrets"))


def get_secret_policy(session: GcpSession, project: str, name: str) -> dict[str, Any]:
    path = f"/v1/projects/{project}/secrets/{name}:getIamPolicy"
    return session.get_json(HOST, path, {"options.requestedPolicyVersion": 3})


def collect(session: GcpSession, project: str) -> Partial:
    part = Partial()
    secrets = get_secrets(session, project)
    policies: dict[str, dict[str, Any] | None] = {}
    for raw in secrets:
        name = short(raw["name"])
        try:
            policies[name] = get_secret_policy(session, project, name)
        except Exception as exc:  # noqa: BLE001 - one secret's policy is a warning
            if is_fatal(exc):
                raise
            w = to_warning(SERVICE, "global", exc)
            part.warnings.append(Warning(SERVICE, "global", w.error, f"secret {name}: {w.message}"))
            policies[name] = None
    part.extend(transform_secrets(project, secrets, policies))
    return part


def transform_secrets(
    project: str, secrets: list[dict[str, Any]], policies: dict[str, dict[str, Any] | None]
) -> Partial:
    """Secrets (REST shape) and their IAM policies → secret nodes and documents."""
    part = Partial()
    for raw in secrets:
        name = short(raw["name"])
        node_id = secret_id(project, name)
        replication = raw.get("replication") or {}
        keys = []
        auto = replication.get("automatic") or {}
        if (auto.get("customerManagedEncryption") or {}).get("kmsKeyName"):
            keys.append(auto["customerManagedEncryption"]["kmsKeyName"])
        for replica in (replication.get("userManaged") or {}).get("replicas") or []:
            if (replica.get("customerManagedEncryption") or {}).get("kmsKeyName"):
                keys.append(replica["customerManagedEncryption"]["kmsKeyName"])
        rotation = raw.get("rotation") or {}
        policy = policies.get(name)
        props: dict[str, Any] = {
            "native_id": name,
            "account": project,
            "tags": dict(raw.get("labels") or {}),
            "policy": f"{node_id}#iam" if policy is not None else None,
            "rotation": rotation.get("rotationPeriod"),
            "next_rotation": rotation.get("nextRotationTime"),
            "created": raw.get("createTime"),
            "last_changed": None,
            "expires": raw.get("expireTime"),
            "replication": "automatic" if "automatic" in replication else "user_managed",
        }
        if policy is None:
            props["unknown"] = ["policy"]
        else:
            part.documents[f"{node_id}#iam"] = policy
            part.nodes.extend(principal_nodes(policy, project))
        part.nodes.append(Node(node_id, NodeKind.SECRET, name, PROVIDER, "global", props))
        for key in sorted({kms_key_id(k) for k in keys} - {None}):
            part.edges.append(Edge(node_id, str(key), EdgeKind.ENCRYPTED_BY))
    return part
