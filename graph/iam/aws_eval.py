"""AWS policy evaluation for requests within one account, over sets of actions at once.

Follows AWS's documented logic ("Policy evaluation logic", "Policy evaluation for requests
within a single account"): an explicit Deny in any policy wins; SCPs must allow (each level);
the request is then allowed by the identity-based policies intersected with the permissions
boundary, or by a resource-based policy that names the principal (a user ARN, a role session
or ``*`` grant alone; a role ARN is still limited by its boundary). A KMS key policy and a
role trust policy must themselves allow: naming the principal, or delegating to the account
(``arn:aws:iam::ACCT:root``), in which case the identity policies must allow too.

Results are three-valued sets of actions (definitely allowed ⊆ possibly allowed): a
condition we cannot decide makes an action possible but not definite → ``conditional``.
"""

from __future__ import annotations

from dataclasses import dataclass

from blastscope.graph.iam import StatementRef
from blastscope.graph.iam.aws_conditions import RequestContext
from blastscope.graph.iam.aws_index import AwsIndex, Principal, ResourcePolicy
from blastscope.graph.iam.aws_match import NO, YES
from blastscope.graph.iam.aws_policy import (
    Statement,
    Target,
    action_set,
    condition_match,
    principal_match,
    resource_match,
)
from blastscope.graph.model import Node

EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class TriSet:
    """Actions definitely (``yes``) and possibly (``maybe`` ⊇ ``yes``) in a set."""

    yes: frozenset[str]
    maybe: frozenset[str]

    def __and__(self, other: TriSet) -> TriSet:
        return TriSet(self.yes & other.yes, self.maybe & other.maybe)

    def __or__(self, other: TriSet) -> TriSet:
        return TriSet(self.yes | other.yes, self.maybe | other.maybe)

    def invert(self, universe: frozenset[str]) -> TriSet:
        return TriSet(universe - self.maybe, universe - self.yes)


NONE_SET = TriSet(EMPTY, EMPTY)


@dataclass(frozen=True, slots=True)
class Hit:
    """One statement that matched, the layer it sits in, and the actions it covered."""

    ref: StatementRef
    layer: str
    """identity / boundary / scp / resource"""
    actions: TriSet


@dataclass(frozen=True, slots=True)
class Result:
    """The evaluation of a set of actions by one principal on one target."""

    universe: frozenset[str]
    allowed: TriSet
    denied: TriSet
    """Actions an explicit Deny definitely (``yes``) or possibly (``maybe``) blocks."""
    hits: tuple[Hit, ...]
    missing: tuple[str, ...]
    """Why actions not allowed are not: the layer that lacked an Allow (for reasons)."""
    unknown: tuple[str, ...]


def _layer(
    statements: tuple[Statement, ...],
    name: str,
    target: Target,
    ctx: RequestContext,
    universe: frozenset[str],
    hits: list[Hit],
) -> tuple[TriSet, TriSet]:
    """(allow, deny) of a list of statements for the actions of ``universe``."""
    if not statements:
        return NONE_SET, NONE_SET
    allow_y: set[str] = set()
    allow_m: set[str] = set()
    deny_y: set[str] = set()
    deny_m: set[str] = set()
    for s in statements:
        acts = action_set(s.action_key, universe)
        if not acts:
            continue
        value = resource_match(s, target, ctx)
        if value == NO:
            continue
        value = min(value, condition_match(s, ctx))
        if value == NO:
            continue
        if s.allow:
            allow_m |= acts
            if value == YES:
                allow_y |= acts
        else:
            deny_m |= acts
            if value == YES:
                deny_y |= acts
        hits.append(Hit(s.ref, name, TriSet(acts if value == YES else EMPTY, acts)))
    return TriSet(frozenset(allow_y), frozenset(allow_m)), TriSet(
        frozenset(deny_y), frozenset(deny_m)
    )


