"""gcp-iam on a synthetic 100k-node estate: edges stay proportional to the grants, and the
analysis finishes (speed is measured by running this file, not asserted on a loaded CI box)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blastscope.graph.iam.gcp import permission_edges
from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, merge_parts

ROLES = Path(__file__).resolve().parents[2] / "data" / "gcp" / "iam" / "roles"
CRM = "//cloudresourcemanager.googleapis.com"


def estate(projects: int = 10, buckets: int = 4000, instances: int = 3000, secrets: int = 1000,
           accounts: int = 100):  # fmt: skip
    docs = {}
    for f in ROLES.glob("*.json"):
        role = json.loads(f.read_text())
        docs[role["name"]] = role
    nodes: list[Node] = []
    edges: list[Edge] = []
    org = f"{CRM}/organizations/1"
    nodes.append(Node(org, NodeKind.ACCOUNT, "org", "gcp", props={"level": "organization"}))
    docs[f"{org}#iam"] = {
        "bindings": [{"role": "roles/viewer", "members": ["group:all@x.example"]}]
    }
    nodes.append(Node("gcp:group/all@x.example", NodeKind.GROUP, "all", "gcp",
                      props={"email": "all@x.example"}))  # fmt: skip
    for p in range(projects):
        pid = f"proj-{p}"
        holder = f"{CRM}/projects/{pid}"
        nodes.append(Node(holder, NodeKind.ACCOUNT, pid, "gcp",
                          props={"level": "project", "native_id": pid, "parent": org}))  # fmt: skip
        sas = [f"sa{i}@{pid}.iam.gserviceaccount.com" for i in range(accounts)]
        for email in sas:
            nodes.append(Node(f"//iam.googleapis.com/projects/{pid}/serviceAccounts/{email}",
                              NodeKind.IDENTITY, email, "gcp",
                              props={"principal_type": "service_account", "email": email,
                                     "account": pid}))  # fmt: skip
        bindings = [
            {"role": "roles/secretmanager.secretAccessor",
             "members": [f"serviceAccount:{e}" for e in sas[:5]]},
            {"role": "roles/iam.serviceAccountUser", "members": [f"serviceAccount:{sas[5]}"]},
            {"role": "roles/iam.serviceAccountTokenCreator",
             "members": [f"serviceAccount:{sas[6]}"]},
            {"role": "roles/storage.objectViewer", "members": [f"serviceAccount:{sas[7]}"],
             "condition": {"title": "t", "expression": "true"}},
        ]  # fmt: skip
        docs[f"{holder}#iam"] = {"bindings": bindings}
        for b in range(buckets):
            bid = f"//storage.googleapis.com/projects/_/buckets/{pid}-b{b}"
            nodes.append(Node(bid, NodeKind.BUCKET, f"{pid}-b{b}", "gcp", props={"account": pid}))
            docs[f"{bid}#iam"] = {
                "bindings": [
                    {
                        "role": "roles/storage.objectViewer",
                        "members": [f"serviceAccount:{sas[b % accounts]}"],
                    }
                ]
            }
        for s in range(secrets):
            sid = f"//secretmanager.googleapis.com/projects/{pid}/secrets/s{s}"
            nodes.append(Node(sid, NodeKind.SECRET, f"s{s}", "gcp", props={"account": pid}))
        for i in range(instances):
            iid = f"//compute.googleapis.com/projects/{pid}/zones/z/instances/i{i}"
            nodes.append(Node(iid, NodeKind.INSTANCE, f"i{i}", "gcp", props={"account": pid}))
            sa = f"//iam.googleapis.com/projects/{pid}/serviceAccounts/{sas[i % accounts]}"
            edges.append(Edge(iid, sa, EdgeKind.RUNS_AS))
    return merge_parts([Partial(nodes=nodes, edges=edges, documents=docs)], provider="gcp",
                       scope={}, collected_at="t")  # fmt: skip


@pytest.mark.slow
def test_synthetic_estate_edges_are_proportional():
    snap = estate()
    assert len(snap.nodes) > 80_000
    out = list(permission_edges(snap))
    access = [e for e in out if e.kind == EdgeKind.CAN_ACCESS]
    # Per project: 5 accessors × 1000 secrets, 1 (own) + 1 (conditional) principal per bucket.
    # (Where the bucket's own account is also the conditional one, the two make one edge.)
    assert len(access) == 10 * (5 * 1000 + 2 * 4000 - 4000 // 100)
    escalate = {(e.src, e.dst) for e in out if e.kind == EdgeKind.CAN_ESCALATE}
    assert len(escalate) == 10 * (99 + 99)  # token creator and actAs to every other account
