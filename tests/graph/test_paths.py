"""Blast radius over a small literal estate (tests/graph/data/webapp_estate.json):

internet → web-1 (SG 22/443 open, IMDSv1) runs as web-role, which reads the customer-PII
bucket and may assume ops-admin only under an MFA condition; ops-admin administers the prod
DB password. web-1 reaches app-1 on 8080 (SG reference), app-1 runs as app-role, which writes
the backups bucket, and app-1 reaches the orders database on 5432. jump-1 (RDP open) runs as a
role that only reads static assets. IAM edges are written literally: the IAM analyses are
another module's job.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from blastscope.graph.build import build_graph
from blastscope.graph.errors import InputError
from blastscope.graph.model import load_snapshot
from blastscope.graph.paths import (
    TRAVERSABLE,
    alternative_paths,
    blast_radius,
    exposed_summaries,
    radius_subgraph,
    resolve_node,
    sensitivity,
)

DATA = Path(__file__).parent / "data" / "webapp_estate.json"
A = "111122223333"
WEB = f"arn:aws:ec2:us-east-1:{A}:instance/i-0web"
APP = f"arn:aws:ec2:us-east-1:{A}:instance/i-0app"
JUMP = f"arn:aws:ec2:us-east-1:{A}:instance/i-0jump"
WEBROLE = f"arn:aws:iam::{A}:role/web-role"
ADMIN = f"arn:aws:iam::{A}:role/ops-admin"
PII = "arn:aws:s3:::acme-customer-pii"
ASSETS = "arn:aws:s3:::acme-static-assets"
BACKUP = "arn:aws:s3:::acme-prod-backups"
SECRET = f"arn:aws:secretsmanager:us-east-1:{A}:secret:prod/db-password-AbCdEf"
DB = f"arn:aws:rds:us-east-1:{A}:db:orders"
FN = f"arn:aws:lambda:us-east-1:{A}:function:thumbnailer"
VOL = f"arn:aws:ec2:us-east-1:{A}:volume/vol-web"
EMB = f"{WEB}#secret/3f9a1c"


@pytest.fixture(scope="module")
def G() -> nx.MultiDiGraph:
    return build_graph(load_snapshot(DATA))


def kinds(path: object) -> list[str]:
    return [h.kind for h in path.hops]  # type: ignore[attr-defined]


def test_web_reaches_pii_through_its_role_with_evidence(G: nx.MultiDiGraph) -> None:
    radius = blast_radius(G, WEB)
    pii = next(r for r in radius.reached if r.id == PII)
    assert kinds(pii.path) == ["runs_as", "can_access"]
    assert [(h.src, h.dst) for h in pii.path.hops] == [(WEB, WEBROLE), (WEBROLE, PII)]
    assert pii.level == "read" and "s3:GetObject" in pii.actions
    assert pii.path.hops[1].props["evidence"] == [
        {"document": f"{WEBROLE}#inline/pii", "statement": 1}
    ]
    assert not pii.path.conditional


def test_reach_set_and_lateral_movement(G: nx.MultiDiGraph) -> None:
    radius = blast_radius(G, WEB)
    assert {r.id for r in radius.reached} == {PII, ASSETS, BACKUP, SECRET, DB, FN, VOL, EMB}
    backup = next(r for r in radius.reached if r.id == BACKUP)
    assert kinds(backup.path) == ["network_reach", "runs_as", "can_access"]
    assert set(backup.path.hops[0].props["rules"]) == {"sgr-app-from-web", "100"}  # SG + NACL
    db = next(r for r in radius.reached if r.id == DB)
    assert db.level == "network" and db.actions == ("tcp/5432",)
    assert kinds(next(r for r in radius.reached if r.id == VOL).path) == ["attached_to"]
    assert set(radius.identities) >= {WEBROLE, ADMIN}
    # the thumbnailer was reached with read access only: its role is not ours
    assert f"arn:aws:iam::{A}:role/thumb-role" not in radius.identities


def test_ranking_worst_first(G: nx.MultiDiGraph) -> None:
    reached = blast_radius(G, WEB).reached
    keys = [(-r.sensitivity, r.path.length) for r in reached]
    assert keys == sorted(keys)
    assert reached[0].sensitivity >= reached[-1].sensitivity
    assert sensitivity(G, PII) > sensitivity(G, ASSETS)
    assert sensitivity(G, SECRET) > sensitivity(G, FN)


def test_conditional_paths_can_be_left_out(G: nx.MultiDiGraph) -> None:
    with_cond = {r.id: r for r in blast_radius(G, WEB).reached}
    assert with_cond[SECRET].path.conditional
    assert kinds(with_cond[SECRET].path) == ["runs_as", "can_assume", "can_access"]
    without = {r.id for r in blast_radius(G, WEB, include_conditional=False).reached}
    assert SECRET not in without and PII in without


def test_max_depth_truncates(G: nx.MultiDiGraph) -> None:
    one = blast_radius(G, WEB, max_depth=1)
    assert {r.id for r in one.reached} == {VOL, EMB}
    assert one.truncated
    assert not blast_radius(G, WEB).truncated


def test_target_kinds(G: nx.MultiDiGraph) -> None:
    roles = blast_radius(G, WEB, target_kinds=["role"])
    assert {r.id for r in roles.reached} >= {WEBROLE, ADMIN}
    assert all(r.kind == "role" for r in roles.reached)


def test_alternative_paths_shortest_first(G: nx.MultiDiGraph) -> None:
    paths = alternative_paths(G, WEB, PII, k=3)
    assert kinds(paths[0]) == ["runs_as", "can_access"]
    assert ["runs_as", "can_assume", "can_access"] in [kinds(p) for p in paths]
    assert [p.length for p in paths] == sorted(p.length for p in paths)
    assert len(alternative_paths(G, WEB, PII, k=1)) == 1
    assert all(p.length <= 2 for p in alternative_paths(G, WEB, PII, k=5, max_depth=2))
    assert alternative_paths(G, WEB, BACKUP, k=2)[0].hops[0].kind == "network_reach"


def test_world_open_rules_of_exposed_targets_make_no_lateral_edges(G: nx.MultiDiGraph) -> None:
    lateral = {(u, v) for u, v, k in G.edges(data="kind") if k == "network_reach"}
    assert (WEB, APP) in lateral  # sg-app admits sg-web by reference
    assert (APP, WEB) not in lateral and (WEB, JUMP) not in lateral  # open to the world anyway
    assert {r.id for r in blast_radius(G, JUMP).reached} == {ASSETS}


def test_every_hop_is_traversable_and_chained(G: nx.MultiDiGraph) -> None:
    for reach in blast_radius(G, WEB).reached:
        prev = WEB
        for hop in reach.path.hops:
            assert hop.kind in TRAVERSABLE and hop.src == prev
            prev = hop.dst
        assert prev == reach.id


def test_exposed_summaries_ranked_with_counts(G: nx.MultiDiGraph) -> None:
    summaries = exposed_summaries(G)
    assert [s.id for s in summaries] == [WEB, JUMP]
    web = summaries[0]
    assert web.ports == [[22, 22], [443, 443]]
    assert {"ssh", "imds_v1"} <= set(web.dangerous)
    direct = blast_radius(G, WEB)
    assert web.data_count == len(direct.reached)
    assert web.identity_count == len(direct.identities)
    assert web.worst is not None and web.worst.sensitivity == direct.reached[0].sensitivity
    assert summaries[1].dangerous == ["rdp"]
    assert summaries[0].to_dict()["blast_radius"] == {
        "data": web.data_count,
        "identities": web.identity_count,
    }


def test_resolve_node(G: nx.MultiDiGraph) -> None:
    assert resolve_node(G, WEB) == WEB
    assert resolve_node(G, "i-0web") == WEB
    assert resolve_node(G, "web-1") == WEB
    assert resolve_node(G, WEB.upper()) == WEB
    with pytest.raises(InputError, match="no node matches"):
        resolve_node(G, "i-nope")


def test_resolve_ambiguous_name() -> None:
    G = nx.MultiDiGraph()
    G.add_node("a", kind="bucket", name="logs", props={})
    G.add_node("b", kind="bucket", name="logs", props={})
    with pytest.raises(InputError, match="matches 2 nodes"):
        resolve_node(G, "logs")


def test_unknown_source_is_an_input_error(G: nx.MultiDiGraph) -> None:
    with pytest.raises(InputError):
        blast_radius(G, "nope")


def test_radius_subgraph_holds_the_paths(G: nx.MultiDiGraph) -> None:
    S = radius_subgraph(G, blast_radius(G, WEB))
    assert {WEB, WEBROLE, PII, BACKUP, VOL} <= set(S.nodes)
    edges = {(u, d["kind"], v) for u, v, d in S.edges(data=True)}
    assert (VOL, "attached_to", WEB) in edges  # stored in the model's direction
    assert (WEBROLE, "can_access", PII) in edges
    assert S.nodes[PII]["kind"] == "bucket"


def test_function_reached_with_write_leads_to_its_role() -> None:
    G = nx.MultiDiGraph()
    for n, k in [
        ("i", "instance"),
        ("r", "role"),
        ("f", "function"),
        ("fr", "role"),
        ("s", "secret"),
    ]:
        G.add_node(n, kind=k, name=n, props={})
    G.add_edge("i", "r", kind="runs_as", props={})
    G.add_edge("f", "fr", kind="runs_as", props={})
    G.add_edge("fr", "s", kind="can_access", props={"level": "read"})
    G.add_edge("r", "f", kind="can_access", props={"level": "read"})
    assert {r.id for r in blast_radius(G, "i").reached} == {"f"}
    G.add_edge("r", "f", kind="can_access", props={"level": "write"})
    assert {r.id for r in blast_radius(G, "i").reached} == {"f", "s"}


def test_summaries_reach_a_functions_role_only_through_a_writer_in_the_region() -> None:
    """The overview's rule for a function reached read-only: its role counts when something
    an exposed machine reaches may change its code — found whatever the walk's order — and
    not for a writer no exposed machine reaches."""
    G = nx.MultiDiGraph()
    for n, k in [
        ("internet", "internet"),
        ("a", "instance"),
        ("ar", "role"),
        ("b", "instance"),
        ("br", "role"),
        ("ops", "role"),
        ("f", "function"),
        ("fr", "role"),
        ("s", "secret"),
    ]:
        G.add_node(n, kind=k, name=n, props={})
    G.add_edge("internet", "a", kind="exposes", props={"ports": [[22, 22]]})
    G.add_edge("a", "ar", kind="runs_as", props={})
    G.add_edge("ar", "f", kind="can_access", props={"level": "read"})
    G.add_edge("f", "fr", kind="runs_as", props={})
    G.add_edge("fr", "s", kind="can_access", props={"level": "read"})
    G.add_edge("ops", "f", kind="can_access", props={"level": "write"})  # nobody reaches ops
    assert exposed_summaries(G)[0].data_count == 1  # f only
    G.add_edge("b", "br", kind="runs_as", props={})
    G.add_edge("br", "ar", kind="can_assume", props={})
    G.add_edge("br", "f", kind="can_access", props={"level": "write"})
    G.add_edge("internet", "b", kind="exposes", props={"ports": [[22, 22]]})
    summaries = {s.id: s for s in exposed_summaries(G)}
    assert summaries["b"].data_count == 2  # f, then its role's secret
    assert summaries["a"].data_count == 2  # the table merges the exposed machines' regions


def test_from_the_internet_an_open_function_url_leads_to_its_role() -> None:
    G = nx.MultiDiGraph()
    for n, k in [("internet", "internet"), ("f", "function"), ("fr", "role"), ("s", "secret")]:
        G.add_node(n, kind=k, name=n, props={})
    G.add_edge("internet", "f", kind="exposes", props={"via": "function_url"})
    G.add_edge("f", "fr", kind="runs_as", props={})
    G.add_edge("fr", "s", kind="can_access", props={"level": "read"})
    radius = blast_radius(G, "internet")
    assert [h.kind for h in next(r for r in radius.reached if r.id == "s").path.hops] == [
        "exposes",
        "runs_as",
        "can_access",
    ]
    assert exposed_summaries(G)[0].data_count == 1
