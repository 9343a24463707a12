"""The evaluation behind ``can_access`` edges, shared between equivalent resources.

:class:`AccessMemo` decides each (principal, data node) pair by a signature: how every
ARN-specific statement of the principal (and the node's resource policy, compared by shape)
matches the node. Resources with the same signature share one evaluation and one set of
props; only the names and the resource policy's id differ per edge.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from blastscope.graph.iam.aws_actions import access_actions, canonical, level_of, resource_type
from blastscope.graph.iam.aws_conditions import RequestContext
from blastscope.graph.iam.aws_eval import Hit, Result, evaluate_actions
from blastscope.graph.iam.aws_index import (
    AwsIndex,
    Principal,
    ResourcePolicy,
    condition_keys,
    is_public,
    resource_account_of,
)
from blastscope.graph.iam.aws_match import NO, YES, literal_prefix
from blastscope.graph.iam.aws_policy import (
    Prepared,
    Statement,
    Target,
    action_set,
    match_prepared,
    mentions_resource,
    prepare,
)
from blastscope.graph.model import INTERNET_ID, Edge, EdgeKind, Node


@dataclass(frozen=True, slots=True)
class _Template:
    """A can_access edge's props for one class of equivalent resources (see AccessMemo);
    evidence from the resource's own policy is stored with ``document`` = None."""

    actions: list[str]
    level: str | None
    conditional: bool
    conditional_actions: list[str] | None
    evidence: list[dict[str, Any]]
    needs_doc: bool
    """Some evidence comes from the resource's own policy (its id is filled per edge)."""
    counted: frozenset[str]
    """The allowed actions that make the edge (:func:`access_actions`)."""
    grants: tuple[tuple[int | None, str | None, str | None], ...]
    unknown: str | None
    shown: str
    """The first actions, for the reason sentence."""
    by: str | None
    """The end of the reason sentence, when it does not name the resource's own policy."""


_MISSING = object()


@dataclass(frozen=True, slots=True)
class _NodeInfo:
    """A data node's part of an :class:`AccessMemo` signature (see ``_node_info``)."""

    rtype: str
    account: str
    policy: ResourcePolicy | None
    doc_part: tuple[bool, bool, bool, str] | None
    rp_values: tuple[tuple[int, ...], ...] | None
    """Per target, how each resource-policy statement matches it (None: per principal)."""
    anonymous: frozenset[str] = frozenset()
    """Access actions anyone may take without credentials (see :func:`anonymous_access`)."""
    own: bool = False
    """Its policy's conditions read the resource's own keys (tags, account, region): no other
    resource shares its evaluation."""


def _has_variables(st: Statement) -> bool:
    return any("${" in r for r in (st.resources or st.not_resources or ()))


