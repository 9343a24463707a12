"""Service accounts (their user-managed keys and IAM policies) and role definitions.

Role definitions are documents keyed by role name (``roles/…``, ``projects/P/roles/…``,
``organizations/O/roles/…``): the project's custom roles are listed here; predefined roles
are read one by one afterwards, only those some collected policy references.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from blastscope.graph.model import Node, NodeKind, Partial, Warning
from blastscope.providers.gcp.names import PROVIDER, principal_nodes, sa_id, short
from blastscope.providers.gcp.session import GcpSession, is_fatal, to_warning

SERVICE = "iam"
HOST = "iam.googleapis.com"


def get_service_accounts(session: GcpSession, project: str) -> list[dict[str, Any]]:
    return list(session.pages(HOST, f"/v1/projects/{project}/serviceAccounts", "accounts"))


def get_keys(session: GcpSession, name: str) -> list[dict[str, Any]]:
    data = session.get_json(HOST, f"/v1/{name}/keys", {"keyTypes": "USER_MANAGED"})
    return list(data.get("keys") or [])


def get_sa_policy(session: GcpSession, name: str) -> dict[str, Any]:
    """``serviceAccounts.getIamPolicy`` is a POST by API design; it reads only."""
    return session.get_json(
        HOST, f"/v1/{name}:getIamPolicy", {"options.requestedPolicyVersion": 3}, method="POST"
    )


def get_custom_roles(session: GcpSession, parent: str) -> list[dict[str, Any]]:
    return list(session.pages(HOST, f"/v1/{parent}/roles", "roles", {"view": "FULL"}))


def get_role(session: GcpSession, name: str) -> dict[str, Any]:
    return session.get_json(HOST, f"/v1/{name}")


def collect(session: GcpSession, project: str, *, now: datetime | None = None) -> Partial:
    part = Partial()
    accounts = get_service_accounts(session, project)
    keys: dict[str, list[dict[str, Any]] | None] = {}
    policies: dict[str, dict[str, Any] | None] = {}
    for sa in accounts:
        for what, reader, store in (
            ("keys", get_keys, keys),
            ("policy", get_sa_policy, policies),
        ):
            try:
                store[sa["name"]] = reader(session, sa["name"])  # type: ignore[operator]
            except Exception as exc:  # noqa: BLE001 - one account's detail is a warning
                if is_fatal(exc):
                    raise
                w = to_warning(SERVICE, "global", exc)
                msg = f"{sa.get('email')} {what}: {w.message}"
                part.warnings.append(Warning(SERVICE, "global", w.error, msg))
                store[sa["name"]] = None
    part.extend(transform_service_accounts(project, accounts, keys, policies, now=now))
    try:
        roles = get_custom_roles(session, f"projects/{project}")
    except Exception as exc:  # noqa: BLE001
        if is_fatal(exc):
            raise
        part.warnings.append(to_warning("iam-roles", "global", exc))
    else:
        part.documents.update(transform_roles(roles))
    return part


def transform_service_accounts(
    project: str,
    accounts: list[dict[str, Any]],
    keys: dict[str, list[dict[str, Any]] | None],
    policies: dict[str, dict[str, Any] | None],
    *,
    now: datetime | None = None,
) -> Partial:
    """Service accounts (REST shape) → identity nodes with key ages; policies → documents."""
    part = Partial()
    clock = now or datetime.now(UTC)
    for sa in accounts:
        email = sa["email"]
        node_id = sa_id(email, sa.get("projectId") or project)
        unknown = []
        access_keys: list[dict[str, Any]] | None = None
        if keys.get(sa["name"]) is None:
            unknown.append("access_keys")
        else:
            access_keys = [_key(k, clock) for k in keys[sa["name"]] or []]
        policy = policies.get(sa["name"])
        if policy is None:
            unknown.append("policy")
        else:
            part.documents[f"{node_id}#iam"] = policy
            part.nodes.extend(principal_nodes(policy, project))
        props: dict[str, Any] = {
            "principal_type": "service_account",
            "email": email,
            "account": sa.get("projectId") or project,
            "native_id": email,
            "unique_id": sa.get("uniqueId"),
            "display_name": sa.get("displayName"),
            "disabled": bool(sa.get("disabled")),
            "access_keys": access_keys,
            "policy": f"{node_id}#iam" if policy is not None else None,
            "console": False,
            "mfa": None,
        }
        if unknown:
            props["unknown"] = unknown
        part.nodes.append(Node(node_id, NodeKind.IDENTITY, email, PROVIDER, "global", props))
    return part


def _key(raw: dict[str, Any], now: datetime) -> dict[str, Any]:
    created = raw.get("validAfterTime")
    age = None
    if created:
        try:
            when = datetime.fromisoformat(created.replace("Z", "+00:00"))
            age = (now - when).days
        except ValueError:
            age = None
    return {
        "id_suffix": short(raw.get("name"))[-8:],
        "status": "Inactive" if raw.get("disabled") else "Active",
        "created": created,
        "expires": raw.get("validBeforeTime"),
        "age_days": age,
        "last_used": None,
    }


def transform_roles(roles: list[dict[str, Any]]) -> dict[str, Any]:
    """Role definitions (REST shape) → documents keyed by role name; deleted ones dropped."""
    return {r["name"]: r for r in roles if r.get("name") and not r.get("deleted")}


def referenced_roles(documents: dict[str, Any]) -> set[str]:
    """Role names that some collected allow policy binds."""
    out: set[str] = set()
    for doc_id, doc in documents.items():
        if doc_id.endswith("#iam") and isinstance(doc, dict):
            for binding in doc.get("bindings") or []:
                if binding.get("role"):
                    out.add(binding["role"])
    return out
