"""The Snapshot contract: round trip, validation errors naming the field, atomic writes."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from blastscope.graph.errors import SnapshotError
from blastscope.graph.model import (
    INTERNET_ID,
    SCHEMA,
    Edge,
    EdgeKind,
    Node,
    NodeKind,
    Partial,
    Warning,
    load_snapshot,
    merge_parts,
    save_snapshot,
)

BUCKET = "arn:aws:s3:::customer-data"
ROLE = "arn:aws:iam::111122223333:role/web"


def _snapshot():
    part = Partial(
        nodes=[
            Node(BUCKET, NodeKind.BUCKET, "customer-data", "aws", "global", {"public": None}),
            Node(ROLE, NodeKind.ROLE, "web", "aws", "global", {"trust_policy": f"{ROLE}#trust"}),
        ],
        edges=[Edge(ROLE, BUCKET, EdgeKind.CAN_ACCESS, {"actions": ["s3:GetObject"]})],
        documents={f"{ROLE}#trust": {"Version": "2012-10-17", "Statement": []}},
        warnings=[Warning("kms", "eu-west-1", "AccessDenied", "kms:ListKeys denied")],
    )
    return merge_parts(
        [part],
        provider="aws",
        scope={"account": "111122223333"},
        collected_at="2026-11-23T00:00:00Z",
    )


@pytest.mark.parametrize("name", ["snap.json", "snap.json.gz"])
def test_round_trip_plain_and_gzip(tmp_path: Path, name: str) -> None:
    snap = _snapshot()
    path = save_snapshot(snap, tmp_path / name)
    loaded = load_snapshot(path)
    assert loaded == snap
    assert loaded.to_dict()["schema"] == SCHEMA
    if name.endswith(".gz"):
        assert path.read_bytes()[:2] == b"\x1f\x8b"


def test_merge_is_independent_of_part_order() -> None:
    a = Partial(
        nodes=[Node("x", NodeKind.DISK, "x", "aws", props={"encrypted": True})],
        edges=[Edge("x", INTERNET_ID, EdgeKind.CONTAINS)],
    )
    b = Partial(nodes=[Node("x", NodeKind.DISK, "x", "aws", props={"encrypted": False})])
    one = merge_parts([a, b], provider="aws", scope={}, collected_at="t")
    two = merge_parts([b, a], provider="aws", scope={}, collected_at="t")
    assert one == two
    assert [n.id for n in one.nodes] == sorted(n.id for n in one.nodes)


def test_truncated_file_is_a_one_line_error(tmp_path: Path) -> None:
    path = save_snapshot(_snapshot(), tmp_path / "s.json")
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(SnapshotError, match="not valid JSON"):
        load_snapshot(path)


def test_a_snapshot_too_big_for_memory_is_no_json_error(tmp_path: Path, monkeypatch) -> None:
    """orjson reports a failed allocation as a JSONDecodeError ("Not enough memory to
    allocate buffer for parsing", seen on a 1.1 GB snapshot under a memory cap): that is
    MemoryError, which the CLI reports as such, not "not valid JSON"."""
    import orjson

    path = tmp_path / "s.json"
    path.write_text("{}")

    def exhausted(_raw: bytes) -> None:
        raise orjson.JSONDecodeError("Not enough memory to allocate buffer for parsing", "", 0)

    monkeypatch.setattr(orjson, "loads", exhausted)
    with pytest.raises(MemoryError):
        load_snapshot(path)


def test_truncated_gzip(tmp_path: Path) -> None:
    path = save_snapshot(_snapshot(), tmp_path / "s.json.gz")
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(SnapshotError, match="truncated or corrupt gzip"):
        load_snapshot(path)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="other/1"), "schema: expected"),
        (lambda d: d.update(schema="blastscope.snapshot/9"), "newer blastscope"),
        (lambda d: d["nodes"][0].update(kind="spaceship"), r"nodes\[0\]\.kind: 'spaceship'"),
        (lambda d: d["nodes"][1].pop("id"), r"nodes\[1\]\.id: missing"),
        (lambda d: d["edges"][0].update(dst="nope"), r"edges\[0\]\.dst: no node has id 'nope'"),
        (lambda d: d.update(provider="oracle"), "provider: 'oracle'"),
        (lambda d: d.update(nodes={}), "nodes: expected list"),
    ],
)
def test_validation_names_the_bad_field(tmp_path: Path, mutate, message: str) -> None:
    data = _snapshot().to_dict()
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SnapshotError, match=message):
        load_snapshot(path)


def test_write_is_atomic_when_serialising_fails(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "keep.json"
    save_snapshot(_snapshot(), target)
    before = target.read_bytes()

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        save_snapshot(_snapshot(), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]


def test_gzip_output_is_deterministic(tmp_path: Path) -> None:
    a = save_snapshot(_snapshot(), tmp_path / "a.json.gz").read_bytes()
    b = save_snapshot(_snapshot(), tmp_path / "b.json.gz").read_bytes()
    assert a == b
    assert json.loads(gzip.decompress(a))["provider"] == "aws"