def evaluate_actions(
    ix: AwsIndex,
    principal: Principal,
    resource: Node | None,
    target: Target,
    universe: frozenset[str],
    *,
    extra: dict[str, list[str]] | None = None,
    rpolicy: ResourcePolicy | None | bool = True,
) -> Result:
    """Evaluate every action of ``universe`` (lower-case, one service) on one target.

    ``resource`` is the node whose resource policy applies (None for ARNs without a node);
    ``rpolicy=True`` looks it up.
    """
    ctx = ix.context(principal, resource, target.arn)
    if extra:
        ctx = ctx.with_values(extra)
    everything = TriSet(universe, universe)
    hits: list[Hit] = []
    missing: list[str] = []
    unknown = list(principal.unknown)

    ident, deny = _layer(principal.identity, "identity", target, ctx, universe, hits)
    if principal.unknown:
        ident = TriSet(ident.yes, universe)
        deny = TriSet(deny.yes, universe)
    bounded = ident
    boundary = everything
    if principal.boundary is not None:
        boundary, b_deny = _layer(principal.boundary, "boundary", target, ctx, universe, hits)
        deny = deny | b_deny
        bounded = ident & boundary
        if ident.maybe - boundary.maybe:
            missing.append("the permissions boundary does not allow it")
    scp = everything
    for level in principal.scp_levels:
        allow, s_deny = _layer(level, "scp", target, ctx, universe, hits)
        scp = scp & allow
        deny = deny | s_deny
    if scp.maybe != universe:
        missing.append("an SCP does not allow it")

    service = next(iter(universe)).split(":", 1)[0] if universe else ""
    if rpolicy is True:
        rpolicy = ix.resource_policy(resource, service)
    grant = bounded
    direct = role = account = NONE_SET
    if isinstance(rpolicy, ResourcePolicy):
        direct, role, account, r_deny = _resource_layer(
            ix, principal, rpolicy, target, ctx, universe, hits
        )
        if rpolicy.error:
            # Unknown policy: it may deny anything; a key / trust policy may delegate to the
            # account (so the caller's own policies decide, conditionally); another
            # resource policy may grant directly.
            unknown.append(rpolicy.error)
            r_deny = TriSet(r_deny.yes, universe)
            if rpolicy.required:
                account = TriSet(account.yes, universe)
            else:
                direct = TriSet(direct.yes, universe)
        deny = deny | r_deny
        via_resource = direct | (role & boundary)
        if rpolicy.required:
            grant = via_resource | (account & bounded)
            if not (grant.maybe or rpolicy.error):
                what = "trust policy" if service == "sts" else "key policy"
                if account.maybe:
                    missing.append(
                        f"the {what} {rpolicy.doc_id} delegates to the account, but no"
                        " identity-based policy allows it"
                    )
                else:
                    missing.append(f"the {what} {rpolicy.doc_id} does not allow it")
        else:
            grant = bounded | via_resource
    r_account = (ctx.lookup("aws:resourceaccount") or [""])[0]
    if r_account and principal.account and r_account != principal.account:
        # Cross-account ("Cross-account policy evaluation logic"): the caller's own policies
        # AND the resource's policy must both allow.
        if isinstance(rpolicy, ResourcePolicy) and rpolicy.restricted:
            grant = NONE_SET
            missing.append(
                "S3 Block Public Access (RestrictPublicBuckets) blocks cross-account access"
                " to a bucket with a public policy"
            )
        elif isinstance(rpolicy, ResourcePolicy):
            grant = bounded & (direct | role | account)
        else:
            grant = NONE_SET
        if not grant.maybe:
            missing.append(
                f"cross-account: the resource's policy (account {r_account}) and the"
                " caller's policies must both allow it"
            )
    allowed = deny.invert(universe) & scp & grant
    if not grant.maybe and not missing:
        missing.append("no policy allows it")
    return Result(universe, allowed, deny, tuple(hits), tuple(missing), tuple(unknown))


def _resource_layer(
    ix: AwsIndex,
    principal: Principal,
    policy: ResourcePolicy,
    target: Target,
    ctx: RequestContext,
    universe: frozenset[str],
    hits: list[Hit],
) -> tuple[TriSet, TriSet, TriSet, TriSet]:
    """(direct, role-ARN, account-delegated, deny) grants of a resource policy."""
    role_name = principal.id.rsplit("/", 1)[-1] if principal.is_role else None
    groups: dict[str, list[Statement]] = {"direct": [], "role": [], "account": []}
    for s in policy.statements:
        how = principal_match(s, principal.id, principal.account, role_name)
        if how is not None:
            groups[how if s.allow else "direct"].append(s)
    direct, deny = _layer(tuple(groups["direct"]), "resource", target, ctx, universe, hits)
    role, _ = _layer(tuple(groups["role"]), "resource", target, ctx, universe, hits)
    account, _ = _layer(tuple(groups["account"]), "resource", target, ctx, universe, hits)
    return direct, role, account, deny
