"""Escalation techniques that rewrite IAM (credentials, policies, trust, groups) or run code
as an existing role (Lambda code, SSM, EC2 Instance Connect). Registered into
``aws_escalation.TECHNIQUES`` on import; see that module for the rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from blastscope.graph.iam.aws_edges import _may
from blastscope.graph.iam.aws_escalation import Candidate, Escalation, technique
from blastscope.graph.iam.aws_index import Principal


def _users(esc: Escalation, p: Principal) -> list[str]:
    """IAM users ``p`` could act on (its account's: IAM has no resource policies)."""

    def every() -> list[str]:
        return sorted(
            n.id
            for n in esc.ix.by_kind.get("identity", ())
            if n.id in esc.ix.principals and ":user/" in n.id
        )

    return esc.near(p, "users", every, _same, "iam")


def _same(node_id: str) -> str:
    return node_id


def _able(p: Principal, action: str) -> bool:
    return bool(p.unknown) or _may(p, action)


# --- credentials of another user --------------------------------------------------------


@technique("create-access-key")
def create_access_key(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:CreateAccessKey on another user: new keys for that user."""
    if not _able(p, "iam:createaccesskey"):
        return
    for user in _users(esc, p):
        if user != p.id:
            yield Candidate(user, ((("iam:createaccesskey", user, ""),),), "new access keys")


@technique("create-login-profile")
def create_login_profile(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:CreateLoginProfile on a user without a console password: set one and sign in."""
    if not _able(p, "iam:createloginprofile"):
        return
    for user in _users(esc, p):
        console = esc.ix.nodes[user].props.get("console")
        if user != p.id and console is not True:
            yield Candidate(
                user,
                ((("iam:createloginprofile", user, ""),),),
                "set a console password",
                conditional=console is None,
            )


@technique("update-login-profile")
def update_login_profile(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:UpdateLoginProfile on a user with a console password: reset it."""
    if not _able(p, "iam:updateloginprofile"):
        return
    for user in _users(esc, p):
        console = esc.ix.nodes[user].props.get("console")
        if user != p.id and console is not False:
            yield Candidate(
                user,
                ((("iam:updateloginprofile", user, ""),),),
                "reset the console password",
                conditional=console is None,
            )


# --- rewriting the caller's own permissions -----------------------------------------------


@technique("attach-user-policy")
def attach_user_policy(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:AttachUserPolicy on itself: attach AdministratorAccess."""
    if not p.is_role and _able(p, "iam:attachuserpolicy"):
        yield Candidate(p.id, ((("iam:attachuserpolicy", p.id, ""),),), "attach any managed policy")


@technique("put-user-policy")
def put_user_policy(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:PutUserPolicy on itself: write an inline admin policy."""
    if not p.is_role and _able(p, "iam:putuserpolicy"):
        yield Candidate(p.id, ((("iam:putuserpolicy", p.id, ""),),), "write an inline policy")


@technique("attach-group-policy")
def attach_group_policy(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:AttachGroupPolicy on a group it belongs to."""
    if _able(p, "iam:attachgrouppolicy"):
        for group in p.groups:
            yield Candidate(
                group, ((("iam:attachgrouppolicy", group, ""),),), "attach any managed policy"
            )


@technique("put-group-policy")
def put_group_policy(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:PutGroupPolicy on a group it belongs to."""
    if _able(p, "iam:putgrouppolicy"):
        for group in p.groups:
            yield Candidate(
                group, ((("iam:putgrouppolicy", group, ""),),), "write an inline policy"
            )


@technique("attach-role-policy")
def attach_role_policy(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:AttachRolePolicy on itself (a role) or a role it can assume."""
    if _able(p, "iam:attachrolepolicy"):
        for role in sorted(r for r in esc.acts_as(p) if ":role/" in r):
            yield Candidate(
                role, ((("iam:attachrolepolicy", role, ""),),), "attach any managed policy"
            )


@technique("put-role-policy")
def put_role_policy(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:PutRolePolicy on itself (a role) or a role it can assume."""
    if _able(p, "iam:putrolepolicy"):
        for role in sorted(r for r in esc.acts_as(p) if ":role/" in r):
            yield Candidate(role, ((("iam:putrolepolicy", role, ""),),), "write an inline policy")


def _held_policies(esc: Escalation, p: Principal) -> Iterator[tuple[str, str]]:
    """(managed policy id, holder) for policies on p, its groups, roles it can assume."""
    holders = set(esc.acts_as(p)) | set(p.groups)
    seen = set()
    for holder in sorted(holders):
        hp = esc.ix.principals.get(holder)
        policies = hp.managed if hp is not None else ()
        if hp is None:  # a group
            policies = tuple(pid for pid, owners in esc.ix.holders.items() if holder in owners)
        for policy in policies:
            node = esc.ix.nodes.get(policy)
            if node is None or node.props.get("aws_managed") or ":aws:policy/" in policy:
                continue  # AWS managed policies cannot be edited by a customer
            if (policy, holder) not in seen:
                seen.add((policy, holder))
                yield policy, holder


@technique("create-policy-version")
def create_policy_version(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:CreatePolicyVersion (as default) on a customer managed policy it holds."""
    if _able(p, "iam:createpolicyversion"):
        for policy, holder in _held_policies(esc, p):
            yield Candidate(
                holder, ((("iam:createpolicyversion", policy, ""),),), f"rewrite {policy}"
            )


@technique("set-default-policy-version")
def set_default_policy_version(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:SetDefaultPolicyVersion on a policy it holds: works only if an older version grants
    more (versions are not collected, hence conditional)."""
    if _able(p, "iam:setdefaultpolicyversion"):
        for policy, holder in _held_policies(esc, p):
            yield Candidate(
                holder,
                ((("iam:setdefaultpolicyversion", policy, ""),),),
                f"switch {policy} to another version",
                conditional=True,
            )


@technique("update-assume-role-policy")
def update_assume_role_policy(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:UpdateAssumeRolePolicy on a role: trust itself, then assume it (a trust policy
    naming the caller allows it alone within an account)."""
    if _able(p, "iam:updateassumerolepolicy"):
        roles = esc.near(
            p,
            "roles",
            lambda: sorted(
                n.id for n in esc.ix.by_kind.get("role", ()) if n.id in esc.ix.principals
            ),
            _same,
            "iam",
        )
        for role in roles:
            if role != p.id:
                yield Candidate(
                    role, ((("iam:updateassumerolepolicy", role, ""),),), "rewrite the trust policy"
                )


@technique("add-user-to-group")
def add_user_to_group(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """iam:AddUserToGroup on a group it is not in: join it."""
    if p.is_role or not _able(p, "iam:addusertogroup"):
        return
    groups = esc.near(
        p, "groups", lambda: sorted(n.id for n in esc.ix.by_kind.get("group", ())), _same, "iam"
    )
    for group in groups:
        if group not in p.groups:
            yield Candidate(group, ((("iam:addusertogroup", group, ""),),), "join the group")


# --- running code as an existing role ----------------------------------------------------


def _compute_with_role(esc: Escalation, kind: str) -> list[tuple[str, str]]:
    """(compute node id, role id) for instances / functions running as a role (listed once
    per snapshot, not per caller)."""
    found = esc.runners.get(kind)
    if found is None:
        found = []
        for role, runners in sorted(esc.ix.runs_as.items()):
            if role not in esc.ix.principals:
                continue
            for runner in sorted(runners):
                node = esc.ix.nodes.get(runner)
                if node is not None and str(node.kind) == kind:
                    found.append((runner, role))
        esc.runners[kind] = found
    return found


def _runners(esc: Escalation, p: Principal, kind: str, service: str) -> list[tuple[str, str]]:
    """:func:`_compute_with_role` narrowed to what ``p`` could reach with ``service``."""
    return esc.near(
        p, f"runners:{kind}:{service}", lambda: _compute_with_role(esc, kind), _first, service
    )


def _first(pair: tuple[str, str]) -> str:
    return pair[0]


def _service_of(action: str) -> str:
    return action.split(":", 1)[0]


@technique("lambda-update-function-code")
def lambda_update_code(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """lambda:UpdateFunctionCode on a function with a role: its next run is the caller's code."""
    if _able(p, "lambda:updatefunctioncode"):
        for fn, role in _runners(esc, p, "function", "lambda"):
            if role != p.id:
                yield Candidate(
                    role, ((("lambda:updatefunctioncode", fn, ""),),), f"replace the code of {fn}"
                )


def _on_instances(esc: Escalation, p: Principal, action: str, note: str) -> Iterator[Candidate]:
    if _able(p, action):
        for inst, role in _runners(esc, p, "instance", _service_of(action)):
            if role != p.id:
                yield Candidate(role, (((action, inst, ""),),), f"{note} {inst}")


@technique("ssm-send-command")
def ssm_send_command(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """ssm:SendCommand on an instance with a role: run commands as the role."""
    yield from _on_instances(esc, p, "ssm:sendcommand", "run a command on")


@technique("ssm-start-session")
def ssm_start_session(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """ssm:StartSession on an instance with a role: a shell on it."""
    yield from _on_instances(esc, p, "ssm:startsession", "open a session on")


@technique("ec2-instance-connect")
def ec2_instance_connect(esc: Escalation, p: Principal) -> Iterator[Candidate]:
    """ec2-instance-connect:SendSSHPublicKey on an instance with a role: SSH in."""
    yield from _on_instances(esc, p, "ec2-instance-connect:sendsshpublickey", "push an SSH key to")