class AccessMemo:
    """Shares evaluation between resources that every statement treats alike.

    Two resources of the same type get the same result for a principal when each of its
    statements (identity, boundary, SCP, and their resource policies' statements, compared
    by content) matches them the same way; only statements naming specific ARNs are
    re-matched per resource, so an admin's 10,000 buckets cost one evaluation.
    """

    def __init__(self, ix: AwsIndex) -> None:
        self.ix = ix
        self._results: dict[tuple[Any, ...], _Template | None] = {}
        self._per_principal: dict[str, tuple[tuple[Statement, ...], RequestContext, bool]] = {}
        self._doc_keys: dict[str, str] = {}
        self._nodes: dict[str, _NodeInfo] = {}
        self._with_doc: dict[tuple[int, str | None], tuple[str, list[dict[str, Any]]]] = {}
        """(template id, resource policy id) → reason tail and evidence naming that policy
        (templates live as long as the memo, so their ids stay theirs)."""
        self._rp_cache: dict[tuple[str, str], tuple[tuple[Statement, Prepared], ...]] = {}
        self._relevant_cache: dict[
            tuple[str, frozenset[str]],
            tuple[tuple[Statement, Prepared, tuple[str, ...] | None], ...],
        ] = {}

    def edge(
        self, p: Principal, node: Node, targets: list[tuple[Target, frozenset[str]]]
    ) -> Edge | None:
        pid, node_id = p.id, node.id
        specific, ctx, resource_dependent = self._per_principal.get(pid) or self._principal(p)
        info = self._nodes.get(node_id) or self._node_info(node, targets)
        policy = info.policy
        # Cross-account requests need the resource's policy too, whatever the statements say.
        cross = bool(info.account and p.account and info.account != p.account)
        sig: list[Any] = [pid, info.rtype, cross]
        rp_values = info.rp_values
        rp_prepared = (
            self._prepared_policy(pid, policy, ctx)
            if policy is not None and rp_values is None
            else ()
        )
        for i, (target, universe) in enumerate(targets):
            relevant = self._relevant_cache.get((pid, universe))
            if relevant is None:
                relevant = self._relevant(pid, specific, universe, ctx)
            if relevant:
                values = []
                for st, pre, quick in relevant:
                    if quick is not None and not node_id.startswith(quick):
                        values.append(NO)
                    else:
                        values.append(match_prepared(st, pre, target))
                sig.append(tuple(values))
            else:
                sig.append(())
            if rp_values is not None:
                sig.append(rp_values[i])
            elif rp_prepared:
                sig.append(tuple(match_prepared(st, pre, target) for st, pre in rp_prepared))
        doc = None
        if policy is not None:
            doc = policy.doc_id
            sig.append(info.doc_part)
        if resource_dependent or info.own or (policy is not None and policy.error):
            sig.append(node_id)
        key = tuple(sig)
        template = self._results.get(key, _MISSING)
        if template is _MISSING:
            template = _template(self.ix, p, node, targets, doc)
            self._results[key] = template
        if template is None or template.counted <= info.anonymous:
            return None  # nothing the caller could not do without credentials
        by, ev = template.by, template.evidence
        if by is None or template.needs_doc:
            # Naming the resource's own policy: the same for every caller of this resource.
            by, ev = self._with_doc.get((id(template), doc)) or self._fill_doc(template, doc)
        props: dict[str, Any] = {
            "actions": template.actions,
            "level": template.level,
            "conditional": template.conditional,
            "reason": f"{p.name} may {template.shown} on {node.name or node_id}: allowed by " + by,
            "evidence": ev,
        }
        if template.conditional_actions:
            props["conditional_actions"] = template.conditional_actions
        return Edge(pid, node_id, EdgeKind.CAN_ACCESS, props)

    def _fill_doc(self, template: _Template, doc: str | None) -> tuple[str, list[dict[str, Any]]]:
        by = template.by if template.by is not None else _by(template, doc)
        ev = template.evidence
        if template.needs_doc:
            ev = [e if e["document"] is not None else {**e, "document": doc} for e in ev]
        self._with_doc[(id(template), doc)] = (by, ev)
        return by, ev

    def _relevant(
        self,
        pid: str,
        specific: tuple[Statement, ...],
        universe: frozenset[str],
        ctx: RequestContext,
    ) -> tuple[tuple[Statement, Prepared, tuple[str, ...] | None], ...]:
        """The statements that name at least one action of ``universe``, prepared, with the
        literal ARN prefixes a node id must start with to be matched at all."""
        key = (pid, universe)
        found = self._relevant_cache.get(key)
        if found is None:
            found = tuple(
                (s, pre, _quick(s, pre))
                for s in specific
                if action_set(s.action_key, universe)
                for pre in (prepare(s, ctx),)
            )
            self._relevant_cache[key] = found
        return found

    def _node_info(self, node: Node, targets: list[tuple[Target, frozenset[str]]]) -> _NodeInfo:
        """What the signature needs of a node, computed once: its resource policy, and how
        that policy's statements match it when no policy variable makes them depend on the
        caller (the same for every principal then)."""
        service = node.id.split(":", 3)[2]
        policy = self.ix.resource_policy(node, service)
        rp_values = None
        doc_part = None
        if policy is not None:
            doc_part = (
                policy.error is not None,
                policy.required,
                policy.restricted,
                self._doc_key(policy.doc_id),
            )
            if not any(_has_variables(st) for st in policy.statements):
                no_vars = RequestContext()
                prepared = [(st, prepare(st, no_vars)) for st in policy.statements]
                rp_values = tuple(
                    tuple(match_prepared(st, pre, target) for st, pre in prepared)
                    if prepared
                    else None
                    for target, _ in targets
                )
                if not prepared:
                    rp_values = None
        found = _NodeInfo(
            f"{node.kind}/{_rtype(node)}",
            resource_account(node),
            policy,
            doc_part,
            rp_values,
            anonymous_access(node, policy, targets)[0],
            policy is not None and any(mentions_resource(st.condition) for st in policy.statements),
        )
        self._nodes[node.id] = found
        return found

    def _prepared_policy(
        self, pid: str, policy: ResourcePolicy, ctx: RequestContext
    ) -> tuple[tuple[Statement, Prepared], ...]:
        key = (pid, policy.doc_id or "")
        found = self._rp_cache.get(key)
        if found is None:
            found = tuple((s, prepare(s, ctx)) for s in policy.statements)
            self._rp_cache[key] = found
        return found

    def _principal(self, p: Principal) -> tuple[tuple[Statement, ...], RequestContext, bool]:
        cached = self._per_principal.get(p.id)
        if cached is None:
            every = [
                *p.identity,
                *(p.boundary or ()),
                *(s for level in p.scp_levels for s in level),
            ]
            specific = tuple(s for s in every if not s.resource_free)
            dependent = any(mentions_resource(s.condition) for s in every) or (
                _mentions_resource_vars(specific)
            )
            cached = (specific, self.ix.context(p, None, ""), dependent)
            self._per_principal[p.id] = cached
        return cached

    def _doc_key(self, doc_id: str | None) -> str:
        if doc_id is None:
            return ""
        if doc_id not in self._doc_keys:
            # Resources are compared by their match values in the signature; the rest of
            # the document (effects, actions, principals, conditions) by content.
            raw = self.ix.snapshot.documents.get(doc_id)
            items = raw.get("Statement") if isinstance(raw, dict) else None
            if isinstance(items, list):
                raw = [
                    {k: v for k, v in st.items() if k not in ("Resource", "NotResource")}
                    if isinstance(st, dict)
                    else st
                    for st in items
                ]
            self._doc_keys[doc_id] = json.dumps(raw, sort_keys=True, default=str)
        return self._doc_keys[doc_id]


