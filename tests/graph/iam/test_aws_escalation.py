"""can_escalate: every technique appears when all its actions are allowed on the right
resources, and does not when one is missing (the false positive users complain about)."""

from __future__ import annotations

import pytest

from blastscope.graph.iam.aws import permission_edges
from blastscope.graph.iam.aws_escalation import TECHNIQUES

A = "111122223333"
ATTACKER = f"arn:aws:iam::{A}:user/attacker"


def role_arn(name):
    return f"arn:aws:iam::{A}:role/{name}"


def user_arn(name):
    return f"arn:aws:iam::{A}:user/{name}"


def group_arn(name):
    return f"arn:aws:iam::{A}:group/{name}"


def _passrole(service, actions, *, profile=False):
    def build(e, positive):
        target = e.role("target", trust_policy=e.trust(service=service), instance_profile=profile)
        granted = [("iam:PassRole", target)] + [(a, "*") for a in actions]
        if not positive:
            granted = granted[:-1] if len(actions) else granted  # one action short
        return target, granted, {}

    return build


def _user_target(action, *, console_pos, console_neg):
    def build(e, positive):
        target = e.user("victim", console=console_pos if positive else console_neg)
        if not positive and console_pos == console_neg:
            return target, [(action, ATTACKER)], {}  # only on itself: no other user's keys
        return target, [(action, target)], {}

    return build


def _self(action):
    def build(e, positive):
        resource = ATTACKER if positive else user_arn("someone-else")
        return ATTACKER, [(action, resource)], {}

    return build


def _group(action):
    def build(e, positive):
        g = e.group("devs")
        return g, [(action, g)], {"groups": [g] if positive else []}

    return build


def _assumable_role(action):
    def build(e, positive):
        trusted = ATTACKER if positive else user_arn("nobody")
        r = e.role("app", trust_policy=e.trust(trusted))
        return r, [(action, r)], {}

    return build


def _policy_version(action):
    def build(e, positive):
        p = e.policy("team-policy", e.doc(e.allow("s3:ListAllMyBuckets")))
        if positive:
            extra = {"managed": [p]}
        else:
            e.user("other", managed=[p])
            extra = {}
        return ATTACKER, [(action, p)], extra

    return build


def _any_role(action):
    def build(e, positive):
        r = e.role("admin")
        resource = r if positive else role_arn("another")
        return r, [(action, resource)], {}

    return build


def _add_to_group(e, positive):
    g = e.group("admins")
    return g, [("iam:AddUserToGroup", g if positive else group_arn("other"))], {}


def _function_code(e, positive):
    r = e.role("fn-role", trust_policy=e.trust(service="lambda.amazonaws.com"))
    fn = e.function("worker", role=r if positive else None)
    return r, [("lambda:UpdateFunctionCode", fn)], {}


def _instance(action):
    def build(e, positive):
        r = e.role("web-role")
        inst = e.instance("i-0abc", role=r)
        other = f"arn:aws:ec2:us-east-1:{A}:instance/i-other"
        return r, [(action, inst if positive else other)], {}

    return build


CASES = {
    "passrole-ec2": _passrole("ec2.amazonaws.com", ["ec2:RunInstances"], profile=True),
    "passrole-lambda": _passrole(
        "lambda.amazonaws.com", ["lambda:CreateFunction", "lambda:InvokeFunction"]
    ),
    "passrole-cloudformation": _passrole(
        "cloudformation.amazonaws.com", ["cloudformation:CreateStack"]
    ),
    "passrole-glue": _passrole("glue.amazonaws.com", ["glue:CreateDevEndpoint"]),
    "passrole-datapipeline": _passrole(
        "datapipeline.amazonaws.com",
        [
            "datapipeline:CreatePipeline",
            "datapipeline:PutPipelineDefinition",
            "datapipeline:ActivatePipeline",
        ],
    ),
    "create-access-key": _user_target("iam:CreateAccessKey", console_pos=False, console_neg=False),
    "create-login-profile": _user_target(
        "iam:CreateLoginProfile", console_pos=False, console_neg=True
    ),
    "update-login-profile": _user_target(
        "iam:UpdateLoginProfile", console_pos=True, console_neg=False
    ),
    "attach-user-policy": _self("iam:AttachUserPolicy"),
    "put-user-policy": _self("iam:PutUserPolicy"),
    "attach-group-policy": _group("iam:AttachGroupPolicy"),
    "put-group-policy": _group("iam:PutGroupPolicy"),
    "attach-role-policy": _assumable_role("iam:AttachRolePolicy"),
    "put-role-policy": _assumable_role("iam:PutRolePolicy"),
    "create-policy-version": _policy_version("iam:CreatePolicyVersion"),
    "set-default-policy-version": _policy_version("iam:SetDefaultPolicyVersion"),
    "update-assume-role-policy": _any_role("iam:UpdateAssumeRolePolicy"),
    "add-user-to-group": _add_to_group,
    "lambda-update-function-code": _function_code,
    "ssm-send-command": _instance("ssm:SendCommand"),
    "ssm-start-session": _instance("ssm:StartSession"),
    "ec2-instance-connect": _instance("ec2-instance-connect:SendSSHPublicKey"),
}


