"""Cloud Storage buckets: settings, ACLs (when not uniform) and the bucket IAM policy.

A bucket is public when its IAM policy or ACL grants ``allUsers`` or
``allAuthenticatedUsers``; when the policy cannot be read, ``public`` is unknown (null).
"""

from __future__ import annotations

from typing import Any

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Warning
from blastscope.providers.gcp.compute import kms_key_id
from blastscope.providers.gcp.names import PROVIDER, PUBLIC_MEMBERS, policy_members, principal_nodes
from blastscope.providers.gcp.session import (
    GcpSession,
    guarded_pages,
    is_fatal,
    to_warning,
)

SERVICE = "storage"


def bucket_id(name: str) -> str:
    return f"//storage.googleapis.com/projects/_/buckets/{name}"


def get_buckets(session: GcpSession, project: str) -> list[dict[str, Any]]:
    client = session.storage(project)

    def read() -> list[dict[str, Any]]:
        found = client.list_buckets(
            project=project, projection="full", timeout=session.timeout, retry=None
        )
        pages = guarded_pages(found, lambda _page: found.next_page_token)
        return [b._properties for page in pages for b in page]

    return session.retry(read)


def get_bucket_policy(session: GcpSession, project: str, name: str) -> dict[str, Any]:
    bucket = session.storage(project).bucket(name)
    policy = session.retry(
        lambda: bucket.get_iam_policy(
            requested_policy_version=3, timeout=session.timeout, retry=None
        )
    )
    return dict(policy.to_api_repr())


def collect(session: GcpSession, project: str) -> Partial:
    part = Partial()
    buckets = get_buckets(session, project)
    policies: dict[str, dict[str, Any] | None] = {}
    for raw in buckets:
        try:
            policies[raw["name"]] = get_bucket_policy(session, project, raw["name"])
        except Exception as exc:  # noqa: BLE001 - one bucket's policy is a warning
            if is_fatal(exc):
                raise
            w = to_warning(SERVICE, "global", exc)
            part.warnings.append(
                Warning(SERVICE, "global", w.error, f"bucket {raw['name']}: {w.message}")
            )
            policies[raw["name"]] = None
    part.extend(transform_buckets(project, buckets, policies))
    return part


def transform_buckets(
    project: str, buckets: list[dict[str, Any]], policies: dict[str, dict[str, Any] | None]
) -> Partial:
    """Buckets (REST shape, ``projection=full``) and their policies → nodes and documents."""
    part = Partial()
    for raw in buckets:
        name = raw["name"]
        node_id = bucket_id(name)
        iam_cfg = raw.get("iamConfiguration") or {}
        uniform = bool((iam_cfg.get("uniformBucketLevelAccess") or {}).get("enabled"))
        acl = [] if uniform else raw.get("acl") or []
        grants = [{"grantee": a.get("entity"), "permission": a.get("role")} for a in acl]
        acl_public = any(g["grantee"] in PUBLIC_MEMBERS for g in grants)
        policy = policies.get(name)
        unknown: list[str] = []
        if policy is None:
            unknown += ["public", "policy"]
            public: bool | None = True if acl_public else None
        else:
            part.documents[f"{node_id}#iam"] = policy
            part.nodes.extend(principal_nodes(policy, project))
            public = acl_public or bool(policy_members(policy) & set(PUBLIC_MEMBERS))
        if raw.get("acl") is None and not uniform:
            unknown.append("acl_grants")
        key = kms_key_id((raw.get("encryption") or {}).get("defaultKmsKeyName"))
        props: dict[str, Any] = {
            "native_id": name,
            "account": project,
            "tags": dict(raw.get("labels") or {}),
            "public": public,
            "policy": f"{node_id}#iam" if policy is not None else None,
            "acl_grants": grants,
            "uniform_access": uniform,
            "public_access_prevention": iam_cfg.get("publicAccessPrevention"),
            "public_access_block": (
                {"public_access_prevention": iam_cfg["publicAccessPrevention"]}
                if iam_cfg.get("publicAccessPrevention")
                else None
            ),
            "encryption": "CUSTOMER_KMS" if key else "GOOGLE_MANAGED",
            "versioning": bool((raw.get("versioning") or {}).get("enabled")),
            "logging": raw.get("logging") or None,
            "location": raw.get("location"),
        }
        if props["public_access_prevention"] == "enforced":
            props["public"] = False
        if unknown:
            props["unknown"] = unknown
        region = str(raw.get("location", "")).lower()
        part.nodes.append(Node(node_id, NodeKind.BUCKET, name, PROVIDER, region, props))
        if key:
            part.edges.append(Edge(node_id, key, EdgeKind.ENCRYPTED_BY))
    return part
