"""`blastscope can` / `who-can`: decisions with their statements, exit codes, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blastscope.graph.model import (
    Node,
    NodeKind,
    Partial,
    merge_parts,
    save_snapshot,
)
from blastscope.tui.cli import main

A = "111122223333"
ALICE = f"arn:aws:iam::{A}:user/alice"
BOB = f"arn:aws:iam::{A}:user/bob"
ROLE = f"arn:aws:iam::{A}:role/reader"
BUCKET = "arn:aws:s3:::payroll"
READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadPayroll",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": [BUCKET, f"{BUCKET}/*"],
        }
    ],
}
ASSUME = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": ROLE}],
}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{A}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}
DENY_PUT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "NoWrites",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"{BUCKET}/*",
        }
    ],
}

FROM_OFFICE = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DeleteFromOffice",
            "Effect": "Allow",
            "Action": "s3:DeleteObject",
            "Resource": f"{BUCKET}/*",
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
        }
    ],
}


@pytest.fixture
def snap(tmp_path: Path) -> Path:
    part = Partial(
        nodes=[
            Node(
                ALICE,
                NodeKind.IDENTITY,
                "alice",
                "aws",
                "global",
                {
                    "principal_type": "user",
                    "inline_policies": [f"{ALICE}#inline/read", f"{ALICE}#inline/office"],
                },
            ),
            Node(
                BOB,
                NodeKind.IDENTITY,
                "bob",
                "aws",
                "global",
                {"principal_type": "user", "inline_policies": [f"{BOB}#inline/assume"]},
            ),
            Node(
                ROLE,
                NodeKind.ROLE,
                "reader",
                "aws",
                "global",
                {"inline_policies": [f"{ROLE}#inline/read"], "trust_policy": f"{ROLE}#trust"},
            ),
            Node(
                BUCKET,
                NodeKind.BUCKET,
                "payroll",
                "aws",
                "us-east-1",
                {"policy": f"{BUCKET}#policy"},
            ),
        ],
        documents={
            f"{ALICE}#inline/read": READ,
            f"{ALICE}#inline/office": FROM_OFFICE,
            f"{ROLE}#inline/read": READ,
            f"{BOB}#inline/assume": ASSUME,
            f"{ROLE}#trust": TRUST,
            f"{BUCKET}#policy": DENY_PUT,
        },
        edges=[],
    )
    path = tmp_path / "snap.json"
    save_snapshot(merge_parts([part], provider="aws", scope={"account": A}, collected_at="t"), path)
    return path


def test_can_allow_prints_deciding_statement(snap, capsys):
    assert main(["can", str(snap), "alice", "s3:GetObject", BUCKET]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ALLOW")
    assert f"statement 0 (ReadPayroll) of {ALICE}#inline/read" in out


def test_can_explicit_deny_exit_1_json(snap, capsys):
    assert (
        main(["can", str(snap), ALICE, "s3:PutObject", f"{BUCKET}/2024.csv", "--format", "json"])
        == 1
    )
    data = json.loads(capsys.readouterr().out)
    assert data["outcome"] == "explicit_deny" and data["allowed"] is False
    assert data["statements"] == [
        {"document": f"{BUCKET}#policy", "statement": 0, "sid": "NoWrites", "effect": "Deny"}
    ]


def test_can_conditional_exit_1_names_the_condition_statement(snap, capsys):
    # the caller's address is not in a snapshot: "maybe" must not read as "yes" to a script
    assert main(["can", str(snap), "alice", "s3:DeleteObject", f"{BUCKET}/2024.csv"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("CONDITIONAL")
    assert "DeleteFromOffice" in out


def test_can_implicit_deny_exit_1(snap, capsys):
    assert main(["can", str(snap), "bob", "s3:GetObject", "payroll"]) == 1
    assert capsys.readouterr().out.startswith("DENY (implicit_deny)")


def test_who_can_lists_direct_and_via_assume(snap, capsys):
    assert main(["who-can", str(snap), "s3:GetObject", "payroll", "--format", "json"]) == 0
    rows = {r["principal"]: r for r in json.loads(capsys.readouterr().out)["principals"]}
    assert set(rows) == {ALICE, ROLE, BOB}
    assert rows[ALICE]["via"] == [] and rows[ROLE]["via"] == []
    assert rows[BOB]["via"] == [ROLE]
    assert main(["who-can", str(snap), "s3:GetObject", "payroll", "--direct"]) == 0
    table = capsys.readouterr().out
    assert ALICE in table and BOB not in table


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["can", "{snap}", "alicia", "s3:GetObject", BUCKET], "closest: " + ALICE),
        (["can", "{snap}", "alice", "s3:GetObjekt", BUCKET], "closest: s3:GetObject"),
        (["can", "{snap}", "alice", "s3:Get*", BUCKET], "give one action"),
        (["who-can", "{snap}", "s3:GetObject", "payrol"], "closest: " + BUCKET),
    ],
)
def test_bad_input_exits_2_with_suggestion(snap, capsys, argv, message):
    assert main([a.replace("{snap}", str(snap)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
