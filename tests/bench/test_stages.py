"""The benchmark's per-size run on a small estate: every stage gives a number, and the
commands run as a user runs them (a fresh process, its own peak memory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bench_package import BENCH


def test_a_small_size_runs_every_stage(tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    subprocess.run(
        [sys.executable, "-m", "bench.stages", "400", "1", str(out)],
        cwd=BENCH.parent,
        env={**os.environ, "BENCH_STAGE_BUDGET": "60"},
        check=True,
        capture_output=True,
    )
    result = json.loads(out.read_text())
    rows = {row["stage"]: row for row in result["rows"]}
    failed = [row for row in result["rows"] if row.get("status", "ok") != "ok"]
    assert not failed, failed
    commands = [row for stage, row in rows.items() if stage.startswith("`blastscope")]
    assert len(commands) >= 2
    assert all(row["seconds"] > 0 and row["peak_rss_mb"] > 30 for row in commands)
    radius = rows["blast radius, one node"]
    assert "median of 5 asks" in radius["note"]
    assert "worst" not in result
