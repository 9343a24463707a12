"""The CLI's contract: one-line errors, exit 2 for bad input, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from blastscope.tui.cli import main


def test_corrupt_snapshot_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "blastscope.snapshot/1", "nodes": [')
    proc = subprocess.run(
        [sys.executable, "-m", "blastscope", "open", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "not valid JSON" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_snapshot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["open", str(tmp_path / "nope.json")]) == 2
    assert "cannot read snapshot" in capsys.readouterr().err


def test_bad_usage_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["collect", "oracle", "-o", "x.json"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_out_of_memory_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An estate too big for the machine (seen at 1M nodes on 24 GB) ends with a line that
    says so, not a traceback."""
    from blastscope.graph.model import save_snapshot
    from blastscope.providers.demo import load_demo
    from blastscope.tui.commands import analyse

    def exhausted(*_args: object, **_kwargs: object) -> None:
        raise MemoryError

    snap = save_snapshot(load_demo(), tmp_path / "demo.json")
    monkeypatch.setattr(analyse, "focused_graph", exhausted)
    assert main(["exposed", str(snap)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("blastscope: out of memory") and err.count("\n") == 1
