"""Each report format parsed back: JSON (DESIGN.md shape), GraphML (networkx), Markdown and a
self-contained HTML page that shows the path hop by hop with reasons."""

from __future__ import annotations

import json
import re
from pathlib import Path

import networkx as nx
import pytest

from blastscope.graph.build import build_graph
from blastscope.graph.errors import InputError
from blastscope.graph.model import load_snapshot
from blastscope.graph.paths import alternative_paths, blast_radius
from blastscope.graph.report import FORMATS, render_report, write_report

DATA = Path(__file__).parent / "data" / "webapp_estate.json"
WEB = "arn:aws:ec2:us-east-1:111122223333:instance/i-0web"
WEBROLE = "arn:aws:iam::111122223333:role/web-role"
PII = "arn:aws:s3:::acme-customer-pii"


@pytest.fixture(scope="module")
def setup():  # type: ignore[no-untyped-def]
    snapshot = load_snapshot(DATA)
    G = build_graph(snapshot)
    G.nodes[PII]["findings"] = [
        {
            "id": "f1",
            "rule": "s3-unencrypted",
            "severity": "high",
            "node": PII,
            "title": "Bucket <b>unencrypted</b>",
            "evidence": {},
            "remediation": "Enable SSE-KMS",
        }
    ]
    return snapshot, G, blast_radius(G, WEB)


def test_json_is_the_design_shape_with_nodes(setup) -> None:  # type: ignore[no-untyped-def]
    snapshot, G, radius = setup
    data = json.loads(render_report(G, radius, "json", warnings=snapshot.warnings))
    assert data["source"] == WEB
    pii = next(p for p in data["paths"] if p["target"] == PII)
    assert pii["target_kind"] == "bucket"
    assert [(h["src"], h["kind"], h["dst"]) for h in pii["hops"]] == [
        (WEB, "runs_as", WEBROLE),
        (WEBROLE, "can_access", PII),
    ]
    assert pii["hops"][1]["props"]["actions"] == ["s3:GetObject", "s3:ListBucket"]
    reach = {r["id"]: r for r in data["reachable"]}
    assert reach[PII]["kind"] == "bucket" and "s3:GetObject" in reach[PII]["actions"]
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes[PII]["props"]["tags"] == {"data": "pii"}
    assert nodes[PII]["findings"][0]["rule"] == "s3-unencrypted"
    assert data["warnings"] == [w.to_dict() for w in snapshot.warnings]


def test_json_with_alternative_paths(setup) -> None:  # type: ignore[no-untyped-def]
    _s, G, radius = setup
    alts = alternative_paths(G, WEB, PII, k=2)
    data = json.loads(render_report(G, radius, "json", paths=alts))
    assert [len(p["hops"]) for p in data["paths"]] == [2, 3]


def test_graphml_round_trips(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _s, G, radius = setup
    out = write_report(G, radius, "graphml", tmp_path / "r.graphml")
    back = nx.read_graphml(out)
    assert {WEB, WEBROLE, PII} <= set(back.nodes)
    assert back.nodes[PII]["kind"] == "bucket"
    assert json.loads(back.nodes[PII]["props.tags"]) == {"data": "pii"}
    kinds = {(u, d["kind"], v) for u, v, d in back.edges(data=True)}
    assert (WEBROLE, "can_access", PII) in kinds
    assert all(isinstance(v, str) for _n, d in back.nodes(data=True) for v in d.values())


def test_html_is_self_contained_escaped_and_shows_the_path(setup) -> None:  # type: ignore[no-untyped-def]
    snapshot, G, radius = setup
    html = render_report(G, radius, "html", warnings=snapshot.warnings)
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # no external assets
    assert "<link" not in html and "<script" not in html
    assert "<svg" in html and "acme-customer-pii" in html
    section = html[html.index("<h2>Paths</h2>") :]
    assert re.search(
        r"web-1</strong> <span class=\"kind\">runs_as</span> <strong>web-role", section
    )
    assert "allowed by statement 1 of pii" in section
    assert "kms:ListKeys denied" in html
    assert "Bucket &lt;b&gt;unencrypted&lt;/b&gt;" in html  # autoescaped


def test_markdown_lists_paths_hop_by_hop(setup, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    snapshot, G, radius = setup
    text = write_report(G, radius, "md", tmp_path / "r.md", warnings=snapshot.warnings).read_text()
    assert text.startswith("# Blast radius of web-1")
    assert "**web-1** —runs_as→ **web-role**" in text
    assert "| acme-customer-pii | bucket |" in text
    assert "kms us-east-1: AccessDenied" in text


def test_every_format_renders_an_empty_radius() -> None:
    G = nx.MultiDiGraph()
    G.add_node("lonely", kind="instance", name="lonely", props={})
    radius = blast_radius(G, "lonely")
    for fmt in FORMATS:
        assert "lonely" in render_report(G, radius, fmt)


def test_unknown_format(setup) -> None:  # type: ignore[no-untyped-def]
    _s, G, radius = setup
    with pytest.raises(InputError, match="unknown report format"):
        render_report(G, radius, "pdf")


def test_opengraph_follows_the_generic_ingest_shape(setup) -> None:  # type: ignore[no-untyped-def]
    _s, G, radius = setup
    doc = json.loads(render_report(G, radius, "opengraph"))
    assert doc["metadata"]["source_kind"] == "Blastscope"
    nodes = {n["id"]: n for n in doc["graph"]["nodes"]}
    assert nodes[PII]["kinds"] == ["BSBucket"] and nodes[PII]["properties"]["name"] == (
        "acme-customer-pii"
    )
    for node in nodes.values():
        for value in node["properties"].values():
            assert isinstance(value, str | int | float | bool) or (
                isinstance(value, list) and all(isinstance(v, str) for v in value)
            )
    edges = {(e["start"]["value"], e["kind"], e["end"]["value"]) for e in doc["graph"]["edges"]}
    assert (WEBROLE, "BSCanAccess", PII) in edges
    assert all(
        e["start"]["match_by"] == "id"
        and e["start"]["value"] in nodes
        and e["end"]["value"] in nodes
        for e in doc["graph"]["edges"]
    )
