"""``can_escalate`` edges: the known AWS privilege-escalation techniques, one checker each.

A technique yields an edge only when *every* action it needs is allowed on the right
resource (possibly by different statements and policies) — one action alone is not an
escalation. Checkers are registered in :data:`TECHNIQUES` (name → function); each yields
``(target, [(action, resource), ...], note)`` candidates and the registry checks them.

Targets: the principal whose permissions the caller gains — another user (access keys,
console password), a role (passed to a new compute resource, or running existing code),
a group (joined or rewritten), or the caller itself (rewriting its own policies: a
self-loop). Rewriting a role's policies counts only for roles the caller can assume.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from blastscope.graph.build import shard_of
from blastscope.graph.iam.aws_access import resource_account
from blastscope.graph.iam.aws_actions import canonical
from blastscope.graph.iam.aws_edges import _may, evidence, may_on
from blastscope.graph.iam.aws_eval import Result, evaluate_actions
from blastscope.graph.iam.aws_index import AwsIndex, Principal
from blastscope.graph.iam.aws_match import MAYBE, NO, YES
from blastscope.graph.iam.aws_policy import (
    Prepared,
    Statement,
    Target,
    action_matches,
    match_prepared,
    mentions_resource,
    prepare,
)
from blastscope.graph.model import Edge, EdgeKind, Node

Need = tuple[str, str, str]
"""(action, resource ARN, service the role is passed to or ""); a resource ending in ``:``
means "some resource with this prefix"."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One way a technique might work: the target gained and the actions it needs."""

    target: str
    needs: tuple[tuple[Need, ...], ...]
    """Alternatives of requirement lists: any one list fully allowed is enough."""
    note: str = ""
    conditional: bool = False
    """True when the technique also depends on state we cannot see."""


Checker = Callable[["Escalation", Principal], Iterator[Candidate]]
T = TypeVar("T")
TECHNIQUES: dict[str, Checker] = {}
"""Technique name → checker, in registration order."""


def technique(name: str) -> Callable[[Checker], Checker]:
    def wrap(fn: Checker) -> Checker:
        TECHNIQUES[name] = fn
        return fn

    return wrap


