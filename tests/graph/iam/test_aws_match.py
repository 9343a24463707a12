"""Wildcards, prefixes, variables and condition operators of the AWS policy language."""

from __future__ import annotations

import fnmatch

from hypothesis import given
from hypothesis import strategies as st

from blastscope.graph.iam.aws_conditions import RequestContext, evaluate_condition
from blastscope.graph.iam.aws_match import MAYBE, NO, YES, glob_match, glob_prefix, substitute

TEXT = st.text(alphabet="ab:/-", max_size=10)
PATTERN = st.text(alphabet="ab:/-*?", max_size=8)


@given(PATTERN, TEXT)
def test_glob_agrees_with_fnmatch_on_star_and_question_mark(pattern, text):
    assert glob_match(pattern, text) == fnmatch.fnmatchcase(text, pattern)


@given(PATTERN, TEXT)
def test_glob_ignore_case(pattern, text):
    assert glob_match(pattern.upper(), text, ignore_case=True) == fnmatch.fnmatchcase(text, pattern)


@given(PATTERN, TEXT, TEXT)
def test_glob_prefix_some_and_all_are_sound(pattern, prefix, suffix):
    some, every = glob_prefix(pattern, prefix)
    if glob_match(pattern, prefix + suffix):
        assert some
    if every and suffix:
        assert glob_match(pattern, prefix + suffix)
    if every:
        assert some


def test_substitute_variables():
    known = {"aws:username": ["alice"], "aws:principaltag/team": []}.get
    assert substitute("arn:aws:s3:::b/${aws:username}/*", known) == ("arn:aws:s3:::b/alice/*", True)
    assert substitute("arn:aws:s3:::b/${aws:userid}/*", known) == ("arn:aws:s3:::b/*/*", False)
    assert substitute("a${*}b${?}", known)[0] == "a\x00b\x01"
    assert not glob_match(substitute("x${*}", known)[0], "xy")
    assert glob_match(substitute("x${*}", known)[0], "x*")
    assert substitute("${aws:PrincipalTag/team, 'none'}", lambda k: known(k.lower()))[0] == "none"


CTX = RequestContext(
    {"aws:username": ["alice"], "aws:principaltype": ["User"]}, {"team": "pay"}, None
)


def cond(c):
    return evaluate_condition(c, CTX)


def test_condition_operators_on_known_keys():
    assert cond({"StringEquals": {"aws:username": "alice"}}) == YES
    assert cond({"StringEquals": {"aws:username": ["bob", "carol"]}}) == NO
    assert cond({"StringNotEquals": {"aws:username": "bob"}}) == YES
    assert cond({"StringLike": {"aws:username": "ali*"}}) == YES
    assert cond({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "PAY"}}) == YES
    assert cond({"ArnLike": {"aws:username": "a?ice"}}) == YES


def test_missing_key_semantics():
    """AWS "Condition operators": a missing key fails positive operators, satisfies negated
    ones, IfExists and ForAllValues; Null tests presence."""
    assert cond({"StringEquals": {"aws:PrincipalTag/dept": "x"}}) == NO
    assert cond({"StringNotEquals": {"aws:PrincipalTag/dept": "x"}}) == YES
    assert cond({"StringEqualsIfExists": {"aws:PrincipalTag/dept": "x"}}) == YES
    assert cond({"ForAllValues:StringEquals": {"aws:PrincipalTag/dept": "x"}}) == YES
    assert cond({"ForAnyValue:StringEquals": {"aws:PrincipalTag/dept": "x"}}) == NO
    assert cond({"Null": {"aws:PrincipalTag/dept": "true"}}) == YES
    assert cond({"Null": {"aws:PrincipalTag/team": "true"}}) == NO


def test_unknown_keys_are_maybe_and_and_combines():
    assert cond({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}) == MAYBE
    assert (
        cond({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "StringEquals": {"aws:username": "bob"}})
        == NO
    )
    ctx = CTX.with_values({"aws:SourceIp": ["10.1.2.3"]})
    assert evaluate_condition({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, ctx) == YES
    assert evaluate_condition({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, ctx) == NO
    assert cond({"StringEquals": {"aws:username": "${aws:PrincipalTag/team}"}}) == NO


GLOB_TEXT = st.text(alphabet="aAb:/-*?\u00df\u212a", max_size=10)
GLOB = st.text(alphabet="aAbk:/-*?\u00df\u212a", max_size=8)


@given(GLOB, GLOB_TEXT, st.booleans())
def test_glob_without_a_regex_agrees_with_the_regex(pattern, text, ignore_case):
    """Star-only globs skip the regex: the answer is the regex's, case folding included
    (the German sharp s and the Kelvin sign fold differently from ``str.lower``)."""
    from blastscope.graph.iam.aws_match import _glob_regex

    want = _glob_regex(pattern, ignore_case).fullmatch(text) is not None
    assert glob_match(pattern, text, ignore_case=ignore_case) == want
