"""GCP resource names → node ids, and IAM members → principal nodes.

Node ids are Google's full resource names (``//SERVICE.googleapis.com/...``). IAM members
(``user:``, ``group:``, ``domain:``, ``serviceAccount:``) have no resource in any API the
collector reads, so every member seen in a policy becomes a node here and the analysis can
draw its edges from it.
"""

from __future__ import annotations

from typing import Any

from blastscope.graph.model import INTERNET_ID, Node, NodeKind

PROVIDER = "gcp"
CRM = "//cloudresourcemanager.googleapis.com"
PUBLIC_MEMBERS = ("allUsers", "allAuthenticatedUsers")


def project_id(project: str) -> str:
    return f"{CRM}/projects/{project}"


def container_id(name: str) -> str:
    """``folders/1`` / ``organizations/2`` / ``projects/p`` → node id."""
    return f"{CRM}/{name}"


def compute_id(self_link_or_path: str) -> str:
    """A compute selfLink (``https://…/compute/v1/projects/…``) or path → node id."""
    path = self_link_or_path
    marker = "/projects/"
    if "://" in path and marker in path:
        path = path[path.index(marker) + 1 :]
    return f"//compute.googleapis.com/{path.lstrip('/')}"


def short(url: str | None) -> str:
    """Last path segment of a URL or resource name."""
    return (url or "").rstrip("/").rsplit("/", 1)[-1]


def sa_id(email: str, default_project: str) -> str:
    """Service account node id; the project comes from the email where Google puts it."""
    local, _, domain = email.partition("@")
    project = default_project
    if domain.endswith(".iam.gserviceaccount.com"):
        project = domain[: -len(".iam.gserviceaccount.com")]
    elif domain == "appspot.gserviceaccount.com":
        project = local
    return f"//iam.googleapis.com/projects/{project}/serviceAccounts/{email}"


def sa_node(email: str, default_project: str) -> Node:
    """A service account as far as its email tells (merged with the listed one by id)."""
    return Node(
        id=sa_id(email, default_project),
        kind=NodeKind.IDENTITY,
        name=email,
        provider=PROVIDER,
        region="global",
        props={"principal_type": "service_account", "email": email},
    )


def member_node(member: str, default_project: str) -> Node | None:
    """The node a policy member stands for; None for public members and deleted ones."""
    kind, _, value = member.partition(":")
    value = value.split("?uid=", 1)[0]
    if member in PUBLIC_MEMBERS or kind in ("deleted", "projectOwner", "projectEditor"):
        return None
    if kind == "projectViewer" or not value:
        return None
    if kind == "serviceAccount":
        return sa_node(value, default_project)
    if kind == "user":
        props: dict[str, Any] = {"principal_type": "user", "email": value}
        return Node(f"gcp:user/{value}", NodeKind.IDENTITY, value, PROVIDER, "global", props)
    if kind == "group":
        return Node(
            f"gcp:group/{value}", NodeKind.GROUP, value, PROVIDER, "global", {"email": value}
        )
    if kind == "domain":
        return Node(
            f"gcp:domain/{value}", NodeKind.GROUP, value, PROVIDER, "global", {"domain": value}
        )
    if member.startswith(("principal://", "principalSet://")):
        return Node(
            member, NodeKind.IDENTITY, member, PROVIDER, "global", {"principal_type": "federated"}
        )
    return None


def member_id(member: str, default_project: str) -> str | None:
    """Node id of a member; ``internet`` for allUsers / allAuthenticatedUsers."""
    if member in PUBLIC_MEMBERS:
        return INTERNET_ID
    node = member_node(member, default_project)
    return node.id if node else None


def policy_members(policy: dict[str, Any]) -> set[str]:
    """Every member named in an IAM policy's bindings."""
    out: set[str] = set()
    for binding in policy.get("bindings", []) or []:
        out.update(binding.get("members", []) or [])
    return out


def principal_nodes(policy: dict[str, Any], default_project: str) -> list[Node]:
    """Nodes for the members of a policy, so analyses can draw edges from them."""
    nodes = []
    for member in sorted(policy_members(policy)):
        node = member_node(member, default_project)
        if node is not None:
            nodes.append(node)
    return nodes