class Escalation:
    """What checkers ask: which roles trust a service, what a principal can act as."""

    def __init__(self, ix: AwsIndex, assumable: dict[str, set[str]]) -> None:
        self.ix = ix
        self.assumable = assumable
        self._service_roles: dict[str, list[Node]] = {}
        self._cache: dict[tuple[Any, ...], Result] = {}
        self._specific: dict[tuple[str, str], tuple[tuple[Statement, Prepared], ...]] = {}
        self._foreign: dict[tuple[str, str], tuple[str, bool]] = {}
        self.runners: dict[str, list[tuple[str, str]]] = {}
        """Compute node kind → (node id, role id) running as a role (see aws_escalation_iam)."""
        self._near: dict[str, tuple[dict[str, list[tuple[int, Any]]], list[tuple[int, Any]]]] = {}

    def near(
        self,
        p: Principal,
        name: str,
        items: Callable[[], Sequence[T]],
        node_of: Callable[[T], str],
        service: str,
    ) -> list[T]:
        """The targets ``items()`` (listed once, cached under ``name``) that ``p`` could act
        on with ``service`` actions: those of its own account, and those of other accounts
        with a resource policy for ``service`` (the only way across; any other is refused by
        :meth:`cross_account_only`). Listing every target for every caller made escalation
        O(principals × roles) on an organisation. Order is ``items()``'s."""
        split = self._near.get(name)
        if split is None:
            by_account: dict[str, list[tuple[int, Any]]] = defaultdict(list)
            anyone: list[tuple[int, Any]] = []
            for pos, item in enumerate(items()):
                node = self.ix.nodes.get(node_of(item))
                account = resource_account(node) if node is not None else ""
                if not account or self.ix.resource_policy(node, service) is not None:
                    anyone.append((pos, item))
                else:
                    by_account[account].append((pos, item))
            split = self._near[name] = (dict(by_account), anyone)
        by_account, anyone = split
        if not p.account:
            return [item for _, item in heapq.merge(*by_account.values(), anyone)]
        own = by_account.get(p.account, [])
        return [item for _, item in heapq.merge(own, anyone)]

    def roles_trusting(self, service: str) -> list[Node]:
        """Roles whose trust policy lets ``service`` assume them (what PassRole hands over)."""
        if service not in self._service_roles:
            out = []
            for role in self.ix.by_kind.get("role", ()):
                policy = self.ix.resource_policy(role, "sts")
                if policy and any(
                    s.allow and f"Service:{service}" in (s.principals or ())
                    for s in policy.statements
                ):
                    out.append(role)
            self._service_roles[service] = sorted(out, key=lambda n: n.id)
        return self._service_roles[service]

    def acts_as(self, p: Principal) -> set[str]:
        """The principal itself and the roles it can assume."""
        return {p.id, *self.assumable.get(p.id, ())}

    def cross_account_only(self, p: Principal, need: Need) -> bool:
        """Whether ``need`` targets a node of another account that has no resource policy
        for the action: only that policy could let ``p`` in, so the answer is no."""
        node = self.ix.nodes.get(need[1])
        if node is None or not p.account:
            return False
        key = (need[1], need[0].split(":", 1)[0])
        found = self._foreign.get(key)
        if found is None:
            found = (resource_account(node), self.ix.resource_policy(node, key[1]) is not None)
            self._foreign[key] = found
        account, has_policy = found
        return bool(account) and account != p.account and not has_policy

    def check(self, p: Principal, need: Need, extra: dict[str, list[str]] | None) -> Result:
        """One action on one resource, shared between resources every statement of ``p``
        treats alike (no resource policy, same match of each ARN-specific statement)."""
        action, arn, service = need
        node = self.ix.nodes.get(arn)
        target = Target(arn, family=arn.endswith(":"))
        if node is not None and self.ix.resource_policy(node, action.split(":", 1)[0]):
            key: tuple[Any, ...] = (p.id, action, service, arn)
        else:
            specific = self._specific.get((p.id, action))
            if specific is None:
                ctx = self.ix.context(p, None, "")
                every = [*p.identity, *(p.boundary or ()), *(s for lv in p.scp_levels for s in lv)]
                specific = tuple(
                    (s, prepare(s, ctx))
                    for s in every
                    if not s.resource_free and action_matches(s.action_key, action)
                )
                self._specific[(p.id, action)] = specific
            sig = tuple(match_prepared(s, pre, target) for s, pre in specific)
            cross = node is not None and self.cross_account_only(p, need)
            key = (p.id, action, service, sig, target.family, cross)
            if any(mentions_resource(s.condition) for s, _ in specific):
                key += (arn,)  # tags, account or region of this resource decide
        found = self._cache.get(key)
        if found is None:
            found = evaluate_actions(self.ix, p, node, target, frozenset({action}), extra=extra)
            self._cache[key] = found
        return found


def escalation_edges(
    ix: AwsIndex,
    assume: list[Edge] | None = None,
    shard: tuple[int, int] = (0, 1),
    *,
    esc: Escalation | None = None,
    callers: frozenset[str] | None = None,
) -> Iterator[Edge]:
    """can_escalate edges for every principal (of the ``shard`` part of them, sorted by id;
    of those among ``callers`` only, when given) and registered technique; ``esc`` (from
    :func:`escalation_for`) shares its caches between parts."""
    if esc is None:
        esc = escalation_for(ix, assume)
    pids = sorted(ix.principals if callers is None else callers & ix.principals.keys())
    for pid in shard_of(pids, shard):
        p = ix.principals[pid]
        for name, checker in TECHNIQUES.items():
            # One edge per technique and target: the first way that works, an unconditional
            # one if any (a role on 16 instances is one escalation, not 16).
            found: dict[str, Edge] = {}
            for cand in checker(esc, p):
                prior = found.get(cand.target)
                if prior is not None and not prior.props["conditional"]:
                    continue
                edge = _judge(esc, p, name, cand)
                if edge is not None and (prior is None or not edge.props["conditional"]):
                    found[cand.target] = edge
            yield from found.values()


def escalation_for(ix: AwsIndex, assume: list[Edge] | None = None) -> Escalation:
    """An :class:`Escalation` knowing who may assume what (``assume``: the can_assume edges,
    computed when not given)."""
    if assume is None:
        from blastscope.graph.iam.aws_edges import assume_edges

        assume = list(assume_edges(ix))
    assumable: dict[str, set[str]] = defaultdict(set)
    for e in assume:
        assumable[e.src].add(e.dst)
    return Escalation(ix, assumable)


