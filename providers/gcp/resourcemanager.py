"""Projects, the folders and organization above them, and the IAM allow and deny policies
attached at each level (policies are inherited downwards, so analysis needs every level)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from google.protobuf.json_format import MessageToDict

from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Warning
from blastscope.providers.gcp.names import PROVIDER, container_id, principal_nodes
from blastscope.providers.gcp.session import (
    GcpSession,
    guarded_pages,
    is_fatal,
    to_warning,
)

SERVICE = "resourcemanager"
MAX_DEPTH = 12
"""Folders nest at most 10 deep under an organization; a cycle guard, not a limit in use."""


def _to_dict(message: Any) -> dict[str, Any]:
    return type(message).to_dict(
        message, use_integers_for_enums=False, preserving_proto_field_name=False
    )


def get_project(session: GcpSession, project: str) -> dict[str, Any]:
    client = session.resourcemanager("ProjectsClient")
    return _to_dict(
        session.retry(
            lambda: client.get_project(
                name=f"projects/{project}", timeout=session.timeout, retry=None
            )
        )
    )


def search_projects(session: GcpSession) -> list[dict[str, Any]]:
    """Every ACTIVE project the credential can see."""
    client = session.resourcemanager("ProjectsClient")

    def read() -> list[Any]:
        pager = client.search_projects(query="state:ACTIVE", timeout=session.timeout, retry=None)
        return [
            p for page in guarded_pages(pager, lambda p: p.next_page_token) for p in page.projects
        ]

    return [_to_dict(p) for p in session.retry(read)]


def get_container(session: GcpSession, name: str) -> dict[str, Any]:
    """A folder or organization by resource name."""
    if name.startswith("folders/"):
        client = session.resourcemanager("FoldersClient")
        return _to_dict(
            session.retry(lambda: client.get_folder(name=name, timeout=session.timeout, retry=None))
        )
    client = session.resourcemanager("OrganizationsClient")
    return _to_dict(
        session.retry(
            lambda: client.get_organization(name=name, timeout=session.timeout, retry=None)
        )
    )


def get_iam_policy(session: GcpSession, name: str) -> dict[str, Any]:
    """The allow policy of a project/folder/organization (version 3: with conditions)."""
    kind = name.split("/", 1)[0]
    client = session.resourcemanager(
        {"projects": "ProjectsClient", "folders": "FoldersClient"}.get(kind, "OrganizationsClient")
    )
    request = {"resource": name, "options": {"requested_policy_version": 3}}
    return MessageToDict(
        session.retry(
            lambda: client.get_iam_policy(request=request, timeout=session.timeout, retry=None)
        )
    )


def get_deny_policies(session: GcpSession, name: str) -> list[dict[str, Any]]:
    """Deny policies attached to a project/folder/organization (IAM v2), rules included."""
    attachment = quote(f"cloudresourcemanager.googleapis.com/{name}", safe="")
    path = f"/v2/policies/{attachment}/denypolicies"
    listed = list(session.pages("iam.googleapis.com", path, "policies"))
    # The list omits each policy's rules; read each one.
    return [session.get_json("iam.googleapis.com", "/v2/" + p["name"]) for p in listed]


def collect_hierarchy(session: GcpSession, project: dict[str, Any]) -> Partial:
    """The project, its ancestors, and the allow/deny policies at every level.

    A level that cannot be read becomes a warning and an ``unknown`` policy; the walk goes
    on where it can (an unreadable folder still names its parent only if it was read).
    """
    levels: list[dict[str, Any]] = [project]
    warnings: list[Warning] = []
    parent = project.get("parent")
    seen = {project.get("name")}
    while parent and parent not in seen and len(levels) < MAX_DEPTH:
        seen.add(parent)
        try:
            levels.append(get_container(session, parent))
        except Exception as exc:  # noqa: BLE001 - one unreadable level is a warning
            if is_fatal(exc):
                raise
            warnings.append(to_warning(SERVICE, "global", exc))
            levels.append({"name": parent})
            break
        parent = levels[-1].get("parent")
    policies: dict[str, dict[str, Any] | None] = {}
    denies: dict[str, list[dict[str, Any]] | None] = {}
    for level in levels:
        name = level["name"] if level is not project else f"projects/{project['projectId']}"
        try:
            policies[name] = get_iam_policy(session, name)
        except Exception as exc:  # noqa: BLE001
            if is_fatal(exc):
                raise
            warnings.append(to_warning(SERVICE, "global", exc))
            policies[name] = None
        try:
            denies[name] = get_deny_policies(session, name)
        except Exception as exc:  # noqa: BLE001
            if is_fatal(exc):
                raise
            warnings.append(to_warning("iam-deny", "global", exc))
            denies[name] = None
    part = transform_hierarchy(levels, policies, denies)
    part.warnings.extend(warnings)
    return part


def transform_hierarchy(
    levels: list[dict[str, Any]],
    policies: dict[str, dict[str, Any] | None],
    denies: dict[str, list[dict[str, Any]] | None],
) -> Partial:
    """Project first, then its ancestors (REST shapes) → account nodes, contains edges, docs.

    ``policies`` / ``denies`` are keyed by resource name (``projects/ID``, ``folders/N``);
    None means the read failed.
    """
    part = Partial()
    project = levels[0]
    pid = project["projectId"]
    names = [f"projects/{pid}"] + [lvl["name"] for lvl in levels[1:]]
    for i, (name, level) in enumerate(zip(names, levels, strict=True)):
        node_id = container_id(name)
        kind = name.split("/", 1)[0]
        parent_name = level.get("parent") or None
        props: dict[str, Any] = {
            "native_id": pid if i == 0 else name,
            "level": {"projects": "project", "folders": "folder"}.get(kind, "organization"),
            "parent": container_id(parent_name) if parent_name else None,
            "policy": None,
            "deny_policies": None,
        }
        unknown: list[str] = []
        if i == 0:
            props.update(
                account=pid,
                project_number=project.get("name", "").rsplit("/", 1)[-1],
                state=project.get("state"),
                tags=dict(project.get("labels") or {}),
            )
        elif "parent" not in level:
            unknown.append("parent")
        policy = policies.get(name)
        if policy is None:
            unknown.append("policy")
        else:
            props["policy"] = f"{node_id}#iam"
            part.documents[f"{node_id}#iam"] = policy
            part.nodes.extend(principal_nodes(policy, pid))
        deny = denies.get(name)
        if deny is None:
            unknown.append("deny_policies")
        elif deny:
            props["deny_policies"] = f"{node_id}#deny"
            part.documents[f"{node_id}#deny"] = deny
        else:
            props["deny_policies"] = []
        if unknown:
            props["unknown"] = unknown
        display = level.get("displayName") or level.get("projectId") or name
        part.nodes.append(Node(node_id, NodeKind.ACCOUNT, display, PROVIDER, "global", props))
        if parent_name:
            part.edges.append(Edge(container_id(parent_name), node_id, EdgeKind.CONTAINS))
    # The topmost known parent may be unreadable: still give the edge a node to land on.
    top_parent = levels[-1].get("parent")
    if top_parent and all(lvl.get("name") != top_parent for lvl in levels):
        part.nodes.append(
            Node(
                container_id(top_parent),
                NodeKind.ACCOUNT,
                top_parent,
                PROVIDER,
                "global",
                {"native_id": top_parent, "unknown": ["policy", "parent"]},
            )
        )
    return part