def _quick(s: Statement, prepared: Prepared) -> tuple[str, ...] | None:
    """Prefixes that a node id must start with for a Resource statement to match it (S3
    object patterns cut at the bucket), or None (NotResource: no shortcut)."""
    if s.resources is None:
        return None
    out = []
    for pattern, _exact in prepared:
        prefix = literal_prefix(pattern)
        if prefix.startswith("arn:aws:s3:::"):
            prefix = prefix.split("/", 1)[0]
        out.append(prefix)
    return tuple(out)


def resource_account(node: Node) -> str:
    """``aws:ResourceAccount`` of a data node, as :meth:`AwsIndex.context` derives it."""
    return resource_account_of(node.id, node)


def _rtype(node: Node) -> str:
    rt = resource_type(node.id)
    return rt[1] if rt else ""


def _mentions_resource_vars(statements: tuple[Statement, ...]) -> bool:
    return any(
        "${aws:resource" in r.lower()
        for s in statements
        for r in (s.resources or s.not_resources or ())
    )


def access_edge(
    ix: AwsIndex, p: Principal, node: Node, targets: list[tuple[Target, frozenset[str]]]
) -> Edge | None:
    """The can_access edge p → node, or None when no action is (possibly) allowed."""
    return AccessMemo(ix).edge(p, node, targets)


def _template(
    ix: AwsIndex,
    p: Principal,
    node: Node,
    targets: list[tuple[Target, frozenset[str]]],
    doc: str | None,
) -> _Template | None:
    results = [evaluate_actions(ix, p, node, target, universe) for target, universe in targets]
    maybe = frozenset().union(*(r.allowed.maybe for r in results))
    counted = maybe & access_actions(frozenset().union(*(u for _, u in targets)))
    if not counted:
        return None
    yes = frozenset().union(*(r.allowed.yes for r in results))
    grants = []
    for r in results:
        for h in r.hits:
            if (
                h.ref.effect == "Allow"
                and h.layer in ("identity", "resource")
                and h.actions.maybe & r.allowed.maybe
            ):
                grants.append(
                    (h.ref.index, h.ref.sid, None if h.ref.document == doc else h.ref.document)
                )
    ev = [e if e["document"] != doc else {**e, "document": None} for e in evidence(results, maybe)]
    actions = list(_names(maybe))
    shown = ", ".join(actions[:3]) + (f" (+{len(actions) - 3} more)" if len(actions) > 3 else "")
    t = _Template(
        actions=actions,
        level=level_of(yes or maybe),
        conditional=not yes,
        conditional_actions=list(_names(frozenset(maybe - yes))) if yes and maybe - yes else None,
        evidence=ev,
        needs_doc=any(e["document"] is None for e in ev),
        counted=counted,
        grants=tuple(dict.fromkeys(grants)),
        unknown=next((u for r in results for u in r.unknown), None),
        shown=shown,
        by=None,
    )
    if not any(document is None for _, _, document in t.grants):
        object.__setattr__(t, "by", _by(t, None))
    return t