def _judge(esc: Escalation, p: Principal, name: str, cand: Candidate) -> Edge | None:
    best: tuple[int, list[tuple[Need, Result]]] | None = None
    for needs in cand.needs:
        value = YES
        results = []
        for need in needs:
            if esc.cross_account_only(p, need) or not (p.unknown or may_on(p, need[0], need[1])):
                value = NO
                break
            extra = _extra(need)
            r = esc.check(p, need, extra)
            action = need[0]
            v = YES if action in r.allowed.yes else MAYBE if action in r.allowed.maybe else NO
            value = min(value, v)
            results.append((need, r))
            if value == NO:
                break
        if value != NO and (best is None or value > best[0]):
            best = (value, results)
    if best is None:
        return None
    value, results = best
    actions = [canonical(need[0]) for need, _ in results]
    conditional = value == MAYBE or cand.conditional
    target = esc.ix.nodes.get(cand.target)
    target_name = target.name if target else cand.target
    reason = (
        f"{p.name} can gain {target_name}'s permissions by {name}: "
        + " + ".join(actions)
        + (f" ({cand.note})" if cand.note else "")
        + (" — only if a condition holds" if conditional else "")
    )
    ev: list[dict[str, Any]] = []
    for need, r in results:
        for item in evidence([r], r.allowed.maybe):
            item = {**item, "action": canonical(need[0]), "resource": need[1]}
            ev.append(item)
    props = {
        "technique": name,
        "actions": actions,
        "conditional": conditional,
        "reason": reason,
        "evidence": ev,
    }
    return Edge(p.id, cand.target, EdgeKind.CAN_ESCALATE, props)


def _extra(need: Need) -> dict[str, list[str]] | None:
    """iam:PassRole is judged with ``iam:PassedToService`` known (its usual condition)."""
    return {"iam:PassedToService": [need[2]]} if need[2] else None


# --- iam:PassRole to a new compute resource ----------------------------------------------


def _passrole(service: str, uses: tuple[tuple[Need, ...], ...], note: str) -> Checker:
    def check(esc: Escalation, p: Principal) -> Iterator[Candidate]:
        if not (p.unknown or _may(p, "iam:passrole")):
            return
        roles = esc.near(
            p, f"trusting:{service}", lambda: esc.roles_trusting(service), lambda n: n.id, "iam"
        )
        for role in roles:
            if role.id == p.id:
                continue
            if service == "ec2.amazonaws.com" and not role.props.get("instance_profiles"):
                continue
            pass_need = ("iam:passrole", role.id, service)
            yield Candidate(role.id, tuple((pass_need, *u) for u in uses), note)

    return check


def _prefix(service: str) -> str:
    return f"arn:aws:{service}:"


TECHNIQUES["passrole-ec2"] = _passrole(
    "ec2.amazonaws.com",
    ((("ec2:runinstances", _prefix("ec2"), ""),),),
    "launch an instance with its profile",
)
TECHNIQUES["passrole-lambda"] = _passrole(
    "lambda.amazonaws.com",
    (
        (
            ("lambda:createfunction", _prefix("lambda"), ""),
            ("lambda:invokefunction", _prefix("lambda"), ""),
        ),
        (
            ("lambda:createfunction", _prefix("lambda"), ""),
            ("lambda:createeventsourcemapping", "*", ""),
        ),
    ),
    "create and run a function as the role",
)
TECHNIQUES["passrole-cloudformation"] = _passrole(
    "cloudformation.amazonaws.com",
    ((("cloudformation:createstack", _prefix("cloudformation"), ""),),),
    "create a stack that runs as the role",
)
TECHNIQUES["passrole-glue"] = _passrole(
    "glue.amazonaws.com",
    ((("glue:createdevendpoint", _prefix("glue"), ""),),),
    "create a Glue dev endpoint with the role",
)
TECHNIQUES["passrole-datapipeline"] = _passrole(
    "datapipeline.amazonaws.com",
    (
        (
            ("datapipeline:createpipeline", "*", ""),
            ("datapipeline:putpipelinedefinition", _prefix("datapipeline"), ""),
            ("datapipeline:activatepipeline", _prefix("datapipeline"), ""),
        ),
    ),
    "run a pipeline as the role",
)

# The techniques that rewrite IAM or run code as an existing role register on import.
from blastscope.graph.iam import aws_escalation_iam as _more  # noqa: E402,F401
