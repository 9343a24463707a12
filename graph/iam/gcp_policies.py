"""GCP IAM input, indexed once per snapshot: the resource hierarchy, allow bindings,
deny rules, role permissions, and which policy members a principal answers to.

GCP evaluates a request against the deny policies attached above the resource, then the
union of the allow policies of the resource and every ancestor (project, folders,
organization); a role grants the permissions its definition lists. This module only
reads the snapshot; deciding is in :mod:`blastscope.graph.iam.gcp`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from blastscope.graph.model import INTERNET_ID, Node, NodeKind, Snapshot

PUBLIC = ("allUsers", "allAuthenticatedUsers")
CONVENIENCE = {"projectOwner": "roles/owner", "projectEditor": "roles/editor",
               "projectViewer": "roles/viewer"}  # fmt: skip
"""Bucket policies name project roles by these (legacy convenience values)."""


@dataclass(frozen=True, slots=True)
class Binding:
    """One allow binding: a role granted to members, maybe under a condition."""

    holder: str
    """Node id of the resource whose policy holds it (project, bucket, …)."""
    document: str
    index: int
    role: str
    members: tuple[str, ...]
    condition: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class DenyRule:
    """One deny rule of an IAM v2 deny policy attached at ``holder``."""

    holder: str
    document: str
    index: int
    principals: tuple[str, ...]
    exception_principals: tuple[str, ...]
    permissions: tuple[str, ...]
    """Patterns in v1 form (``storage.objects.get``; ``*`` wildcards)."""
    exception_permissions: tuple[str, ...]
    condition: dict[str, Any] | None


@dataclass(slots=True)
class GcpIndex:
    """Everything the evaluator looks up, built in one pass over the snapshot."""

    nodes: dict[str, Node] = field(default_factory=dict)
    roles: dict[str, frozenset[str]] = field(default_factory=dict)
    bindings: dict[str, list[Binding]] = field(default_factory=dict)
    denies: dict[str, list[DenyRule]] = field(default_factory=dict)
    unknown_policy: set[str] = field(default_factory=set)
    unknown_deny: set[str] = field(default_factory=set)
    """Holders whose deny policies could not be read: a deny there cannot be ruled out."""
    by_email: dict[str, str] = field(default_factory=dict)
    project_of: dict[str, str] = field(default_factory=dict)
    """Project id → project node id."""
    runs_as: dict[str, list[str]] = field(default_factory=dict)
    """Instance id → identities it runs as (structural edges)."""
    cache: dict[Any, Any] = field(default_factory=dict)
    """Memo of per-holder and per-chain grants (see ``gcp_eval.effective_grants``)."""

    def chain(self, resource: str) -> list[str]:
        """Policy holders from the resource up to the organization, nearest first."""
        node = self.nodes.get(resource)
        if node is None:
            return []
        out = [resource]
        for ancestor in node.props.get("iam_ancestors") or []:
            out.append(str(ancestor))
        current: str | None = None
        if node.kind == NodeKind.ACCOUNT:
            current = node.props.get("parent")
        else:
            current = self.project_of.get(str(node.props.get("account", "")))
        seen = set(out)
        while current and current not in seen:
            seen.add(current)
            out.append(current)
            parent = self.nodes.get(current)
            current = parent.props.get("parent") if parent is not None else None
        return out

    def role_permissions(self, role: str) -> frozenset[str] | None:
        return self.roles.get(role)

    def members_for(self, principal: str) -> set[str]:
        """The policy member strings a principal (node id or member string) answers to."""
        if principal == INTERNET_ID:
            return set(PUBLIC)
        if ":" in principal and not principal.startswith("//"):
            kind, _, value = principal.partition(":")
            if kind in ("user", "serviceAccount", "group", "domain"):
                return _member_set(kind, value)
        node = self.nodes.get(principal)
        if node is None:
            return set()
        email = str(node.props.get("email") or "")
        if node.kind == NodeKind.GROUP:
            if node.props.get("domain"):
                return {f"domain:{node.props['domain']}", *PUBLIC}
            return _member_set("group", email) if email else set()
        if node.props.get("principal_type") == "service_account" and email:
            return _member_set("serviceAccount", email)
        if node.props.get("principal_type") == "user" and email:
            return _member_set("user", email)
        if principal.startswith(("principal://", "principalSet://")):
            return {principal, *PUBLIC}
        return set()

    def principal_id(self, member: str) -> str | None:
        """The node id a policy member stands for (internet for the public members)."""
        if member in PUBLIC:
            return INTERNET_ID
        kind, _, value = member.partition(":")
        value = value.split("?uid=", 1)[0]
        if kind in ("serviceAccount", "user") and value in self.by_email:
            return self.by_email[value]
        candidates = {
            "user": f"gcp:user/{value}",
            "group": f"gcp:group/{value}",
            "domain": f"gcp:domain/{value}",
        }
        found = candidates.get(kind)
        if found and found in self.nodes:
            return found
        if member in self.nodes:
            return member
        return None


def _member_set(kind: str, value: str) -> set[str]:
    out = {f"{kind}:{value}", *PUBLIC}
    if kind == "user" and "@" in value:
        out.add(f"domain:{value.rsplit('@', 1)[1]}")
    return out


def deny_principal_matches(pattern: str, members: set[str]) -> bool:
    """Whether an IAM v2 principal identifier names one of ``members``.

    Examples:
        >>> deny_principal_matches("principal://goog/subject/a@x.example", {"user:a@x.example"})
        True
        >>> deny_principal_matches("principalSet://goog/group/g@x.example", {"user:a@x.example"})
        False
    """
    if pattern == "principalSet://goog/public:all":
        return True
    for member in members:
        kind, _, value = member.partition(":")
        if kind == "user" and pattern == f"principal://goog/subject/{value}":
            return True
        if kind == "serviceAccount" and pattern in (
            f"principal://iam.googleapis.com/projects/-/serviceAccounts/{value}",
            f"principal://goog/subject/{value}",
        ):
            return True
        if kind == "group" and pattern == f"principalSet://goog/group/{value}":
            return True
    return False


def v1_permission(v2: str) -> str:
    """``storage.googleapis.com/objects.get`` → ``storage.objects.get`` (wildcards kept).

    Examples:
        >>> v1_permission("storage.googleapis.com/objects.get")
        'storage.objects.get'
        >>> v1_permission("secretmanager.googleapis.com/versions.*")
        'secretmanager.versions.*'
    """
    host, sep, rest = v2.partition("/")
    if not sep:
        return v2
    service = host.split(".", 1)[0]
    return f"{service}.{rest}" if service != "*" else "*"


def permission_matches(patterns: Iterable[str], permission: str) -> bool:
    return any(p == permission or fnmatch.fnmatchcase(permission, p) for p in patterns)


def build_index(snapshot: Snapshot) -> GcpIndex:
    """Index the GCP part of a snapshot (nodes whose provider is ``gcp``)."""
    idx = GcpIndex()
    docs = snapshot.documents
    for node in snapshot.nodes:
        if node.provider != "gcp" and node.id != INTERNET_ID:
            continue
        idx.nodes[node.id] = node
        email = node.props.get("email")
        if email and node.kind == NodeKind.IDENTITY:
            # A listed account (it has a project) wins over a stub seen only in a policy.
            if email not in idx.by_email or node.props.get("account"):
                idx.by_email[str(email)] = node.id
        if node.kind == NodeKind.ACCOUNT and node.props.get("level") == "project":
            idx.project_of[str(node.props.get("native_id"))] = node.id
        unknown = node.props.get("unknown") or []
        if "policy" in unknown:
            idx.unknown_policy.add(node.id)
        if "deny_policies" in unknown:
            idx.unknown_deny.add(node.id)
    for doc_id, doc in docs.items():
        if isinstance(doc, dict) and "includedPermissions" in doc and "/" in doc_id:
            idx.roles[doc_id] = frozenset(doc.get("includedPermissions") or [])
        elif doc_id.endswith("#iam") and isinstance(doc, dict):
            holder = doc_id[: -len("#iam")]
            idx.bindings[holder] = list(_bindings(holder, doc_id, doc))
        elif doc_id.endswith("#deny") and isinstance(doc, list):
            holder = doc_id[: -len("#deny")]
            idx.denies[holder] = list(_deny_rules(holder, doc_id, doc))
    for edge in snapshot.edges:
        if edge.kind == "runs_as" and edge.src in idx.nodes:
            idx.runs_as.setdefault(edge.src, []).append(edge.dst)
    return idx


def _bindings(holder: str, doc_id: str, doc: dict[str, Any]) -> Iterable[Binding]:
    for i, raw in enumerate(doc.get("bindings") or []):
        if not isinstance(raw, dict) or not raw.get("role"):
            continue
        members = tuple(str(m) for m in raw.get("members") or [])
        condition = raw.get("condition") if isinstance(raw.get("condition"), dict) else None
        yield Binding(holder, doc_id, i, str(raw["role"]), members, condition)


def _deny_rules(holder: str, doc_id: str, policies: list[Any]) -> Iterable[DenyRule]:
    index = 0
    for policy in policies:
        if not isinstance(policy, dict):
            continue
        for rule in policy.get("rules") or []:
            deny = (rule or {}).get("denyRule") or {}
            condition = deny.get("denialCondition")
            yield DenyRule(
                holder=holder,
                document=doc_id,
                index=index,
                principals=tuple(deny.get("deniedPrincipals") or []),
                exception_principals=tuple(deny.get("exceptionPrincipals") or []),
                permissions=tuple(v1_permission(p) for p in deny.get("deniedPermissions") or []),
                exception_permissions=tuple(
                    v1_permission(p) for p in deny.get("exceptionPermissions") or []
                ),
                condition=condition if isinstance(condition, dict) else None,
            )
            index += 1