def _by(t: _Template, doc: str | None) -> str:
    """ "statement 0 of X, ... [only if a condition holds] [(unknown: ...)]"."""
    parts = []
    for index, sid, document in t.grants:
        label = f' "{sid}"' if sid else ""
        parts.append(f"statement {index}{label} of {document or doc}")
    tail = " only if a condition holds" if t.conditional else ""
    tail += f" (unknown: {t.unknown})" if t.unknown else ""
    return (", ".join(parts) or "its policies") + tail


@lru_cache(maxsize=4096)
def _names(actions: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(canonical(a) for a in actions))


def evidence(results: Iterable[Result], allowed: frozenset[str]) -> list[dict[str, Any]]:
    """The statements behind allowed actions: Allows that cover them, Denies that may block."""
    out: dict[tuple[str, int | None], dict[str, Any]] = {}
    for r in results:
        for h in r.hits:
            if h.ref.document.startswith("implicit#"):
                continue
            relevant = h.actions.maybe & allowed if h.ref.effect == "Allow" else h.actions.maybe
            if relevant:
                out.setdefault((h.ref.document, h.ref.index), _ref_dict(h))
    return list(out.values())


def _ref_dict(h: Hit) -> dict[str, Any]:
    return {
        "document": h.ref.document,
        "statement": h.ref.index,
        "sid": h.ref.sid,
        "effect": h.ref.effect,
        "layer": h.layer,
        "conditional": not h.actions.yes,
    }


def anonymous_access(
    node: Node, policy: ResourcePolicy | None, targets: list[tuple[Target, frozenset[str]]]
) -> tuple[frozenset[str], list[Statement]]:
    """The access actions anyone on the internet may take on ``node`` without credentials,
    and the statements granting them: unconditional Allows to ``*`` covering the resource,
    in a policy with no Deny but the usual TLS-only one (a deny could single callers out:
    then nothing is counted), not held back by S3 Block Public Access. Holding a principal
    adds nothing there, so ``can_access`` edges that grant no more are left out and the
    internet gets one edge."""
    if (
        policy is None
        or policy.error
        or policy.restricted
        or node.props.get("public") is False
        or any(not st.allow and not _tls_only(st) for st in policy.statements)
    ):
        return frozenset(), []
    found: set[str] = set()
    granting: list[Statement] = []
    for st in policy.statements:
        if st.condition or not is_public(st):
            continue
        pre = prepare(st, RequestContext())
        for target, universe in targets:
            if match_prepared(st, pre, target) == YES:
                actions = access_actions(action_set(st.action_key, universe))
                if actions:
                    found |= actions
                    granting.append(st)
    return frozenset(found), list(dict.fromkeys(granting))


def _tls_only(st: Statement) -> bool:
    """A Deny that only refuses plain HTTP (``aws:SecureTransport`` false): a caller who uses
    TLS, as every SDK does, is not singled out by it."""
    return condition_keys(st) == {"aws:securetransport"}


def anonymous_edge(
    node: Node, policy: ResourcePolicy | None, targets: list[tuple[Target, frozenset[str]]]
) -> Edge | None:
    """internet → ``node`` ``can_access``: what anyone may do without credentials."""
    actions, granting = anonymous_access(node, policy, targets)
    if not actions or policy is None:
        return None
    names = list(_names(actions))
    refs = [
        {
            "document": policy.doc_id,
            "statement": st.ref.index,
            "sid": st.ref.sid,
            "effect": "Allow",
            "layer": "resource",
            "conditional": False,
        }
        for st in granting
    ]
    by = ", ".join(
        f"statement {st.ref.index}" + (f' "{st.ref.sid}"' if st.ref.sid else "") for st in granting
    )
    props = {
        "actions": names,
        "level": level_of(actions),
        "conditional": False,
        "reason": f"anyone may {', '.join(names[:3])} on {node.name or node.id} without"
        f" credentials: allowed to * by {by} of {policy.doc_id}",
        "evidence": refs,
    }
    return Edge(INTERNET_ID, node.id, EdgeKind.CAN_ACCESS, props)
