"""``blastscope exposed`` and ``blastscope paths`` end to end through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from blastscope.tui.cli import main

SNAP = str(Path(__file__).parent / "graph" / "data" / "webapp_estate.json")
WEB = "arn:aws:ec2:us-east-1:111122223333:instance/i-0web"
JUMP = "arn:aws:ec2:us-east-1:111122223333:instance/i-0jump"
PII = "arn:aws:s3:::acme-customer-pii"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_exposed_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "exposed", SNAP, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [WEB, JUMP]
    assert rows[0]["name"] == "web-1" and rows[0]["ports"] == [[22, 22], [443, 443]]
    assert rows[0]["blast_radius"] == {"data": 8, "identities": 3}


def test_exposed_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "exposed", SNAP)
    assert code == 0
    assert out.splitlines()[1].startswith("web-1") and "ssh" in out and "rdp" in out
    assert "could not be read" in out


def test_paths_json_from_native_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "paths", SNAP, "--from", "i-0web", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["source"] == WEB
    pii = next(p for p in data["paths"] if p["target"] == PII)
    assert [h["kind"] for h in pii["hops"]] == ["runs_as", "can_access"]
    assert {"id", "kind", "actions"} <= set(data["reachable"][0])


def test_paths_to_kind_and_depth(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(
        capsys,
        "paths",
        SNAP,
        "--from",
        "web-1",
        "--to",
        "bucket",
        "--max-depth",
        "2",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert code == 0 and {r["kind"] for r in data["reachable"]} == {"bucket"}
    assert all(len(p["hops"]) <= 2 for p in data["paths"])
    assert data["truncated"] is True


def test_paths_to_node_with_k(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "paths", SNAP, "--from", "web-1", "--to", PII, "--k", "3")
    assert code == 0
    assert "can_assume" in out and out.count("acme-customer-pii  bucket") == 2


def test_paths_unreachable_target_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(capsys, "paths", SNAP, "--from", "thumbnailer", "--to", PII)
    assert code == 1 and "nothing reachable" in out


def test_paths_report_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for fmt in ("md", "html", "graphml"):
        target = tmp_path / f"r.{fmt}"
        code, _out, err = run(
            capsys, "paths", SNAP, "--from", "i-0web", "--format", fmt, "-o", str(target)
        )
        assert code == 0 and f"wrote {target}" in err
    assert "acme-customer-pii" in (tmp_path / "r.html").read_text()
    assert PII in nx.read_graphml(tmp_path / "r.graphml")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["paths", SNAP, "--from", "i-nope"], "no node matches 'i-nope'"),
        (["paths", SNAP, "--from", "web-1", "--to", "nothing-here"], "no node matches"),
        (["exposed", "/nonexistent/snap.json"], "cannot read snapshot"),
    ],
)
def test_bad_input_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _out, err = run(capsys, *argv)
    assert code == 2
    assert message in err and err.count("\n") == 1


def test_bad_depth_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["paths", SNAP, "--from", "web-1", "--max-depth", "0"])
    assert exc.value.code == 2


def test_paths_all_paths_and_opengraph(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = run(
        capsys,
        "paths",
        SNAP,
        "--from",
        "web-1",
        "--to",
        PII,
        "--all-paths",
        "--max-depth",
        "3",
        "--format",
        "json",
    )
    assert code == 0
    assert sorted(len(p["hops"]) for p in json.loads(out)["paths"]) == [2, 3]
    code, out, _err = run(capsys, "paths", SNAP, "--from", "web-1", "--format", "opengraph")
    assert code == 0 and json.loads(out)["graph"]["nodes"]


def test_exposed_with_worker_processes_prints_what_one_process_does(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from blastscope.tui.commands import analyse

    monkeypatch.setattr(analyse, "PARALLEL_AT", 0)  # the small estate counts as large
    outputs = []
    for jobs in ("1", "2"):
        code, out, _err = run(capsys, "exposed", SNAP, "--format", "json", "--jobs", jobs)
        assert code == 0
        outputs.append(out)
    assert outputs[0] == outputs[1] and json.loads(outputs[0])
    with pytest.raises(SystemExit) as exc:
        main(["exposed", SNAP, "--jobs", "0"])
    assert exc.value.code == 2 and "expected 1 or more" in capsys.readouterr().err
