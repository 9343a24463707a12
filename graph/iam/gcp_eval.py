"""GCP's decision for one request, and the same decision for every principal at once.

Order, as Google documents it: a deny rule attached at or above the resource that names the
principal and the permission (and not as an exception) wins; otherwise the request is
allowed when any allow binding on the resource or an ancestor grants a role holding the
permission to a member the principal answers to. A condition on the binding (or on the deny
rule) makes the answer ``conditional``: we cannot decide request time, tags or names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from blastscope.graph.iam import Decision, Outcome, StatementRef
from blastscope.graph.iam.gcp_policies import (
    CONVENIENCE,
    Binding,
    GcpIndex,
    deny_principal_matches,
    permission_matches,
)


@dataclass(frozen=True, slots=True)
class Grant:
    """How a principal holds one permission on one resource."""

    conditional: bool
    refs: tuple[StatementRef, ...]


def _ref(b: Binding) -> StatementRef:
    return StatementRef(document=b.document, index=b.index, sid=b.role, effect="allow")


def _convenience_members(idx: GcpIndex, member: str) -> list[str]:
    """``projectOwner:P`` → the members granted roles/owner on project P (unconditionally)."""
    kind, _, project = member.partition(":")
    role = CONVENIENCE.get(kind)
    holder = idx.project_of.get(project)
    if role is None or holder is None:
        return []
    return [
        m
        for b in idx.bindings.get(holder, [])
        if b.role == role and b.condition is None
        for m in b.members
        if m.split(":", 1)[0] not in CONVENIENCE
    ]


def binding_matches(idx: GcpIndex, binding: Binding, members: set[str]) -> str | None:
    """The binding member that names the principal (None when none does)."""
    for m in binding.members:
        if m in members:
            return m
        if m.split(":", 1)[0] in CONVENIENCE and members & set(_convenience_members(idx, m)):
            return m
    return None


def _as_text(member: str) -> str:
    kind, _, project = member.partition(":")
    if kind in CONVENIENCE:
        return f"{member} (holders of {CONVENIENCE[kind]} on {project})"
    return member


def denied(
    idx: GcpIndex, chain: list[str], members: set[str], permission: str
) -> tuple[StatementRef | None, list[StatementRef]]:
    """(an unconditional deny, conditional denies) that apply to this request."""
    conditional: list[StatementRef] = []
    for holder in chain:
        for rule in idx.denies.get(holder, []):
            if not permission_matches(rule.permissions, permission):
                continue
            if permission_matches(rule.exception_permissions, permission):
                continue
            if not any(deny_principal_matches(p, members) for p in rule.principals):
                continue
            if any(deny_principal_matches(p, members) for p in rule.exception_principals):
                continue
            ref = StatementRef(document=rule.document, index=rule.index, sid=None, effect="deny")
            if rule.condition is None:
                return ref, conditional
            conditional.append(ref)
    return None, conditional


def decide(idx: GcpIndex, members: set[str], permission: str, resource: str) -> Decision:
    """One request: may a principal answering to ``members`` use ``permission`` on it?"""
    chain = idx.chain(resource)
    deny, conditional_denies = denied(idx, chain, members, permission)
    if deny is not None:
        return Decision(
            Outcome.EXPLICIT_DENY,
            (deny,),
            f"denied by rule {deny.index} of the deny policies at {_short(deny.document)}",
        )
    allows: list[StatementRef] = []
    conditional: list[StatementRef] = []
    matched: dict[StatementRef, str] = {}
    missing_roles: set[str] = set()
    for holder in chain:
        for b in idx.bindings.get(holder, []):
            perms = idx.role_permissions(b.role)
            if perms is None:
                if binding_matches(idx, b, members) is not None:
                    missing_roles.add(b.role)
                continue
            if permission not in perms:
                continue
            member = binding_matches(idx, b, members)
            if member is not None:
                ref = _ref(b)
                matched[ref] = member
                (conditional if b.condition else allows).append(ref)
    unread = [h for h in chain if h in idx.unknown_policy]
    gaps = ""
    if unread:
        gaps += f"; the policy of {', '.join(_short(h) for h in unread)} could not be read"
    if missing_roles:
        gaps += f"; role definitions not collected: {', '.join(sorted(missing_roles))}"
    no_deny = [h for h in chain if h in idx.unknown_deny]
    if no_deny:
        gaps += f"; deny policies of {', '.join(_short(h) for h in no_deny)} could not be read"
    if allows:
        ref = allows[0]
        text = (
            f"granted by {ref.sid} to {_as_text(matched[ref])} in the policy of "
            f"{_short(ref.document)}"
        )
        if conditional_denies:
            return Decision(
                Outcome.CONDITIONAL,
                (*allows, *conditional_denies),
                text + "; a conditional deny rule may block it" + gaps,
            )
        return Decision(Outcome.ALLOW, tuple(allows), text + gaps)
    if conditional:
        ref = conditional[0]
        return Decision(
            Outcome.CONDITIONAL,
            (*conditional, *conditional_denies),
            f"granted by {ref.sid} to {_as_text(matched[ref])} in the policy of "
            f"{_short(ref.document)} only under its IAM condition" + gaps,
        )
    return Decision(Outcome.IMPLICIT_DENY, (), "no binding grants it" + gaps)


def effective_grants(
    idx: GcpIndex, resource: str, wanted: frozenset[str]
) -> dict[str, dict[str, Grant]]:
    """For every principal node: which of ``wanted`` it holds on ``resource``, and how.

    Each policy holder's contribution is computed once per ``wanted`` set and shared by every
    resource below it; a resource with no policy of its own reuses its parent's result, so
    an estate costs about its number of bindings plus its number of edges.
    """
    chain = idx.chain(resource)
    relevant = tuple(h for h in chain if h in idx.bindings or h in idx.denies)
    key = (relevant, wanted)
    cached = idx.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    contributions = [_holder_grants(idx, h, wanted) for h in relevant]
    contributions = [c for c in contributions if c]
    if len(contributions) == 1:
        merged = contributions[0]  # the common case: one policy grants; nothing to merge
    else:
        merged = {}
        for contribution in contributions:
            for principal, perms in contribution.items():
                slot = merged.setdefault(principal, {})
                for perm, hits in perms.items():
                    slot.setdefault(perm, []).extend(hits)
    out: dict[str, dict[str, Grant]] = {}
    has_denies = any(idx.denies.get(h) for h in relevant)
    for principal, perms in merged.items():
        members = idx.members_for(principal) if has_denies else set()
        result: dict[str, Grant] = {}
        for perm, hits in perms.items():
            conditional = True
            for c, _ in hits:
                if not c:
                    conditional = False
                    break
            if has_denies:
                deny, maybe = denied(idx, list(relevant), members, perm)
                if deny is not None:
                    continue
                conditional = conditional or bool(maybe)
            result[perm] = Grant(conditional, tuple(r for _, r in hits))
        if result:
            out[principal] = result
    idx.cache[key] = out
    return out


def _holder_grants(
    idx: GcpIndex, holder: str, wanted: frozenset[str]
) -> dict[str, dict[str, list[tuple[bool, StatementRef]]]]:
    """What one policy's bindings grant, per principal and permission (cached)."""
    key = ("holder", holder, wanted)
    cached = idx.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    raw: dict[str, dict[str, list[tuple[bool, StatementRef]]]] = {}
    for b in idx.bindings.get(holder, []):
        perms = idx.role_permissions(b.role)
        if not perms:
            continue
        hit = wanted & perms
        if not hit:
            continue
        entry = (b.condition is not None, _ref(b))
        for principal in _principals(idx, b.members):
            slot = raw.setdefault(principal, {})
            for perm in hit:
                slot.setdefault(perm, []).append(entry)
    idx.cache[key] = raw
    return raw


def _principals(idx: GcpIndex, members: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for m in members:
        if m.split(":", 1)[0] in CONVENIENCE:
            out.update(p for x in _convenience_members(idx, m) if (p := idx.principal_id(x)))
            continue
        principal = idx.principal_id(m)
        if principal is not None:
            out.add(principal)
    return out


def _short(document_or_id: str) -> str:
    """``//storage.googleapis.com/projects/_/buckets/b#iam`` → ``buckets/b``."""
    text = document_or_id.split("#", 1)[0]
    parts = text.rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 else text
