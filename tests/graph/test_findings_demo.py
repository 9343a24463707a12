"""Golden: the demo estate (built by the real collectors) shows the weaknesses it was built with."""

from __future__ import annotations

from blastscope.graph.build import build_graph
from blastscope.graph.findings import findings
from blastscope.providers.demo import load_demo

CHOSEN = {
    ("root-no-mfa", "root", "critical"),
    ("management-port-open", "bastion-1", "high"),
    ("imds-v1", "web-1", "high"),
    ("user-data-secret", "ci-runner", "high"),
    ("public-bucket", "acme-static-assets", "high"),
    ("admin-principal", "admin-role", "high"),
    ("console-no-mfa", "alice", "high"),
    ("no-audit-logging", "123456789012", "high"),
    ("secret-no-rotation", "prod/db-password", "low"),
}


def test_demo_shows_the_chosen_findings_with_evidence() -> None:
    snap = load_demo()
    names = {n.id: n.name for n in snap.nodes}
    found = findings(snap)
    seen = {(f.rule, names[f.node], str(f.severity)) for f in found}
    assert CHOSEN <= seen
    ssh = next(
        f for f in found if f.rule == "management-port-open" and names[f.node] == "bastion-1"
    )
    assert 22 in ssh.evidence["ports"] and ssh.evidence["public_ips"]
    secret = next(f for f in found if f.rule == "user-data-secret")
    assert all(
        set(s) <= {"type", "location", "hash_prefix", "node"} for s in secret.evidence["secrets"]
    )


def test_demo_graph_carries_findings_on_nodes() -> None:
    G = build_graph(load_demo())
    web = next(n for n, d in G.nodes(data=True) if d["name"] == "web-1" and d["provider"] == "aws")
    assert "imds-v1" in {f.rule for f in G.nodes[web]["findings"]}
    assert all(isinstance(d["findings"], list) for _, d in G.nodes(data=True))
