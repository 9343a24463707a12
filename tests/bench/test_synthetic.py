"""The synthetic estates: deterministic, valid against the model, realistically shaped."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from bench.synthetic import generate
from blastscope.graph.model import NodeKind, load_snapshot, save_snapshot


@pytest.fixture(scope="module")
def snap():
    return generate(4_000, seed=7)


def test_same_seed_same_snapshot_other_seed_differs(snap) -> None:
    assert generate(4_000, seed=7).to_dict() == snap.to_dict()
    assert generate(4_000, seed=8).to_dict() != snap.to_dict()


@pytest.mark.parametrize("size", [1_000, 10_000, 20_000])
def test_size_is_close_to_the_request(size: int) -> None:
    assert size <= len(generate(size, seed=3).nodes) <= size * 1.1 + 200


def test_round_trips_through_the_file_format(snap, tmp_path: Path) -> None:
    path = save_snapshot(snap, tmp_path / "syn.json")
    assert load_snapshot(path).to_dict() == snap.to_dict()


def test_every_document_reference_resolves(snap) -> None:
    missing = []
    for node in snap.nodes:
        p = node.props
        refs = [
            p.get("trust_policy"),
            p.get("document"),
            p.get("policy"),
            p.get("permissions_boundary"),
        ]
        refs += list(p.get("inline_policies") or []) + list(p.get("scps") or [])
        missing += [(node.id, r) for r in refs if r and r not in snap.documents]
    assert missing == []


def test_shape_many_accounts_wildcards_sg_references_and_some_exposure(snap) -> None:
    kinds = Counter(n.kind for n in snap.nodes)
    assert kinds[NodeKind.ACCOUNT] >= 5
    assert kinds[NodeKind.INSTANCE] > kinds[NodeKind.ROLE] > 0
    index = snap.node_index()
    sg_refs = sum(
        1
        for n in snap.nodes
        if n.kind == NodeKind.FIREWALL
        for r in n.props["rules"]
        for s in r["sources"]
        if "firewall" in s and index[s["firewall"]].kind == NodeKind.FIREWALL
    )
    assert sg_refs > kinds[NodeKind.FIREWALL] // 2
    wildcard = sum(
        1
        for d in snap.documents.values()
        for s in d["Statement"]
        if "*" in str(s.get("Action", "")) or s.get("NotAction")
    )
    assert wildcard > len(snap.documents) // 4
    exposed_ip = [n for n in snap.nodes if n.kind == NodeKind.INSTANCE and n.props["public_ips"]]
    assert 0.005 < len(exposed_ip) / kinds[NodeKind.INSTANCE] < 0.05


def test_ids_are_unique_at_scale() -> None:
    snap = generate(60_000, seed=2)
    assert len({n.id for n in snap.nodes}) == len(snap.nodes)
