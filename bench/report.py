"""Benchmark results as Markdown, with the machine they were measured on."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    rev = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    return {
        "uname": " ".join(platform.uname()),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "commit": rev,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _fmt_s(value: Any) -> str:
    if value is None:
        return ""
    if value < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s"


def markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    lines = [
        f"Machine: `{m['uname']}`; CPU {m['cpu']} ({m['cores']} cores), {m['memory']} RAM; "
        f"Python {m['python']}; commit {m['commit']}; load average at the end "
        f"{m.get('load_average')} (other processes share the machine).",
        "",
    ]
    for res in doc["sizes"]:
        if "error" in res:
            lines += [f"### {res['size']:,} nodes: failed ({res['error']})", ""]
            continue
        info = res["info"]
        lines += [
            f"### {info['nodes']:,} nodes, {info['edges']:,} collected edges, "
            f"{info.get('graph_edges', 0):,} graph edges (with derived), "
            f"{info['documents']:,} documents, file {info['file_mb']} MiB",
            "",
            "| stage | time | floor | floor time | × floor | peak RSS after | note |",
            "|---|---:|---|---:|---:|---:|---|",
        ]
        for row in res["rows"]:
            if row["status"] != "ok":
                lines.append(
                    f"| {row['stage']} | {row['status']} | | | | | {row.get('note', '')} |"
                )
                continue
            lines.append(
                f"| {row['stage']} | {_fmt_s(row['seconds'])} | {row.get('floor', '')} | "
                f"{_fmt_s(row.get('floor_seconds'))} | {row.get('ratio', '')} | "
                f"{row.get('peak_rss_mb', '')} MiB | {row.get('note', '')} |".replace(
                    "| MiB |", "| |"
                )
            )
        e2e = _sum(res["rows"], ("snapshot load", "graph build (all", "exposed_summaries"))
        if e2e is not None:
            lines.append(
                f"| exposed, in-process sum (load+build+summaries) | {_fmt_s(e2e)} | | | | | sum |"
            )
        lines += ["", f"Peak RSS for this size: {res['peak_rss_mb']} MiB.", ""]
    if doc.get("demo_open_seconds"):
        runs = ", ".join(f"{x:.2f} s" for x in doc["demo_open_seconds"])
        lines += [
            f"`blastscope demo` to first paint (fresh interpreter, headless 120x40): {runs}.",
            "",
        ]
    col = doc.get("collection")
    if col:
        lines += ["### Collection (AWS collector against moto, injected latency)", ""]
        if col.get("status") != "ok":
            lines += [f"{col.get('status')}: {col.get('note', '')}", ""]
        else:
            lines += [
                f"{col['regions']} regions, {col['latency_ms']:.0f} ms per API call, "
                f"{col['nodes']} nodes collected.",
                "",
                "| mode | API calls | wall time |",
                "|---|---:|---:|",
            ]
            for mode in col["modes"]:
                lines.append(f"| {mode['name']} | {mode['calls']} | {_fmt_s(mode['seconds'])} |")
            lines.append("")
    return "\n".join(lines)


def _sum(rows: list[dict[str, Any]], prefixes: tuple[str, ...]) -> float | None:
    total = 0.0
    for prefix in prefixes:
        match = [r for r in rows if r["stage"].startswith(prefix) and r["status"] == "ok"]
        if not match:
            return None
        total += match[0]["seconds"]
    return total


def results_page(table: str) -> str:
    return (
        "# Benchmark results\n\n"
        "Regenerate with `python -m bench` (add `--sizes 1k,10k,100k,1M` and `--collect`) from the "
        "repository root; see `bench/NOTES.md` for what each stage measures and the hotspots.\n\n"
        + table
    )
