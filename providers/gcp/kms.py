"""Cloud KMS key rings and keys, with the IAM policies of both (a key inherits its ring's)."""

from __future__ import annotations

from typing import Any

from blastscope.graph.model import Node, NodeKind, Partial, Warning
from blastscope.providers.gcp.names import PROVIDER, principal_nodes, short
from blastscope.providers.gcp.session import GcpSession, is_fatal, to_warning

SERVICE = "kms"
HOST = "cloudkms.googleapis.com"


def resource_id(name: str) -> str:
    return f"//cloudkms.googleapis.com/{name}"


def get_kms_data(session: GcpSession, project: str) -> dict[str, Any]:
    """Every key ring (all locations) with its keys; policies read per ring and key."""
    locations = list(session.pages(HOST, f"/v1/projects/{project}/locations", "locations"))
    rings: list[dict[str, Any]] = []
    for loc in locations:
        rings.extend(session.pages(HOST, f"/v1/{loc['name']}/keyRings", "keyRings"))
    keys: dict[str, list[dict[str, Any]]] = {}
    for ring in rings:
        keys[ring["name"]] = list(
            session.pages(HOST, f"/v1/{ring['name']}/cryptoKeys", "cryptoKeys")
        )
    return {"rings": rings, "keys": keys}


def collect(session: GcpSession, project: str) -> Partial:
    data = get_kms_data(session, project)
    policies: dict[str, dict[str, Any] | None] = {}
    warnings: list[Warning] = []
    names = [r["name"] for r in data["rings"]]
    names += [k["name"] for ks in data["keys"].values() for k in ks]
    for name in names:
        try:
            policies[name] = session.get_json(
                HOST, f"/v1/{name}:getIamPolicy", {"options.requestedPolicyVersion": 3}
            )
        except Exception as exc:  # noqa: BLE001 - one policy is a warning
            if is_fatal(exc):
                raise
            w = to_warning(SERVICE, "global", exc)
            warnings.append(Warning(SERVICE, "global", w.error, f"{short(name)}: {w.message}"))
            policies[name] = None
    part = transform_kms(project, data, policies)
    part.warnings.extend(warnings)
    return part


def transform_kms(
    project: str, data: dict[str, Any], policies: dict[str, dict[str, Any] | None]
) -> Partial:
    """Keys (REST shape) → key nodes; ring and key policies → documents.

    Key rings are not nodes: a key's ``iam_ancestors`` names its ring, whose policy the
    analysis inherits into the key.
    """
    part = Partial()
    for ring in data["rings"]:
        ring_id = resource_id(ring["name"])
        policy = policies.get(ring["name"])
        if policy is not None:
            part.documents[f"{ring_id}#iam"] = policy
            part.nodes.extend(principal_nodes(policy, project))
        for key in data["keys"].get(ring["name"], []):
            key_id = resource_id(key["name"])
            key_policy = policies.get(key["name"])
            primary = key.get("primary") or {}
            unknown = []
            if key_policy is None:
                unknown.append("policy")
            else:
                part.documents[f"{key_id}#iam"] = key_policy
                part.nodes.extend(principal_nodes(key_policy, project))
            if policy is None:
                unknown.append("ring_policy")
            props: dict[str, Any] = {
                "native_id": short(key["name"]),
                "account": project,
                "tags": dict(key.get("labels") or {}),
                "policy": f"{key_id}#iam" if key_policy is not None else None,
                "key_ring": ring_id,
                "iam_ancestors": [ring_id],
                "key_manager": "CUSTOMER",
                "state": primary.get("state"),
                "rotation": key.get("rotationPeriod"),
                "purpose": key.get("purpose"),
                "protection_level": primary.get("protectionLevel")
                or (key.get("versionTemplate") or {}).get("protectionLevel"),
                "created": key.get("createTime"),
            }
            if unknown:
                props["unknown"] = unknown
            location = key["name"].split("/locations/", 1)[1].split("/", 1)[0]
            part.nodes.append(
                Node(key_id, NodeKind.KEY, short(key["name"]), PROVIDER, location, props)
            )
    return part
