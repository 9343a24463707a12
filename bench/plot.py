"""Plot time and peak memory against estate size: ``python -m bench.plot [results.json] [out.png]``.

Needs matplotlib (``pip install matplotlib``; not a blastscope dependency).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = (
    "snapshot load + validate",
    "graph build (derive=False)",
    "graph build (all analyses)",
    "exposed_summaries (all exposed)",
    "blast radius, one node",
    "blast radius, every exposed",
    "TUI first paint (headless 120x40)",
)


def plot(results: Path, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    doc = json.loads(results.read_text())
    sizes = [r for r in doc["sizes"] if "rows" in r]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    for stage in STAGES:
        xs, ys = [], []
        for res in sizes:
            row = next((r for r in res["rows"] if r["stage"].startswith(stage)), None)
            if row and row["status"] == "ok" and _complete(res, row):
                xs.append(res["info"]["nodes"])
                ys.append(row["seconds"])
        if xs:
            left.plot(xs, ys, marker="o", label=stage)
    left.set(xscale="log", yscale="log", xlabel="nodes", ylabel="seconds", title="Time per stage")
    left.legend(fontsize=7)
    left.grid(True, which="both", alpha=0.3)
    right.plot([r["info"]["nodes"] for r in sizes], [r["peak_rss_mb"] for r in sizes], marker="o")
    right.set(xscale="log", xlabel="nodes", ylabel="MiB", title="Peak RSS (whole run per size)")
    right.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return out


def _complete(res: dict, row: dict) -> bool:
    """Whether a row measured the whole stage: not a build without the analyses that ran
    over budget, not summaries of an estate left with nothing exposed by them."""
    if "without" in str(row.get("note", "")):
        return False
    partial = any("without" in str(r.get("note", "")) for r in res["rows"])
    return not (partial and row["stage"].startswith(("exposed_summaries", "blast radius")))


if __name__ == "__main__":
    args = sys.argv[1:]
    src = Path(args[0]) if args else HERE / "results.json"
    dst = Path(args[1]) if len(args) > 1 else HERE / "scaling.png"
    print(plot(src, dst))