def test_every_registered_technique_has_a_case():
    assert set(CASES) == set(TECHNIQUES)


def _run(estate, technique, positive):
    target, granted, extra = CASES[technique](estate, positive)
    statements = [
        {"Sid": f"S{i}", "Effect": "Allow", "Action": action, "Resource": resource}
        for i, (action, resource) in enumerate(granted)
    ]
    # Split the grants over an inline policy and a group's managed policy: techniques must
    # combine actions from several statements and policies.
    half = len(statements) // 2
    helper = estate.policy("helper", estate.doc(*statements[:half])) if half else None
    grants = estate.group("grants", managed=[helper] if helper else [])
    estate.user(
        "attacker",
        inline={"attack": estate.doc(*statements[half:])},
        groups=[grants, *extra.get("groups", [])],
        managed=extra.get("managed", []),
    )
    edges = [e for e in permission_edges(estate.snapshot()) if str(e.kind) == "can_escalate"]
    return target, [e for e in edges if e.src == ATTACKER and e.props["technique"] == technique]


@pytest.mark.parametrize("technique", sorted(CASES))
def test_technique_positive(estate, technique):
    target, edges = _run(estate, technique, True)
    assert [e.dst for e in edges] == [target]
    props = edges[0].props
    assert props["technique"] == technique and props["reason"]
    assert props["actions"]
    cited = {(ev["action"], ev["document"]) for ev in props["evidence"]}
    assert {a for a, _ in cited} == set(props["actions"])
    assert props["conditional"] is (technique == "set-default-policy-version")


@pytest.mark.parametrize("technique", sorted(CASES))
def test_technique_negative(estate, technique):
    target, edges = _run(estate, technique, False)
    assert [e.dst for e in edges if e.dst == target] == []


def test_passrole_condition_passed_to_service(estate):
    """iam:PassRole limited by iam:PassedToService to Lambda: no EC2 escalation."""
    e = estate
    ec2_role = e.role(
        "ec2-role", trust_policy=e.trust(service="ec2.amazonaws.com"), instance_profile=True
    )
    fn_role = e.role("fn-role", trust_policy=e.trust(service="lambda.amazonaws.com"))
    e.user(
        "attacker",
        inline={
            "p": e.doc(
                e.allow(
                    "iam:PassRole",
                    Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
                ),
                e.allow(["ec2:RunInstances", "lambda:CreateFunction", "lambda:InvokeFunction"]),
            )
        },
    )
    got = {
        (x.props["technique"], x.dst)
        for x in permission_edges(e.snapshot())
        if str(x.kind) == "can_escalate"
    }
    assert ("passrole-lambda", fn_role) in got
    assert ("passrole-ec2", ec2_role) not in got


def test_explicit_deny_on_one_needed_action_removes_the_edge(estate):
    e = estate
    e.role("target", trust_policy=e.trust(service="ec2.amazonaws.com"), instance_profile=True)
    e.user("attacker", inline={"p": e.doc(e.allow("*"), e.deny("iam:PassRole"))})
    got = [x for x in permission_edges(e.snapshot()) if x.props.get("technique") == "passrole-ec2"]
    assert got == []


def test_one_edge_per_technique_and_target_preferring_an_unconditional_way(estate):
    """A role on three instances is one escalation: the first instance that works, or a later
    one when the first works only under a condition."""
    e = estate
    role = e.role("web-role")
    first, _second, third = (e.instance(i, role=role) for i in ("i-1", "i-2", "i-3"))
    tagged = {"StringEquals": {"ssm:resourceTag/team": "web"}}
    e.user(
        "attacker",
        inline={
            "p": e.doc(
                e.allow("ssm:SendCommand", first, Condition=tagged),
                e.allow("ssm:SendCommand", third),
            )
        },
    )
    got = [
        x
        for x in permission_edges(e.snapshot())
        if x.src == ATTACKER and x.props.get("technique") == "ssm-send-command"
    ]
    assert [x.dst for x in got] == [role]
    assert got[0].props["conditional"] is False and "i-3" in got[0].props["reason"]
