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
