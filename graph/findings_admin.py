"""Admin-equivalent principals, per cloud: whoever can do anything, or grant themselves that.

- AWS: an Allow of ``Action: "*"`` on ``Resource: "*"`` in an attached, inline or group policy
  (or AdministratorAccess when its document was not collected), unless a permissions boundary
  that was read does not allow the same.
- Azure: a role assignment at subscription, management-group or root scope of a role that can
  do everything *including* authorization (Owner, User Access Administrator, RBAC
  Administrator, or a custom role with ``*`` and no Authorization exclusions); Contributor's
  ``*`` excludes ``Microsoft.Authorization`` writes, so it is not admin-equivalent.
- GCP: a project/folder/organization binding to roles/owner, an IAM-admin role, or a custom
  role holding ``setIamPolicy`` on the container; roles/editor is reported as medium.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from blastscope.graph.findings_base import Hit, Index, Rule, Severity, as_list, statements, strings
from blastscope.graph.model import Node

AZURE_ADMIN_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
    "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
}
GCP_ADMIN_ROLES = {
    "roles/owner",
    "roles/resourcemanager.projectIamAdmin",
    "roles/resourcemanager.folderAdmin",
    "roles/resourcemanager.folderIamAdmin",
    "roles/resourcemanager.organizationAdmin",
    "roles/iam.securityAdmin",
}
GCP_BROAD_ROLES = {"roles/editor"}
_GCP_SET_IAM = {
    "resourcemanager.projects.setIamPolicy",
    "resourcemanager.folders.setIamPolicy",
    "resourcemanager.organizations.setIamPolicy",
}
_AZ_GRANT = "microsoft.authorization/roleassignments/write"
"""Whoever may write role assignments can make themselves Owner."""


# --- AWS -----------------------------------------------------------------------------------


def _aws_admin_statements(doc: Any, doc_id: str) -> list[dict[str, Any]]:
    out = []
    for i, stmt in statements(doc):
        if stmt.get("Effect") != "Allow" or "NotAction" in stmt or "NotResource" in stmt:
            continue
        actions = {str(a) for a in as_list(stmt.get("Action"))}
        if actions & {"*", "*:*"} and "*" in as_list(stmt.get("Resource")):
            out.append(
                {
                    "document": doc_id,
                    "statement": stmt.get("Sid", i),
                    "conditional": bool(stmt.get("Condition")),
                }
            )
    return out


def _aws_own_grants(ix: Index, principal: Node) -> list[dict[str, Any]]:
    grants: list[dict[str, Any]] = []
    for doc_id in as_list(principal.props.get("inline_policies")):
        grants += _aws_admin_statements(ix.document(doc_id), str(doc_id))
    for pol in ix.targets(principal.id, "has_policy"):
        doc_id = pol.props.get("document") or pol.id
        doc = ix.document(doc_id)
        if doc is None and pol.id.endswith(":iam::aws:policy/AdministratorAccess"):
            grants.append({"document": pol.id, "statement": None, "conditional": False})
        else:
            grants += _aws_admin_statements(doc, str(doc_id))
    return grants


def _aws_admins(ix: Index) -> Iterator[Hit]:
    group_grants: dict[str, list[dict[str, Any]]] = {}
    for group in ix.of_kind("group"):
        if group.provider == "aws":
            group_grants[group.id] = _aws_own_grants(ix, group)
            if group_grants[group.id]:
                yield _hit(group.id, group_grants[group.id], "aws")
    for principal in ix.of_kind("identity", "role"):
        if principal.provider != "aws":
            continue
        grants = _aws_own_grants(ix, principal)
        for group in ix.targets(principal.id, "member_of"):
            grants += [{**g, "via_group": group.id} for g in group_grants.get(group.id, ())]
        if not grants:
            continue
        boundary_id = principal.props.get("permissions_boundary")
        if boundary_id:
            boundary = ix.document(boundary_id)
            if boundary is not None and not _aws_admin_statements(boundary, str(boundary_id)):
                continue  # the boundary caps what the admin policy grants
        yield _hit(principal.id, grants, "aws")


# --- Azure ---------------------------------------------------------------------------------


def _arm(doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict):
        return {}
    inner = doc.get("properties")
    return {**doc, **inner} if isinstance(inner, dict) else doc


def _azure_role_admin(ix: Index, role_def_id: str) -> str | None:
    guid = role_def_id.rstrip("/").rsplit("/", 1)[-1].lower()
    if guid in AZURE_ADMIN_ROLES:
        return AZURE_ADMIN_ROLES[guid]
    defs = ix.cached("azure-role-defs", lambda: _azure_role_defs(ix))
    definition = defs.get(guid)
    if definition is None:
        return None
    for perm in as_list(definition.get("permissions")):
        if not isinstance(perm, dict):
            continue
        actions = [str(a).lower() for a in as_list(perm.get("actions"))]
        not_actions = [str(a).lower() for a in as_list(perm.get("notActions"))]
        if any(fnmatchcase(_AZ_GRANT, a) for a in actions) and not any(
            fnmatchcase(_AZ_GRANT, n) for n in not_actions
        ):
            return str(definition.get("roleName") or guid)
    return None


def _azure_role_defs(ix: Index) -> dict[str, dict[str, Any]]:
    out = {}
    for doc_id, doc in ix.documents.items():
        if "/providers/microsoft.authorization/roledefinitions/" in doc_id.lower():
            out[doc_id.rstrip("/").rsplit("/", 1)[-1].lower()] = _arm(doc)
    return out


def _azure_top_scope(scope: str) -> bool:
    parts = [p for p in scope.lower().split("/") if p]
    if not parts:
        return True  # "/" : the tenant root
    if parts[:3] == ["providers", "microsoft.management", "managementgroups"]:
        return len(parts) == 4
    return len(parts) == 2 and parts[0] == "subscriptions"


def _azure_admins(ix: Index) -> Iterator[Hit]:
    principals: dict[str, str] = {}
    accounts: dict[str, str] = {}
    for node in ix.of_kind("identity", "group"):
        if node.provider == "azure" and node.props.get("principal_id"):
            principals[str(node.props["principal_id"]).lower()] = node.id
    for node in ix.of_kind("account"):
        if node.provider == "azure":
            accounts[node.id.lower().rstrip("/")] = node.id
            if node.props.get("native_id"):
                accounts[f"/subscriptions/{node.props['native_id']}".lower()] = node.id
    grants: dict[str, list[dict[str, Any]]] = {}
    for doc_id, doc in ix.documents.items():
        if "/providers/microsoft.authorization/roleassignments/" not in doc_id.lower():
            continue
        arm = _arm(doc)
        scope, role = str(arm.get("scope") or ""), str(arm.get("roleDefinitionId") or "")
        if not role or not _azure_top_scope(scope):
            continue
        role_name = _azure_role_admin(ix, role)
        if role_name is None:
            continue
        principal = str(arm.get("principalId") or "")
        node = principals.get(principal.lower()) or accounts.get(scope.lower().rstrip("/"))
        if node is None:
            continue
        grant = {
            "assignment": doc_id,
            "role": role_name,
            "scope": scope,
            "principal_id": principal,
            "conditional": bool(arm.get("condition")),
        }
        grants.setdefault(node, []).append(grant)
    for node_id, node_grants in sorted(grants.items()):
        yield _hit(node_id, node_grants, "azure")


# --- GCP -----------------------------------------------------------------------------------


def _gcp_members(ix: Index) -> dict[str, str]:
    out = {}
    for node in ix.of_kind("identity", "group"):
        if node.provider != "gcp":
            continue
        email = node.props.get("email") or node.id.rsplit("/", 1)[-1]
        if isinstance(email, str) and "@" in email:
            out[email.lower()] = node.id
    return out


def _gcp_role_level(ix: Index, role: str) -> Severity | None:
    if role in GCP_ADMIN_ROLES:
        return Severity.HIGH
    if role in GCP_BROAD_ROLES:
        return Severity.MEDIUM
    definition = ix.document(role)
    if definition and _GCP_SET_IAM & strings(definition.get("includedPermissions")):
        return Severity.HIGH
    return None


def _gcp_admins(ix: Index) -> Iterator[Hit]:
    members = ix.cached("gcp-members", lambda: _gcp_members(ix))
    grants: dict[str, list[dict[str, Any]]] = {}
    for doc_id, doc in ix.documents.items():
        if not (
            doc_id.startswith("//cloudresourcemanager.googleapis.com/") and doc_id.endswith("#iam")
        ):
            continue
        if not isinstance(doc, dict):
            continue
        container = doc_id[: -len("#iam")]
        for binding in as_list(doc.get("bindings")):
            if not isinstance(binding, dict):
                continue
            role = str(binding.get("role") or "")
            level = _gcp_role_level(ix, role)
            if level is None:
                continue
            for member in as_list(binding.get("members")):
                _, _, email = str(member).partition(":")
                node = members.get(email.lower()) or (container if container in ix.nodes else None)
                if node is None:
                    continue
                grants.setdefault(node, []).append(
                    {
                        "document": doc_id,
                        "role": role,
                        "member": str(member),
                        "conditional": bool(binding.get("condition")),
                        "level": str(level),
                    }
                )
    for node_id, node_grants in sorted(grants.items()):
        yield _hit(node_id, node_grants, "gcp")


def _hit(node: str, grants: list[dict[str, Any]], cloud: str) -> Hit:
    unconditional = [g for g in grants if not g.get("conditional")]
    severity = Severity.HIGH
    if all(g.get("level") == "medium" for g in grants):
        severity = Severity.MEDIUM
    if not unconditional:
        severity = Severity.MEDIUM
    title = "admin-equivalent permissions"
    if all(g.get("level") == "medium" for g in grants):
        title = "basic role roles/editor on the project (broad write access)"
    return Hit(node, {"cloud": cloud, "grants": grants}, severity, title)


def _admins(ix: Index) -> Iterator[Hit]:
    yield from _aws_admins(ix)
    yield from _azure_admins(ix)
    yield from _gcp_admins(ix)


RULES = (
    Rule(
        "admin-principal",
        "identity",
        Severity.HIGH,
        "admin-equivalent permissions",
        "Grant least privilege: replace */* (Owner, roles/owner) with the roles the principal "
        "needs, and keep standing admin rights to break-glass identities.",
        _admins,
    ),
)
