"""The shortcuts of the AWS permission edges (candidate pruning, results shared between
alike resources, cached escalation checks) change nothing: on synthetic multi-account
estates they give exactly what evaluating every principal × data resource, and every
escalation need, one by one gives."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from bench_package import synthetic_generate

from blastscope.graph.iam import aws_escalation
from blastscope.graph.iam.aws_access import access_edge, anonymous_edge
from blastscope.graph.iam.aws_edges import DataIndex, access_edges, assume_edges
from blastscope.graph.iam.aws_eval import evaluate_actions
from blastscope.graph.iam.aws_index import build_index
from blastscope.graph.iam.aws_policy import Target


def _bench_estate():
    """The single-account shape of test_aws_bench (PrincipalTag conditions, ${aws:username}
    patterns, NotAction), small."""
    spec = importlib.util.spec_from_file_location(
        "aws_bench_estate", Path(__file__).with_name("test_aws_bench.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.synthetic_snapshot(30, resources=400)


@pytest.mark.parametrize("estate", ["synthetic-1", "synthetic-7", "bench"])
def test_can_access_equals_one_by_one_evaluation(estate):
    if estate == "bench":
        ix = build_index(_bench_estate())
    else:
        ix = build_index(synthetic_generate()(1000, int(estate.rsplit("-", 1)[1])))
    fast = {(e.src, e.dst): e.props for e in access_edges(ix)}
    data = DataIndex(ix)
    slow = {}
    for p in ix.principals.values():
        for nodes in data.by_service.values():
            for node in nodes:
                edge = access_edge(ix, p, node, data.targets(node))  # no memo shared
                if edge is not None:
                    slow[(edge.src, edge.dst)] = edge.props
    for nodes in data.by_service.values():
        for node in nodes:  # what anyone may do: every node, not only those naming "*"
            policy = ix.resource_policy(node, node.id.split(":", 3)[2])
            edge = anonymous_edge(node, policy, data.targets(node))
            if edge is not None:
                slow[(edge.src, edge.dst)] = edge.props
    assert len(slow) > 1000
    assert fast.keys() == slow.keys()
    assert fast == slow


def test_can_escalate_equals_uncached_checks(monkeypatch):
    ix = build_index(synthetic_generate()(1000, 1))
    assume = list(assume_edges(ix))
    fast = [(e.src, e.dst, e.props) for e in aws_escalation.escalation_edges(ix, assume)]

    def check(self, p, need, extra):
        action, arn, _service = need
        target = Target(arn, family=arn.endswith(":"))
        node = self.ix.nodes.get(arn)
        return evaluate_actions(self.ix, p, node, target, frozenset({action}), extra=extra)

    monkeypatch.setattr(aws_escalation.Escalation, "check", check)
    monkeypatch.setattr(aws_escalation.Escalation, "cross_account_only", lambda *_: False)
    # Every target of every account, not only those the caller's account could reach.
    monkeypatch.setattr(
        aws_escalation.Escalation, "near", lambda self, p, name, items, node_of, svc: items()
    )
    slow = [(e.src, e.dst, e.props) for e in aws_escalation.escalation_edges(ix, assume)]
    assert len(slow) > 300
    # One edge per caller, technique and target (a role on many instances is one escalation).
    assert len({(src, dst, props["technique"]) for src, dst, props in slow}) == len(slow)
    assert fast == slow


def test_analyses_in_worker_processes_give_the_same_edges_in_the_same_order():
    """``derived_edges(workers=2)`` splits the sharded analyses (AWS access, escalation) in
    parts run by forked processes: the result must be the sequential one, edge for edge."""
    from blastscope.graph.build import SHARDED, derived_edges

    snap = synthetic_generate()(1500, 3)
    one = derived_edges(snap)
    two = derived_edges(snap, workers=2)
    assert {"aws-iam-access", "aws-iam-escalation"} <= SHARDED
    assert len(one) > 1000
    assert [(e.src, str(e.kind), e.dst, e.props) for e in two] == [
        (e.src, str(e.kind), e.dst, e.props) for e in one
    ]


def test_shards_are_contiguous_parts_that_cover_everything_once():
    from blastscope.graph.build import shard_of

    items = list(range(10))
    for n in (1, 2, 3, 7, 12):
        parts = [shard_of(items, (i, n)) for i in range(n)]
        assert [x for part in parts for x in part] == items
        assert max(map(len, parts)) - min(map(len, parts)) <= 1
