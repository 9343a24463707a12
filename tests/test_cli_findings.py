"""``blastscope findings``: table, JSON and Markdown over a saved snapshot."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from blastscope.graph.model import (
    Edge,
    EdgeKind,
    Node,
    NodeKind,
    Partial,
    merge_parts,
    save_snapshot,
)
from blastscope.tui.cli import main


@pytest.fixture
def snap_file(tmp_path: Path) -> Path:
    sg = Node(
        "sg",
        NodeKind.FIREWALL,
        "sg",
        "aws",
        props={
            "rules": [
                {
                    "id": "rdp",
                    "direction": "ingress",
                    "action": "allow",
                    "protocol": "tcp",
                    "from_port": 3389,
                    "to_port": 3389,
                    "sources": [{"cidr": "::/0"}],
                }
            ]
        },
    )
    vm = Node(
        "arn:aws:ec2:us-east-1:1:instance/i-1",
        NodeKind.INSTANCE,
        "web\x1b[2J\u202e",
        "aws",
        props={"public_ips": ["1.2.3.4"], "imds_v1": True},
    )
    disk = Node("vol", NodeKind.DISK, "data", "aws", props={"encrypted": False})
    snap = merge_parts(
        [Partial(nodes=[sg, vm, disk], edges=[Edge(vm.id, "sg", EdgeKind.PROTECTED_BY)])],
        provider="aws",
        scope={},
        collected_at="2026-06-01T00:00:00Z",
    )
    return save_snapshot(snap, tmp_path / "snap.json")


def test_table_is_worst_first_and_terminal_safe(
    snap_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["findings", str(snap_file)]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].split() == ["SEVERITY", "RULE", "NODE", "TITLE"]
    assert [ln.split()[:2] for ln in lines[1:]] == [
        ["high", "imds-v1"],
        ["high", "management-port-open"],
        ["medium", "unencrypted-storage"],
    ]
    assert "\x1b" not in out.out and "\u202e" not in out.out and "web\\x1b[2J" in out.out
    assert "2 high, 1 medium" in out.err


def test_json_and_severity_filter(snap_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings", str(snap_file), "--severity", "high", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [(d["rule"], d["severity"]) for d in doc] == [
        ("imds-v1", "high"),
        ("management-port-open", "high"),
    ]
    assert doc[1]["evidence"]["ports"] == [3389] and doc[1]["remediation"]
    assert doc[1]["id"] == "management-port-open:arn:aws:ec2:us-east-1:1:instance/i-1"


def test_markdown_to_file(snap_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "f.md"
    assert main(["findings", str(snap_file), "--format", "md", "-o", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("# Findings") and "## HIGH: instance metadata service v1" in text
    assert "\x1b" not in text


def test_bad_severity_is_one_line_exit_2(snap_file: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "blastscope", "findings", str(snap_file), "--severity", "severe"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "not one of critical" in proc.stderr and "Traceback" not in proc.stderr
