"""Edge derivation cost grows with resources only through edge construction: decisions are
evaluated once per (principal, context), not once per resource."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import blastscope.graph.iam.azure as azure
from blastscope.graph.model import Edge, EdgeKind, Node, NodeKind, Partial, Snapshot, merge_parts

ROLES = {
    r["properties"]["roleName"]: r
    for r in json.loads(
        (Path(__file__).parents[2] / "data" / "azure" / "roles" / "builtin.json").read_text()
    )["value"]
}
SUB = "/subscriptions/44444444-4444-4444-4444-444444444444"


def estate(groups: int, per_group: int = 10) -> Snapshot:
    docs = {}
    for r in ROLES.values():
        doc_id = f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/{r['name']}"
        docs[doc_id] = {**r["properties"], "id": doc_id, "name": r["name"]}
    nodes = [Node(SUB, NodeKind.ACCOUNT, "s", "azure")]
    edges = []
    for g in range(groups):
        rg = f"{SUB}/resourceGroups/rg{g}"
        for i in range(per_group):
            vm = f"{rg}/providers/Microsoft.Compute/virtualMachines/vm{i}"
            ident = f"{vm}/providers/Microsoft.ManagedIdentity/identities/default"
            nodes += [
                Node(vm, NodeKind.INSTANCE, f"vm{i}", "azure"),
                Node(
                    ident,
                    NodeKind.IDENTITY,
                    "id",
                    "azure",
                    props={
                        "principal_type": "managed_identity",
                        "assignment": "system",
                        "principal_id": f"{g:08d}-0000-0000-0000-{i:012d}",
                    },
                ),
                Node(f"{rg}/providers/Microsoft.Compute/disks/d{i}", NodeKind.DISK, "d", "azure"),
                Node(
                    f"{rg}/providers/Microsoft.Storage/storageAccounts/s{i}",
                    NodeKind.BUCKET,
                    "s",
                    "azure",
                    props={"allow_shared_key_access": True},
                ),
            ]
            edges.append(Edge(vm, ident, EdgeKind.RUNS_AS))
    for k, role in enumerate(["Contributor", "Owner", "Reader", "User Access Administrator"]):
        principal = f"ffffffff-0000-0000-0000-00000000000{k}"
        doc_id = f"{SUB}/providers/Microsoft.Authorization/roleAssignments/top{k}"
        docs[doc_id] = {
            "id": doc_id,
            "scope": SUB,
            "principalId": principal,
            "roleDefinitionId": f"{SUB}/providers/Microsoft.Authorization/roleDefinitions/"
            + ROLES[role]["name"],
        }
        nodes.append(
            Node(
                f"azure:principal/{principal}",
                NodeKind.IDENTITY,
                principal,
                "azure",
                props={"principal_id": principal},
            )
        )
    return merge_parts(
        [Partial(nodes=nodes, edges=edges, documents=docs)],
        provider="azure",
        scope={},
        collected_at="t",
    )


def test_decisions_do_not_grow_with_resources(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = azure.decide

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(azure, "decide", counting)
    counts, sizes = [], []
    for groups in (3, 30):
        calls.clear()
        out = azure.permission_edges(estate(groups))
        counts.append(len(calls))
        sizes.append(len(out))
    assert sizes[1] == 10 * sizes[0]  # ten times the resources, ten times the edges …
    assert counts[1] == counts[0]  # … from the same number of evaluations
