"""Ranking of exposed machines weighs their own findings: fixing one moves a machine down."""

from __future__ import annotations

import dataclasses

from blastscope.graph.build import build_graph
from blastscope.graph.model import Snapshot
from blastscope.graph.paths import exposed_summaries
from blastscope.providers.demo import load_demo


def _ranking(snapshot: Snapshot) -> list[tuple[str, str, int]]:
    return [(s.provider, s.name, s.score) for s in exposed_summaries(build_graph(snapshot))]


def _fix_imds(snapshot: Snapshot, name: str) -> Snapshot:
    nodes = tuple(
        dataclasses.replace(n, props={**n.props, "imds_v1": False})
        if n.name == name and n.provider == "aws" and n.kind == "instance"
        else n
        for n in snapshot.nodes
    )
    return dataclasses.replace(snapshot, nodes=nodes)


def test_requiring_imdsv2_on_the_bastion_moves_it_below_the_ci_runner() -> None:
    demo = load_demo()
    before = _ranking(demo)
    after = _ranking(_fix_imds(demo, "bastion-1"))
    assert [n for _, n, _ in before[:2]] == ["bastion-1", "ci-runner"]
    assert [n for _, n, _ in after[:2]] == ["ci-runner", "bastion-1"]
    score = {n: s for p, n, s in before if p == "aws"}
    fixed = {n: s for p, n, s in after if p == "aws"}
    # the exposure edge's danger flag and the IMDSv1 finding both went away
    assert fixed["bastion-1"] < score["bastion-1"] and fixed["ci-runner"] == score["ci-runner"]
